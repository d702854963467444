"""`tf.contrib.lookup`: TF1's lookup tables, vocabulary tables and their initializers (re-exports only)."""

from estflow.library.lookup_ops import FastHashSpec as FastHashSpec
from estflow.library.lookup_ops import HasherSpec as HasherSpec
from estflow.library.lookup_ops import HashTable as HashTable
from estflow.library.lookup_ops import IdTableWithHashBuckets as IdTableWithHashBuckets
from estflow.library.lookup_ops import InitializableLookupTableBase as InitializableLookupTableBase
from estflow.library.lookup_ops import KeyValueTensorInitializer as KeyValueTensorInitializer
from estflow.library.lookup_ops import LookupInterface as LookupInterface
from estflow.library.lookup_ops import StrongHashSpec as StrongHashSpec
from estflow.library.lookup_ops import TableInitializerBase as TableInitializerBase
from estflow.library.lookup_ops import TextFileIdTableInitializer as TextFileIdTableInitializer
from estflow.library.lookup_ops import TextFileIndex as TextFileIndex
from estflow.library.lookup_ops import TextFileInitializer as TextFileInitializer
from estflow.library.lookup_ops import TextFileStringTableInitializer as TextFileStringTableInitializer
from estflow.library.lookup_ops import index_table_from_file as index_table_from_file
from estflow.library.lookup_ops import index_table_from_tensor as index_table_from_tensor
from estflow.library.lookup_ops import index_to_string_table_from_file as index_to_string_table_from_file
from estflow.library.lookup_ops import index_to_string_table_from_tensor as index_to_string_table_from_tensor

__all__ = [
    "FastHashSpec", "HashTable", "HasherSpec", "IdTableWithHashBuckets", "InitializableLookupTableBase",
    "KeyValueTensorInitializer", "LookupInterface", "StrongHashSpec", "TableInitializerBase",
    "TextFileIdTableInitializer", "TextFileIndex", "TextFileInitializer", "TextFileStringTableInitializer",
    "index_table_from_file", "index_table_from_tensor", "index_to_string_table_from_file",
    "index_to_string_table_from_tensor",
]
