"""tf.logging (estflow/library/tf_logging.py): TF1's functions and levels on the Python logger "tensorflow"."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest

import estflow as tf
from estflow.library import tf_logging

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def records(caplog):
    """The records of the "tensorflow" logger at DEBUG and above (`.records`); the verbosity restored afterwards."""
    before = tf.logging.get_verbosity()
    tf.logging.set_verbosity(tf.logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="tensorflow")
    yield caplog
    tf.logging.set_verbosity(before)


def test_levels_are_python_loggings():
    assert (tf.logging.DEBUG, tf.logging.INFO, tf.logging.WARN, tf.logging.ERROR, tf.logging.FATAL) == (
        10, 20, 30, 40, 50)


def test_the_logger_is_named_tensorflow():
    assert tf_logging.get_logger() is logging.getLogger("tensorflow")


def test_each_function_logs_at_its_level_with_percent_args(records):
    tf.logging.debug("d %d", 1)
    tf.logging.info("loss = %s, step = %d", 0.69, 1)
    tf.logging.warn("w")
    tf.logging.warning("w2")
    tf.logging.error("e")
    tf.logging.fatal("f")
    tf.logging.log(tf.logging.INFO, "l %s", "x")
    tf.logging.vlog(tf.logging.WARN, "v")
    tf.logging.TaskLevelStatusMessage("status")
    got = [(r.levelno, r.name, r.getMessage()) for r in records.records]
    assert got == [(10, "tensorflow", "d 1"), (20, "tensorflow", "loss = 0.69, step = 1"), (30, "tensorflow", "w"),
                   (30, "tensorflow", "w2"), (40, "tensorflow", "e"), (50, "tensorflow", "f"),
                   (20, "tensorflow", "l x"), (30, "tensorflow", "v"), (40, "tensorflow", "status")]


def test_records_name_the_callers_file_and_line(records):
    tf.logging.info("here")
    line = sys._getframe().f_lineno - 1
    tf.logging.log_if(tf.logging.INFO, "there", True)
    tf.logging.log_first_n(tf.logging.INFO, "first", 1)
    assert [(Path(r.pathname).name, r.lineno) for r in records.records] == [
        ("test_tf_logging.py", line), ("test_tf_logging.py", line + 2), ("test_tf_logging.py", line + 3)]


def test_verbosity_filters_and_reads_back(records):
    tf.logging.set_verbosity(tf.logging.ERROR)
    assert tf.logging.get_verbosity() == tf.logging.ERROR
    tf.logging.info("dropped")
    tf.logging.warn("dropped")
    tf.logging.error("kept")
    assert [r.getMessage() for r in records.records] == ["kept"]


def test_log_if(records):
    tf.logging.log_if(tf.logging.INFO, "yes %d", True, 1)
    tf.logging.log_if(tf.logging.INFO, "no", False)
    assert [r.getMessage() for r in records.records] == ["yes 1"]


def test_log_every_n_counts_per_call_site(records):
    for i in range(7):
        tf.logging.log_every_n(tf.logging.INFO, "a %d", 3, i)
    for i in range(2):
        tf.logging.log_every_n(tf.logging.INFO, "b %d", 3, i)
    assert [r.getMessage() for r in records.records] == ["a 0", "a 3", "a 6", "b 0"]


def test_log_first_n(records):
    for i in range(5):
        tf.logging.log_first_n(tf.logging.WARN, "x %d", 2, i)
    assert [r.getMessage() for r in records.records] == ["x 0", "x 1"]


def test_flush_flushes_the_handlers():
    tf.logging.flush()  # TF1 raises NotImplementedError; estflow's flushes (checked in the subprocess test below)


def _run(code):
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)


def test_a_program_sees_tf1s_default_format_on_stderr_at_warn():
    out = _run("import estflow as tf\n"
               "tf.logging.info('hidden')\n"
               "tf.logging.warn('careful %d', 3)\n"
               "tf.logging.set_verbosity(tf.logging.INFO)\n"
               "tf.logging.info('loss = %s, step = %d', 0.5, 2)\n"
               "tf.logging.flush()\n")
    assert out.stdout == ""
    assert out.stderr.splitlines() == ["WARNING:tensorflow:careful 3", "INFO:tensorflow:loss = 0.5, step = 2"]


def test_a_configured_root_logger_gets_the_records_once():
    out = _run("import logging, sys\n"
               "logging.basicConfig(stream=sys.stdout, format='%(name)s|%(message)s')\n"
               "import estflow as tf\n"
               "tf.logging.warn('once')\n")
    assert out.stdout.splitlines() == ["tensorflow|once"]
    assert out.stderr == ""
