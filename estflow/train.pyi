"""`tf.train`: optimizers, schedules, checkpoints, global step, Example protos (re-exports only)."""

from estflow.core.graph_io import write_graph as write_graph
from estflow.core.protos.checkpoint_state_pb2 import CheckpointState as CheckpointState
from estflow.core.protos.example_pb2 import Example as Example
from estflow.core.protos.example_pb2 import SequenceExample as SequenceExample
from estflow.core.protos.feature_pb2 import BytesList as BytesList
from estflow.core.protos.feature_pb2 import Feature as Feature
from estflow.core.protos.feature_pb2 import FeatureList as FeatureList
from estflow.core.protos.feature_pb2 import FeatureLists as FeatureLists
from estflow.core.protos.feature_pb2 import Features as Features
from estflow.core.protos.feature_pb2 import FloatList as FloatList
from estflow.core.protos.feature_pb2 import Int64List as Int64List
from estflow.core.protos.saver_pb2 import SaverDef as SaverDef
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
from estflow.hooks.monitored_session import ChiefSessionCreator as ChiefSessionCreator
from estflow.hooks.monitored_session import Coordinator as Coordinator
from estflow.hooks.monitored_session import MonitoredSession as MonitoredSession
from estflow.hooks.monitored_session import MonitoredTrainingSession as MonitoredTrainingSession
from estflow.hooks.monitored_session import Scaffold as Scaffold
from estflow.hooks.monitored_session import SessionCreator as SessionCreator
from estflow.hooks.monitored_session import SessionManager as SessionManager
from estflow.hooks.monitored_session import SingularMonitoredSession as SingularMonitoredSession
from estflow.hooks.monitored_session import WorkerSessionCreator as WorkerSessionCreator
from estflow.hooks.session_run_hook import SessionRunArgs as SessionRunArgs
from estflow.hooks.session_run_hook import SessionRunContext as SessionRunContext
from estflow.hooks.session_run_hook import SessionRunHook as SessionRunHook
from estflow.hooks.session_run_hook import SessionRunValues as SessionRunValues
from estflow.hooks.supervisor import LooperThread as LooperThread
from estflow.hooks.supervisor import Supervisor as Supervisor
from estflow.hooks.supervisor import basic_train_loop as basic_train_loop
from estflow.library.input import batch as batch
from estflow.library.input import batch_join as batch_join
from estflow.library.input import input_producer as input_producer
from estflow.library.input import limit_epochs as limit_epochs
from estflow.library.input import maybe_batch as maybe_batch
from estflow.library.input import maybe_batch_join as maybe_batch_join
from estflow.library.input import maybe_shuffle_batch as maybe_shuffle_batch
from estflow.library.input import maybe_shuffle_batch_join as maybe_shuffle_batch_join
from estflow.library.input import range_input_producer as range_input_producer
from estflow.library.input import shuffle_batch as shuffle_batch
from estflow.library.input import shuffle_batch_join as shuffle_batch_join
from estflow.library.input import slice_input_producer as slice_input_producer
from estflow.library.input import string_input_producer as string_input_producer
from estflow.library.input_files import match_filenames_once as match_filenames_once
from estflow.library.queue_runner_impl import QueueRunner as QueueRunner
from estflow.library.queue_runner_impl import add_queue_runner as add_queue_runner
from estflow.library.queue_runner_impl import start_queue_runners as start_queue_runners
from estflow.training.adadelta import AdadeltaOptimizer as AdadeltaOptimizer
from estflow.training.adagrad import AdagradOptimizer as AdagradOptimizer
from estflow.training.adagrad_da import AdagradDAOptimizer as AdagradDAOptimizer
from estflow.training.adam import AdamOptimizer as AdamOptimizer
from estflow.training.checkpoint_management import checkpoint_exists as checkpoint_exists
from estflow.training.checkpoint_management import generate_checkpoint_state_proto as generate_checkpoint_state_proto
from estflow.training.checkpoint_management import get_checkpoint_mtimes as get_checkpoint_mtimes
from estflow.training.checkpoint_management import get_checkpoint_state as get_checkpoint_state
from estflow.training.checkpoint_management import latest_checkpoint as latest_checkpoint
from estflow.training.checkpoint_management import remove_checkpoint as remove_checkpoint
from estflow.training.checkpoint_management import update_checkpoint_state as update_checkpoint_state
from estflow.training.checkpoint_utils import NewCheckpointReader as NewCheckpointReader
from estflow.training.checkpoint_utils import init_from_checkpoint as init_from_checkpoint
from estflow.training.checkpoint_utils import list_variables as list_variables
from estflow.training.checkpoint_utils import load_checkpoint as load_checkpoint
from estflow.training.checkpoint_utils import load_variable as load_variable
from estflow.training.checkpoint_wait import checkpoints_iterator as checkpoints_iterator
from estflow.training.ftrl import FtrlOptimizer as FtrlOptimizer
from estflow.training.gradient_descent import GradientDescentOptimizer as GradientDescentOptimizer
from estflow.training.learning_rate_decay import cosine_decay as cosine_decay
from estflow.training.learning_rate_decay import cosine_decay_restarts as cosine_decay_restarts
from estflow.training.learning_rate_decay import exponential_decay as exponential_decay
from estflow.training.learning_rate_decay import inverse_time_decay as inverse_time_decay
from estflow.training.learning_rate_decay import linear_cosine_decay as linear_cosine_decay
from estflow.training.learning_rate_decay import natural_exp_decay as natural_exp_decay
from estflow.training.learning_rate_decay import noisy_linear_cosine_decay as noisy_linear_cosine_decay
from estflow.training.learning_rate_decay import piecewise_constant as piecewise_constant
from estflow.training.learning_rate_decay import piecewise_constant as piecewise_constant_decay
from estflow.training.learning_rate_decay import polynomial_decay as polynomial_decay
from estflow.training.momentum import MomentumOptimizer as MomentumOptimizer
from estflow.training.moving_averages import ExponentialMovingAverage as ExponentialMovingAverage
from estflow.training.optimizer import Optimizer as Optimizer
from estflow.training.proximal_adagrad import ProximalAdagradOptimizer as ProximalAdagradOptimizer
from estflow.training.proximal_gradient_descent import (
    ProximalGradientDescentOptimizer as ProximalGradientDescentOptimizer,
)
from estflow.training.rmsprop import RMSPropOptimizer as RMSPropOptimizer
from estflow.training.saver import Saver as Saver
from estflow.training.saver import export_meta_graph as export_meta_graph
from estflow.training.saver import import_meta_graph as import_meta_graph
from estflow.training.server_lib import ClusterSpec as ClusterSpec
from estflow.training.summary_iterator import summary_iterator as summary_iterator
from estflow.training.training_util import assert_global_step as assert_global_step
from estflow.training.training_util import create_global_step as create_global_step
from estflow.training.training_util import get_global_step as get_global_step
from estflow.training.training_util import get_or_create_global_step as get_or_create_global_step
from estflow.training.training_util import global_step as global_step
from estflow.training.warm_starting_util import VocabInfo as VocabInfo
from estflow.training.warm_starting_util import warm_start as warm_start

