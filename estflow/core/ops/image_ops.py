"""Image codec ops: DecodePng, EncodePng, DecodeJpeg, DecodeAndCropJpeg, EncodeJpeg, ExtractJpegShape,
DecodeGif, DecodeBmp and DecodeImage (`tf.io.decode_png`, ..., `tf.io.decode_image`).

PNG and BMP are read (and PNG written) by estflow itself (core/png.py, core/image_codecs.py);
JPEG and GIF need Pillow (`pip install estflow[image]`). Each op takes one encoded string and
runs on the CPU; bad data raises InvalidArgumentError naming the problem when the op runs.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors, image_codecs, png
from estflow.core.graph import name_scope
from estflow.core.ops import comparison_ops, string_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import OpDef, TensorSpec, apply_op, register


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _contents(spec: TensorSpec) -> None:
    if spec.dtype != dtypes.string:
        raise TypeError(f"Input 'contents' has type {spec.dtype.name} that does not match expected type of string.")
    if spec.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {spec.shape.ndims} for 'contents'")


def _channels(channels, allowed=(0, 1, 3, 4)) -> int:
    if int(channels) not in allowed:
        raise ValueError(f"channels must be one of {', '.join(map(str, allowed))}; got {channels}")
    return int(channels)


def _image_spec(channels: int, dtype) -> TensorSpec:
    return TensorSpec([None, None, channels or None], dtype)


def _data(contents) -> bytes:
    return contents.item() if isinstance(contents, np.ndarray) else contents


def _decoded(kind: str, data: bytes, decode):
    try:
        return decode()
    except (png.PngError, image_codecs.CodecError) as e:
        raise _invalid(f"Invalid {kind} data, size {len(data)}: {e}") from None


# ---- PNG --------------------------------------------------------------------------------------------------------
def _decode_png_infer(contents, *, channels, dtype):
    _contents(contents)
    if dtypes.as_dtype(dtype) not in (dtypes.uint8, dtypes.uint16):
        raise TypeError(f"DecodePng's dtype must be uint8 or uint16, got {dtypes.as_dtype(dtype).name}")
    return _image_spec(_channels(channels), dtype)


def _decode_png_kernel(xp, contents, *, channels, dtype):
    data = _data(contents)
    return _decoded("PNG", data, lambda: png.decode(data, int(channels), dtypes.as_dtype(dtype) == dtypes.uint16))


register(OpDef("DecodePng", infer=_decode_png_infer, kernel=_decode_png_kernel,
               attrs={"channels": 0, "dtype": dtypes.uint8}, cpu_only=True, differentiable=False,
               input_names=("contents: string",), output_names=("image: dtype",),
               attr_types={"channels": "int", "dtype": "type"}))


def decode_png(contents, channels=0, dtype=dtypes.uint8, name=None):
    """A PNG's pixels, [height, width, channels] uint8 or uint16, as `tf.io.decode_png`.

    `channels` 0 keeps the file's; 1 (gray), 3 (RGB) or 4 (RGBA) convert. 16-bit files give
    uint8 by their high byte; 8-bit ones give uint16 scaled by 257.

        image = tf.io.decode_png(tf.io.read_file("cat.png"), channels=3)
    """
    return apply_op("DecodePng", convert_to_tensor(contents, dtype=dtypes.string), name=name or "DecodePng",
                    channels=int(channels), dtype=dtypes.as_dtype(dtype))


def _encode_png_infer(image, *, compression):
    if image.dtype not in (dtypes.uint8, dtypes.uint16):
        raise TypeError(f"EncodePng takes uint8 or uint16 images, got {image.dtype.name}")
    dims = image.shape.as_tuple()
    if dims is not None and (len(dims) != 3 or (dims[2] is not None and not 1 <= dims[2] <= 4)):
        raise ValueError(f"image must be 3-dimensional [height, width, 1..4 channels], got {image.shape}")
    if not -1 <= int(compression) <= 9:
        raise ValueError(f"compression should be in [-1,9], got {compression}")
    return TensorSpec([], dtypes.string)


def _encode_png_kernel(xp, image, *, compression):
    if image.ndim != 3 or not 1 <= image.shape[2] <= 4:
        raise _invalid(f"image must be 3-dimensional with 1 to 4 channels, got {list(image.shape)}")
    out = np.empty((), dtype=object)
    out[()] = png.encode(np.asarray(image), int(compression))
    return out


register(OpDef("EncodePng", infer=_encode_png_infer, kernel=_encode_png_kernel, attrs={"compression": -1},
               cpu_only=True, differentiable=False, input_names=("image: T",), output_names=("contents: string",),
               attr_types={"compression": "int", "T": "type = uint8"}))


def encode_png(image, compression=-1, name=None):
    """A PNG file of `image` ([height, width, 1..4 channels], uint8 or uint16), as `tf.io.encode_png`.

    `compression` is zlib's level, 0..9 (-1: the default).
    """
    return apply_op("EncodePng", convert_to_tensor(image, name="image"), name=name or "EncodePng",
                    compression=int(compression))


# ---- JPEG -----------------------------------------------------------------------------------------------------------
_JPEG_ATTRS = {"channels": 0, "ratio": 1, "fancy_upscaling": True, "try_recover_truncated": False,
               "acceptable_fraction": 1.0, "dct_method": ""}
_JPEG_ATTR_TYPES = {"channels": "int", "ratio": "int", "fancy_upscaling": "bool", "try_recover_truncated": "bool",
                    "acceptable_fraction": "float", "dct_method": "string"}


def _check_jpeg_attrs(channels, ratio) -> int:
    if int(ratio) not in (1, 2, 4, 8):
        raise ValueError(f"ratio must be 1, 2, 4, or 8, got {ratio}")
    return _channels(channels, (0, 1, 3))


def _decode_jpeg_infer(contents, *, channels, ratio, fancy_upscaling, try_recover_truncated, acceptable_fraction,
                       dct_method):
    _contents(contents)
    return _image_spec(_check_jpeg_attrs(channels, ratio), dtypes.uint8)


def _jpeg(data: bytes, channels, ratio, try_recover_truncated, acceptable_fraction, dct_method) -> np.ndarray:
    return _decoded("JPEG", data, lambda: image_codecs.decode_jpeg(
        data, int(channels), int(ratio), _text(dct_method), bool(try_recover_truncated), float(acceptable_fraction)))


def _decode_jpeg_kernel(xp, contents, *, channels, ratio, fancy_upscaling, try_recover_truncated,
                        acceptable_fraction, dct_method):
    return _jpeg(_data(contents), channels, ratio, try_recover_truncated, acceptable_fraction, dct_method)


register(OpDef("DecodeJpeg", infer=_decode_jpeg_infer, kernel=_decode_jpeg_kernel, attrs=dict(_JPEG_ATTRS),
               cpu_only=True, differentiable=False, input_names=("contents: string",),
               output_names=("image: uint8",), attr_types=dict(_JPEG_ATTR_TYPES)))


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    """A JPEG's pixels, uint8 [height, width, channels], as `tf.io.decode_jpeg` (needs Pillow).

    `channels` 0 keeps the file's (1 or 3), 1 gives the luma, 3 RGB; `ratio` (1, 2, 4, 8)
    downscales while decoding. Pixels may differ from TF's by a few levels (another libjpeg
    build); see core/image_codecs.py for `fancy_upscaling`, `dct_method` and truncated files.
    """
    return apply_op("DecodeJpeg", convert_to_tensor(contents, dtype=dtypes.string), name=name or "DecodeJpeg",
                    channels=int(channels), ratio=int(ratio), fancy_upscaling=bool(fancy_upscaling),
                    try_recover_truncated=bool(try_recover_truncated),
                    acceptable_fraction=float(acceptable_fraction), dct_method=dct_method)


def _decode_and_crop_infer(contents, crop_window, **attrs):
    _contents(contents)
    if crop_window.dtype != dtypes.int32:
        raise TypeError(f"Input 'crop_window' has type {crop_window.dtype.name} that does not match expected type "
                        "of int32.")
    if crop_window.shape.ndims not in (None, 1) or crop_window.shape.as_tuple() not in (None, (None,), (4,)):
        raise ValueError(f"crop_window must be a vector of 4 int32s [y, x, height, width], got {crop_window.shape}")
    return _image_spec(_check_jpeg_attrs(attrs["channels"], attrs["ratio"]), dtypes.uint8)


def _decode_and_crop_kernel(xp, contents, crop_window, *, channels, ratio, fancy_upscaling, try_recover_truncated,
                            acceptable_fraction, dct_method):
    data = _data(contents)
    image = _jpeg(data, channels, ratio, try_recover_truncated, acceptable_fraction, dct_method)
    y, x, height, width = (int(v) for v in np.asarray(crop_window).reshape(-1).tolist()) \
        if np.size(crop_window) == 4 else (None,) * 4
    if y is None or min(y, x) < 0 or height <= 0 or width <= 0 or y + height > image.shape[0] \
            or x + width > image.shape[1]:
        raise _invalid(f"Invalid JPEG data or crop window, data size {len(data)}: crop window "
                       f"{np.asarray(crop_window).tolist()} is not inside the {image.shape[0]}x{image.shape[1]} image")
    return np.ascontiguousarray(image[y:y + height, x:x + width])


register(OpDef("DecodeAndCropJpeg", infer=_decode_and_crop_infer, kernel=_decode_and_crop_kernel,
               attrs=dict(_JPEG_ATTRS), cpu_only=True, differentiable=False,
               input_names=("contents: string", "crop_window: int32"), output_names=("image: uint8",),
               attr_types=dict(_JPEG_ATTR_TYPES)))


def decode_and_crop_jpeg(contents, crop_window, channels=0, ratio=1, fancy_upscaling=True,
                         try_recover_truncated=False, acceptable_fraction=1, dct_method="", name=None):
    """`decode_jpeg` of the window `crop_window` = [y, x, height, width] only, as `tf.io.decode_and_crop_jpeg`."""
    return apply_op("DecodeAndCropJpeg", convert_to_tensor(contents, dtype=dtypes.string),
                    convert_to_tensor(crop_window, dtype=dtypes.int32, name="crop_window"),
                    name=name or "DecodeAndCropJpeg", channels=int(channels), ratio=int(ratio),
                    fancy_upscaling=bool(fancy_upscaling), try_recover_truncated=bool(try_recover_truncated),
                    acceptable_fraction=float(acceptable_fraction), dct_method=dct_method)


def _extract_shape_infer(contents, *, output_type):
    _contents(contents)
    if dtypes.as_dtype(output_type) not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"output_type must be int32 or int64, got {dtypes.as_dtype(output_type).name}")
    return TensorSpec([3], output_type)


def _extract_shape_kernel(xp, contents, *, output_type):
    data = _data(contents)
    shape = _decoded("JPEG", data, lambda: image_codecs.jpeg_shape(data))
    return np.array(shape, dtype=dtypes.as_dtype(output_type).as_numpy_dtype)


register(OpDef("ExtractJpegShape", infer=_extract_shape_infer, kernel=_extract_shape_kernel,
               attrs={"output_type": dtypes.int32}, cpu_only=True, differentiable=False,
               input_names=("contents: string",), output_names=("image_shape: output_type",),
               attr_types={"output_type": "type"}))


def extract_jpeg_shape(contents, output_type=dtypes.int32, name=None):
    """[height, width, channels] of a JPEG from its header, without decoding it, as `tf.io.extract_jpeg_shape`."""
    return apply_op("ExtractJpegShape", convert_to_tensor(contents, dtype=dtypes.string),
                    name=name or "ExtractJpegShape", output_type=dtypes.as_dtype(output_type))


_JPEG_FORMATS = {"": None, "grayscale": 1, "rgb": 3}


def _encode_jpeg_infer(image, **attrs):
    if image.dtype != dtypes.uint8:
        raise TypeError(f"Input 'image' has type {image.dtype.name} that does not match expected type of uint8.")
    dims = image.shape.as_tuple()
    if dims is not None and (len(dims) != 3 or dims[2] not in (None, 1, 3)):
        raise ValueError(f"image must be 3-dimensional [height, width, 1 or 3 channels], got {image.shape}")
    if _text(attrs["format"]) not in _JPEG_FORMATS:
        raise ValueError(f"format must be '', 'grayscale' or 'rgb', got {_text(attrs['format'])!r}")
    if _text(attrs["density_unit"]) not in ("in", "cm"):
        raise ValueError(f"density_unit must be 'in' or 'cm', got {_text(attrs['density_unit'])!r}")
    if not 0 <= int(attrs["quality"]) <= 100:
        raise ValueError(f"quality must be in [0,100], got {attrs['quality']}")
    return TensorSpec([], dtypes.string)


def _encode_jpeg_kernel(xp, image, *, format, quality, progressive, optimize_size, chroma_downsampling,  # noqa: A002
                        density_unit, x_density, y_density, xmp_metadata):
    want = _JPEG_FORMATS[_text(format)]
    if image.ndim != 3 or image.shape[2] not in (1, 3) or (want is not None and image.shape[2] != want):
        raise _invalid(f"image must be 3-dimensional with {want or '1 or 3'} channels, got {list(image.shape)}")
    out = np.empty((), dtype=object)
    metadata = xmp_metadata if isinstance(xmp_metadata, bytes) else str(xmp_metadata).encode("utf-8")
    out[()] = image_codecs.encode_jpeg(np.asarray(image), int(quality), bool(progressive), bool(optimize_size),
                                       bool(chroma_downsampling), _text(density_unit), int(x_density),
                                       int(y_density), metadata)
    return out


register(OpDef(
    "EncodeJpeg", infer=_encode_jpeg_infer, kernel=_encode_jpeg_kernel,
    attrs={"format": "", "quality": 95, "progressive": False, "optimize_size": False, "chroma_downsampling": True,
           "density_unit": "in", "x_density": 300, "y_density": 300, "xmp_metadata": ""},
    cpu_only=True, differentiable=False, input_names=("image: uint8",), output_names=("contents: string",),
    attr_types={"format": "string", "quality": "int", "progressive": "bool", "optimize_size": "bool",
                "chroma_downsampling": "bool", "density_unit": "string", "x_density": "int", "y_density": "int",
                "xmp_metadata": "string"},
))


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,  # noqa: A002 - TF's name
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300, xmp_metadata="",
                name=None):
    """A JPEG file of a uint8 [height, width, 1 or 3] image, as `tf.io.encode_jpeg` (needs Pillow).

    `format` "grayscale" or "rgb" requires 1 or 3 channels ("": either); `quality` 0..100;
    `chroma_downsampling` halves the chroma resolution (4:2:0); the density goes in the JFIF header.
    """
    return apply_op("EncodeJpeg", convert_to_tensor(image, dtype=dtypes.uint8, name="image"),
                    name=name or "EncodeJpeg", format=format, quality=int(quality), progressive=bool(progressive),
                    optimize_size=bool(optimize_size), chroma_downsampling=bool(chroma_downsampling),
                    density_unit=density_unit, x_density=int(x_density), y_density=int(y_density),
                    xmp_metadata=xmp_metadata)


def is_jpeg(contents, name=None):
    """Whether `contents` starts like a JPEG file (its SOI marker), as `tf.io.is_jpeg`: a bool scalar."""
    with name_scope(name, "is_jpeg", [contents]):
        substr = string_ops.substr(contents, 0, 3)
        return comparison_ops.equal(substr, b"\xff\xd8\xff", name=name)


# ---- GIF and BMP -----------------------------------------------------------------------------------------------------
def _decode_gif_infer(contents):
    _contents(contents)
    return TensorSpec([None, None, None, 3], dtypes.uint8)


def _decode_gif_kernel(xp, contents):
    data = _data(contents)
    return _decoded("GIF", data, lambda: image_codecs.decode_gif(data))


register(OpDef("DecodeGif", infer=_decode_gif_infer, kernel=_decode_gif_kernel, cpu_only=True,
               differentiable=False, input_names=("contents: string",), output_names=("image: uint8",)))


def decode_gif(contents, name=None):
    """Every frame of a GIF, uint8 [frames, height, width, 3], as `tf.io.decode_gif` (needs Pillow)."""
    return apply_op("DecodeGif", convert_to_tensor(contents, dtype=dtypes.string), name=name or "DecodeGif")


def _decode_bmp_infer(contents, *, channels):
    _contents(contents)
    return _image_spec(_channels(channels, (0, 3, 4)), dtypes.uint8)


def _decode_bmp_kernel(xp, contents, *, channels):
    data = _data(contents)
    return _decoded("BMP", data, lambda: image_codecs.decode_bmp(data, int(channels)))


register(OpDef("DecodeBmp", infer=_decode_bmp_infer, kernel=_decode_bmp_kernel, attrs={"channels": 0},
               cpu_only=True, differentiable=False, input_names=("contents: string",), output_names=("image: uint8",),
               attr_types={"channels": "int"}))


def decode_bmp(contents, channels=0, name=None):
    """An uncompressed 24- or 32-bit BMP's pixels, uint8 [height, width, channels 3 or 4], as `tf.io.decode_bmp`."""
    return apply_op("DecodeBmp", convert_to_tensor(contents, dtype=dtypes.string), name=name or "DecodeBmp",
                    channels=int(channels))


