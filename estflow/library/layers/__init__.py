"""TF1's `tf.layers`: `Layer` (base.py), Dense / Dropout / Flatten (core.py), BatchNormalization
(normalization.py), and `tf.contrib.layers`-style weight regularizers (regularizers.py).

The public names are re-exported by `estflow/layers.py`.
"""