__all__ = [
    "AdadeltaOptimizer", "AdagradDAOptimizer", "AdagradOptimizer", "AdamOptimizer", "BytesList",
    "CheckpointSaverHook", "CheckpointSaverListener", "ExponentialMovingAverage", "CheckpointState",
    "ChiefSessionCreator", "Coordinator",
    "Example", "Feature", "FeatureList", "FeatureLists", "Features", "FeedFnHook", "FinalOpsHook", "FloatList",
    "FtrlOptimizer", "GlobalStepWaiterHook", "GradientDescentOptimizer", "Int64List", "LoggingTensorHook",
    "MomentumOptimizer", "MonitoredSession", "MonitoredTrainingSession", "NanLossDuringTrainingError",
    "NanTensorHook", "NewCheckpointReader", "Optimizer", "ProfilerHook", "ProximalAdagradOptimizer",
    "ProximalGradientDescentOptimizer", "RMSPropOptimizer", "Saver", "SaverDef", "Scaffold", "SecondOrStepTimer",
    "SequenceExample", "SessionCreator", "SessionManager", "SessionRunArgs", "SessionRunContext", "SessionRunHook",
    "SessionRunValues", "SingularMonitoredSession", "StepCounterHook", "StopAtStepHook", "SummarySaverHook",
    "WorkerSessionCreator", "assert_global_step", "checkpoint_exists", "cosine_decay", "cosine_decay_restarts",
    "create_global_step", "exponential_decay", "export_meta_graph", "generate_checkpoint_state_proto",
    "get_checkpoint_mtimes", "get_checkpoint_state", "get_global_step", "get_or_create_global_step", "global_step",
    "import_meta_graph", "init_from_checkpoint", "inverse_time_decay", "latest_checkpoint", "linear_cosine_decay",
    "list_variables", "load_checkpoint", "load_variable", "match_filenames_once", "natural_exp_decay",
    "noisy_linear_cosine_decay",
    "piecewise_constant", "piecewise_constant_decay",
    "polynomial_decay", "remove_checkpoint", "summary_iterator", "update_checkpoint_state", "write_graph",
    "QueueRunner", "add_queue_runner", "batch", "batch_join", "input_producer", "limit_epochs", "maybe_batch",
    "maybe_batch_join", "maybe_shuffle_batch", "maybe_shuffle_batch_join", "range_input_producer", "shuffle_batch",
    "shuffle_batch_join", "slice_input_producer", "start_queue_runners", "string_input_producer",
    "VocabInfo", "warm_start",
    "LooperThread", "Supervisor", "basic_train_loop", "checkpoints_iterator",
]
