"""`tf.nest`: nested structures of lists, tuples and dicts (re-exports only)."""

from estflow.library.nest_api import assert_same_structure as assert_same_structure
from estflow.library.nest_api import flatten as flatten
from estflow.library.nest_api import is_nested as is_nested
from estflow.library.nest_api import map_structure as map_structure
from estflow.library.nest_api import pack_sequence_as as pack_sequence_as
