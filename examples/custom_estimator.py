"""A custom Estimator subclass on tabular data: car prices from the UCI automobile data (imports-85).

    python examples/custom_estimator.py [--data_file ../shared/data/autos/imports-85.data] [--train_steps 1500]

After TensorFlow's cookbook `custom_regression.py`: numeric and categorical columns (an
indicator and an embedding) feed an `input_layer`, two hidden layers and a linear output; the
model_fn lives in a `tf.estimator.Estimator` subclass, as a library would ship it. Prints
"RMS error for the test set: $N" (prices in dollars).
"""

import argparse
import os

import numpy as np
import pandas as pd

import estflow as tf

COLUMN_TYPES = {
    "normalized-losses": np.float32, "wheel-base": np.float32, "length": np.float32, "width": np.float32,
    "height": np.float32, "curb-weight": np.float32, "engine-size": np.float32, "bore": np.float32,
    "stroke": np.float32, "compression-ratio": np.float32, "horsepower": np.float32, "peak-rpm": np.float32,
    "city-mpg": np.float32, "highway-mpg": np.float32, "price": np.float32}
NAMES = ["symboling", "normalized-losses", "make", "fuel-type", "aspiration", "num-of-doors", "body-style",
         "drive-wheels", "engine-location", "wheel-base", "length", "width", "height", "curb-weight", "engine-type",
         "num-of-cylinders", "engine-size", "fuel-system", "bore", "stroke", "compression-ratio", "horsepower",
         "peak-rpm", "city-mpg", "highway-mpg", "price"]
PRICE_SCALE = 1000.0
DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "autos",
                            "imports-85.data")


class CarPriceRegressor(tf.estimator.Estimator):
    """A small feed-forward regressor whose model_fn the subclass owns (prices in thousands)."""

    def __init__(self, feature_columns, hidden_units=(20, 20), learning_rate=0.005, model_dir=None, config=None):
        def model_fn(features, labels, mode, params):
            net = tf.feature_column.input_layer(features, params["feature_columns"])
            for units in params["hidden_units"]:
                net = tf.layers.dense(net, units=units, activation=tf.nn.relu)
            output = tf.squeeze(tf.layers.dense(net, 1, activation=None), 1)
            if mode == tf.estimator.ModeKeys.PREDICT:
                return tf.estimator.EstimatorSpec(mode, predictions={"price": output * PRICE_SCALE})
            average_loss = tf.losses.mean_squared_error(labels, output)
            loss = average_loss * tf.cast(tf.shape(labels)[0], tf.float32)  # SUM, as TF1's canned regressors
            if mode == tf.estimator.ModeKeys.TRAIN:
                optimizer = tf.train.AdamOptimizer(params["learning_rate"])
                train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
                return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
            rmse = tf.metrics.root_mean_squared_error(labels * PRICE_SCALE, output * PRICE_SCALE)
            return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"rmse": rmse})

        super().__init__(model_fn=model_fn, model_dir=model_dir, config=config,
                         params={"feature_columns": feature_columns, "hidden_units": list(hidden_units),
                                 "learning_rate": learning_rate})


def load_data(path, seed=0, train_fraction=0.7):
    """(train, test) DataFrames: rows with a missing price dropped, missing numbers set to the column mean."""
    data = pd.read_csv(path, names=NAMES, dtype=COLUMN_TYPES, na_values="?")
    data = data.dropna(subset=["price"])
    numeric = [c for c in COLUMN_TYPES if c != "price"]
    data[numeric] = data[numeric].fillna(data[numeric].mean())
    data["price"] = data["price"] / PRICE_SCALE
    rng = np.random.default_rng(seed)
    is_train = rng.random(len(data)) < train_fraction
    return data[is_train], data[~is_train]


def feature_columns(train):
    fc = tf.feature_column
    numeric = []
    for key in ("curb-weight", "highway-mpg", "horsepower", "engine-size"):
        mean, std = float(train[key].mean()), float(train[key].std())
        numeric.append(fc.numeric_column(key, normalizer_fn=lambda x, m=mean, s=std: (x - m) / s))
    body_style = fc.categorical_column_with_vocabulary_list(
        "body-style", ["hardtop", "wagon", "sedan", "hatchback", "convertible"])
    make = fc.categorical_column_with_hash_bucket("make", 50)
    return numeric + [fc.indicator_column(body_style), fc.embedding_column(make, dimension=3)]


def input_fn(frame, batch_size=32, epochs=None, shuffle=True):
    keys = ["curb-weight", "highway-mpg", "horsepower", "engine-size", "body-style", "make"]
    features = {k: frame[k].values for k in keys}
    dataset = tf.data.Dataset.from_tensor_slices((features, frame["price"].values))
    if shuffle:
        dataset = dataset.shuffle(1000, seed=1)
    return dataset.repeat(epochs).batch(batch_size)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--data_file", default=DEFAULT_DATA)
    parser.add_argument("--train_steps", type=int, default=1500)
    parser.add_argument("--model_dir", default=None)
    args = parser.parse_args(argv)
    train, test = load_data(args.data_file)
    model = CarPriceRegressor(feature_columns(train), model_dir=args.model_dir,
                              config=tf.estimator.RunConfig(tf_random_seed=1))
    model.train(input_fn=lambda: input_fn(train), steps=args.train_steps)
    result = model.evaluate(input_fn=lambda: input_fn(test, epochs=1, shuffle=False))
    print(f"RMS error for the test set: ${result['rmse']:.0f}")
    first = next(model.predict(input_fn=lambda: tf.data.Dataset.from_tensor_slices(
        {k: v[:1] for k, v in dict(test).items()}).batch(1)))
    print(f"first test car: predicted ${first['price']:.0f}, actual ${test['price'].values[0] * PRICE_SCALE:.0f}")
    return result


if __name__ == "__main__":
    main()
