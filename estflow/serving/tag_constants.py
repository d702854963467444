"""`tf.saved_model.tag_constants`: the tags that name a MetaGraphDef inside a SavedModel."""

SERVING = "serve"
TRAINING = "train"
EVAL = "eval"
GPU = "gpu"
TPU = "tpu"
