"""The checkpoint keys of tensor slices, as TF's `checkpoint::EncodeTensorNameSlice` writes them.

A V2 bundle stores a partitioned variable `w` as an entry `w` (full shape, `slices` listing each
part's extents) plus one data entry per slice under an OrderedCode key: 0, the name, the rank,
then each dimension's start and length (-1: the whole dimension). Readers assemble the full
tensor from the slices.
"""

from __future__ import annotations

# OrderedCode's header bits for a signed number encoded in `len` bytes (tensorflow/core/lib/strings/ordered_code.cc).
_HEADER_BITS = ((0, 0), (0x80, 0), (0xC0, 0), (0xE0, 0), (0xF0, 0), (0xF8, 0), (0xFC, 0), (0xFE, 0), (0xFF, 0),
                (0xFF, 0x80), (0xFF, 0xC0))


def _num_increasing(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    return bytes([len(body)]) + body


def _signed_num_increasing(value: int) -> bytes:
    x = ~value if value < 0 else value
    if x < 64:
        return bytes([(0x80 ^ value) & 0xFF])
    length = (x.bit_length() + 1 + 6) // 7  # 7 bits a byte, one of them the sign
    raw = bytearray(value.to_bytes(10, "big", signed=True))[10 - length:]
    raw[0] ^= _HEADER_BITS[length][0]
    raw[1] ^= _HEADER_BITS[length][1]
    return bytes(raw)


def _string(value: bytes) -> bytes:
    return value.replace(b"\xff", b"\xff\x00").replace(b"\x00", b"\x00\xff") + b"\x00\x01"


def slice_key(name: str, extents) -> bytes:
    """The data key of the slice of `name` with `extents` [(start, length or -1 for all), ...]."""
    out = _num_increasing(0) + _string(name.encode("utf-8")) + _num_increasing(len(extents))
    for start, length in extents:
        out += _signed_num_increasing(int(start)) + _signed_num_increasing(int(length))
    return out


def extents_of(slice_proto) -> list[tuple[int, int]]:
    """[(start, length)] of a TensorSliceProto; an extent without a length is the whole dimension (-1)."""
    return [(e.start, e.length if e.HasField("length") else -1) for e in slice_proto.extent]
