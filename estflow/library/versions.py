"""Version numbers: the TF1 API level estflow implements (`tf.__version__`) and estflow's own release.

TF1 programs compare `tf.__version__` (`StrictVersion("1.4") <= StrictVersion(tf.__version__)`,
`LooseVersion`, `packaging.version.Version`), so it is the TF1 release whose API estflow
follows, "1.15.0". estflow's own release is `ESTFLOW_VERSION` (`tf.version.ESTFLOW_VERSION`,
`estflow.__estflow_version__`); it is what pyproject.toml and pip report. The GraphDef
versions (`tf.GRAPH_DEF_VERSION`, ...) are those estflow writes (`estflow/core/graph_io.py`).
This module imports nothing of estflow, so `tf.__version__` stays cheap.
"""

import platform

__all__ = ["VERSION", "ESTFLOW_VERSION", "GIT_VERSION", "COMPILER_VERSION", "CXX_VERSION", "CXX11_ABI_FLAG",
           "MONOLITHIC_BUILD", "GRAPH_DEF_VERSION_MIN_PRODUCER"]

VERSION = "1.15.0"  # the TF1 API level: tf.__version__, tf.VERSION, tf.version.VERSION
ESTFLOW_VERSION = "0.1.0.dev0"  # estflow's release; pyproject.toml's [project] version is the same (a test checks)
GIT_VERSION = f"estflow-v{ESTFLOW_VERSION}"  # TF1's is the `git describe` of its build
COMPILER_VERSION = platform.python_compiler()  # estflow is Python: the compiler that built this interpreter
CXX_VERSION = 0  # TF's `__cplusplus`; estflow has no C++ code
CXX11_ABI_FLAG = 0  # TF1's pip builds' value; no C++ ABI here
MONOLITHIC_BUILD = 0  # TF1's pip builds' value
GRAPH_DEF_VERSION_MIN_PRODUCER = 0  # TF's: GraphDefs from any producer version are read
