"""`tf.lookup`: lookup tables and their initializers (re-exports only)."""

from estflow.library.lookup_ops import KeyValueTensorInitializer as KeyValueTensorInitializer
from estflow.library.lookup_ops import StaticHashTable as StaticHashTable
from estflow.library.lookup_ops import StaticVocabularyTable as StaticVocabularyTable
from estflow.library.lookup_ops import TextFileIndex as TextFileIndex
from estflow.library.lookup_ops import TextFileInitializer as TextFileInitializer

__all__ = [
    "KeyValueTensorInitializer", "StaticHashTable", "StaticVocabularyTable", "TextFileIndex", "TextFileInitializer",
]
