"""`tf.initializers`: variable initializers (re-exports only)."""

from estflow.core.init_ops import Constant as constant
from estflow.core.init_ops import GlorotNormal as glorot_normal
from estflow.core.init_ops import GlorotUniform as glorot_uniform
from estflow.core.init_ops import Identity as identity
from estflow.core.init_ops import Ones as ones
from estflow.core.init_ops import Orthogonal as orthogonal
from estflow.core.init_ops import RandomNormal as random_normal
from estflow.core.init_ops import RandomUniform as random_uniform
from estflow.core.init_ops import TruncatedNormal as truncated_normal
from estflow.core.init_ops import UniformUnitScaling as uniform_unit_scaling
from estflow.core.init_ops import VarianceScaling as variance_scaling
from estflow.core.init_ops import Zeros as zeros
from estflow.core.init_ops import he_normal as he_normal
from estflow.core.init_ops import he_uniform as he_uniform
from estflow.core.init_ops import lecun_normal as lecun_normal
from estflow.core.init_ops import lecun_uniform as lecun_uniform
from estflow.core.variables import global_variables_initializer as global_variables
from estflow.core.variables import local_variables_initializer as local_variables
from estflow.core.variables import variables_initializer as variables
from estflow.library.lookup_ops import tables_initializer as tables_initializer
