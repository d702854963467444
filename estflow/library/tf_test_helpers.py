"""`tf.test` helpers beside TestCase: StubOutForTesting, disable_with_predicate, test_src_dir_path, ..."""

from __future__ import annotations

import functools
import inspect
import os


class StubOutForTesting:
    """Replaces attributes for a test and puts them back, as `tf.test.StubOutForTesting`.

        stubs = tf.test.StubOutForTesting()
        stubs.Set(os.path, "exists", lambda path: True)
        ...
        stubs.CleanUp()   # os.path.exists is itself again (or use `with StubOutForTesting() as stubs:`)
    """

    def __init__(self):
        self.cache = []
        self.stubs = []

    def __del__(self):
        self.CleanUp()

    def __enter__(self):
        return self

    def __exit__(self, unused_exc_type, unused_exc_value, unused_tb):
        self.CleanUp()

    def CleanUp(self):  # noqa: N802 - TF's name
        """Undo every SmartSet() and Set()."""
        self.SmartUnsetAll()
        self.UnsetAll()

    def SmartSet(self, obj, attr_name, new_attr):  # noqa: N802 - TF's name
        """Replace `obj.attr_name` where it is defined: on a module or an instance that holds it, or on the
        class of `obj` (or `obj` itself, a class) along its MRO, keeping staticmethods static."""
        obj = inspect.unwrap(obj) if callable(obj) and hasattr(obj, "__wrapped__") else obj
        if inspect.ismodule(obj) or (not inspect.isclass(obj) and attr_name in obj.__dict__):
            orig_obj, orig_attr = obj, getattr(obj, attr_name)
        else:
            mro = list(inspect.getmro(obj if inspect.isclass(obj) else obj.__class__))
            mro.reverse()
            orig_attr, found = None, False
            for cls in mro:
                try:
                    orig_obj = cls
                    orig_attr = getattr(obj, attr_name)
                    found = True
                except AttributeError:
                    continue
            if not found:
                raise AttributeError("Attribute not found.")
        old_attribute = obj.__dict__.get(attr_name)
        if old_attribute is not None and isinstance(old_attribute, staticmethod):
            orig_attr = staticmethod(orig_attr)
        self.stubs.append((orig_obj, attr_name, orig_attr))
        setattr(orig_obj, attr_name, new_attr)

    def SmartUnsetAll(self):  # noqa: N802 - TF's name
        """Undo every SmartSet(), last first."""
        for args in reversed(self.stubs):
            setattr(*args)
        self.stubs = []

    def Set(self, parent, child_name, new_child):  # noqa: N802 - TF's name
        """Replace `parent.child_name` with `new_child` (staticmethods stay static when put back)."""
        old_child = getattr(parent, child_name)
        old_attribute = parent.__dict__.get(child_name)
        if old_attribute is not None and isinstance(old_attribute, staticmethod):
            old_child = staticmethod(old_child)
        self.cache.append((parent, old_child, child_name))
        setattr(parent, child_name, new_child)

    def UnsetAll(self):  # noqa: N802 - TF's name
        """Undo every Set(), last first."""
        for parent, old_child, child_name in reversed(self.cache):
            setattr(parent, child_name, old_child)
        self.cache = []


def disable_with_predicate(pred, skip_message):
    """A decorator for TestCase methods: the test is skipped with `skip_message` when `pred()` is true."""

    def decorator_disable_with_predicate(func):
        @functools.wraps(func)
        def wrapper_disable_with_predicate(self, *args, **kwargs):
            if pred():
                self.skipTest(skip_message)
            else:
                return func(self, *args, **kwargs)

        return wrapper_disable_with_predicate

    return decorator_disable_with_predicate


def with_eager_op_as_function(cls=None, only_as_function=False):
    """The class unchanged, as TF 2.15's (which kept the decorator only for old test files); usable bare or called."""
    del only_as_function  # TF 2.15 ignores it too

    def decorator(cls):
        return cls

    return decorator(cls) if cls is not None else decorator


def test_src_dir_path(relative_path) -> str:
    """`$TEST_SRCDIR/org_tensorflow/tensorflow/<relative_path>`, TF's path of a file in its Bazel runfiles
    (KeyError when TEST_SRCDIR is unset, as in TF)."""
    return os.path.join(os.environ["TEST_SRCDIR"], "org_tensorflow/tensorflow", relative_path)
