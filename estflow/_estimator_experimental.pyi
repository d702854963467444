"""`tf.estimator.experimental`: early-stopping hooks (re-exports only)."""

from estflow.estimators.export import build_raw_supervised_input_receiver_fn as build_raw_supervised_input_receiver_fn
from estflow.hooks.early_stopping import make_early_stopping_hook as make_early_stopping_hook
from estflow.hooks.early_stopping import stop_if_higher_hook as stop_if_higher_hook
from estflow.hooks.early_stopping import stop_if_lower_hook as stop_if_lower_hook
from estflow.hooks.early_stopping import stop_if_no_decrease_hook as stop_if_no_decrease_hook
from estflow.hooks.early_stopping import stop_if_no_increase_hook as stop_if_no_increase_hook
