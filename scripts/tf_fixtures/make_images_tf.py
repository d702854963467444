"""Writes tests/fixtures/iox/images_tf.npz: what real TensorFlow 2.15.1 decodes from
tests/fixtures/iox/images/ (and two files TF encodes itself, kept beside them).

    /tmp/tfvenv/bin/python scripts/tf_fixtures/make_images_tf.py
"""
from pathlib import Path

import numpy as np
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "iox"
IMAGES = ROOT / "images"
out = {}
yy, xx = np.mgrid[0:6, 0:8]
rgb16 = np.stack([xx * 8000, yy * 9000 + 5, (xx + yy) * 1000], axis=2).astype(np.uint16)
(IMAGES / "rgb16_tf.png").write_bytes(tf.io.encode_png(rgb16).numpy())
rgb8 = np.stack([xx * 30, yy * 40, (xx + yy) * 15], axis=2).astype(np.uint8)
(IMAGES / "rgb_tf.jpg").write_bytes(tf.io.encode_jpeg(np.kron(rgb8, np.ones((2, 2, 1), np.uint8)), quality=85).numpy())
for path in sorted(IMAGES.iterdir()):
    data = tf.constant(path.read_bytes())
    name = path.name
    if name.endswith(".png"):
        for channels in (0, 1, 3, 4):
            for dtype in (tf.uint8, tf.uint16):
                out[f"{name}|png|{channels}|{dtype.name}"] = tf.io.decode_png(data, channels, dtype).numpy()
    if name.endswith(".jpg"):
        for channels in (0, 1, 3):
            out[f"{name}|jpeg|{channels}"] = tf.io.decode_jpeg(data, channels).numpy()
        out[f"{name}|jpeg|ratio2"] = tf.io.decode_jpeg(data, ratio=2).numpy()
        out[f"{name}|jpeg|ratio4"] = tf.io.decode_jpeg(data, ratio=4).numpy()
        out[f"{name}|jpeg|nofancy"] = tf.io.decode_jpeg(data, fancy_upscaling=False).numpy()
        out[f"{name}|jpeg|fast"] = tf.io.decode_jpeg(data, dct_method="INTEGER_FAST").numpy()
        out[f"{name}|crop"] = tf.io.decode_and_crop_jpeg(data, [1, 2, 4, 5]).numpy()
        out[f"{name}|shape"] = tf.io.extract_jpeg_shape(data).numpy()
        cut = path.read_bytes()[:len(path.read_bytes()) * 9 // 10]
        try:
            out[f"{name}|truncated"] = tf.io.decode_jpeg(cut, try_recover_truncated=True, acceptable_fraction=0.1).numpy()
        except tf.errors.InvalidArgumentError:
            pass
    if name.endswith(".gif"):
        out[f"{name}|gif"] = tf.io.decode_gif(data).numpy()
        out[f"{name}|image_still"] = tf.io.decode_image(data, expand_animations=False).numpy()
    if name.endswith(".bmp"):
        for channels in (0, 3, 4):
            out[f"{name}|bmp|{channels}"] = tf.io.decode_bmp(data, channels).numpy()
    out[f"{name}|is_jpeg"] = np.array(tf.io.is_jpeg(data).numpy())
    out[f"{name}|image"] = tf.io.decode_image(data).numpy()
    out[f"{name}|image_float"] = tf.io.decode_image(data, dtype=tf.float32).numpy()
np.savez_compressed(ROOT / "images_tf.npz", **out)
print(len(out))
