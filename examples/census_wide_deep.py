"""TensorFlow's census wide & deep tutorial (tensorflow/models official/wide_deep), ported unchanged.

    python examples/census_wide_deep.py --data_dir DIR [--model_type wide_deep|wide|deep]
        [--train_epochs 5] [--epochs_between_evals 5] [--batch_size 40] [--model_dir DIR]
        [--max_train_rows N] [--max_test_rows N] [--download]

DIR holds the cleaned UCI Adult files `adult.data` and `adult.test` (comma-separated, no
spaces, test labels without the trailing period). `--download` fetches them from UCI and
cleans them as TF's `data_download.py` does. Prints one line per evaluation:
"Results at epoch N: accuracy = ..., auc = ...".
"""

import argparse
import os
import shutil
import tempfile
import urllib.request

import estflow as tf

CSV_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
               "relationship", "race", "gender", "capital_gain", "capital_loss", "hours_per_week", "native_country",
               "income_bracket"]
CSV_COLUMN_DEFAULTS = [[0], [""], [0], [""], [0], [""], [""], [""], [""], [""], [0], [0], [0], [""], [""]]
NUM_EXAMPLES = {"train": 32561, "validation": 16281}
HASH_BUCKET_SIZE = 1000
UCI_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/adult"


def download(data_dir):
    """Fetch adult.data / adult.test from UCI and clean them as TF's data_download.py."""
    os.makedirs(data_dir, exist_ok=True)
    for name in ("adult.data", "adult.test"):
        target = os.path.join(data_dir, name)
        if os.path.exists(target):
            continue
        raw, _ = urllib.request.urlretrieve(f"{UCI_URL}/{name}")
        with open(raw) as src, open(target, "w") as dst:
            for line in src:
                line = line.strip().replace(", ", ",")
                if not line or "," not in line:
                    continue
                if line[-1] == ".":
                    line = line[:-1]
                dst.write(line + "\n")
        os.remove(raw)


def build_model_columns():
    """The tutorial's wide (linear) and deep (DNN) columns."""
    fc = tf.feature_column
    age = fc.numeric_column("age")
    education_num = fc.numeric_column("education_num")
    capital_gain = fc.numeric_column("capital_gain")
    capital_loss = fc.numeric_column("capital_loss")
    hours_per_week = fc.numeric_column("hours_per_week")
    education = fc.categorical_column_with_vocabulary_list("education", [
        "Bachelors", "HS-grad", "11th", "Masters", "9th", "Some-college", "Assoc-acdm", "Assoc-voc", "7th-8th",
        "Doctorate", "Prof-school", "5th-6th", "10th", "1st-4th", "Preschool", "12th"])
    marital_status = fc.categorical_column_with_vocabulary_list("marital_status", [
        "Married-civ-spouse", "Divorced", "Married-spouse-absent", "Never-married", "Separated",
        "Married-AF-spouse", "Widowed"])
    relationship = fc.categorical_column_with_vocabulary_list("relationship", [
        "Husband", "Not-in-family", "Wife", "Own-child", "Unmarried", "Other-relative"])
    workclass = fc.categorical_column_with_vocabulary_list("workclass", [
        "Self-emp-not-inc", "Private", "State-gov", "Federal-gov", "Local-gov", "?", "Self-emp-inc", "Without-pay",
        "Never-worked"])
    occupation = fc.categorical_column_with_hash_bucket("occupation", hash_bucket_size=HASH_BUCKET_SIZE)
    age_buckets = fc.bucketized_column(age, boundaries=[18, 25, 30, 35, 40, 45, 50, 55, 60, 65])
    base_columns = [education, marital_status, relationship, workclass, occupation, age_buckets]
    crossed_columns = [
        fc.crossed_column(["education", "occupation"], hash_bucket_size=HASH_BUCKET_SIZE),
        fc.crossed_column([age_buckets, "education", "occupation"], hash_bucket_size=HASH_BUCKET_SIZE),
    ]
    wide_columns = base_columns + crossed_columns
    deep_columns = [
        age, education_num, capital_gain, capital_loss, hours_per_week,
        fc.indicator_column(workclass), fc.indicator_column(education), fc.indicator_column(marital_status),
        fc.indicator_column(relationship),
        fc.embedding_column(occupation, dimension=8),
    ]
    return wide_columns, deep_columns


