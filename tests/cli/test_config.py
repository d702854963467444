import pytest

from estflow.cli import config as config_lib
from estflow.cli.config import ConfigError
from tests.cli.conftest import CONFIG, FACTORY


def _write(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


def test_load_reads_every_section_and_resolves_paths_against_the_config_folder(tmp_path):
    config = config_lib.load(_write(tmp_path, CONFIG.format(factory=FACTORY)))
    assert config.data.train == ["train.csv"]
    assert config.data.types == {"label": "int"}
    assert [f["type"] for f in config.features] == ["numeric", "vocabulary_list"]
    assert config.estimator.params == {"learning_rate": 0.5}
    assert config.train.batch_size == 20 and config.train.epochs == 4
    assert config.run.tf_random_seed == 1
    assert config.path("model") == str(tmp_path / "model")


def test_round_trip_through_to_toml(tmp_path):
    text = CONFIG.format(factory=FACTORY) + '\n[[features]]\ntype = "crossed"\nkeys = ["color", "age"]\n' \
        'hash_bucket_size = 10\nname = "c \\"x\\""\n'
    config = config_lib.load(_write(tmp_path, text), ["train.steps=7", "estimator.params.hidden=[3, 2]"])
    again = config_lib.load(_write(tmp_path, config_lib.to_toml(config)))
    assert again == config
    assert again.train.steps == 7 and again.estimator.params["hidden"] == [3, 2]


@pytest.mark.parametrize("override, check", [
    ("train.batch_size=64", lambda c: c.train.batch_size == 64),
    ("train.shuffle=false", lambda c: c.train.shuffle is False),
    ("data.train=other.csv", lambda c: c.data.train == ["other.csv"]),
    ("data.types.age=float", lambda c: c.data.types == {"label": "int", "age": "float"}),
    ("features.1.vocabulary=[\"a\", \"b\"]", lambda c: c.features[1]["vocabulary"] == ["a", "b"]),
    ("estimator.params.learning_rate=0.1", lambda c: c.estimator.params["learning_rate"] == 0.1),
    ("run.model_dir=somewhere else", lambda c: c.run.model_dir == "somewhere else"),
    ("run.tf_random_seed=none", lambda c: c.run.tf_random_seed is None),
])
def test_overrides_reach_any_value(tmp_path, override, check):
    assert check(config_lib.load(_write(tmp_path, CONFIG.format(factory=FACTORY)), [override]))


@pytest.mark.parametrize("text, message", [
    ("[dta]\n", "unknown section [dta]"),
    ("[train]\nbatch = 3\n", "unknown key train.batch; [train] takes"),
    ("[train]\nbatch_size = \"big\"\n", "train.batch_size must be an integer, got 'big'"),
    ("[train]\nbatch_size = -1\n", "train.batch_size must be positive, got -1"),
    ("[data]\nformat = \"xls\"\n", "data.format must be one of csv, parquet, tfrecord"),
    ("[data.types]\nage = \"double\"\n", "data.types.age must be one of float, int, string"),
    ("[[features]]\ntype = \"numbr\"\nkey = \"a\"\n", "features.0.type must be one of numeric,"),
    ("[[features]]\ntype = \"hash_bucket\"\nkey = \"a\"\n", "features.0 (hash_bucket) needs hash_bucket_size"),
    ("[[features]]\ntype = \"numeric\"\nkey = \"a\"\nbins = 3\n", "unknown key features.0.bins"),
    ("[[features]]\ntype = \"indicator\"\nsource = \"zip\"\n", "features.0.source names 'zip'"),
    ("[[features]]\ntype = \"numeric\"\nkey = \"a\"\n[[features]]\ntype = \"numeric\"\nkey = \"a\"\n",
     "features.1: a feature named 'a' is already defined"),
    ("[estimator]\nname = \"A\"\nfactory = \"m:f\"\n", "estimator.name and estimator.factory are both set"),
    ("[estimator]\nfeature_columns = [\"nope\"]\n", "estimator.feature_columns names 'nope'"),
    ("[run]\nsave_checkpoints_steps = 1\nsave_checkpoints_secs = 1\n", "are both set; keep one"),
    ("[train\n", "is not valid TOML"),
])
def test_bad_configs_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=None) as info:
        config_lib.load(_write(tmp_path, text))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("override, message", [
    ("train", "write --set section.key=value"),
    ("nosuch.key=1", "unknown section 'nosuch'"),
    ("features.5.key=a", "features has 2 entries"),
    ("train.batch_size=x", "train.batch_size must be an integer"),
])
def test_bad_overrides(tmp_path, override, message):
    with pytest.raises(ConfigError) as info:
        config_lib.load(_write(tmp_path, CONFIG.format(factory=FACTORY)), [override])
    assert message in str(info.value)


def test_missing_file_and_required_keys(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        config_lib.load(tmp_path / "none.toml")
    config = config_lib.load(_write(tmp_path, "[train]\nbatch_size = 1\n"))
    with pytest.raises(ConfigError, match=r"data.train is not set; write data.train = \"train.csv\""):
        config_lib.require(config, "data.train")


def test_feature_names_default_from_their_keys():
    assert config_lib.feature_name({"type": "numeric", "key": "age"}) == "age"
    assert config_lib.feature_name({"type": "bucketized", "source": "age", "boundaries": [1]}) == "age_bucketized"
    assert config_lib.feature_name({"type": "crossed", "keys": ["a", "b"], "hash_bucket_size": 3}) == "a_X_b"
    assert config_lib.feature_name({"type": "numeric", "key": "age", "name": "x"}) == "x"
