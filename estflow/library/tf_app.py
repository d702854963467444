"""`tf.app.run` as TF1 has it: absl's `app.run`, parsing the flags it knows and leaving the rest to `main`."""

from __future__ import annotations

import sys

from absl import app as _absl_app

from estflow.library import tf_flags

__all__ = ["run"]


def _parse_flags_tolerate_undef(argv):
    """Parse the defined flags out of `argv`; unknown ones stay in the list returned (absl's would exit)."""
    return tf_flags.FLAGS(sys.argv if argv is None else argv, known_only=True)


def run(main=None, argv=None):
    """Parse flags from `argv` (default `sys.argv`), call `main(remaining argv)` and exit with what it returns.

    `main` defaults to the `main` function of the `__main__` module, as TF1's does.
    """
    main = main or sys.modules["__main__"].main
    _absl_app.run(main=main, argv=argv, flags_parser=_parse_flags_tolerate_undef)
