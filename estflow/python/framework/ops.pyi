"""TF1's `tensorflow.python.framework.ops`: Graph, Tensor, Operation, scopes and collections (re-exports only)."""

from estflow.core.default_session import get_default_session as get_default_session
from estflow.core.gradients import NotDifferentiable as NoGradient
from estflow.core.gradients import NotDifferentiable as NotDifferentiable
from estflow.core.gradients import RegisterGradient as RegisterGradient
from estflow.core.gradients import no_gradient as no_gradient
from estflow.core.graph import Graph as Graph
from estflow.core.graph import GraphKeys as GraphKeys
from estflow.core.graph import Operation as Operation
from estflow.core.graph import Tensor as Tensor
from estflow.core.graph import add_to_collection as add_to_collection
from estflow.core.graph import add_to_collections as add_to_collections
from estflow.core.graph import colocate_with as colocate_with
from estflow.core.graph import control_dependencies as control_dependencies
from estflow.core.graph import device as device
from estflow.core.graph import get_collection as get_collection
from estflow.core.graph import get_collection_ref as get_collection_ref
from estflow.core.graph import get_default_graph as get_default_graph
from estflow.core.graph import get_name_scope as get_name_scope
from estflow.core.graph import name_scope as name_scope
from estflow.core.graph import reset_default_graph as reset_default_graph
from estflow.core.indexed_slices import IndexedSlices as IndexedSlices
from estflow.core.ops.constant_op import convert_to_tensor as convert_to_tensor

__all__ = [
    "Graph", "GraphKeys", "IndexedSlices", "NoGradient", "NotDifferentiable", "Operation", "RegisterGradient",
    "Tensor", "add_to_collection", "add_to_collections", "colocate_with", "control_dependencies",
    "convert_to_tensor", "device", "get_collection", "get_collection_ref", "get_default_graph",
    "get_default_session", "get_name_scope", "name_scope", "no_gradient", "reset_default_graph",
]
