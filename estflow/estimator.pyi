"""`tf.estimator` (re-exports only): the Estimator layer of `estflow/estimators/`, the input
functions of `tf.estimator.inputs` and TF1's hooks
(`tf.estimator.LoggingTensorHook` is `tf.train.LoggingTensorHook`)."""

from estflow import _estimator_experimental as experimental
from estflow import _estimator_export as export
from estflow import _estimator_inputs as inputs
from estflow.estimators.estimator import Estimator as Estimator
from estflow.estimators.estimator import WarmStartSettings as WarmStartSettings
from estflow.estimators.estimator import add_metrics as add_metrics
from estflow.estimators.exporter import BestExporter as BestExporter
from estflow.estimators.exporter import Exporter as Exporter
from estflow.estimators.exporter import FinalExporter as FinalExporter
from estflow.estimators.exporter import LatestExporter as LatestExporter
from estflow.estimators.mode_keys import ModeKeys as ModeKeys
from estflow.estimators.model_fn import EstimatorSpec as EstimatorSpec
from estflow.estimators.run_config import RunConfig as RunConfig
from estflow.hooks.basic_session_run_hooks import CheckpointSaverHook as CheckpointSaverHook
from estflow.hooks.basic_session_run_hooks import CheckpointSaverListener as CheckpointSaverListener
from estflow.hooks.basic_session_run_hooks import FeedFnHook as FeedFnHook
from estflow.hooks.basic_session_run_hooks import FinalOpsHook as FinalOpsHook
from estflow.hooks.basic_session_run_hooks import GlobalStepWaiterHook as GlobalStepWaiterHook
from estflow.hooks.basic_session_run_hooks import LoggingTensorHook as LoggingTensorHook
from estflow.hooks.basic_session_run_hooks import NanLossDuringTrainingError as NanLossDuringTrainingError
from estflow.hooks.basic_session_run_hooks import NanTensorHook as NanTensorHook
from estflow.hooks.basic_session_run_hooks import ProfilerHook as ProfilerHook
from estflow.hooks.basic_session_run_hooks import SecondOrStepTimer as SecondOrStepTimer
from estflow.hooks.basic_session_run_hooks import StepCounterHook as StepCounterHook
from estflow.hooks.basic_session_run_hooks import StopAtStepHook as StopAtStepHook
from estflow.hooks.basic_session_run_hooks import SummarySaverHook as SummarySaverHook
from estflow.hooks.session_run_hook import SessionRunArgs as SessionRunArgs
from estflow.hooks.session_run_hook import SessionRunContext as SessionRunContext
from estflow.hooks.session_run_hook import SessionRunHook as SessionRunHook
from estflow.hooks.session_run_hook import SessionRunValues as SessionRunValues
