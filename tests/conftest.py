"""Fixtures shared by the whole suite."""

import pytest

from estflow.core import devices
from tests.core import cupy_standin

_REAL_CUPY = devices.cupy_module()  # checked once: cupy installed and a GPU visible


@pytest.fixture(params=["standin", pytest.param("cupy", marks=pytest.mark.gpu)])
def gpu(request, monkeypatch):
    """The array module behind '/gpu:0' for one test.

    `standin`: the strict numpy-backed stand-in for cupy (tests/core/cupy_standin.py), so
    every GPU test also runs in CI without a GPU; `cupy`: real cupy, skipped without it.
    """
    if request.param == "cupy":
        if _REAL_CUPY is None:
            pytest.skip("needs cupy and a CUDA GPU")
        return _REAL_CUPY
    return cupy_standin.install(monkeypatch)
