"""TF1's `tensorflow.python.ops`: array and math functions (`array_ops`, `math_ops`)."""
