"""The SavedModel layer: signatures, the builder, the loader and the predictor.

Needs only the engine, the library, training and data; a model server built on it loads a
SavedModel without the estimator layer or feature columns' Python side. The public TF1
names are re-exported by the thin `tf.saved_model` namespace, `estflow/saved_model.py`.
"""
