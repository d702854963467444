"""Image codec ops against what real TensorFlow 2.15.1 decodes from the same files
(tests/fixtures/iox/images/, tests/fixtures/iox/images_tf.npz from scripts/tf_fixtures/make_images_tf.py).

PNG, GIF and BMP pixels are TF's exactly; JPEG pixels within a few levels (another libjpeg-turbo
build). JPEG and GIF need Pillow, the `image` extra.
"""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import image_codecs
from tests import FIXTURES

IMAGES = FIXTURES / "iox" / "images"
REFERENCE = np.load(FIXTURES / "iox" / "images_tf.npz")
JPEG_LEVELS = 4  # the most a JPEG pixel may differ from TF's decode of the same file

pytest.importorskip("PIL", reason="JPEG and GIF tests need Pillow (pip install estflow[image])")


def _keys(kind):
    return [k for k in REFERENCE.files if k.split("|")[1] == kind]


def _close(got, want, label, levels=0):
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape, f"{label}: {got.dtype}{got.shape} != " \
                                                                 f"{want.dtype}{want.shape}"
    assert np.abs(got.astype(np.float64) - want).max() <= levels, label


@pytest.fixture
def contents(g):
    return tf.placeholder(tf.string, [], name="contents")


def _run(fetch, data, contents):
    with tf.Session() as sess:
        return sess.run(fetch, {contents: data})


@pytest.mark.parametrize("key", _keys("png"))
def test_decode_png(contents, key):
    name, _, channels, dtype = key.split("|")
    out = tf.io.decode_png(contents, int(channels), getattr(tf, dtype))
    assert out.op.type == "DecodePng" and out.shape.as_list() == [None, None, int(channels) or None]
    _close(_run(out, (IMAGES / name).read_bytes(), contents), REFERENCE[key], key)


@pytest.mark.parametrize("key", _keys("jpeg"))
def test_decode_jpeg(contents, key):
    name, _, option = key.split("|")
    kwargs = {"0": {}, "1": {"channels": 1}, "3": {"channels": 3}, "ratio2": {"ratio": 2}, "ratio4": {"ratio": 4},
              "nofancy": {"fancy_upscaling": False}, "fast": {"dct_method": "INTEGER_FAST"}}[option]
    out = tf.io.decode_jpeg(contents, **kwargs)
    assert out.op.type == "DecodeJpeg" and out.dtype == tf.uint8
    levels = 16 if option == "nofancy" else JPEG_LEVELS  # Pillow always upsamples chroma fancily
    _close(_run(out, (IMAGES / name).read_bytes(), contents), REFERENCE[key], key, levels)


@pytest.mark.parametrize("key", _keys("crop") + _keys("shape"))
def test_decode_and_crop_jpeg_and_extract_jpeg_shape(contents, key):
    name, kind = key.split("|")
    out = tf.io.decode_and_crop_jpeg(contents, [1, 2, 4, 5]) if kind == "crop" else tf.io.extract_jpeg_shape(contents)
    _close(_run(out, (IMAGES / name).read_bytes(), contents), REFERENCE[key], key, JPEG_LEVELS)


