"""Run a snippet in a fresh interpreter whose address space is capped (RLIMIT_AS).

The cap is the interpreter's size once estflow is imported plus `headroom_mib`, so a test
shows a reader stays within that headroom: an unbounded path would raise MemoryError (the
snippets also check that the naive way does, proving the cap is tight enough to matter).
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests import REPO

_PRELUDE = """
import resource, sys
import numpy
import estflow, estflow.data
# What the snippets use, imported before the cap is measured so that only their reading counts:
import estflow.core.checkpoint_bundle, estflow.core.record_io, estflow.core.session
import estflow.data.readers, estflow.data.tfrecord, estflow.training.summary_iterator
def _vm_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
_limit = _vm_bytes() + {headroom} * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (_limit, _limit))
"""


def run_bounded(snippet: str, headroom_mib: int, timeout: float = 120) -> dict:
    """Run `snippet` under the cap; it assigns `result` (JSON-able), which is returned."""
    if not sys.platform.startswith("linux"):
        pytest.skip("RLIMIT_AS and /proc/self/status are Linux features")
    code = _PRELUDE.format(headroom=headroom_mib) + textwrap.dedent(snippet) + \
        "\nimport json\nprint('RESULT=' + json.dumps(result))\n"
    # One malloc arena and one BLAS thread: each extra thread would reserve address space the cap counts.
    env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MALLOC_ARENA_MAX="1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=str(REPO))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT=")]
    assert proc.returncode == 0 and lines, f"rc={proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    return json.loads(lines[-1][len("RESULT="):])
