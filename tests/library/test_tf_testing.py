"""tf.test (estflow/library/tf_testing.py): TF1's TestCase run through unittest, its assertions, and the helpers.

The TestCase subclasses are defined inside the tests (pytest would collect them at module
level) and run with unittest's runner; each result is checked here.
"""

import collections
import io
import os
import subprocess
import sys
import unittest
from pathlib import Path

import numpy as np
import pytest

import estflow as tf

REPO = Path(__file__).resolve().parents[2]


def _run_case(case_class, *names):
    """Run the named tests of `case_class` with unittest; returns the TestResult."""
    suite = unittest.TestSuite(case_class(name) for name in names)
    return unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)


def _passes(case_class, *names):
    result = _run_case(case_class, *names)
    problems = [text for _, text in result.failures + result.errors]
    assert not problems, "\n".join(problems)
    return result


def test_a_tf1_style_test_case_runs_with_unittest():
    seen = {}

    class MatMulTest(tf.test.TestCase):
        def testMatMul(self):  # noqa: N802
            with self.cached_session() as sess:
                x = tf.constant([[1.0, 2.0]])
                y = tf.matmul(x, x, transpose_b=True)
                self.assertAllClose(sess.run(y), [[5.0]])
                self.assertAllClose(y.eval(), [[5.0]])  # the cached session is the default one
                self.assertIs(tf.get_default_session(), sess)
            self.assertAllEqual(self.evaluate(tf.constant([1, 2]) * 2), [2, 4])
            seen["graph"] = tf.get_default_graph()

        def testFreshGraph(self):  # noqa: N802
            self.assertEqual(tf.get_default_graph().get_operations(), [])
            self.assertEqual(tf.get_default_graph().seed, 87654321)
            seen["graph2"] = tf.get_default_graph()

        def testShape(self):  # noqa: N802
            self.assertShapeEqual(np.zeros((2, 3)), tf.placeholder(tf.float32, [2, 3]))
            with self.assertRaises(AssertionError):
                self.assertShapeEqual(np.zeros((2, 3)), tf.placeholder(tf.float32, [3, 2]))
            with self.assertRaises(TypeError):
                self.assertShapeEqual([1, 2], tf.constant([1, 2]))

    result = _passes(MatMulTest, "testMatMul", "testFreshGraph", "testShape")
    assert result.testsRun == 3
    assert seen["graph"] is not seen["graph2"]


def test_session_cached_session_and_test_session():
    class SessionTest(tf.test.TestCase):
        def testSessionIsNewEachTimeAndClosed(self):  # noqa: N802
            with self.session() as s1:
                self.assertIs(tf.get_default_session(), s1)
            with self.session() as s2:
                pass
            self.assertIsNot(s1, s2)
            with self.assertRaises(RuntimeError):
                s1.run(tf.constant(1))

        def testCachedSessionIsReused(self):  # noqa: N802
            with self.cached_session() as s1:
                pass
            with self.cached_session() as s2:
                pass
            with self.test_session() as s3:
                pass
            self.assertIs(s1, s2)
            self.assertIs(s1, s3)
            with self.assertRaisesRegex(ValueError, "graph used to get the cached session is different"):
                with self.cached_session(graph=tf.Graph()):
                    pass

        def testTestSessionWithAGraphIsNew(self):  # noqa: N802
            g = tf.Graph()
            with g.as_default():
                c = tf.constant(3)
            with self.test_session(graph=g) as sess:
                self.assertIs(sess.graph, g)
                self.assertEqual(self.evaluate(c), 3)

        def testOpsArePinnedToTheCpuUnlessUseGpu(self):  # noqa: N802
            with self.session():
                a = tf.constant(1.0)
            with self.session(use_gpu=True):
                b = tf.constant(1.0)
            self.assertDeviceEqual(a.device, "/cpu:0")
            self.assertEqual(b.device, "")

    _passes(SessionTest, "testSessionIsNewEachTimeAndClosed", "testCachedSessionIsReused",
            "testTestSessionWithAGraphIsNew", "testOpsArePinnedToTheCpuUnlessUseGpu")


def test_the_cached_session_is_closed_at_teardown():
    kept = []

    class Closing(tf.test.TestCase):
        def testKeep(self):  # noqa: N802
            with self.cached_session() as sess:
                kept.append((sess, tf.constant(1)))

    _passes(Closing, "testKeep")
    sess, c = kept[0]
    with pytest.raises(RuntimeError):
        sess.run(c)