# ---- DecodeImage ---------------------------------------------------------------------------------------------------
def _decode_image_infer(contents, *, channels, dtype, expand_animations):
    _contents(contents)
    if dtypes.as_dtype(dtype) not in (dtypes.uint8, dtypes.uint16, dtypes.float32):
        raise TypeError(f"DecodeImage's dtype must be uint8, uint16 or float32, got {dtypes.as_dtype(dtype).name}")
    spec = _image_spec(_channels(channels), dtype)
    return TensorSpec(None, dtype) if expand_animations else spec


def _sniffed(data: bytes, channels: int, expand_animations: bool, sixteen_bit: bool | None) -> np.ndarray:
    if png.is_png(data):
        return _decoded("PNG", data, lambda: png.decode(data, channels, sixteen_bit))
    if image_codecs.is_jpeg(data):
        return _jpeg(data, channels, 1, False, 1.0, "")
    if image_codecs.is_gif(data):
        if channels not in (0, 3):
            raise _invalid(f"channels must be 0 or 3 for GIF, got {channels}")
        frames = _decoded("GIF", data, lambda: image_codecs.decode_gif(data))
        return frames if expand_animations else frames[0]
    if image_codecs.is_bmp(data):
        if channels == 1:
            raise _invalid("channels must be 0, 3 or 4 for BMP, got 1")
        return _decoded("BMP", data, lambda: image_codecs.decode_bmp(data, channels))
    raise _invalid("Unknown image file format. One of JPEG, PNG, GIF, BMP required.")


