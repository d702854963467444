"""TF1's `tensorflow.python.client`: the step timeline (`timeline`)."""
