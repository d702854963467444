"""`tf.flags` / `tf.app.flags` as TF1 has them: absl's flags, with TF1's two additions.

TF1's flags module is absl's (`absl.flags`), re-exported, except that
- every `DEFINE_*` also takes TF1's old keyword names `flag_name`, `default_value` and
  `docstring` for `name`, `default` and `help` (logging a deprecation warning, as TF1 does);
- `FLAGS` parses `sys.argv` on the first read of a flag's value when nothing has parsed the
  flags yet (absl's raises `UnparsedFlagAccessError`), so a script that never calls
  `tf.app.run` still sees its command line.
"""

from __future__ import annotations

import functools
import sys

from absl import flags as _absl_flags
from absl.flags import (
    ArgumentParser,
    ArgumentSerializer,
    BaseListParser,
    BooleanFlag,
    BooleanParser,
    CantOpenFlagFileError,
    CsvListSerializer,
    DuplicateFlagError,
    EnumClassFlag,
    EnumClassListSerializer,
    EnumClassParser,
    EnumClassSerializer,
    EnumFlag,
    EnumParser,
    Error,
    Flag,
    FlagHolder,
    FlagNameConflictsWithMethodError,
    FlagValues,
    FloatParser,
    IllegalFlagValueError,
    IntegerParser,
    ListParser,
    ListSerializer,
    MultiEnumClassFlag,
    MultiFlag,
    UnparsedFlagAccessError,
    UnrecognizedFlagError,
    ValidationError,
    WhitespaceSeparatedListParser,
    adopt_module_key_flags,
    declare_key_flag,
    disclaim_key_flags,
    doc_to_help,
    flag_dict_to_args,
    get_help_width,
    mark_bool_flags_as_mutual_exclusive,
    mark_flag_as_required,
    mark_flags_as_mutual_exclusive,
    mark_flags_as_required,
    multi_flags_validator,
    override_value,
    register_multi_flags_validator,
    register_validator,
    set_default,
    text_wrap,
    validator,
)

from estflow.library import tf_logging

__all__ = ["ArgumentParser", "ArgumentSerializer", "BaseListParser", "BooleanFlag", "BooleanParser",
           "CantOpenFlagFileError", "CsvListSerializer", "DEFINE", "DEFINE_alias", "DEFINE_bool",
           "DEFINE_boolean", "DEFINE_enum", "DEFINE_enum_class", "DEFINE_flag", "DEFINE_float",
           "DEFINE_integer", "DEFINE_list", "DEFINE_multi", "DEFINE_multi_enum", "DEFINE_multi_enum_class",
           "DEFINE_multi_float", "DEFINE_multi_integer", "DEFINE_multi_string", "DEFINE_spaceseplist",
           "DEFINE_string", "DuplicateFlagError", "EnumClassFlag", "EnumClassListSerializer", "EnumClassParser",
           "EnumClassSerializer", "EnumFlag", "EnumParser", "Error", "FLAGS", "Flag", "FlagHolder",
           "FlagNameConflictsWithMethodError", "FlagValues", "FloatParser", "IllegalFlagValueError",
           "IntegerParser", "ListParser", "ListSerializer", "MultiEnumClassFlag", "MultiFlag",
           "UnparsedFlagAccessError", "UnrecognizedFlagError", "ValidationError",
           "WhitespaceSeparatedListParser", "adopt_module_key_flags", "declare_key_flag", "disclaim_key_flags",
           "doc_to_help", "flag_dict_to_args", "get_help_width", "mark_bool_flags_as_mutual_exclusive",
           "mark_flag_as_required", "mark_flags_as_mutual_exclusive", "mark_flags_as_required",
           "multi_flags_validator", "override_value", "register_multi_flags_validator", "register_validator",
           "set_default", "text_wrap", "validator"]

_RENAMED_ARGUMENTS = {"flag_name": "name", "default_value": "default", "docstring": "help"}


