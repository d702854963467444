"""The device-neutral scatters (core/ops/scatter_kernels.py) against numpy's own `ufunc.at`, to the bit."""

import numpy as np
import pytest

from estflow.core.ops import scatter_kernels


def _rows(n, shape, rng, dtype=np.float32):
    values = (rng.normal(size=(n,) + shape) * 10.0 ** rng.integers(-4, 5, (n,) + shape)).astype(dtype)
    values.reshape(-1)[::7] = -0.0
    return values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("shape", [(8,), (3, 2)])
@pytest.mark.parametrize("n", [5, 64, 300])
def test_scatter_add_of_rows_is_numpys_add_at(dtype, index_dtype, shape, n):
    """Rows of several values from 64 ids on take the flat route: the same sums, repeats in order."""
    rng = np.random.default_rng(n)
    index = rng.integers(0, 20, n).astype(index_dtype)
    updates = _rows(n, shape, rng, dtype)
    want = np.zeros((20,) + shape, dtype)
    np.add.at(want, index, updates)
    got = np.zeros((20,) + shape, dtype)
    scatter_kernels.scatter_add(np, got, index, updates)
    assert got.tobytes() == want.tobytes()
    direct = np.zeros((20,) + shape, dtype)
    scatter_kernels.add_rows_at(direct, index, updates)
    assert direct.tobytes() == want.tobytes()


@pytest.mark.parametrize("case", ["negative", "out_of_range", "strided", "broadcast", "2d_index"])
def test_scatter_add_outside_the_flat_routes_terms_is_numpys_add_at(case):
    rng = np.random.default_rng(1)
    index = rng.integers(0, 20, 100)
    out_shape, updates = (20, 4), _rows(100, (4,), rng)
    if case == "negative":
        index[5] = -3  # add.at wraps it: the flat route is not taken
    elif case == "out_of_range":
        index[50] = 20
    elif case == "broadcast":
        updates = updates[:1]
    elif case == "2d_index":
        index, updates = index.reshape(50, 2), updates.reshape(50, 2, 4)
    want = np.zeros(out_shape, np.float32)
    base = np.zeros((20, 8), np.float32)
    got = base[:, ::2] if case == "strided" else np.zeros(out_shape, np.float32)
    if case == "out_of_range":
        with pytest.raises(IndexError) as expected:
            np.add.at(want, index, updates)
        with pytest.raises(IndexError) as raised:
            scatter_kernels.scatter_add(np, got, index, updates)
        assert str(raised.value) == str(expected.value)
        return
    np.add.at(want, index, updates)
    scatter_kernels.scatter_add(np, got, index, updates)
    assert np.ascontiguousarray(got).tobytes() == want.tobytes()
