import pytest

from estflow.cli import config as config_lib
from estflow.cli.columns import build_columns, top_level
from estflow.cli.config import ConfigError
from estflow.feature_columns.base import CategoricalColumn, DenseColumn

FEATURES = """
[data.types]
zip = "int"
[[features]]
type = "numeric"
key = "age"
normalize = [40, 10]
[[features]]
type = "numeric"
key = "pixels"
shape = [2, 3]
[[features]]
type = "bucketized"
source = "age"
boundaries = [18, 30, 65]
[[features]]
type = "vocabulary_list"
key = "color"
vocabulary = ["red", "green"]
num_oov_buckets = 1
[[features]]
type = "vocabulary_file"
key = "city"
vocabulary_file = "cities.txt"
[[features]]
type = "hash_bucket"
key = "zip"
hash_bucket_size = 50
[[features]]
type = "identity"
key = "day"
num_buckets = 7
[[features]]
type = "crossed"
keys = ["age_bucketized", "color", "day"]
hash_bucket_size = 100
[[features]]
type = "embedding"
source = "zip"
dimension = 4
[[features]]
type = "indicator"
source = "color"
"""


def _columns(tmp_path, text=FEATURES):
    (tmp_path / "cities.txt").write_text("Paris\nOslo\n")
    (tmp_path / "c.toml").write_text(text)
    config = config_lib.load(tmp_path / "c.toml")
    return config, build_columns(config)


def test_every_feature_type_builds_its_column(tmp_path):
    config, built = _columns(tmp_path)
    assert list(built) == ["age", "pixels", "age_bucketized", "color", "city", "zip", "day",
                           "age_bucketized_X_color_X_day", "zip_embedding", "color_indicator"]
    assert built["pixels"].shape == (2, 3)
    assert built["age_bucketized"].boundaries == (18.0, 30.0, 65.0)
    assert built["color"].num_oov_buckets == 1
    assert built["city"].vocabulary_file == str(tmp_path / "cities.txt")
    assert built["zip"].dtype.name == "int64"  # from data.types
    keys = built["age_bucketized_X_color_X_day"].keys
    assert keys[0] is built["age_bucketized"] and keys[1:] == ("color", "day")  # raw keys, as TF's tutorial
    assert built["zip_embedding"].dimension == 4
    assert isinstance(built["color_indicator"], DenseColumn) and isinstance(built["zip"], CategoricalColumn)
    assert float(built["age"].normalizer_fn(50.0)) == 1.0
    # what an estimator gets when the config names none: the columns no other feature is built from
    assert [c for c in top_level(config, built)] == [built[name] for name in (
        "pixels", "age_bucketized", "city", "day", "age_bucketized_X_color_X_day", "zip_embedding", "color_indicator")]


@pytest.mark.parametrize("text, message", [
    ('[[features]]\ntype = "numeric"\nkey = "a"\nnormalize = [1, 0]\n', "normalize of feature 'a' must be"),
    ('[[features]]\ntype = "numeric"\nkey = "a"\n[[features]]\ntype = "indicator"\nsource = "a"\n',
     "feature 'a_indicator' (indicator) needs a categorical source"),
    ('[[features]]\ntype = "hash_bucket"\nkey = "a"\nhash_bucket_size = 0\n', "features.0 (a):"),
    ('[[features]]\ntype = "vocabulary_list"\nkey = "a"\nvocabulary = ["x"]\ndtype = "float"\n', "features.0 (a):"),
])
def test_bad_features(tmp_path, text, message):
    with pytest.raises(ConfigError) as info:
        _columns(tmp_path, text)
    assert message in str(info.value)
