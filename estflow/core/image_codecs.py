"""JPEG, GIF and BMP files as TF's image ops read and write them.

BMP is read here with numpy (uncompressed 24- and 32-bit files, as TF's DecodeBmp). JPEG and
GIF go through Pillow (the optional `image` extra: `pip install estflow[image]`), imported when
first needed. Pillow decodes JPEG with libjpeg(-turbo) as TF does, with the same scaling
(`ratio`) and grayscale output (the Y channel), with libjpeg's accurate integer DCT: TF 2.15's
libjpeg-turbo gives the same pixels for every `dct_method`, so estflow reads that attr only to
check it. Pixels can differ from TF's by a few levels (another libjpeg-turbo build), Pillow always
upsamples chroma "fancily" (`fancy_upscaling=False` gives pixels a few levels further from TF's),
and a truncated file (`try_recover_truncated`) is filled in as Pillow's libjpeg recovers it, whose
lines decoded are not counted (`acceptable_fraction` is checked, not applied). Every reader raises
`CodecError` naming what is wrong with the bytes.
"""

from __future__ import annotations

import io
import struct
import threading

import numpy as np


class CodecError(ValueError):
    """The bytes are not an image this reader can decode; the message says why."""


_PILLOW_LOCK = threading.Lock()  # Pillow's LOAD_TRUNCATED_IMAGES is a module global


def _pillow():
    try:
        from PIL import Image, ImageFile  # noqa: PLC0415 - optional dependency, the `image` extra
    except ImportError:
        raise ImportError("Decoding and encoding JPEG and GIF images needs Pillow: "
                          "pip install estflow[image]") from None
    return Image, ImageFile


def is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def is_gif(data: bytes) -> bool:
    return data[:6] in (b"GIF87a", b"GIF89a")


def is_bmp(data: bytes) -> bool:
    return data[:2] == b"BM"


# ---- JPEG ---------------------------------------------------------------------------------------------------
def _open_jpeg(data: bytes):
    image_module, _ = _pillow()
    if not is_jpeg(data):
        raise CodecError("Not a JPEG file (no SOI marker)")
    try:
        image = image_module.open(io.BytesIO(data), formats=["JPEG"])
    except Exception as e:  # noqa: BLE001 - Pillow raises many types for malformed headers
        raise CodecError(f"Invalid JPEG data: {e}") from None
    return image


def jpeg_shape(data: bytes) -> tuple[int, int, int]:
    """(height, width, components) from a JPEG's header, without decoding it."""
    image = _open_jpeg(data)
    components = {"L": 1, "RGB": 3, "CMYK": 4, "YCbCr": 3}.get(image.mode, len(image.getbands()))
    return image.size[1], image.size[0], components


