"""PNG files read and written with zlib and numpy, as TF's DecodePng / EncodePng (libpng) see them.

Reading treats the bytes as untrusted: every chunk's length and CRC is checked, the header's
fields are validated, the image data is inflated only up to the size the header implies
(a zlib stream that would inflate further is refused, one that inflates less is truncated), so
nothing is allocated that the data does not fill. Problems raise `PngError` naming them.

Decoded pixels follow libpng's transformations as TF requests them: palettes and tRNS expand
to RGB(A), 1/2/4-bit gray scales to 8 bits, 16-bit samples keep their high byte for uint8
output and 8-bit ones scale by 257 for uint16, gray becomes RGB by copying, RGB becomes gray
with libpng's default weights (6968, 23434, 2366)/32768, and a missing alpha is opaque.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BIT_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_MAX_DIMENSION = 1 << 24  # per side: libpng's default user limit is 1,000,000; TF refuses above 2^24 too
# Adam7 passes: (first row, first column, row step, column step)
_ADAM7 = ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2), (1, 0, 2, 1))


class PngError(ValueError):
    """The bytes are not a PNG this reader can decode; the message says why."""


def is_png(data: bytes) -> bool:
    return data[:8] == SIGNATURE


# ---- reading ------------------------------------------------------------------------------------------------
def _chunks(data: bytes):
    at = len(SIGNATURE)
    while at < len(data):
        if at + 8 > len(data):
            raise PngError("PNG chunk header is truncated")
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        end = at + 8 + length
        if length > 0x7FFFFFFF or end + 4 > len(data):
            raise PngError(f"PNG chunk {kind!r} claims {length} bytes, past the end of the data")
        body = data[at + 8:end]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[end:end + 4])[0]:
            raise PngError(f"PNG chunk {kind!r} has a bad CRC")
        yield kind, body
        if kind == b"IEND":
            return
        at = end + 4
    raise PngError("PNG data ends before its IEND chunk")


class _Header:
    def __init__(self, body: bytes):
        if len(body) != 13:
            raise PngError(f"PNG IHDR chunk has {len(body)} bytes, not 13")
        (self.width, self.height, self.bit_depth, self.color_type, compression, filtering,
         self.interlace) = struct.unpack(">IIBBBBB", body)
        if not (0 < self.width <= _MAX_DIMENSION and 0 < self.height <= _MAX_DIMENSION):
            raise PngError(f"PNG size {self.width}x{self.height} is not in 1..{_MAX_DIMENSION} per side")
        if self.bit_depth not in _BIT_DEPTHS.get(self.color_type, ()):
            raise PngError(f"PNG color type {self.color_type} with bit depth {self.bit_depth} is not valid")
        if compression or filtering or self.interlace not in (0, 1):
            raise PngError("PNG header names an unknown compression, filter or interlace method")
        self.samples = _SAMPLES[self.color_type]

    def row_bytes(self, width: int) -> int:
        return (width * self.samples * self.bit_depth + 7) // 8

    def pass_sizes(self):
        if not self.interlace:
            return [(self.height, self.width)]
        return [((self.height - r + rs - 1) // rs if self.height > r else 0,
                 (self.width - c + cs - 1) // cs if self.width > c else 0) for r, c, rs, cs in _ADAM7]


def _inflate(compressed: bytes, size: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, size)
    except zlib.error as e:
        raise PngError(f"PNG image data is corrupt: {e}") from None
    if len(raw) < size:
        raise PngError(f"PNG image data is truncated: {len(raw)} of {size} bytes")
    if inflater.unconsumed_tail and inflater.decompress(inflater.unconsumed_tail, 1):
        raise PngError("PNG image data holds more than its header's size")
    return raw


def _unfilter(raw: bytes, rows: int, stride: int, bpp: int) -> np.ndarray:
    """The filtered scanlines of one pass (each led by its filter type byte), unfiltered."""
    out = np.zeros((rows, stride), dtype=np.uint8)
    previous = bytearray(stride)
    for y in range(rows):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((np.frombuffer(line, np.uint8) + np.frombuffer(previous, np.uint8)).tobytes())
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise PngError(f"PNG row {y} has an unknown filter type {kind}")
        out[y] = np.frombuffer(line, np.uint8)
        previous = line
    return out


def _samples(rows: np.ndarray, header: _Header, width: int) -> np.ndarray:
    """Unfiltered rows as samples [rows, width, samples] (uint8 or uint16, bit depths < 8 unpacked)."""
    depth, count = header.bit_depth, width * header.samples
    if depth == 16:
        return rows.view(">u2").astype(np.uint16).reshape(len(rows), width, header.samples)
    if depth == 8:
        return rows.reshape(len(rows), width, header.samples)
    bits = np.unpackbits(rows, axis=1).reshape(len(rows), -1, depth)
    values = np.zeros(bits.shape[:2], dtype=np.uint8)
    for k in range(depth):
        values = (values << 1) | bits[:, :, k]
    return values[:, :count].reshape(len(rows), width, header.samples)


def _pixels(header: _Header, raw: bytes) -> np.ndarray:
    bpp = max(1, header.samples * header.bit_depth // 8)
    dtype = np.uint16 if header.bit_depth == 16 else np.uint8
    image = np.zeros((header.height, header.width, header.samples), dtype=dtype)
    at = 0
    passes = _ADAM7 if header.interlace else ((0, 0, 1, 1),)
    for (rows, width), (r, c, rs, cs) in zip(header.pass_sizes(), passes, strict=True):
        if rows == 0 or width == 0:
            continue
        stride = header.row_bytes(width)
        block = _unfilter(raw[at:at + rows * (stride + 1)], rows, stride, bpp)
        at += rows * (stride + 1)
        image[r::rs, c::cs] = _samples(block, header, width)
    return image


def _expand(header: _Header, image: np.ndarray, palette: bytes | None, transparency: bytes | None) -> np.ndarray:
    """Palette, low bit depths and tRNS expanded, as libpng's png_set_expand does."""
    color, depth = header.color_type, header.bit_depth
    if color == 3:
        if palette is None:
            raise PngError("PNG with a palette color type has no PLTE chunk")
        entries = len(palette) // 3
        table = np.zeros((256, 4), dtype=np.uint8)
        table[:entries, :3] = np.frombuffer(palette[:entries * 3], np.uint8).reshape(entries, 3)
        table[:, 3] = 255
        if transparency is not None:
            alpha = np.frombuffer(transparency[:entries], np.uint8)
            table[:len(alpha), 3] = alpha
        index = image[:, :, 0]
        if int(index.max(initial=0)) >= entries:
            raise PngError(f"PNG pixel uses palette entry {int(index.max())} of {entries}")
        return table[index] if transparency is not None else table[index][:, :, :3]
    if color == 0 and depth < 8:
        image = (image.astype(np.uint16) * 255 // ((1 << depth) - 1)).astype(np.uint8)
    if transparency is not None and color in (0, 2):
        key = np.array(struct.unpack(f">{len(transparency) // 2}H", transparency), dtype=np.uint32)
        if depth < 8:
            key = key * 255 // ((1 << depth) - 1)
        if len(key) != header.samples:
            raise PngError("PNG tRNS chunk does not match the color type")
        top = 65535 if depth == 16 else 255
        opaque = np.any(image != key.astype(image.dtype), axis=2, keepdims=True)
        image = np.concatenate([image, (opaque * top).astype(image.dtype)], axis=2)
    return image


def _to_channels(image: np.ndarray, channels: int, bit_depth: int) -> np.ndarray:
    """`image` (at the file's sample depth) with `channels` channels, as libpng's transformations give it."""
    have = image.shape[2]
    if channels == have:
        return image
    color, alpha = (image[:, :, :3], image[:, :, 3:]) if have >= 3 else (image[:, :, :1], image[:, :, 1:])
    if channels in (1, 2) and color.shape[2] == 3:
        # libpng's png_set_rgb_to_gray with TF's weights 0.299 and 0.587 in 1/32768ths: 8-bit samples
        # truncate, 16-bit ones round.
        mixed = color.astype(np.int64) @ np.array([9797, 19234, 3737], np.int64)
        color = ((mixed + (16384 if image.dtype == np.uint16 else 0)) >> 15).astype(image.dtype)[:, :, None]
    elif channels in (3, 4) and color.shape[2] == 1:
        color = np.repeat(color, 3, axis=2)
    if channels in (1, 3):
        return np.ascontiguousarray(color)
    if alpha.shape[2] == 0:
        # libpng's filler is masked to the file's bit depth: 1-bit gray gets an alpha of 1, as TF returns it
        top = 65535 if image.dtype == np.uint16 else (1 << min(bit_depth, 8)) - 1
        alpha = np.full(color.shape[:2] + (1,), top, dtype=image.dtype)
    return np.concatenate([color, alpha], axis=2)


def decode(data: bytes, channels: int = 0, sixteen_bit: bool | None = False) -> np.ndarray:
    """The pixels of a PNG file, [height, width, channels]: uint16 if `sixteen_bit` else uint8
    (None: the file's own sample depth).

    `channels`: 0 keeps the file's (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; a palette gives RGB, or
    RGBA with a tRNS chunk); 1, 3 or 4 convert (a tRNS chunk then gives the alpha channel).
    """
    if not is_png(data):
        raise PngError("The data is not a PNG image (bad signature)")
    header = palette = transparency = None
    idat = []
    for kind, body in _chunks(data):
        if header is None:
            if kind != b"IHDR":
                raise PngError(f"PNG's first chunk is {kind!r}, not IHDR")
            header = _Header(body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"tRNS":
            transparency = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IHDR" or (kind[:1].isupper() and kind != b"IEND"):
            raise PngError(f"PNG has an unexpected critical chunk {kind!r}")
    if header is None or not idat:
        raise PngError("PNG has no IHDR or no IDAT chunk")
    size = sum(rows * (header.row_bytes(width) + 1) for rows, width in header.pass_sizes() if rows and width)
    image = _expand(header, _pixels(header, _inflate(b"".join(idat), size)), palette, transparency)
    native = (4 if transparency is not None else 3) if header.color_type == 3 else header.samples
    image = _to_channels(image, channels or native, header.bit_depth)
    if sixteen_bit and image.dtype == np.uint8:
        return image.astype(np.uint16) * 257
    if sixteen_bit is False and image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    return image


# ---- writing ------------------------------------------------------------------------------------------------
def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _filtered(rows: np.ndarray, bpp: int) -> np.ndarray:
    """Each row with the filter libpng's heuristic picks (least sum of absolute differences), led by its type."""
    x = rows.astype(np.int16)
    left = np.zeros_like(x)
    left[:, bpp:] = x[:, :-bpp]
    up = np.zeros_like(x)
    up[1:] = x[:-1]
    up_left = np.zeros_like(x)
    up_left[1:, bpp:] = x[:-1, :-bpp]
    p = left + up - up_left
    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - up_left)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))
    candidates = np.stack([x, x - left, x - up, x - (left + up) // 2, x - paeth]) & 0xFF
    signed = np.where(candidates > 127, 256 - candidates, candidates).sum(axis=2)
    best = np.argmin(signed, axis=0)
    chosen = candidates[best, np.arange(len(rows))].astype(np.uint8)
    return np.concatenate([best.astype(np.uint8)[:, None], chosen], axis=1)


def encode(image: np.ndarray, compression: int = -1) -> bytes:
    """A PNG file of `image` [height, width, channels 1..4], uint8 or uint16 (8- or 16-bit samples)."""
    height, width, channels = image.shape
    depth = 16 if image.dtype == np.uint16 else 8
    color = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.ascontiguousarray(image.astype(">u2") if depth == 16 else image).view(np.uint8).reshape(height, -1)
    data = _filtered(rows, channels * depth // 8).tobytes() if height and width else b""
    level = 6 if compression < 0 else min(int(compression), 9)
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(data, level)) + _chunk(b"IEND", b"")
