"""`tf.version`: the TF1 API level (`VERSION`), estflow's release, build and GraphDef versions (re-exports only)."""

from estflow.core.graph_io import GRAPH_DEF_VERSION as GRAPH_DEF_VERSION
from estflow.core.graph_io import GRAPH_DEF_VERSION_MIN_CONSUMER as GRAPH_DEF_VERSION_MIN_CONSUMER
from estflow.library.versions import COMPILER_VERSION as COMPILER_VERSION
from estflow.library.versions import ESTFLOW_VERSION as ESTFLOW_VERSION
from estflow.library.versions import GIT_VERSION as GIT_VERSION
from estflow.library.versions import GRAPH_DEF_VERSION_MIN_PRODUCER as GRAPH_DEF_VERSION_MIN_PRODUCER
from estflow.library.versions import VERSION as VERSION
