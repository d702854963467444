"""`tf.feature_column` (TF1's `tf.compat.v1.feature_column`): columns, input_layer, linear_model (re-exports only)."""

from estflow.feature_columns.categorical import (
    categorical_column_with_hash_bucket as categorical_column_with_hash_bucket,
)
from estflow.feature_columns.categorical import categorical_column_with_identity as categorical_column_with_identity
from estflow.feature_columns.categorical import weighted_categorical_column as weighted_categorical_column
from estflow.feature_columns.crossed import crossed_column as crossed_column
from estflow.feature_columns.dense import embedding_column as embedding_column
from estflow.feature_columns.dense import indicator_column as indicator_column
from estflow.feature_columns.dense import shared_embedding_columns as shared_embedding_columns
from estflow.feature_columns.input_layer import input_layer as input_layer
from estflow.feature_columns.input_layer import make_parse_example_spec as make_parse_example_spec
from estflow.feature_columns.linear_model import linear_model as linear_model
from estflow.feature_columns.numeric import bucketized_column as bucketized_column
from estflow.feature_columns.numeric import numeric_column as numeric_column
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
from estflow.feature_columns.sequence import sequence_numeric_column as sequence_numeric_column
from estflow.feature_columns.vocabulary import (
    categorical_column_with_vocabulary_file as categorical_column_with_vocabulary_file,
)
from estflow.feature_columns.vocabulary import (
    categorical_column_with_vocabulary_list as categorical_column_with_vocabulary_list,
)