def _accept_tf1_argument_names(define):
    """`define` (an absl DEFINE_*) taking TF1's old keyword names too."""
    @functools.wraps(define)
    def wrapper(*args, **kwargs):
        renamed = False
        for old, new in _RENAMED_ARGUMENTS.items():
            if old in kwargs:
                kwargs[new] = kwargs.pop(old)
                renamed = True
        if renamed:
            tf_logging.warning("Use of the keyword argument names (flag_name, default_value, docstring) is "
                               "deprecated, please use (name, default, help) instead.")
        return define(*args, **kwargs)
    return wrapper


DEFINE = _accept_tf1_argument_names(_absl_flags.DEFINE)
DEFINE_alias = _accept_tf1_argument_names(_absl_flags.DEFINE_alias)
DEFINE_bool = _accept_tf1_argument_names(_absl_flags.DEFINE_bool)
DEFINE_boolean = _accept_tf1_argument_names(_absl_flags.DEFINE_boolean)
DEFINE_enum = _accept_tf1_argument_names(_absl_flags.DEFINE_enum)
DEFINE_enum_class = _accept_tf1_argument_names(_absl_flags.DEFINE_enum_class)
DEFINE_flag = _accept_tf1_argument_names(_absl_flags.DEFINE_flag)
DEFINE_float = _accept_tf1_argument_names(_absl_flags.DEFINE_float)
DEFINE_integer = _accept_tf1_argument_names(_absl_flags.DEFINE_integer)
DEFINE_list = _accept_tf1_argument_names(_absl_flags.DEFINE_list)
DEFINE_multi = _accept_tf1_argument_names(_absl_flags.DEFINE_multi)
DEFINE_multi_enum = _accept_tf1_argument_names(_absl_flags.DEFINE_multi_enum)
DEFINE_multi_enum_class = _accept_tf1_argument_names(_absl_flags.DEFINE_multi_enum_class)
DEFINE_multi_float = _accept_tf1_argument_names(_absl_flags.DEFINE_multi_float)
DEFINE_multi_integer = _accept_tf1_argument_names(_absl_flags.DEFINE_multi_integer)
DEFINE_multi_string = _accept_tf1_argument_names(_absl_flags.DEFINE_multi_string)
DEFINE_spaceseplist = _accept_tf1_argument_names(_absl_flags.DEFINE_spaceseplist)
DEFINE_string = _accept_tf1_argument_names(_absl_flags.DEFINE_string)


class _FlagValuesWrapper:
    """absl's `FLAGS`, parsing `sys.argv` (strictly, as TF1's) on the first read of a flag before any parse."""

    def __init__(self, flag_values):
        self.__dict__["_wrapped"] = flag_values

    def __getattribute__(self, name):
        if name == "__dict__":
            return super().__getattribute__(name)
        return self.__dict__["_wrapped"].__getattribute__(name)  # methods and attributes of FlagValues itself

    def __getattr__(self, name):  # a flag's value: FlagValues answers it in its own __getattr__
        if name.startswith("__") and name.endswith("__"):  # probes such as inspect's `__wrapped__` parse nothing
            raise AttributeError(name)
        wrapped = self.__dict__["_wrapped"]
        if not wrapped.is_parsed():
            wrapped(sys.argv)
        return wrapped.__getattr__(name)

    def __setattr__(self, name, value):
        return setattr(self.__dict__["_wrapped"], name, value)

    def __delattr__(self, name):
        return delattr(self.__dict__["_wrapped"], name)

    def __dir__(self):
        return dir(self.__dict__["_wrapped"])

    def __getitem__(self, name):
        return self.__dict__["_wrapped"][name]

    def __setitem__(self, name, flag):
        self.__dict__["_wrapped"][name] = flag

    def __contains__(self, name):
        return name in self.__dict__["_wrapped"]

    def __len__(self):
        return len(self.__dict__["_wrapped"])

    def __iter__(self):
        return iter(self.__dict__["_wrapped"])

    def __str__(self):
        return str(self.__dict__["_wrapped"])

    def __call__(self, *args, **kwargs):
        return self.__dict__["_wrapped"](*args, **kwargs)


FLAGS = _FlagValuesWrapper(_absl_flags.FLAGS)

disclaim_key_flags()  # flags DEFINEd through the wrappers above belong to their caller's module, not this one
