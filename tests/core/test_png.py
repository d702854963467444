"""PNG reading and writing (estflow/core/png.py): TF's pixels for every color type, and hostile files refused."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from estflow.core import png
from tests import FIXTURES

IMAGES = FIXTURES / "iox" / "images"
REFERENCE = np.load(FIXTURES / "iox" / "images_tf.npz")  # scripts/tf_fixtures/make_images_tf.py


@pytest.mark.parametrize("key", [k for k in REFERENCE.files if k.split("|")[1] == "png"])
def test_decode_gives_tensorflows_pixels(key):
    # gray 1/8/16-bit, gray+alpha, RGB 8/16-bit, RGBA, palette and gray with tRNS, Adam7 interlaced;
    # channels 0/1/3/4, uint8 and uint16, each exactly as TF 2.15 (libpng) decodes them
    name, _, channels, dtype = key.split("|")
    got = png.decode((IMAGES / name).read_bytes(), int(channels), dtype == "uint16")
    want = REFERENCE[key]
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape, dtype", [((5, 7, 1), np.uint8), ((5, 7, 2), np.uint8), ((9, 4, 3), np.uint8),
                                          ((6, 4, 4), np.uint16), ((1, 1, 3), np.uint16), ((33, 17, 4), np.uint8)])
@pytest.mark.parametrize("compression", [-1, 0, 9])
def test_encode_round_trips(shape, dtype, compression):
    image = np.random.default_rng(3).integers(0, np.iinfo(dtype).max, shape, dtype=dtype)
    data = png.encode(image, compression)
    assert png.is_png(data)
    np.testing.assert_array_equal(png.decode(data, 0, dtype == np.uint16), image)


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(header=(2, 2, 8, 0, 0, 0, 0), data=None, extra=b""):
    raw = zlib.compress(b"\x00\x01\x02\x00\x03\x04") if data is None else data
    return (png.SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", *header)) + extra + _chunk(b"IDAT", raw)
            + _chunk(b"IEND", b""))


def test_a_minimal_file_decodes():
    np.testing.assert_array_equal(png.decode(_png())[:, :, 0], [[1, 2], [3, 4]])


@pytest.mark.parametrize("data, message", [
    (b"GIF89a....", "bad signature"),
    (_png()[:-5], "truncated"),
    (_png()[:-12], "before its IEND"),
    (_png()[:45], "past the end"),
    (_png().replace(b"IDAT", b"IDAX"), "bad CRC"),
    (_png(header=(0, 2, 8, 0, 0, 0, 0)), "is not in 1.."),
    (_png(header=(1 << 30, 1 << 30, 8, 2, 0, 0, 0)), "is not in 1.."),
    (_png(header=(2, 2, 3, 0, 0, 0, 0)), "bit depth 3 is not valid"),
    (_png(header=(2, 2, 8, 0, 0, 0, 2)), "unknown compression, filter or interlace"),
    (_png(data=zlib.compress(b"\x00\x01")), "truncated"),
    (_png(data=zlib.compress(b"\x00\x01\x02\x00\x03\x04" + b"\x00" * 100)), "more than its header"),
    (_png(data=b"not zlib at all"), "corrupt"),
    (_png(data=zlib.compress(b"\x07\x01\x02\x00\x03\x04")), "unknown filter type 7"),
    (_png(header=(2, 2, 8, 3, 0, 0, 0)), "no PLTE"),
    (_png(header=(2, 2, 8, 3, 0, 0, 0), extra=_chunk(b"PLTE", b"\x00" * 6)), "palette entry"),
    (_png(extra=_chunk(b"ABCD", b"")), "unexpected critical chunk"),
])
def test_hostile_files_are_refused_with_a_reason(data, message):
    with pytest.raises(png.PngError, match=message):
        png.decode(data)


def test_a_zlib_bomb_is_never_inflated_past_the_header_size():
    bomb = zlib.compress(b"\x00" * (50 << 20))  # 50 MB of zeros in about 50 KB, for a 2x2 image
    with pytest.raises(png.PngError, match="more than its header"):
        png.decode(_png(data=bomb))
