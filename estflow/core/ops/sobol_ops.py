"""The Sobol low-discrepancy sequence: TF's SobolSample op and `tf.math.sobol_sample`.

Points are TF's: Joe and Kuo's direction numbers (new-joe-kuo-6.21201), 32-bit Gray-code
order, the zero point left out (the first sample is 0.5 in every dimension), `skip` more
points skipped. estflow carries the direction numbers of the first 40 dimensions (TF's go up
to 21200); a larger `dim` raises InvalidArgumentError saying so.
"""

from __future__ import annotations

from estflow.core import dtypes, errors
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.math_ops import _check_dtype, _scope
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

# Joe & Kuo (2008), new-joe-kuo-6.21201: dimension, degree s, polynomial a, initial m_1..m_s.
_JOE_KUO = """
2 1 0 1
3 2 1 1 3
4 3 1 1 3 1
5 3 2 1 1 1
6 4 1 1 1 3 3
7 4 4 1 3 5 13
8 5 2 1 1 5 5 17
9 5 4 1 1 5 5 5
10 5 7 1 1 7 11 19
11 5 11 1 1 5 1 1
12 5 13 1 1 1 3 11
13 5 14 1 3 5 5 31
14 6 1 1 3 3 9 7 49
15 6 13 1 1 1 15 21 21
16 6 16 1 3 1 13 27 49
17 6 19 1 1 1 15 7 5
18 6 22 1 3 1 15 13 25
19 6 25 1 1 5 5 19 61
20 7 1 1 3 7 11 23 15 103
21 7 4 1 3 7 13 13 15 69
22 7 7 1 1 3 13 7 35 63
23 7 8 1 3 5 9 1 25 53
24 7 14 1 3 1 13 9 35 107
25 7 19 1 3 1 5 27 61 31
26 7 21 1 1 5 11 19 41 61
27 7 28 1 3 5 3 3 13 69
28 7 31 1 1 7 13 1 19 1
29 7 32 1 3 7 5 13 19 59
30 7 37 1 1 3 9 25 29 41
31 7 41 1 3 5 13 23 1 55
32 7 42 1 3 7 3 13 59 17
33 7 50 1 3 1 3 5 53 69
34 7 55 1 1 5 5 23 33 13
35 7 56 1 1 7 7 1 61 123
36 7 59 1 1 7 9 13 61 49
37 7 62 1 3 3 5 3 55 33
38 8 14 1 3 1 15 31 13 49 245
39 8 21 1 3 5 15 31 59 63 97
40 8 22 1 3 1 11 11 11 77 249
"""
_BITS = 32
_TF_MAX_DIM = 21200


def _direction_numbers(degree: int, polynomial: int, initial: list[int]) -> list[int]:
    """v_1..v_32 of one dimension as 32-bit integers: m_k by Bratley and Fox's recurrence, shifted."""
    m = list(initial)
    for k in range(degree, _BITS):
        new = m[k - degree] ^ (m[k - degree] << degree)
        for i in range(1, degree):
            if (polynomial >> (degree - 1 - i)) & 1:
                new ^= m[k - i] << i
        m.append(new)
    return [m[k] << (_BITS - 1 - k) for k in range(_BITS)]


def _table() -> list[list[int]]:
    rows = [[1 << (_BITS - 1 - k) for k in range(_BITS)]]  # the first dimension: van der Corput
    for line in _JOE_KUO.split("\n"):
        if line:
            _, degree, polynomial, *initial = (int(v) for v in line.split())
            rows.append(_direction_numbers(degree, polynomial, initial))
    return rows


_DIRECTIONS = _table()  # [dimension][bit]
MAX_DIM = len(_DIRECTIONS)


def _sobol_infer(dim, num_results, skip, *, dtype):
    for spec in (dim, num_results, skip):
        if spec.shape.ndims not in (None, 0):
            raise ValueError(f"Shape must be rank 0 but is rank {spec.shape.ndims}")
    _check_dtype(TensorSpec(TensorShape([]), dtype), (dtypes.float32, dtypes.float64), "dtype")
    rows = None if num_results.value is None else int(num_results.value)
    columns = None if dim.value is None else int(dim.value)
    return TensorSpec(TensorShape([rows, columns]), dtype)


def _sobol_kernel(xp, dim, num_results, skip, dtype):
    dim, num_results, skip = int(dim), int(num_results), int(skip)
    for ok, message in ((dim >= 1, "dim must be at least one"),
                        (num_results >= 1, "num_results must be at least one"),
                        (skip >= 0, "skip must be non-negative"),
                        (dim <= _TF_MAX_DIM, f"dim must be at most {_TF_MAX_DIM}")):
        if not ok:
            raise errors.InvalidArgumentError(None, None, message)
    if dim > MAX_DIM:
        raise errors.UnimplementedError(None, None, f"estflow's Sobol sequence has direction numbers for dim <= "
                                                    f"{MAX_DIM}, got dim = {dim}")
    directions = xp.asarray([row for row in _DIRECTIONS[:dim]], dtype=xp.uint64).T  # (bits, dim)
    index = xp.arange(skip + 1, skip + 1 + num_results, dtype=xp.uint64)
    gray = index ^ (index >> xp.uint64(1))
    points = xp.zeros((num_results, dim), dtype=xp.uint64)
    for k in range(_BITS):
        bit = (gray >> xp.uint64(k)) & xp.uint64(1)
        points ^= bit[:, None] * directions[k][None, :]
    return (points.astype(xp.float64) * 2.0 ** -_BITS).astype(dtype.as_numpy_dtype)


register(OpDef("SobolSample", infer=_sobol_infer, kernel=_sobol_kernel, grad=None, differentiable=False,
               attrs={"dtype": dtypes.float32},
               input_names=("dim: int32", "num_results: int32", "skip: int32"), output_names=("samples: dtype",),
               attr_types={"dtype": "type"}))


def sobol_sample(dim, num_results, skip=0, dtype=dtypes.float32, name=None):
    """`num_results` points of the `dim`-dimensional Sobol sequence in [0, 1), after skipping `skip`
    (and the zero point), as `tf.math.sobol_sample`.

        tf.math.sobol_sample(2, 3)   # [[0.5, 0.5], [0.75, 0.25], [0.25, 0.75]]
    """
    with _scope(name, "sobol", [dim, num_results, skip]):
        return apply_op("SobolSample", convert_to_tensor(dim, dtype=dtypes.int32, name="dim"),
                        convert_to_tensor(num_results, dtype=dtypes.int32, name="num_results"),
                        convert_to_tensor(skip, dtype=dtypes.int32, name="skip"), name="SobolSample",
                        dtype=dtypes.as_dtype(dtype))
