import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from estflow.cli import config as config_lib
from estflow.cli.build import all_columns, feature_columns
from estflow.cli.data import DataError, load_examples
from estflow.cli.main import cli
from estflow.core.protos import example_pb2
from estflow.data.tfrecord import TFRecordWriter
from estflow.feature_columns.input_layer import make_parse_example_spec


def _config(project, *overrides):
    return config_lib.load(project / "config.toml", overrides)


def _parse_spec(config):
    return make_parse_example_spec(all_columns(feature_columns(config)))


def _example(age, color, label):
    example = example_pb2.Example()
    example.features.feature["age"].float_list.value.append(age)
    example.features.feature["color"].bytes_list.value.append(color.encode())
    example.features.feature["label"].int64_list.value.append(label)
    return example.SerializeToString()


def write_tfrecord(path, frame, compression=None):
    with TFRecordWriter(str(path), compression) as writer:
        for age, color, label in frame.itertuples(index=False):
            writer.write(_example(float(age), color, int(label)))
    return path


def test_csv_columns_become_typed_arrays(project):
    config = _config(project)
    examples = load_examples(config, "train", _parse_spec(config))
    assert examples.num_examples == 100 and examples.format == "csv"
    assert examples.features["age"].dtype == np.float32
    assert examples.features["color"].dtype == object and isinstance(examples.features["color"][0], bytes)
    assert examples.labels.dtype == np.int64 and set(examples.labels) <= {0, 1}


def test_csv_without_header_takes_data_columns(project):
    lines = (project / "train.csv").read_text().splitlines()[1:]
    (project / "plain.csv").write_text("\n".join(lines) + "\n")
    config = _config(project, "data.train=plain.csv", "data.header=false", 'data.columns=["age", "color", "label"]')
    assert load_examples(config, "train", _parse_spec(config)).num_examples == 100


def test_globs_and_several_files(project):
    config = _config(project, "data.train=*.csv")
    assert load_examples(config, "train", _parse_spec(config)).num_examples == 150
    with pytest.raises(DataError, match="no file"):
        load_examples(_config(project, "data.train=*.tsv"), "train", {})


def test_predict_needs_no_label(project):
    (project / "new.csv").write_text("age,color\n0.5,red\n0.1,blue\n")
    config = _config(project, "data.predict=new.csv")
    examples = load_examples(config, "predict", _parse_spec(config), with_label=False)
    assert examples.labels is None and examples.num_examples == 2


def test_unknown_extension_asks_for_data_format(project):
    (project / "train.dat").write_text((project / "train.csv").read_text())
    with pytest.raises(DataError, match='set data.format = "csv"'):
        load_examples(_config(project, "data.train=train.dat"), "train", {})
    config = _config(project, "data.train=train.dat", "data.format=csv")
    assert load_examples(config, "train", _parse_spec(config)).num_examples == 100


def test_parquet_end_to_end(project):
    pytest.importorskip("pyarrow")
    pd.read_csv(project / "train.csv").to_parquet(project / "train.parquet")
    config = _config(project, "data.train=train.parquet")
    examples = load_examples(config, "train", _parse_spec(config))
    assert examples.format == "parquet" and examples.num_examples == 100
    result = CliRunner().invoke(cli, ["train", str(project / "config.toml"), "--set", "data.train=train.parquet"])
    assert result.exit_code == 0 and "Trained to step 20" in result.stdout


def test_parquet_without_pyarrow_names_the_extra(project, monkeypatch):
    (project / "train.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import fails as if pyarrow were absent
    result = CliRunner().invoke(cli, ["train", str(project / "config.toml"), "--set", "data.train=train.parquet"])
    assert result.exit_code == 1
    assert result.stderr == ("error: reading Parquet needs pyarrow, which is not installed; "
                             "pip install 'estflow[parquet]'\n")


@pytest.mark.parametrize("compression", [None, "GZIP"])
def test_tfrecord_end_to_end(project, compression):
    frame = pd.read_csv(project / "train.csv")
    write_tfrecord(project / "train.tfrecord", frame, compression)
    write_tfrecord(project / "eval.tfrecord", pd.read_csv(project / "eval.csv"), compression)
    sets = ["--set", "data.train=train.tfrecord", "--set", "data.eval=eval.tfrecord", "--set",
            f"data.compression={compression or ''}"]
    runner = CliRunner()
    result = runner.invoke(cli, ["train", str(project / "config.toml"), *sets])
    assert result.exit_code == 0, result.stderr
    assert "Training Estimator on 100 examples" in result.stderr and "Trained to step 20" in result.stdout
    result = runner.invoke(cli, ["evaluate", str(project / "config.toml"), "--format", "json", *sets])
    assert result.exit_code == 0 and '"global_step": 20' in result.stdout
    result = runner.invoke(cli, ["predict", str(project / "config.toml"), "--set", "data.predict=eval.tfrecord",
                                 *sets[2:]])
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 50


def test_bad_tfrecords_are_rejected(project):
    (project / "empty.tfrecord").write_bytes(b"")
    with pytest.raises(DataError, match="holds no records"):
        load_examples(_config(project, "data.train=empty.tfrecord"), "train", {})
    example = example_pb2.Example()
    example.features.feature["age"].bytes_list.value.append(b"old")
    example.features.feature["label"].int64_list.value.append(1)
    with TFRecordWriter(str(project / "bad.tfrecord")) as writer:
        writer.write(example.SerializeToString())
    config = _config(project, "data.train=bad.tfrecord")
    with pytest.raises(DataError, match="feature 'age' of record 1 is a bytes_list, but data.types says float"):
        load_examples(config, "train", _parse_spec(config))
    config = _config(project, "data.train=bad.tfrecord", "data.types.extra=int")
    with pytest.raises(DataError, match="record 1 has no feature"):
        load_examples(config, "train", {})
    (project / "junk.tfrecord").write_bytes(b"not a record file at all")
    with pytest.raises(DataError, match="junk.tfrecord"):
        load_examples(_config(project, "data.train=junk.tfrecord"), "train", {})


def test_tfrecord_label_needs_a_type(project):
    write_tfrecord(project / "train.tfrecord", pd.read_csv(project / "train.csv"))
    config = _config(project, "data.train=train.tfrecord", "data.types={}")
    with pytest.raises(DataError, match=r"data.types.label is not set; TFRecord columns need a type"):
        load_examples(config, "train", _parse_spec(config))
