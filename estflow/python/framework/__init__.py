"""TF1's `tensorflow.python.framework`: graphs, tensors and collections (`ops`)."""