def test_test_session_collected_as_a_test_is_skipped():
    class Plain(tf.test.TestCase):
        pass

    result = _run_case(Plain, "test_session")
    assert len(result.skipped) == 1 and not result.failures and not result.errors


@pytest.fixture
def case():
    """A set-up TestCase whose assertion methods the checks below call (defined here: pytest would collect it)."""
    class Checks(tf.test.TestCase):
        def runTest(self):  # noqa: N802
            pass

    c = Checks()
    c.setUp()
    yield c
    c.tearDown()


def test_assert_all_close_on_arrays_tensors_and_structures(case):
    case.assertAllClose([1.0, 2.0], np.array([1.0, 2.0 + 1e-7]))
    case.assertAllClose(tf.constant([1.0, 2.0]), [1.0, 2.0])
    case.assertAllClose({"a": [1.0], "b": (2.0, [3.0, 4.0])}, {"a": [1.0], "b": (2.0, [3.0, 4.0])})
    Point = collections.namedtuple("Point", "x y")
    case.assertAllClose(Point(1.0, [2.0, 3.0]), Point(1.0, [2.0, 3.0]))
    case.assertAllClose([np.nan, 1.0], [np.nan, 1.0])
    case.assertAllClose(1.0, 1.1, atol=0.2)
    with pytest.raises(AssertionError, match="not close"):
        case.assertAllClose([1.0, 2.0], [1.0, 2.1])
    with pytest.raises(AssertionError, match="Shape mismatch"):
        case.assertAllClose([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Can't compare dict to non-dict"):
        case.assertAllClose({"a": 1.0}, [1.0])
    with pytest.raises(AssertionError, match="mismatched keys"):
        case.assertAllClose({"a": 1.0}, {"b": 1.0})
    with pytest.raises(ValueError, match="Mismatched length"):
        case.assertAllClose([1.0, [2.0]], [1.0, [2.0], 3.0])
    case.assertNotAllClose([1.0], [2.0])
    with pytest.raises(AssertionError):
        case.assertNotAllClose([1.0], [1.0])
    case.assertAllCloseAccordingToType(np.float16([1.0]), np.float16([1.0005]))
    with pytest.raises(AssertionError):
        case.assertAllCloseAccordingToType(np.float64([1.0]), np.float64([1.0005]))


def test_assert_all_equal(case):
    case.assertAllEqual([[1, 2], [3, 4]], np.array([[1, 2], [3, 4]]))
    case.assertAllEqual(tf.constant(["a", "b"]), [b"a", b"b"])
    case.assertAllEqual([np.nan, 1.0], [np.nan, 1.0])
    with pytest.raises(AssertionError, match="not equal where"):
        case.assertAllEqual([1, 2], [1, 3])
    with pytest.raises(AssertionError, match="Shape mismatch"):
        case.assertAllEqual([1, 2], [[1, 2]])
    case.assertNotAllEqual([1, 2], [1, 3])
    with pytest.raises(AssertionError):
        case.assertNotAllEqual([1, 2], [1, 2])


def test_near_and_array_near(case):
    case.assertNear(1.0, 1.05, 0.1)
    with pytest.raises(AssertionError, match=r"1.000000 != 1.200000 \+/- 0.100000"):
        case.assertNear(1.0, 1.2, 0.1)
    case.assertArrayNear([1.0, 2.0], [1.01, 1.99], 0.02)
    with pytest.raises(AssertionError):
        case.assertArrayNear([1.0, 2.0], [1.0], 0.1)
    with pytest.raises(AssertionError):
        case.assertArrayNear([1.0, 2.0], [1.0, 2.5], 0.1)
    case.assertNDArrayNear(np.ones((2, 2)), np.ones((2, 2)) + 1e-4, 1e-3)


def test_ordering_range_set_and_dtype_assertions(case):
    case.assertAllGreater([2, 3], 1)
    case.assertAllLess(tf.constant([2, 3]), 4)
    case.assertAllGreaterEqual([1, 3], 1)
    case.assertAllLessEqual([1, 3], 3)
    for check, args in [(case.assertAllGreater, ([1, 3], 1)), (case.assertAllLess, ([1, 4], 4)),
                        (case.assertAllGreaterEqual, ([0, 3], 1)), (case.assertAllLessEqual, ([1, 4], 3))]:
        with pytest.raises(AssertionError):
            check(*args)
    case.assertAllInRange([0.0, 0.5, 1.0], 0.0, 1.0)
    with pytest.raises(AssertionError, match=r"1 of the 3 element\(s\) are outside the range \(0.0, 1.0\]"):
        case.assertAllInRange([0.0, 0.5, 1.0], 0.0, 1.0, open_lower_bound=True)
    with pytest.raises(AssertionError, match="outside the range"):
        case.assertAllInRange([0.5, np.nan], 0.0, 1.0)
    with pytest.raises(AssertionError, match="ordered numeric type"):
        case.assertAllInRange(["a"], 0, 1)
    case.assertAllInSet([1, 2, 2], {1, 2})
    with pytest.raises(AssertionError, match="not in the set"):
        case.assertAllInSet([1, 3], {1, 2})
    case.assertDTypeEqual(np.zeros(2, np.float32), np.float32)
    case.assertDTypeEqual([np.zeros(2, np.int64), np.ones(1, np.int64)], np.int64)
    with pytest.raises(AssertionError):
        case.assertDTypeEqual(np.zeros(2, np.float64), np.float32)


def test_raises_op_error_and_predicate_match(case):
    x = tf.placeholder(tf.float32)
    with case.cached_session() as sess:
        with case.assertRaisesOpError("must feed a value for placeholder"):
            sess.run(x * 2)
        with pytest.raises(AssertionError, match="Exception of type"):
            with case.assertRaisesOpError("something else entirely"):
                sess.run(x * 2)
    with case.assertRaisesWithPredicateMatch(ValueError, lambda e: "bad" in str(e)):
        raise ValueError("bad thing")
    with case.assertRaisesWithPredicateMatch(ValueError, r"b.d"):
        raise ValueError("bad thing")
    with pytest.raises(AssertionError, match="Exception of type"):
        with case.assertRaisesWithPredicateMatch(ValueError, "bad"):
            raise TypeError("bad")
    with pytest.raises(AssertionError, match="ValueError not raised"):
        with case.assertRaisesWithPredicateMatch(ValueError, "bad"):
            pass


def test_temp_dirs(case):
    process_dir = tf.test.get_temp_dir()
    assert os.path.isdir(process_dir) and tf.test.get_temp_dir() == process_dir
    mine = case.get_temp_dir()
    assert os.path.isdir(mine) and os.path.dirname(mine) == process_dir and case.get_temp_dir() == mine
    other = type(case)()
    assert other.get_temp_dir() != mine


def test_mock_and_gpu_queries():
    import unittest.mock  # the module tf.test.mock must be

    assert tf.test.mock is unittest.mock
    from estflow.core import devices
    available = devices.cupy_module() is not None
    assert tf.test.is_gpu_available() == available
    assert tf.test.gpu_device_name() == ("/device:GPU:0" if available else "")
    assert tf.test.is_built_with_gpu_support() == tf.test.is_built_with_cuda()
    assert tf.test.is_built_with_rocm() is False and tf.test.is_built_with_xla() is False
    with unittest.mock.patch.object(devices, "cupy_module", return_value=None):
        assert tf.test.is_gpu_available() is False and tf.test.gpu_device_name() == ""


def test_tf_test_main_runs_the_tests_of_main_and_exits_with_their_outcome(tmp_path):
    script = tmp_path / "my_test.py"
    script.write_text("import estflow as tf\n\n"
                      "class T(tf.test.TestCase):\n"
                      "    def testGood(self):\n"
                      "        self.assertAllClose(self.evaluate(tf.constant(2.0) * 3), 6.0)\n"
                      "    def testBad(self):\n"
                      "        self.assertAllEqual([1], [2])\n\n"
                      "if __name__ == '__main__':\n"
                      "    tf.test.main()\n")
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "TEST_TMPDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert out.returncode == 1
    # TF1's runs show the inherited `test_session` as a skipped test, as here
    assert "Ran 3 tests" in out.stderr and "FAILED (failures=1, skipped=1)" in out.stderr
    assert "FAIL: testBad" in out.stderr and "[       OK ] T.testGood" in out.stderr
    out = subprocess.run([sys.executable, str(script), "T.testGood"], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "Ran 1 test" in out.stderr and "OK" in out.stderr


def test_pytest_collects_nothing_from_the_package():  # no module there is named like a test file
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "estflow/"], cwd=REPO,
                         capture_output=True, text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert "no tests collected" in out.stdout, out.stdout
