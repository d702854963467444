"""`tf.strings`: string ops (re-exports only)."""

from estflow.core.ops.hash_ops import to_hash_bucket as to_hash_bucket
from estflow.core.ops.hash_ops import to_hash_bucket_fast as to_hash_bucket_fast
from estflow.core.ops.hash_ops import to_hash_bucket_strong as to_hash_bucket_strong
from estflow.core.ops.logging_ops import string_format as format  # noqa: A004 - TF's public name
from estflow.core.ops.string_ops import as_string as as_string
from estflow.core.ops.string_ops import join as join
from estflow.core.ops.string_ops import length as length
from estflow.core.ops.string_ops import lower as lower
from estflow.core.ops.string_ops import reduce_join as reduce_join
from estflow.core.ops.string_ops import regex_full_match as regex_full_match
from estflow.core.ops.string_ops import regex_replace as regex_replace
from estflow.core.ops.string_ops import split as split
from estflow.core.ops.string_ops import strip as strip
from estflow.core.ops.string_ops import substr as substr
from estflow.core.ops.string_ops import to_number as to_number
from estflow.core.ops.string_ops import upper as upper
from estflow.core.ops.unicode_ops import ngrams as ngrams
from estflow.core.ops.unicode_ops import unicode_encode as unicode_encode
from estflow.core.ops.unicode_ops import unicode_script as unicode_script
from estflow.core.ops.unicode_ops import unicode_transcode as unicode_transcode
from estflow.core.ops.unicode_ops import unsorted_segment_join as unsorted_segment_join

__all__ = [
    "as_string", "format", "join", "length", "lower", "reduce_join", "regex_full_match", "regex_replace", "split",
    "strip", "substr", "to_hash_bucket", "to_hash_bucket_fast", "to_hash_bucket_strong", "to_number", "upper",
    "ngrams",
    "unicode_encode",
    "unicode_script",
    "unicode_transcode",
    "unsorted_segment_join",
]
