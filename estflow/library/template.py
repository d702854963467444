"""`tf.make_template`: a function whose variables are created on its first call and shared after,
as TF1's Template.

    def dense(x):
        w = tf.get_variable("w", [3, 1])
        return tf.matmul(x, w)

    layer = tf.make_template("dense", dense)
    a, b = layer(x1), layer(x2)          # one variable, dense/w
"""

from __future__ import annotations

import functools

from estflow.core.graph import GraphKeys, get_collection
from estflow.core.variable_scope import variable_scope


class Template:
    """Wraps `func` so that every call runs in one variable scope, reusing its variables after the first."""

    def __init__(self, name, func, create_scope_now=False, unique_name=None, custom_getter=None):
        self._name = name
        self._func = func
        self._unique_name = unique_name
        self._custom_getter = custom_getter
        self._variable_scope = None
        self._variables_created = False
        if create_scope_now:
            with variable_scope(self._unique_name, self._name, custom_getter=self._custom_getter) as scope:
                self._variable_scope = scope

    def __call__(self, *args, **kwargs):
        if self._variables_created:
            with variable_scope(self._variable_scope, reuse=True):
                return self._func(*args, **kwargs)
        if self._variable_scope is None:
            with variable_scope(self._unique_name, self._name, custom_getter=self._custom_getter) as scope:
                self._variable_scope = scope
                result = self._func(*args, **kwargs)
        else:
            with variable_scope(self._variable_scope):
                result = self._func(*args, **kwargs)
        self._variables_created = True
        return result

    @property
    def name(self):
        return self._name

    @property
    def func(self):
        return self._func

    @property
    def variable_scope(self):
        return self._variable_scope

    @property
    def variable_scope_name(self):
        return "" if self._variable_scope is None else self._variable_scope.name

    def _collection(self, key):
        if self._variable_scope is None:
            return []
        return get_collection(key, scope=self.variable_scope_name + "/")

    @property
    def variables(self):
        return self.global_variables + self.local_variables

    @property
    def trainable_variables(self):
        return self._collection(GraphKeys.TRAINABLE_VARIABLES)

    @property
    def non_trainable_variables(self):
        trainable = set(map(id, self.trainable_variables))
        return [v for v in self.global_variables if id(v) not in trainable]

    @property
    def global_variables(self):
        return self._collection(GraphKeys.GLOBAL_VARIABLES)

    @property
    def local_variables(self):
        return self._collection(GraphKeys.LOCAL_VARIABLES)


def make_template(name_, func_, create_scope_now_=False, unique_name_=None, custom_getter_=None, **kwargs):
    """`func_` (with `kwargs` bound) as a Template: variables made on the first call, reused on later
    ones, all under one variable scope named from `name_` (made unique) or `unique_name_`, as
    `tf.make_template`."""
    if kwargs:
        func_ = functools.partial(func_, **kwargs)
    return Template(name_, func_, create_scope_now=create_scope_now_, unique_name=unique_name_,
                    custom_getter=custom_getter_)
