"""TensorFlow's get-started premade Estimator: a DNNClassifier on the Iris data, ported unchanged.

    python examples/premade_estimator.py [--data_dir ../shared/data/iris] [--batch_size 100] [--train_steps 1000]

`--data_dir` holds TensorFlow's `iris_training.csv` and `iris_test.csv` (from
http://download.tensorflow.org/data/). Prints "Test set accuracy: 0.967" and three predictions.
"""

import argparse
import os

import pandas as pd

import estflow as tf

CSV_COLUMN_NAMES = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth", "Species"]
SPECIES = ["Setosa", "Versicolor", "Virginica"]
DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "iris")


def load_data(data_dir, y_name="Species"):
    """((train_x, train_y), (test_x, test_y)) as pandas, skipping the files' odd first line."""
    train = pd.read_csv(os.path.join(data_dir, "iris_training.csv"), names=CSV_COLUMN_NAMES, header=0)
    test = pd.read_csv(os.path.join(data_dir, "iris_test.csv"), names=CSV_COLUMN_NAMES, header=0)
    train_x, train_y = train, train.pop(y_name)
    test_x, test_y = test, test.pop(y_name)
    return (train_x, train_y), (test_x, test_y)


def train_input_fn(features, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((dict(features), labels))
    return dataset.shuffle(1000).repeat().batch(batch_size)


def eval_input_fn(features, labels, batch_size):
    features = dict(features)
    inputs = features if labels is None else (features, labels)
    return tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--data_dir", default=DEFAULT_DATA)
    parser.add_argument("--batch_size", default=100, type=int)
    parser.add_argument("--train_steps", default=1000, type=int)
    parser.add_argument("--model_dir", default=None)
    args = parser.parse_args(argv)
    (train_x, train_y), (test_x, test_y) = load_data(args.data_dir)

    my_feature_columns = [tf.feature_column.numeric_column(key=key) for key in train_x.keys()]
    classifier = tf.estimator.DNNClassifier(feature_columns=my_feature_columns, hidden_units=[10, 10], n_classes=3,
                                            model_dir=args.model_dir)
    classifier.train(input_fn=lambda: train_input_fn(train_x, train_y, args.batch_size), steps=args.train_steps)
    eval_result = classifier.evaluate(input_fn=lambda: eval_input_fn(test_x, test_y, args.batch_size))
    print("\nTest set accuracy: {accuracy:0.3f}\n".format(**eval_result))

    expected = ["Setosa", "Versicolor", "Virginica"]
    predict_x = {"SepalLength": [5.1, 5.9, 6.9], "SepalWidth": [3.3, 3.0, 3.1], "PetalLength": [1.7, 4.2, 5.4],
                 "PetalWidth": [0.5, 1.5, 2.1]}
    predictions = classifier.predict(input_fn=lambda: eval_input_fn(predict_x, labels=None,
                                                                    batch_size=args.batch_size))
    for pred_dict, expec in zip(predictions, expected):
        class_id = pred_dict["class_ids"][0]
        probability = pred_dict["probabilities"][class_id]
        print(f'Prediction is "{SPECIES[class_id]}" ({100 * probability:.1f}%), expected "{expec}"')
    return eval_result


if __name__ == "__main__":
    tf.logging.set_verbosity(tf.logging.INFO)
    main()
