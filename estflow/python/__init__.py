"""TF1's `tensorflow.python` module paths that programs import directly.

    from estflow.python.client import timeline
"""
