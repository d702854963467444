"""tf.data.Options' autotune settings and the experimental enums (TF's values and type checks)."""

import pytest

import estflow as tf

X = tf.data.experimental


def test_enums_hold_tensorflows_values():
    assert [(a.name, a.value) for a in X.AutotuneAlgorithm] == [
        ("DEFAULT", 0), ("HILL_CLIMB", 1), ("GRADIENT_DESCENT", 2), ("MAX_PARALLELISM", 3), ("STAGE_BASED", 4)]
    assert [(p.name, p.value) for p in X.ExternalStatePolicy] == [("WARN", 0), ("IGNORE", 1), ("FAIL", 2)]


def test_autotune_options_are_type_checked_and_merge():
    options = tf.data.Options()
    assert isinstance(options.autotune, X.AutotuneOptions) and options.autotune.enabled is None
    options.autotune.enabled = False
    options.autotune.cpu_budget = 4
    options.autotune.autotune_algorithm = X.AutotuneAlgorithm.HILL_CLIMB
    with pytest.raises(TypeError, match='Property "cpu_budget" must be of type <class \'int\'>'):
        options.autotune.cpu_budget = "4"
    with pytest.raises(AttributeError, match="Cannot set the property cpu_budgt on AutotuneOptions."):
        options.autotune.cpu_budgt = 4
    options.experimental_external_state_policy = X.ExternalStatePolicy.IGNORE
    ds = tf.data.Dataset.range(3).with_options(options).map(lambda x: x)
    merged = ds.options()
    assert merged.autotune.enabled is False and merged.autotune.cpu_budget == 4
    assert merged.autotune.autotune_algorithm is X.AutotuneAlgorithm.HILL_CLIMB
    assert merged.experimental_external_state_policy is X.ExternalStatePolicy.IGNORE
    assert merged == options and tf.data.Options() != options
