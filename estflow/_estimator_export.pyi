"""`tf.estimator.export`: serving input receivers and export outputs (re-exports only)."""

from estflow.estimators.export import ServingInputReceiver as ServingInputReceiver
from estflow.estimators.export import TensorServingInputReceiver as TensorServingInputReceiver
from estflow.estimators.export import build_parsing_serving_input_receiver_fn as build_parsing_serving_input_receiver_fn
from estflow.estimators.export import build_raw_serving_input_receiver_fn as build_raw_serving_input_receiver_fn
from estflow.estimators.export_output import ClassificationOutput as ClassificationOutput
from estflow.estimators.export_output import EvalOutput as EvalOutput
from estflow.estimators.export_output import ExportOutput as ExportOutput
from estflow.estimators.export_output import PredictOutput as PredictOutput
from estflow.estimators.export_output import RegressionOutput as RegressionOutput
