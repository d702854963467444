"""`tf.contrib.framework`: arg_scope and TF1 contrib's variable and global-step helpers (re-exports only)."""

from estflow.library.arg_scope import add_arg_scope as add_arg_scope
from estflow.library.arg_scope import arg_scope as arg_scope
from estflow.library.arg_scope import arg_scoped_arguments as arg_scoped_arguments
from estflow.library.arg_scope import current_arg_scope as current_arg_scope
from estflow.library.arg_scope import has_arg_scope as has_arg_scope
from estflow.library.contrib_layers import get_local_variables as get_local_variables
from estflow.library.contrib_layers import get_model_variables as get_model_variables
from estflow.library.contrib_layers import get_trainable_variables as get_trainable_variables
from estflow.library.contrib_layers import get_unique_variable as get_unique_variable
from estflow.library.contrib_layers import get_variable_full_name as get_variable_full_name
from estflow.library.contrib_layers import get_variables as get_variables
from estflow.library.contrib_layers import get_variables_by_name as get_variables_by_name
from estflow.library.contrib_layers import get_variables_by_suffix as get_variables_by_suffix
from estflow.library.contrib_layers import get_variables_to_restore as get_variables_to_restore
from estflow.library.contrib_layers import local_variable as local_variable
from estflow.library.contrib_layers import model_variable as model_variable
from estflow.library.contrib_layers import variable as variable
from estflow.training.training_util import assert_global_step as assert_global_step
from estflow.training.training_util import create_global_step as create_global_step
from estflow.training.training_util import get_global_step as get_global_step
from estflow.training.training_util import get_or_create_global_step as get_or_create_global_step

__all__ = [
    "add_arg_scope", "arg_scope", "arg_scoped_arguments", "assert_global_step", "create_global_step",
    "current_arg_scope", "get_global_step", "get_local_variables", "get_model_variables",
    "get_or_create_global_step", "get_trainable_variables", "get_unique_variable", "get_variable_full_name",
    "get_variables", "get_variables_by_name", "get_variables_by_suffix", "get_variables_to_restore",
    "has_arg_scope", "local_variable", "model_variable", "variable",
]
