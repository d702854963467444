"""Training: optimizers, learning-rate schedules, gradient clipping, global step, Saver and checkpoints.

The public names are re-exported by the thin `tf.train` namespace, `estflow/train.py`.
"""
