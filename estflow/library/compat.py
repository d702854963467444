"""Text and bytes conversions of `tf.compat` (`as_bytes`, `as_text`, `as_str`), its type groups and `path_to_str`."""

from __future__ import annotations

import numbers
import os

import numpy as np


def as_bytes(bytes_or_text, encoding="utf-8") -> bytes:
    """`bytes_or_text` as bytes (str is encoded); TypeError for anything else."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8") -> str:
    """`bytes_or_text` as str (bytes are decoded); TypeError for anything else."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, (bytes, bytearray)):
        return bytes(bytes_or_text).decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value) -> str:
    return as_text(value) if isinstance(value, (bytes, bytearray)) else str(value)


# The type groups `tf.compat` names, as TF defines them (numpy scalar types count).
bytes_or_text_types = (bytes, str)
integral_types = (numbers.Integral, np.integer)
real_types = (numbers.Real, np.integer, np.floating)
complex_types = (numbers.Complex, np.number)


def path_to_str(path):
    """A path-like object as its string (os.fspath); anything else unchanged, as `tf.compat.path_to_str`."""
    return os.fspath(path) if hasattr(path, "__fspath__") else path
