"""Writes the small image files of tests/fixtures/iox/images/ (Pillow and a hand-made interlaced PNG);
scripts/tf_fixtures/make_images_tf.py then records what real TensorFlow decodes from them.

    .venv/bin/python scripts/tf_fixtures/make_image_inputs.py
"""
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "iox" / "images"
rng = np.random.default_rng(7)
h, w = 6, 8
yy, xx = np.mgrid[0:h, 0:w]
rgb = np.stack([xx * 30, yy * 40, (xx + yy) * 15], axis=2).astype(np.uint8)
rgba = np.concatenate([rgb, (yy * 50 + 5)[:, :, None].astype(np.uint8)], axis=2)
gray = (xx * 20 + yy * 10).astype(np.uint8)


def save(img, name, **kw):
    img.save(OUT / name, **kw)


save(Image.fromarray(gray, "L"), "gray8.png")
save(Image.fromarray(gray.astype(np.uint16) * 250 + 7), "gray16.png")
save(Image.fromarray(rgb, "RGB"), "rgb8.png")
save(Image.fromarray(rgba, "RGBA"), "rgba8.png")
save(Image.fromarray(np.stack([gray, 255 - gray], 2), "LA"), "gray_alpha.png")
save(Image.fromarray(gray > 60).convert("1"), "gray1.png")
save(Image.fromarray(gray, "L"), "gray_trns.png", transparency=40)
pal = Image.fromarray(rgb, "RGB").quantize(5)
save(pal, "palette_trns.png", transparency=2)


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


raw = b""
for r, c, rs, cs in ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1)):
    sub = rgb[r::rs, c::cs]
    if sub.size:
        raw += b"".join(b"\x00" + row.tobytes() for row in sub)
(OUT / "rgb_interlaced.png").write_bytes(
    b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1))
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

big = np.kron(rgb, np.ones((2, 2, 1), np.uint8))
big = (big.astype(int) + rng.integers(0, 30, big.shape)).clip(0, 255).astype(np.uint8)
save(Image.fromarray(big, "RGB"), "rgb.jpg", quality=90)
save(Image.fromarray(np.kron(gray, np.ones((2, 2), np.uint8)), "L"), "gray.jpg", quality=90)
save(Image.fromarray(big, "RGB"), "progressive.jpg", quality=80, progressive=True)
palette = (np.arange(16 * 3, dtype=np.uint8).reshape(16, 3) * np.array([5, 11, 3], np.uint8)).tobytes()
frames = []
for k in range(3):
    frame = Image.fromarray(((xx + yy + 3 * k) % 16).astype(np.uint8), "P")
    frame.putpalette(palette)
    frames.append(frame)
frames[0].save(OUT / "anim.gif", save_all=True, append_images=frames[1:], duration=50, loop=0, optimize=False)
frames[0].save(OUT / "still.gif", optimize=False)
save(Image.fromarray(rgb, "RGB"), "rgb24.bmp")
save(Image.fromarray(rgba, "RGBA"), "rgba32.bmp")
print(sorted(p.name for p in OUT.iterdir()))
