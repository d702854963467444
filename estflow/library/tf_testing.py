"""`tf.test` as TF1 has it: `TestCase` with sessions, array assertions and temp dirs; `main`; GPU queries.

`TestCase` is absl's `absltest.TestCase` (as TF1's is) with TF1's additions: each test starts
on a fresh default graph whose graph-level seed is `DEFAULT_GRAPH_SEED` (Python's and numpy's
global seeds set to it too), `session()` / `cached_session()` / `test_session()` open
sessions that are the default while the `with` block runs (pinned to the CPU unless
`use_gpu` or `force_gpu`), `evaluate()` runs tensors in the default session (or the cached
one), and the assertions compare tensors (evaluated), arrays and nested structures.
"""

from __future__ import annotations

import atexit
import collections.abc
import contextlib
import math
import os
import random
import re
import shutil
import tempfile

import numpy as np
from absl.testing import absltest

from estflow.core import devices
from estflow.core import graph as graph_module
from estflow.core.default_session import get_default_session
from estflow.core.errors import OpError
from estflow.core.graph import Tensor
from estflow.core.random_seed import DEFAULT_GRAPH_SEED, set_random_seed
from estflow.core.session import Session

__all__ = ["TestCase", "main", "get_temp_dir", "is_gpu_available", "is_built_with_cuda",
           "is_built_with_gpu_support", "is_built_with_rocm", "is_built_with_xla", "gpu_device_name"]

_process_temp_dir: str | None = None


def get_temp_dir() -> str:
    """A directory for this process's tests (under $TEST_TMPDIR when set), removed when the process exits."""
    global _process_temp_dir
    if _process_temp_dir is None:
        parent = os.environ.get("TEST_TMPDIR") or None
        _process_temp_dir = tempfile.mkdtemp(prefix="estflow_test_", dir=parent)
        atexit.register(shutil.rmtree, _process_temp_dir, True)
    return _process_temp_dir


def main(argv=None):
    """Run the tests of `__main__` (absl's test runner, as TF1's `tf.test.main`) and exit."""
    return absltest.main(argv=argv) if argv is not None else absltest.main()


def is_built_with_cuda() -> bool:
    """Whether this estflow can run on CUDA GPUs: cupy is installed (estflow's GPU backend)."""
    import importlib.util  # only for this query
    return importlib.util.find_spec("cupy") is not None


def is_built_with_gpu_support() -> bool:
    return is_built_with_cuda()


def is_built_with_rocm() -> bool:
    return False


def is_built_with_xla() -> bool:
    return False


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None) -> bool:
    """Whether a GPU is there to run on (cupy sees a device); `min_cuda_compute_capability` is `(major, minor)`.

    `cuda_only` changes nothing: estflow's only GPUs are CUDA devices.
    """
    del cuda_only  # estflow's only GPUs are CUDA's
    cp = devices.cupy_module()
    if cp is None:
        return False
    if min_cuda_compute_capability is None:
        return True
    for index in range(cp.cuda.runtime.getDeviceCount()):
        capability = cp.cuda.Device(index).compute_capability  # "86" for 8.6
        if (int(capability[:-1]), int(capability[-1])) >= tuple(min_cuda_compute_capability):
            return True
    return False


def gpu_device_name() -> str:
    """'/device:GPU:0' when a GPU is available, else ''."""
    return "/device:GPU:0" if is_gpu_available() else ""


def _path_str(path) -> str:
    return "[" + "][".join(str(p) for p in path) + "]" if path else ""