def test_crop_window_outside_the_image_and_bad_jpeg_data(contents):
    data = (IMAGES / "rgb.jpg").read_bytes()
    with pytest.raises(tf.errors.InvalidArgumentError, match="crop window"):
        _run(tf.io.decode_and_crop_jpeg(contents, [10, 0, 5, 5]), data, contents)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid JPEG data"):
        _run(tf.io.decode_jpeg(contents), data[:40], contents)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid JPEG data"):
        _run(tf.io.decode_jpeg(contents), b"\x89PNG not a jpeg", contents)
    recovered = _run(tf.io.decode_jpeg(contents, try_recover_truncated=True), data[:len(data) * 9 // 10], contents)
    assert recovered.shape == (12, 16, 3)  # the full size, the missing rows filled in
    with pytest.raises(ValueError, match="ratio"):
        tf.io.decode_jpeg(contents, ratio=3)
    with pytest.raises(ValueError, match="channels"):
        tf.io.decode_jpeg(contents, channels=4)


@pytest.mark.parametrize("key", _keys("is_jpeg"))
def test_is_jpeg(contents, key):
    _close(_run(tf.io.is_jpeg(contents), (IMAGES / key.split("|")[0]).read_bytes(), contents), REFERENCE[key], key)


@pytest.mark.parametrize("key", _keys("gif") + _keys("bmp"))
def test_decode_gif_and_bmp(contents, key):
    name, kind, *channels = key.split("|")
    out = tf.io.decode_gif(contents) if kind == "gif" else tf.io.decode_bmp(contents, int(channels[0]))
    if kind == "gif":
        assert out.shape.as_list() == [None, None, None, 3]
    _close(_run(out, (IMAGES / name).read_bytes(), contents), REFERENCE[key], key)


@pytest.mark.parametrize("key", _keys("image") + _keys("image_float") + _keys("image_still"))
def test_decode_image_sniffs_the_format(contents, key):
    name, kind = key.split("|")
    dtype = tf.float32 if kind == "image_float" else tf.uint8
    out = tf.io.decode_image(contents, dtype=dtype, expand_animations=kind != "image_still")
    assert out.op.type == "DecodeImage"
    if kind == "image_still":
        assert out.shape.as_list() == [None, None, None]
    levels = (JPEG_LEVELS / (255 if dtype == tf.float32 else 1)) if name.endswith(".jpg") else 0
    _close(_run(out, (IMAGES / name).read_bytes(), contents), REFERENCE[key], key, levels)


def test_decode_image_errors(contents):
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unknown image file format"):
        _run(tf.io.decode_image(contents), b"plain text", contents)
    with pytest.raises(tf.errors.InvalidArgumentError, match="channels must be 0 or 3 for GIF"):
        _run(tf.io.decode_image(contents, channels=1), (IMAGES / "anim.gif").read_bytes(), contents)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid PNG data"):
        _run(tf.io.decode_image(contents), (IMAGES / "rgb8.png").read_bytes()[:30], contents)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [tf.uint8, tf.uint16])
def test_encode_png_round_trips(g, channels, dtype):
    image = np.random.default_rng(channels).integers(0, dtype.max, (5, 6, channels)).astype(dtype.as_numpy_dtype)
    encoded = tf.io.encode_png(image, compression=9)
    assert encoded.op.type == "EncodePng" and encoded.shape.ndims == 0
    back = tf.io.decode_png(encoded, dtype=dtype)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(back), image)
    with pytest.raises(ValueError, match="compression"):
        tf.io.encode_png(image, compression=10)
    with pytest.raises(TypeError):
        tf.io.encode_png(image.astype(np.float32))


def test_encode_jpeg_is_decoded_alike_by_estflow_and_tensorflow(g):
    # rgb_tf.jpg was encoded by TF at quality 85; estflow's own encoding of the same pixels decodes close to them
    original = np.kron(np.stack(np.mgrid[0:6, 0:8], axis=2).sum(axis=2, keepdims=True) * 15, np.ones((2, 2, 3)))
    original = original.astype(np.uint8)
    for kwargs in ({"quality": 95}, {"quality": 85, "progressive": True, "optimize_size": True},
                   {"format": "rgb", "chroma_downsampling": False, "density_unit": "cm", "x_density": 72}):
        encoded = tf.io.encode_jpeg(original, **kwargs)
        with tf.Session() as sess:
            data = sess.run(encoded)
        assert image_codecs.is_jpeg(data)
        decoded = image_codecs.decode_jpeg(data)
        assert decoded.shape == original.shape and np.abs(decoded.astype(int) - original).max() <= 12
    gray = tf.io.encode_jpeg(original[:, :, :1], format="grayscale")
    with tf.Session() as sess:
        assert image_codecs.jpeg_shape(sess.run(gray)) == (12, 16, 1)
        with pytest.raises(tf.errors.InvalidArgumentError, match="with 1 channels"):
            sess.run(tf.io.encode_jpeg(tf.constant(original), format="grayscale"))
    with pytest.raises(ValueError, match="quality"):
        tf.io.encode_jpeg(original, quality=101)


def test_without_pillow_the_error_says_how_to_install_it(monkeypatch):
    import builtins  # noqa: PLC0415 - only this test hides Pillow

    real_import = builtins.__import__

    def no_pillow(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pillow)
    with pytest.raises(ImportError, match=r"pip install estflow\[image\]"):
        image_codecs.decode_jpeg((IMAGES / "rgb.jpg").read_bytes())
    # PNG and BMP need no Pillow
    assert image_codecs.decode_bmp((IMAGES / "rgb24.bmp").read_bytes()).shape == (6, 8, 3)
