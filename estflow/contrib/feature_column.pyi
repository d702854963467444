"""`tf.contrib.feature_column`: TF 1.15's sequence feature columns and `sequence_input_layer` (re-exports only)."""

from estflow.feature_columns.sequence import (
    sequence_categorical_column_with_hash_bucket as sequence_categorical_column_with_hash_bucket,
)
from estflow.feature_columns.sequence import (
    sequence_categorical_column_with_identity as sequence_categorical_column_with_identity,
)
from estflow.feature_columns.sequence import (
    sequence_categorical_column_with_vocabulary_file as sequence_categorical_column_with_vocabulary_file,
)
from estflow.feature_columns.sequence import (
    sequence_categorical_column_with_vocabulary_list as sequence_categorical_column_with_vocabulary_list,
)
from estflow.feature_columns.sequence import sequence_input_layer as sequence_input_layer
from estflow.feature_columns.sequence import sequence_numeric_column as sequence_numeric_column
