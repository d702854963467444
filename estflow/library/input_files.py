"""`tf.train.match_filenames_once`: the files matching a pattern, listed once per session."""

from __future__ import annotations

from estflow.core.graph import GraphKeys, name_scope
from estflow.core.ops.file_string_ops import matching_files
from estflow.core.variables import Variable


def match_filenames_once(pattern, name=None):
    """A local variable holding the sorted files that match `pattern`, listed when the local
    variables are initialized (so the list stays fixed for the session), as TF1's
    `tf.train.match_filenames_once`.

        files = tf.train.match_filenames_once("data/*.csv")
        sess.run(tf.local_variables_initializer()); sess.run(files)
    """
    with name_scope(name, "matching_filenames", [pattern]) as scope:
        return Variable(matching_files(pattern), name=scope.rstrip("/") if scope else None, trainable=False,
                        validate_shape=False, collections=[GraphKeys.LOCAL_VARIABLES])
