"""`tf.app`: `tf.app.run` and `tf.app.flags` (re-exports only)."""

import estflow.flags as flags
from estflow.library.tf_app import run as run
