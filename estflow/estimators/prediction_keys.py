"""TF1's canned prediction keys (`tensorflow_estimator`'s `canned/prediction_keys.py`): the keys of the
dicts canned heads put in `EstimatorSpec.predictions`, and so of every `predict()` result."""


class PredictionKeys:
    """Prediction key strings."""

    CLASSES = "classes"
    CLASS_IDS = "class_ids"
    ALL_CLASSES = "all_classes"
    ALL_CLASS_IDS = "all_class_ids"
    LOGISTIC = "logistic"
    LOGITS = "logits"
    PREDICTIONS = "predictions"
    PROBABILITIES = "probabilities"
    TOP_K = "top_k"