class TestCase(absltest.TestCase):
    """TF1's `tf.test.TestCase`."""

    def __init__(self, methodName="runTest"):  # noqa: N803 - unittest's name
        super().__init__(methodName)
        self._cached_session = None
        self._cached_args = None
        self._tempdir = None

    def setUp(self):
        super().setUp()
        self._clear_cached_session()
        random.seed(DEFAULT_GRAPH_SEED)
        np.random.seed(DEFAULT_GRAPH_SEED)
        graph_module._state.stack.clear()  # a test that failed inside `with g.as_default()` may leave one open
        graph_module.reset_default_graph()
        set_random_seed(DEFAULT_GRAPH_SEED)

    def tearDown(self):
        self._clear_cached_session()
        super().tearDown()

    # ---- temp dirs ----------------------------------------------------------------------------
    def get_temp_dir(self) -> str:
        """A fresh directory for this test, inside the process's `tf.test.get_temp_dir()`."""
        if self._tempdir is None:
            self._tempdir = tempfile.mkdtemp(dir=get_temp_dir())
        return self._tempdir

    # ---- sessions -----------------------------------------------------------------------------
    def _clear_cached_session(self):
        if self._cached_session is not None:
            self._cached_session.close()
            self._cached_session = None
            self._cached_args = None

    @contextlib.contextmanager
    def _as_default_on_device(self, sess, use_gpu, force_gpu):
        with sess.graph.as_default(), sess.as_default():
            if force_gpu:
                with sess.graph.device(gpu_device_name() or "/device:GPU:0"):
                    yield sess
            elif use_gpu:
                yield sess
            else:
                with sess.graph.device("/device:CPU:0"):
                    yield sess

    @contextlib.contextmanager
    def session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        """A new Session on `graph` (default: the default graph), the default session in the block; closed after."""
        with Session(graph=graph, config=config) as sess:
            with self._as_default_on_device(sess, use_gpu, force_gpu):
                yield sess

    def _get_cached_session(self, graph, config, force_gpu, strict):
        if self._cached_session is None:
            self._cached_session = Session(graph=graph, config=config)
            self._cached_args = (graph, config, force_gpu)
        elif strict:
            cached_graph, cached_config, cached_force_gpu = self._cached_args
            if cached_graph is not graph:
                raise ValueError("The graph used to get the cached session is different than the one that was "
                                 "used to create the session. Maybe create a new session with self.session()")
            if cached_config is not config:
                raise ValueError("The config used to get the cached session is different than the one that was "
                                 "used to create the session. Maybe create a new session with self.session()")
            if cached_force_gpu != force_gpu:
                raise ValueError("The force_gpu value used to get the cached session is different than the one "
                                 "that was used to create the session. Maybe create a new session with "
                                 "self.session()")
        return self._cached_session

    @contextlib.contextmanager
    def cached_session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        """The test's one Session, made on first use and closed at tearDown; the default session in the block.

        Asking again with another graph, config or force_gpu raises ValueError, as TF1's does.
        """
        sess = self._get_cached_session(graph, config, force_gpu, strict=True)
        with self._as_default_on_device(sess, use_gpu, force_gpu):
            yield sess

    def test_session(self, graph=None, config=None, use_gpu=False, force_gpu=False):
        """TF1's older `cached_session` (deprecated there): with a `graph`, a new session as `session()`."""
        if self._testMethodName == "test_session":  # unittest collects the name as a test: it is not one
            self.skipTest("Not a test.")
        if graph is not None:
            return self.session(graph, config, use_gpu, force_gpu)
        return self._as_default_on_device(self._get_cached_session(None, config, force_gpu, strict=False),
                                          use_gpu, force_gpu)

    def evaluate(self, tensors):
        """`tensors` (any structure `Session.run` takes) run in the default session, else the cached one."""
        sess = get_default_session()
        if sess is not None:
            return sess.run(tensors)
        with self.test_session() as sess:
            return sess.run(tensors)

    # ---- assertions ---------------------------------------------------------------------------
    def _GetNdArray(self, a):  # noqa: N802 - TF1's name
        if isinstance(a, Tensor):
            a = self.evaluate(a)
        return a if isinstance(a, np.ndarray) else np.array(a)

    def assertNear(self, f1, f2, err, msg=None):  # noqa: N802
        """|f1 - f2| <= err."""
        self.assertTrue(f1 == f2 or math.fabs(f1 - f2) <= err,
                        "{:f} != {:f} +/- {:f}{}".format(f1, f2, err, f" ({msg})" if msg is not None else ""))

    def assertArrayNear(self, farray1, farray2, err, msg=None):  # noqa: N802
        """Two float sequences of the same length, element by element within `err`."""
        self.assertEqual(len(farray1), len(farray2), msg=msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg=msg)

    def assertNDArrayNear(self, ndarray1, ndarray2, err, msg=None):  # noqa: N802
        """The norm of the difference is below `err`."""
        self.assertTrue(np.linalg.norm(np.asarray(ndarray1) - np.asarray(ndarray2)) < err, msg=msg)

    def _assert_array_like_all_close(self, a, b, rtol, atol, msg):
        a = self._GetNdArray(a)
        b = self._GetNdArray(b)
        if a.shape != b.shape and (b.ndim <= 3 or b.size < 500):
            shape_message = f"Shape mismatch: expected {a.shape}, got {b.shape} with contents {b}."
        else:
            shape_message = f"Shape mismatch: expected {a.shape}, got {b.shape}."
        self.assertEqual(a.shape, b.shape, shape_message)
        if np.allclose(a, b, rtol=rtol, atol=atol):
            return
        messages = [msg]
        with np.errstate(invalid="ignore"):
            cond = np.logical_or(np.abs(a - b) > atol + rtol * np.abs(b), np.isnan(a) != np.isnan(b))
        if a.ndim:
            x, y = a[np.where(cond)], b[np.where(cond)]
            messages.append(f"not close where = {np.where(cond)}")
        else:
            x, y = a, b
        messages.append(f"not close lhs = {x}")
        messages.append(f"not close rhs = {y}")
        messages.append(f"not close dif = {np.abs(x - y)}")
        messages.append(f"not close tol = {atol + rtol * np.abs(y)}")
        messages.append(f"dtype = {a.dtype}, shape = {a.shape}")
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg="\n".join(str(m) for m in messages),
                                   equal_nan=True)

    def _assert_all_close_recursive(self, a, b, rtol, atol, path, msg):
        path_str = _path_str(path)
        msg = msg or ""
        a = a._asdict() if hasattr(a, "_asdict") else a
        b = b._asdict() if hasattr(b, "_asdict") else b
        a_is_dict = isinstance(a, collections.abc.Mapping)
        if a_is_dict != isinstance(b, collections.abc.Mapping):
            raise ValueError(f"Can't compare dict to non-dict, a{path_str} vs b{path_str}. {msg}")
        if a_is_dict:
            self.assertCountEqual(a.keys(), b.keys(), msg=f"mismatched keys: a{path_str} has keys {list(a.keys())}, "
                                  f"but b{path_str} has keys {list(b.keys())}. {msg}")
            for key in a:
                self._assert_all_close_recursive(a[key], b[key], rtol, atol, path + [key], msg)
        elif isinstance(a, (list, tuple)):
            try:  # as arrays first; element by element when they are not one array (ragged, mixed)
                a_array = self._GetNdArray(a)
                b_array = self._GetNdArray(b)
            except (ValueError, TypeError):
                a_array = b_array = None
            if a_array is not None and a_array.dtype != object and b_array.dtype != object:
                self._assert_array_like_all_close(a_array, b_array, rtol, atol,
                                                  f"Mismatched value: a{path_str} is different from b{path_str}. {msg}")
                return
            if len(a) != len(b):
                raise ValueError(f"Mismatched length: a{path_str} has {len(a)} items, but b{path_str} has {len(b)} "
                                 f"items. {msg}")
            for index, (a_item, b_item) in enumerate(zip(a, b)):
                self._assert_all_close_recursive(a_item, b_item, rtol, atol, path + [str(index)], msg)
        else:
            try:
                self._assert_array_like_all_close(a, b, rtol, atol,
                                                  f"Mismatched value: a{path_str} is different from b{path_str}. {msg}")
            except TypeError as e:
                e.args = (str(e.args[0] if e.args else "")
                          + f" : Error: a{path_str} has {type(a)}, but b{path_str} has {type(b)}. {msg}",) + e.args[1:]
                raise

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):  # noqa: N802
        """a and b (tensors, arrays, numbers, or dicts / lists / tuples / namedtuples of them) close elementwise."""
        self._assert_all_close_recursive(a, b, rtol, atol, [], msg)

    def assertAllCloseAccordingToType(self, a, b, rtol=1e-6, atol=1e-6, float_rtol=1e-6,  # noqa: N802
                                      float_atol=1e-6, half_rtol=1e-3, half_atol=1e-3, bfloat16_rtol=1e-2,
                                      bfloat16_atol=1e-2, msg=None):
        """assertAllClose with tolerances at least those of the arrays' dtype (float32, float16)."""
        a = self._GetNdArray(a)
        b = self._GetNdArray(b)
        dtypes_seen = (a.dtype, b.dtype)
        if np.float32 in dtypes_seen or np.complex64 in dtypes_seen:
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        if np.float16 in dtypes_seen:
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        if any(d.name == "bfloat16" for d in dtypes_seen):
            rtol, atol = max(rtol, bfloat16_rtol), max(atol, bfloat16_atol)
        self.assertAllClose(a, b, rtol=rtol, atol=atol, msg=msg)

    def assertNotAllClose(self, a, b, **kwargs):  # noqa: N802
        try:
            self.assertAllClose(a, b, **kwargs)
        except AssertionError:
            return
        raise AssertionError("The two values are close at all elements")

    def assertAllEqual(self, a, b, msg=None):  # noqa: N802
        """Same shape and equal elements (NaN equals NaN in float arrays)."""
        msg = msg if msg else ""
        a = self._GetNdArray(a)
        b = self._GetNdArray(b)
        if b.ndim <= 3 or b.size < 500:
            self.assertEqual(a.shape, b.shape,
                             f"Shape mismatch: expected {a.shape}, got {b.shape}. Contents: {b}. \n{msg}.")
        else:
            self.assertEqual(a.shape, b.shape, f"Shape mismatch: expected {a.shape}, got {b.shape}. {msg}")
        same = a == b
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            same = np.logical_or(same, np.logical_and(np.isnan(a), np.isnan(b)))
        if not np.all(same):
            messages = [msg]
            diff = np.logical_not(same)
            if a.ndim:
                messages.append(f"not equal where = {np.where(diff)}")
                messages.append(f"not equal lhs = {a[np.where(diff)]}")
                messages.append(f"not equal rhs = {b[np.where(diff)]}")
            np.testing.assert_array_equal(a, b, err_msg="\n".join(messages))

    def assertNotAllEqual(self, a, b, msg=None):  # noqa: N802
        try:
            self.assertAllEqual(a, b, msg)
        except AssertionError:
            return
        raise AssertionError("The two values are equal at all elements. %s" % (msg or ""))

    def assertAllGreater(self, a, comparison_target):  # noqa: N802
        self.assertGreater(np.min(self._GetNdArray(a)), comparison_target)

    def assertAllLess(self, a, comparison_target):  # noqa: N802
        self.assertLess(np.max(self._GetNdArray(a)), comparison_target)

    def assertAllGreaterEqual(self, a, comparison_target):  # noqa: N802
        self.assertGreaterEqual(np.min(self._GetNdArray(a)), comparison_target)

    def assertAllLessEqual(self, a, comparison_target):  # noqa: N802
        self.assertLessEqual(np.max(self._GetNdArray(a)), comparison_target)

    def assertAllInRange(self, target, lower_bound, upper_bound, open_lower_bound=False,  # noqa: N802
                         open_upper_bound=False):
        """Every element within [lower_bound, upper_bound] (or the open ends asked for); numeric targets only."""
        target = self._GetNdArray(target)
        if not (np.issubdtype(target.dtype, np.floating) or np.issubdtype(target.dtype, np.integer)):
            raise AssertionError(f"The value of {target} does not have an ordered numeric type, instead it has type: "
                                 f"{target.dtype}")
        nan_positions = np.isnan(target) if target.dtype.kind == "f" else np.zeros(target.shape, bool)
        below = target <= lower_bound if open_lower_bound else target < lower_bound
        above = target >= upper_bound if open_upper_bound else target > upper_bound
        violations = np.logical_or(nan_positions, np.logical_or(below, above))
        if np.any(violations):
            where = list(zip(*np.where(violations))) if target.ndim else [()]
            bounds = ("(" if open_lower_bound else "[") + f"{lower_bound}, {upper_bound}" + (
                ")" if open_upper_bound else "]")
            offending = "\n".join(f"  {w}: {target[w]}" for w in where[:16])
            raise AssertionError(f"{int(np.sum(violations))} of the {target.size} element(s) are outside the range "
                                 f"{bounds}. Subscript(s) and value(s) of the offending elements:\n{offending}")

    def assertAllInSet(self, target, expected_set):  # noqa: N802
        target = self._GetNdArray(target)
        diff = set(np.unique(target.flatten()).tolist()) - set(expected_set)
        if diff:
            raise AssertionError(f"{len(diff)} unique element(s) are not in the set {expected_set}: {diff}")

    def assertDTypeEqual(self, target, expected_dtype):  # noqa: N802
        """The array (or each array of a list) has numpy dtype `expected_dtype`."""
        for array in target if isinstance(target, list) else [target]:
            self.assertEqual(self._GetNdArray(array).dtype, expected_dtype)

    def assertShapeEqual(self, np_array, tf_tensor, msg=None):  # noqa: N802
        """A numpy array's shape equals a tensor's static shape."""
        if not isinstance(np_array, (np.ndarray, np.generic)):
            raise TypeError("np_array must be a Numpy ndarray or Numpy scalar")
        if not isinstance(tf_tensor, Tensor):
            raise TypeError("tf_tensor must be a Tensor")
        self.assertAllEqual(np_array.shape, tf_tensor.get_shape().as_list(), msg=msg)

    def assertDeviceEqual(self, device1, device2, msg=None):  # noqa: N802
        """Two device strings name the same device ('/gpu:0' and '/device:GPU:0' do)."""
        spec1 = devices.DeviceSpec.from_string(device1 or "")
        spec2 = devices.DeviceSpec.from_string(device2 or "")
        self.assertEqual(spec1.to_string(), spec2.to_string(),
                         "Devices {} and {} are not equal. {}".format(device1, device2, msg or ""))

    @contextlib.contextmanager
    def assertRaisesWithPredicateMatch(self, exception_type, expected_err_re_or_predicate):  # noqa: N802
        """The block raises `exception_type` whose message matches the regex (re.search), or the predicate holds."""
        if callable(expected_err_re_or_predicate):
            predicate = expected_err_re_or_predicate
        else:
            def predicate(e):
                message = e.message if isinstance(e, OpError) else str(e)
                return re.search(expected_err_re_or_predicate, message) is not None
        try:
            yield
            self.fail(exception_type.__name__ + " not raised")
        except Exception as e:  # noqa: BLE001 - checked against exception_type just below
            if not isinstance(e, exception_type) or not predicate(e):
                raise AssertionError(f"Exception of type {type(e)}: {e}") from e

    def assertRaisesOpError(self, expected_err_re_or_predicate):  # noqa: N802
        """The block raises a `tf.errors.OpError` matching the regex or predicate."""
        return self.assertRaisesWithPredicateMatch(OpError, expected_err_re_or_predicate)
