"""tf.contrib.estimator's head factories: TF1's heads with SUM_OVER_BATCH_SIZE by default."""

import numpy as np
import pytest

import estflow as tf
from tests.estimators.test_head import (
    BINARY_LABELS,
    BINARY_LOGITS,
    WEIGHTS,
    _session,
    _sigmoid_xent,
    _spec,
)


@pytest.mark.usefixtures("g")
def test_contrib_factories_default_to_sum_over_batch_size():
    per_example = _sigmoid_xent(BINARY_LABELS, BINARY_LOGITS)[:, 0]
    spec = _spec(tf.contrib.estimator.binary_classification_head(weight_column="w"), "train", BINARY_LOGITS,
                 BINARY_LABELS, {"w": WEIGHTS})
    with _session() as sess:
        assert sess.run(spec.loss) == pytest.approx(np.sum(per_example * WEIGHTS) / 4, rel=1e-6)
    spec = _spec(tf.contrib.estimator.regression_head(), "train", [[1.0], [3.0]], [[0.0], [0.0]])
    with _session() as sess:
        assert sess.run(spec.loss) == pytest.approx(5.0)
    assert tf.contrib.estimator.multi_class_head(4).logits_dimension == 4