def _decode_image_kernel(xp, contents, *, channels, dtype, expand_animations):
    want = dtypes.as_dtype(dtype)
    sixteen_bit = want in (dtypes.uint16, dtypes.float32)  # TF: a PNG's float32 pixels come from 16-bit ones
    image = _sniffed(_data(contents), int(channels), bool(expand_animations), sixteen_bit)
    if want == dtypes.uint16 and image.dtype == np.uint8:
        return image.astype(np.uint16) * 257
    if want == dtypes.uint8 and image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    if want == dtypes.float32:
        return image.astype(np.float32) * np.float32(1 / (65535 if image.dtype == np.uint16 else 255))
    return image


register(OpDef("DecodeImage", infer=_decode_image_infer, kernel=_decode_image_kernel,
               attrs={"channels": 0, "dtype": dtypes.uint8, "expand_animations": True}, cpu_only=True,
               differentiable=False, input_names=("contents: string",), output_names=("image: dtype",),
               attr_types={"channels": "int", "dtype": "type", "expand_animations": "bool"}))


def decode_image(contents, channels=None, dtype=dtypes.uint8, name=None, expand_animations=True):
    """Any of PNG, JPEG, GIF or BMP, told apart by its first bytes, as `tf.io.decode_image`.

    Gives [height, width, channels], or [frames, height, width, 3] for a GIF when
    `expand_animations` (else its first frame); `dtype` float32 scales to [0, 1].
    """
    return apply_op("DecodeImage", convert_to_tensor(contents, dtype=dtypes.string), name=name or "decode_image",
                    channels=int(channels or 0), dtype=dtypes.as_dtype(dtype),
                    expand_animations=bool(expand_animations))
