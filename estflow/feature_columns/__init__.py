"""Feature columns: raw features (numbers, strings, ids) turned into model inputs by graph ops.

`tf.feature_column` as TF1 ships it. Columns are small immutable descriptions (named tuples,
as in TF1); `input_layer` and `linear_model` build the transforms into the graph, so an
exported model takes raw features and serves them exactly as it trained on them.

- `base`: the column base classes, the per-call transformation cache and the input checks
- `numeric`: `numeric_column`, `bucketized_column`
- `categorical`: identity, vocabulary list/file, hash bucket and weighted categorical columns
- `crossed`: `crossed_column`
- `dense`: `indicator_column`, `embedding_column`, `shared_embedding_columns`
- `input_layer`: `input_layer`, `make_parse_example_spec`
- `linear_model`: `linear_model`
"""
