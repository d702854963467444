"""`tf.estimator.ModeKeys`: the mode a `model_fn` is called in."""


class ModeKeys:
    """The three modes of an Estimator, with TF1's string values (`PREDICT` is `"infer"`)."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"
