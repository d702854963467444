"""TF1's `tensorflow.python.client`: the step timeline (`timeline`) and the device list (`device_lib`)."""