def build_estimator(model_dir, model_type, seed=None):
    wide_columns, deep_columns = build_model_columns()
    hidden_units = [100, 75, 50, 25]
    config = tf.estimator.RunConfig(tf_random_seed=seed, save_checkpoints_steps=None, save_checkpoints_secs=600,
                                    log_step_count_steps=1000)
    if model_type == "wide":
        return tf.estimator.LinearClassifier(model_dir=model_dir, feature_columns=wide_columns, config=config)
    if model_type == "deep":
        return tf.estimator.DNNClassifier(model_dir=model_dir, feature_columns=deep_columns,
                                          hidden_units=hidden_units, config=config)
    return tf.estimator.DNNLinearCombinedClassifier(model_dir=model_dir, linear_feature_columns=wide_columns,
                                                    dnn_feature_columns=deep_columns,
                                                    dnn_hidden_units=hidden_units, config=config)


def input_fn(data_file, num_epochs, shuffle, batch_size, max_rows=None, seed=None):
    """The tutorial's input: TextLineDataset -> decode_csv -> (features, income_bracket == '>50K')."""
    def parse_csv(value):
        columns = tf.decode_csv(value, record_defaults=CSV_COLUMN_DEFAULTS)
        features = dict(zip(CSV_COLUMNS, columns))
        labels = features.pop("income_bracket")
        return features, tf.equal(labels, ">50K")

    dataset = tf.data.TextLineDataset(data_file)
    if max_rows:
        dataset = dataset.take(max_rows)
    if shuffle:
        dataset = dataset.shuffle(buffer_size=NUM_EXAMPLES["train"], seed=seed)
    dataset = dataset.map(parse_csv, num_parallel_calls=5)
    dataset = dataset.repeat(num_epochs)
    return dataset.batch(batch_size)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", required=True)
    parser.add_argument("--model_dir", default=None)
    parser.add_argument("--model_type", default="wide_deep", choices=["wide", "deep", "wide_deep"])
    parser.add_argument("--train_epochs", type=int, default=40)
    parser.add_argument("--epochs_between_evals", type=int, default=2)
    parser.add_argument("--batch_size", type=int, default=40)
    parser.add_argument("--max_train_rows", type=int, default=None, help="use only the first N training rows")
    parser.add_argument("--max_test_rows", type=int, default=None, help="evaluate on the first N test rows")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--download", action="store_true", help="fetch and clean the UCI files into --data_dir")
    args = parser.parse_args(argv)
    if args.download:
        download(args.data_dir)
    train_file = os.path.join(args.data_dir, "adult.data")
    test_file = os.path.join(args.data_dir, "adult.test")
    for path in (train_file, test_file):
        if not os.path.exists(path):
            raise SystemExit(f"{path} not found: pass --data_dir holding adult.data and adult.test, or --download.")
    model_dir = args.model_dir or tempfile.mkdtemp(prefix="census-")
    shutil.rmtree(model_dir, ignore_errors=True)  # a fresh model each run, as the tutorial does
    model = build_estimator(model_dir, args.model_type, args.seed)
    results = {}
    for n in range(args.train_epochs // args.epochs_between_evals):
        model.train(input_fn=lambda: input_fn(train_file, args.epochs_between_evals, True, args.batch_size,
                                               args.max_train_rows, args.seed))
        results = model.evaluate(input_fn=lambda: input_fn(test_file, 1, False, args.batch_size,
                                                           args.max_test_rows))
        epoch = (n + 1) * args.epochs_between_evals
        print(f"Results at epoch {epoch}: accuracy = {results['accuracy']:.4f}, auc = {results['auc']:.4f}, "
              f"average_loss = {results['average_loss']:.4f}", flush=True)
    return results


if __name__ == "__main__":
    main()
