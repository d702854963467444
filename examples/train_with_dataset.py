"""A TF1 training program: tf.data input, tf.layers model, Adam, summaries and checkpoints.

    python examples/train_with_dataset.py [MODEL_DIR]

Then `tensorboard --logdir MODEL_DIR` shows the loss curve and the graph.
"""

import sys
import tempfile

import numpy as np

import estflow as tf

model_dir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="estflow-")
rng = np.random.default_rng(0)
features = {"x": rng.random((1000, 4), dtype=np.float32)}
labels = (features["x"].sum(axis=1) > 2).astype(np.float32).reshape(-1, 1)

tf.set_random_seed(1)
dataset = tf.data.Dataset.from_tensor_slices((features, labels)).shuffle(1000, seed=1).repeat(20).batch(32)
batch_x, batch_y = tf.compat.v1.data.make_one_shot_iterator(dataset).get_next()

hidden = tf.layers.dense(batch_x["x"], 16, activation=tf.nn.relu, name="hidden")
logits = tf.layers.dense(hidden, 1, name="logits")
loss = tf.losses.sigmoid_cross_entropy(batch_y, logits)
global_step = tf.train.get_or_create_global_step()
train_op = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
accuracy, update_accuracy = tf.metrics.accuracy(batch_y, tf.cast(logits > 0, tf.float32))
tf.summary.scalar("loss", loss)
summaries = tf.summary.merge_all()
saver = tf.train.Saver(max_to_keep=3)

with tf.Session() as sess:
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
    writer = tf.summary.FileWriter(model_dir, sess.graph)
    try:
        while True:
            _, _, step, summary = sess.run([train_op, update_accuracy, global_step, summaries])
            step += 1  # fetches read variables as the run found them: the train op has since counted this step
            if step % 100 == 0:
                writer.add_summary(summary, step)
                saver.save(sess, f"{model_dir}/model.ckpt", global_step=step)
    except tf.errors.OutOfRangeError:
        pass  # the dataset is exhausted after 20 epochs
    saver.save(sess, f"{model_dir}/model.ckpt", global_step=step)
    writer.close()
    print(f"steps: {step}  running accuracy: {sess.run(accuracy):.3f}")
    print(f"latest checkpoint: {tf.train.latest_checkpoint(model_dir)}")
