"""`estflow quickstart`'s data: a synthetic census-like table and the wide & deep config that fits it.

The table has the Adult census's kind of columns: numeric ones (age, education_num,
hours_per_week, capital_gain) and categorical ones (workclass, education, marital_status,
occupation, relationship), and a label `income_over_50k` drawn from a logistic model of them
(education, age's hump, marriage, occupation, capital gains and hours all matter), so a wide
& deep model learns it well above the base rate. Everything comes from one seeded numpy
generator: the same files every time, no download.
"""

from __future__ import annotations

import csv
import os

import numpy as np

WORKCLASS = ["Private", "Self-emp-not-inc", "Self-emp-inc", "Federal-gov", "Local-gov", "State-gov"]
EDUCATION = {"Preschool": 1, "9th": 5, "11th": 7, "HS-grad": 9, "Some-college": 10, "Assoc-acdm": 12,
             "Bachelors": 13, "Masters": 14, "Prof-school": 15, "Doctorate": 16}
MARITAL = ["Married-civ-spouse", "Never-married", "Divorced", "Separated", "Widowed"]
OCCUPATION = {"Exec-managerial": 0.9, "Prof-specialty": 0.8, "Tech-support": 0.4, "Sales": 0.3,
              "Craft-repair": 0.0, "Protective-serv": 0.2, "Adm-clerical": -0.3, "Transport-moving": -0.2,
              "Machine-op-inspct": -0.5, "Farming-fishing": -0.8, "Handlers-cleaners": -0.9,
              "Other-service": -1.1}
RELATIONSHIP = ["Husband", "Wife", "Not-in-family", "Own-child", "Unmarried"]
COLUMNS = ["age", "workclass", "education", "education_num", "marital_status", "occupation", "relationship",
           "hours_per_week", "capital_gain", "income_over_50k"]
LABEL = "income_over_50k"


def census_rows(count: int, seed: int) -> list[dict]:
    """`count` examples of the synthetic census table (dicts keyed by COLUMNS)."""
    rng = np.random.default_rng(seed)
    age = np.clip(rng.normal(39, 13, count), 17, 90).round()
    education = rng.choice(list(EDUCATION), count, p=[.01, .03, .05, .32, .22, .07, .17, .08, .02, .03])
    education_num = np.array([EDUCATION[e] for e in education], dtype=float)
    marital = rng.choice(MARITAL, count, p=[.46, .33, .14, .03, .04])
    married = marital == "Married-civ-spouse"
    relationship = np.where(married, rng.choice(["Husband", "Wife"], count, p=[.85, .15]),
                            rng.choice(RELATIONSHIP[2:], count, p=[.5, .3, .2]))
    occupation = rng.choice(list(OCCUPATION), count)
    workclass = rng.choice(WORKCLASS, count, p=[.7, .08, .04, .03, .08, .07])
    hours = np.clip(rng.normal(40, 12, count), 1, 99).round()
    capital_gain = np.where(rng.random(count) < 0.08, rng.lognormal(8.5, 1.0, count), 0.0).round()
    logit = 2.0 * (-1.5 + 0.42 * (education_num - 10) - 0.0016 * (age - 48) ** 2 + 2.1 * married
                   + np.array([OCCUPATION[o] for o in occupation]) + 0.035 * (hours - 40)
                   + 2.5 * (capital_gain > 5000) + 0.5 * (workclass == "Self-emp-inc")
                   + 0.5 * ((education_num >= 13) & married) - 1.0)
    label = (rng.random(count) < 1 / (1 + np.exp(-logit))).astype(int)
    return [dict(zip(COLUMNS, values)) for values in zip(
        age.astype(int), workclass, education, education_num.astype(int), marital, occupation, relationship,
        hours.astype(int), capital_gain.astype(int), label)]


def write_csv(path: str, rows: list[dict], columns=COLUMNS) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_dataset(folder: str, train_rows: int = 4000, eval_rows: int = 1000, seed: int = 2026) -> dict:
    """train.csv, eval.csv and predict.csv (no label) in `folder`; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    paths = {name: os.path.join(folder, f"{name}.csv") for name in ("train", "eval", "predict")}
    write_csv(paths["train"], census_rows(train_rows, seed))
    write_csv(paths["eval"], census_rows(eval_rows, seed + 1))
    write_csv(paths["predict"], census_rows(5, seed + 2), [c for c in COLUMNS if c != LABEL])
    return paths


CONFIG = """\
# The wide & deep census model of `estflow quickstart`; rerun any step with
#   estflow train {name}   estflow evaluate {name}   estflow predict {name}

[data]
train = "data/train.csv"
eval = "data/eval.csv"
predict = "data/predict.csv"
label = "income_over_50k"

[data.types]
age = "float"
education_num = "float"
hours_per_week = "float"
capital_gain = "float"
income_over_50k = "int"

[[features]]
type = "numeric"
key = "age"
normalize = [39, 13]

[[features]]
type = "numeric"
key = "education_num"
normalize = [10, 3]

[[features]]
type = "numeric"
key = "hours_per_week"
normalize = [40, 12]

[[features]]
type = "numeric"
key = "capital_gain"
normalize = [1000, 7000]

[[features]]
type = "bucketized"
source = "age"
boundaries = [18, 25, 30, 35, 40, 45, 50, 55, 60, 65]
name = "age_buckets"

[[features]]
type = "vocabulary_list"
key = "workclass"
vocabulary = {workclass}

[[features]]
type = "vocabulary_list"
key = "education"
vocabulary = {education}

[[features]]
type = "vocabulary_list"
key = "marital_status"
vocabulary = {marital}

[[features]]
type = "vocabulary_list"
key = "relationship"
vocabulary = {relationship}

[[features]]
type = "hash_bucket"
key = "occupation"
hash_bucket_size = 100

[[features]]
type = "crossed"
keys = ["education", "occupation"]
hash_bucket_size = 1000

[[features]]
type = "crossed"
keys = ["age_buckets", "education", "occupation"]
hash_bucket_size = 1000

[[features]]
type = "indicator"
source = "workclass"

[[features]]
type = "indicator"
source = "education"

[[features]]
type = "indicator"
source = "marital_status"

[[features]]
type = "indicator"
source = "relationship"

[[features]]
type = "embedding"
source = "occupation"
dimension = 8

[estimator]
name = "DNNLinearCombinedClassifier"
linear_feature_columns = ["workclass", "education", "marital_status", "relationship", "occupation", "age_buckets",
                          "education_X_occupation", "age_buckets_X_education_X_occupation"]
dnn_feature_columns = ["age", "education_num", "hours_per_week", "capital_gain", "workclass_indicator",
                       "education_indicator", "marital_status_indicator", "relationship_indicator",
                       "occupation_embedding"]

[estimator.params]
dnn_hidden_units = [32, 16]
dnn_optimizer = "Adam"

[run]
model_dir = "model"
tf_random_seed = 42
save_checkpoints_steps = 1000
log_step_count_steps = 1000

[train]
batch_size = 40
epochs = 5

[eval]
batch_size = 500
"""


def config_text(name: str = "census.toml") -> str:
    def toml_list(values):
        return "[" + ", ".join(f'"{v}"' for v in values) + "]"
    return CONFIG.format(name=name, workclass=toml_list(WORKCLASS), education=toml_list(EDUCATION),
                         marital=toml_list(MARITAL), relationship=toml_list(RELATIONSHIP))
