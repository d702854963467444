"""TF1's `tensorflow.python.util.nest`: nested structures flattened and rebuilt (re-exports only)."""

from estflow.core.nest import flatten as flatten
from estflow.core.nest import is_sequence as is_nested
from estflow.core.nest import is_sequence as is_sequence
from estflow.core.nest import map_structure as map_structure
from estflow.core.nest import pack_sequence_as as pack_sequence_as

__all__ = ["flatten", "is_nested", "is_sequence", "map_structure", "pack_sequence_as"]
