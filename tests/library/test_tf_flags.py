"""tf.flags / tf.app.flags (estflow/library/tf_flags.py): absl's flags with TF1's old keywords and lazy FLAGS.

The process-wide FLAGS is checked in fresh interpreters; in this one only private FlagValues.
"""

import subprocess
import sys
from pathlib import Path

import absl.flags
import pytest

import estflow as tf

REPO = Path(__file__).resolve().parents[2]
TF1_NAMES = Path(__file__).resolve().parents[3] / "shared" / "golden" / "api" / "tf1_api.txt"


def _run(code, *args):
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)


def test_tf_app_flags_is_tf_flags_and_reexports_absls():
    assert tf.app.flags is tf.flags
    assert tf.flags.FlagValues is absl.flags.FlagValues
    assert tf.flags.UnrecognizedFlagError is absl.flags.UnrecognizedFlagError
    assert tf.flags.FLAGS.__dict__["_wrapped"] is absl.flags.FLAGS


@pytest.mark.skipif(not TF1_NAMES.exists(), reason="needs ../shared/golden/api/tf1_api.txt")
def test_every_name_of_tf1s_flags_module_is_there():
    names = [line.strip().split(".", 1)[1] for line in TF1_NAMES.read_text().splitlines() if line.startswith("flags.")]
    assert names and sorted(set(names) - set(dir(tf.flags))) == []


def test_define_functions_take_absls_and_tf1s_keyword_names(caplog):
    fv = tf.flags.FlagValues()
    tf.flags.DEFINE_string("name", "x", "a string", flag_values=fv)
    tf.flags.DEFINE_integer(flag_name="steps", default_value=10, docstring="steps", flag_values=fv)
    tf.flags.DEFINE_float("rate", 0.1, "rate", flag_values=fv)
    tf.flags.DEFINE_boolean("fast", False, "fast", flag_values=fv)
    tf.flags.DEFINE_bool("slow", True, "slow", flag_values=fv)
    tf.flags.DEFINE_enum("mode", "train", ["train", "eval"], "mode", flag_values=fv)
    tf.flags.DEFINE_list("layers", "10,20", "sizes", flag_values=fv)
    assert "deprecated, please use (name, default, help)" in caplog.text
    rest = fv(["prog", "--steps=7", "--rate", "0.5", "--fast", "--noslow", "--mode=eval", "--layers=1,2,3", "x"])
    assert rest == ["prog", "x"]
    assert (fv.name, fv.steps, fv.rate, fv.fast, fv.slow, fv.mode, fv.layers) == (
        "x", 7, 0.5, True, False, "eval", ["1", "2", "3"])
    assert fv["steps"].help == "steps"
    with pytest.raises(tf.flags.IllegalFlagValueError):
        fv(["prog", "--mode=predict"])


def test_flags_read_before_any_parse_parse_sys_argv():
    out = _run("import estflow as tf\n"
               "tf.flags.DEFINE_integer('batch_size', 32, 'batch')\n"
               "FLAGS = tf.flags.FLAGS\n"
               "print(FLAGS.is_parsed(), FLAGS.batch_size, FLAGS.is_parsed())\n", "--batch_size=8")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "8", "True"]


def test_absls_own_flags_refuse_a_read_before_parsing():  # what the wrapper changes
    out = _run("from absl import flags\n"
               "flags.DEFINE_integer('batch_size', 32, 'batch')\n"
               "try:\n    flags.FLAGS.batch_size\nexcept flags.UnparsedFlagAccessError:\n    print('refused')\n")
    assert out.stdout.split() == ["refused"]


def test_probing_flags_for_dunder_attributes_parses_nothing():
    assert not hasattr(tf.flags.FLAGS, "__wrapped__")
    assert not tf.flags.FLAGS.is_parsed()  # pytest's own command line was not read as flags
