"""tf.app.run (estflow/library/tf_app.py): a TF1 program with flags, run as a script in its own interpreter."""

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROGRAM = textwrap.dedent('''
    import estflow as tf

    flags = tf.app.flags
    flags.DEFINE_string("model_dir", "/tmp/model", "where checkpoints go")
    flags.DEFINE_integer("train_steps", 100, "steps")
    flags.DEFINE_float("learning_rate", 0.01, "rate")
    flags.DEFINE_boolean("verbose", False, "log more")
    FLAGS = flags.FLAGS


    def main(argv):
        tf.logging.set_verbosity(tf.logging.INFO)
        tf.logging.info("training for %d steps", FLAGS.train_steps)
        print("argv", argv[1:])
        print("flags", FLAGS.model_dir, FLAGS.train_steps, FLAGS.learning_rate, FLAGS.verbose)
        with tf.Session() as sess:
            print("sum", sess.run(tf.constant(FLAGS.train_steps) + 1))
        return FLAGS.train_steps % 7


    if __name__ == "__main__":
        tf.app.run()
''')


def _run_program(tmp_path, *args):
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env)


def test_run_parses_flags_calls_main_and_exits_with_its_value(tmp_path):
    out = _run_program(tmp_path, "--train_steps=12", "--learning_rate", "0.5", "--verbose", "--model_dir=/x", "extra")
    assert out.stdout.splitlines() == ["argv ['extra']", "flags /x 12 0.5 True", "sum 13"], out.stderr
    assert out.returncode == 12 % 7
    # under app.run, absl's handler on the root logger writes the record once, naming the caller (as in TF1)
    logged = [line for line in out.stderr.splitlines() if "training for" in line]
    assert len(logged) == 1 and logged[0].startswith("I") and logged[0].endswith("prog.py:14] training for 12 steps")


def test_defaults_and_a_zero_exit(tmp_path):
    out = _run_program(tmp_path, "--train_steps=14")
    assert out.stdout.splitlines() == ["argv []", "flags /tmp/model 14 0.01 False", "sum 15"], out.stderr
    assert out.returncode == 0


def test_unknown_flags_reach_main_as_tf1s_do(tmp_path):
    out = _run_program(tmp_path, "--not_a_flag=3", "--train_steps=1")
    assert out.stdout.splitlines()[0] == "argv ['--not_a_flag=3']", out.stderr
    assert out.returncode == 1


def test_a_bad_flag_value_exits_with_usage(tmp_path):
    out = _run_program(tmp_path, "--train_steps=many")
    assert out.returncode == 1 and out.stdout == ""
    assert "train_steps" in out.stderr


def test_run_with_explicit_main_and_argv():
    code = ("import estflow as tf\n"
            "tf.app.run(main=lambda argv: print('got', argv), argv=['prog', 'a', 'b'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert out.stdout == "got ['prog', 'a', 'b']\n" and out.returncode == 0, out.stderr
