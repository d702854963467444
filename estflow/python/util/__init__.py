"""TF1's `tensorflow.python.util`: nested structures (`nest`)."""