def decode_jpeg(data: bytes, channels: int = 0, ratio: int = 1, dct_method: str = "",
                try_recover_truncated: bool = False, acceptable_fraction: float = 1.0) -> np.ndarray:
    """A JPEG's pixels, uint8 [height / ratio (rounded up), width / ratio, channels]."""
    if ratio not in (1, 2, 4, 8):
        raise CodecError(f"ratio must be 1, 2, 4, or 8, got {ratio}")
    _, image_file = _pillow()
    image = _open_jpeg(data)
    height, width, components = jpeg_shape(data)
    want = channels or (1 if components == 1 else 3)
    if want == 1 and image.mode != "L":
        image.draft("L", None)
    if ratio > 1:
        image.draft(image.mode, ((width + ratio - 1) // ratio, (height + ratio - 1) // ratio))
    if dct_method not in ("", "INTEGER_FAST", "INTEGER_ACCURATE"):
        raise CodecError(f"dct_method must be '', 'INTEGER_FAST' or 'INTEGER_ACCURATE', got {dct_method!r}")
    with _PILLOW_LOCK:
        image_file.LOAD_TRUNCATED_IMAGES = bool(try_recover_truncated)
        try:
            image.load()
        except (OSError, SyntaxError, ValueError) as e:
            raise CodecError(f"Invalid JPEG data or crop window: {e}") from None
        finally:
            image_file.LOAD_TRUNCATED_IMAGES = False
    if not 0 <= acceptable_fraction <= 1:
        raise CodecError(f"acceptable_fraction must be in [0, 1], got {acceptable_fraction}")
    pixels = np.asarray(image.convert("L" if want == 1 else "RGB"))
    return pixels.reshape(pixels.shape[0], pixels.shape[1], want)


def encode_jpeg(image: np.ndarray, quality: int = 95, progressive: bool = False, optimize_size: bool = False,
                chroma_downsampling: bool = True, density_unit: str = "in", x_density: int = 300,
                y_density: int = 300, xmp_metadata: bytes = b"") -> bytes:
    """A JPEG file of `image` (uint8 [height, width, 1 or 3])."""
    image_module, _ = _pillow()
    mode = "L" if image.shape[2] == 1 else "RGB"
    picture = image_module.fromarray(np.ascontiguousarray(image[:, :, 0] if mode == "L" else image), mode)
    out = io.BytesIO()
    options = dict(quality=int(quality), progressive=bool(progressive), optimize=bool(optimize_size),
                   subsampling=2 if chroma_downsampling else 0, dpi=(int(x_density), int(y_density)))
    if xmp_metadata:
        options["xmp"] = xmp_metadata
    picture.save(out, format="JPEG", **options)
    data = out.getvalue()
    if density_unit == "cm":  # JFIF's density unit byte: 1 dots per inch, 2 dots per cm
        at = data.find(b"JFIF\x00")
        if at >= 0:
            data = data[:at + 7] + b"\x02" + data[at + 8:]
    return data


# ---- GIF ------------------------------------------------------------------------------------------------------
def decode_gif(data: bytes) -> np.ndarray:
    """Every frame of a GIF, composed as a viewer shows it: uint8 [frames, height, width, 3]."""
    image_module, _ = _pillow()
    if not is_gif(data):
        raise CodecError("Not a GIF file (no GIF87a/GIF89a signature)")
    frames = []
    try:
        with image_module.open(io.BytesIO(data), formats=["GIF"]) as image:
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                frames.append(np.asarray(image.convert("RGB")))
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise CodecError(f"Invalid GIF data (size {len(data)}): {e}") from None
    return np.stack(frames)


# ---- BMP ------------------------------------------------------------------------------------------------------
def decode_bmp(data: bytes, channels: int = 0) -> np.ndarray:
    """An uncompressed 24- or 32-bit BMP's pixels, uint8 [height, width, channels] (RGB or RGBA)."""
    if not is_bmp(data) or len(data) < 54:
        raise CodecError("Not a BMP file (no 'BM' header)")
    offset = struct.unpack_from("<I", data, 10)[0]
    header_size, width, height, _, bits = struct.unpack_from("<IiiHH", data, 14)
    if header_size < 40:
        raise CodecError(f"BMP header of {header_size} bytes is not supported (a BITMAPINFOHEADER has 40)")
    if bits not in (24, 32):
        raise CodecError(f"BMP with {bits} bits per pixel is not supported: 24 or 32 only")
    if width <= 0 or height == 0 or width > 1 << 24 or abs(height) > 1 << 24:
        raise CodecError(f"BMP size {width}x{height} is not valid")
    depth = bits // 8
    stride = (width * depth + 3) // 4 * 4
    rows = abs(height)
    if offset + stride * rows > len(data):
        raise CodecError(f"BMP data holds {len(data)} bytes, too few for {width}x{rows} pixels at offset {offset}")
    pixels = np.frombuffer(data, np.uint8, stride * rows, offset).reshape(rows, stride)[:, :width * depth]
    pixels = pixels.reshape(rows, width, depth)
    if height > 0:  # rows stored bottom-up
        pixels = pixels[::-1]
    rgb = pixels[:, :, [2, 1, 0, 3][:depth]]
    want = channels or depth
    if want == depth:
        return np.ascontiguousarray(rgb)
    if want == 3:
        return np.ascontiguousarray(rgb[:, :, :3])
    if want == 4:
        return np.concatenate([rgb, np.full((rows, width, 1), 255, np.uint8)], axis=2)
    raise CodecError(f"channels must be 0, 3 or 4 for a BMP, got {channels}")
