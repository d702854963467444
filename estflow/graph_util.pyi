"""`tf.graph_util`: freezing and trimming GraphDefs (re-exports only)."""

from estflow.core.graph_io import import_graph_def as import_graph_def
from estflow.library.graph_util_impl import convert_variables_to_constants as convert_variables_to_constants
from estflow.library.graph_util_impl import extract_sub_graph as extract_sub_graph
from estflow.library.graph_util_impl import must_run_on_cpu as must_run_on_cpu
from estflow.library.graph_util_impl import remove_training_nodes as remove_training_nodes
from estflow.library.graph_util_impl import tensor_shape_from_node_def_name as tensor_shape_from_node_def_name
