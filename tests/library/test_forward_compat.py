"""tf.compat.forward_compatible / forward_compatibility_horizon: TF 2.15.1's horizon (2023-10-10)."""

import estflow as tf
from estflow.library import forward_compat


def test_the_horizon_is_tensorflow_2_15s():
    # What TF 2.15.1 answers (run with real TF): True strictly before 2023-10-10.
    assert tf.compat.forward_compatible(2023, 10, 9) and not tf.compat.forward_compatible(2023, 10, 10)
    assert not tf.compat.forward_compatible(2030, 1, 1)


def test_the_horizon_context_manager_and_the_delta_variable(monkeypatch):
    with tf.compat.forward_compatibility_horizon(2030, 1, 2):
        assert tf.compat.forward_compatible(2030, 1, 1) and not tf.compat.forward_compatible(2030, 1, 2)
    assert not tf.compat.forward_compatible(2030, 1, 1)
    with tf.compat.forward_compatibility_horizon(2020, 1, 2):  # a past date is ignored (with a warning)
        assert tf.compat.forward_compatible(2023, 10, 9) and not tf.compat.forward_compatible(2023, 10, 10)
    monkeypatch.setenv("TF_FORWARD_COMPATIBILITY_DELTA_DAYS", "2")
    try:
        forward_compat._update_date_number()  # what importing the module does: reads the variable
        assert forward_compat.forward_compatible(2023, 10, 11) and not forward_compat.forward_compatible(2023, 10, 12)
    finally:
        monkeypatch.delenv("TF_FORWARD_COMPATIBILITY_DELTA_DAYS")
        forward_compat._update_date_number()
