"""tf.test leftovers: StubOutForTesting, disable_with_predicate, with_eager_op_as_function, test_src_dir_path."""

import os
import types
import unittest

import pytest

import estflow as tf


class _Base:
    @staticmethod
    def shout():
        return "base"

    def name(self):
        return "base"


class _Child(_Base):
    pass


def test_set_and_smart_set_are_undone_in_reverse():
    module = types.ModuleType("m")
    module.value = 1
    with tf.test.StubOutForTesting() as stubs:
        stubs.Set(module, "value", 2)
        stubs.Set(module, "value", 3)
        stubs.Set(_Base, "shout", staticmethod(lambda: "stub"))
        child = _Child()
        stubs.SmartSet(child, "name", lambda self: "smart")
        assert module.value == 3 and _Base.shout() == "stub" and child.name() == "smart"
        assert _Base().name() == "base" and _Child().name() == "smart"  # the instance's own class is stubbed
        stubs.SmartSet(os.path, "exists", lambda path: True)
        assert os.path.exists("/no/such/path")
    assert module.value == 1 and _Base.shout() == "base" and _Child().name() == "base"
    assert not os.path.exists("/no/such/path") and isinstance(_Base.__dict__["shout"], staticmethod)
    with pytest.raises(AttributeError, match="Attribute not found."):
        tf.test.StubOutForTesting().SmartSet(_Child, "missing", 1)


def test_disable_with_predicate_skips_when_true():
    class Tests(unittest.TestCase):
        @tf.test.disable_with_predicate(lambda: True, "not here")
        def test_skipped(self):
            raise AssertionError("ran")

        @tf.test.disable_with_predicate(lambda: False, "never")
        def test_runs(self):
            pass

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Tests).run(result)
    assert [(t.id().rsplit(".", 1)[-1], why) for t, why in result.skipped] == [("test_skipped", "not here")]
    assert result.testsRun == 2 and result.wasSuccessful()


def test_with_eager_op_as_function_returns_the_class():
    class A:
        pass

    assert tf.test.with_eager_op_as_function(A) is A
    assert tf.test.with_eager_op_as_function(only_as_function=True)(A) is A


def test_test_src_dir_path(monkeypatch):
    monkeypatch.setenv("TEST_SRCDIR", "/runfiles")
    assert tf.test.test_src_dir_path("python/ops") == "/runfiles/org_tensorflow/tensorflow/python/ops"
    monkeypatch.delenv("TEST_SRCDIR")
    with pytest.raises(KeyError, match="TEST_SRCDIR"):
        tf.test.test_src_dir_path("x")
