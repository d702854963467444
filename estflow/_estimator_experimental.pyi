"""`tf.estimator.experimental`: early-stopping hooks, InMemoryEvaluatorHook, KMeans (re-exports only)."""

from estflow.estimators.dnn import dnn_logit_fn_builder as dnn_logit_fn_builder
from estflow.estimators.export import build_raw_supervised_input_receiver_fn as build_raw_supervised_input_receiver_fn
from estflow.estimators.in_memory_evaluator import InMemoryEvaluatorHook as InMemoryEvaluatorHook
from estflow.estimators.in_memory_evaluator import (
    make_stop_at_checkpoint_step_hook as make_stop_at_checkpoint_step_hook,
)
from estflow.estimators.kmeans import KMeans as KMeans
from estflow.estimators.linear import linear_logit_fn_builder as linear_logit_fn_builder
from estflow.estimators.logit_fn import call_logit_fn as call_logit_fn
from estflow.hooks.early_stopping import make_early_stopping_hook as make_early_stopping_hook
from estflow.hooks.early_stopping import stop_if_higher_hook as stop_if_higher_hook
from estflow.hooks.early_stopping import stop_if_lower_hook as stop_if_lower_hook
from estflow.hooks.early_stopping import stop_if_no_decrease_hook as stop_if_no_decrease_hook
from estflow.hooks.early_stopping import stop_if_no_increase_hook as stop_if_no_increase_hook
