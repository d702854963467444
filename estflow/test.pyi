"""`tf.test`: TestCase, main, mock, temp dirs and GPU queries (re-exports only)."""

import unittest.mock as mock

from estflow.library.gradient_checker import compute_gradient as compute_gradient
from estflow.library.gradient_checker import compute_gradient_error as compute_gradient_error
from estflow.library.graph_def_equality import assert_equal_graph_def as assert_equal_graph_def
from estflow.library.tf_benchmark import Benchmark as Benchmark
from estflow.library.tf_benchmark import benchmark_config as benchmark_config
from estflow.library.tf_test_helpers import StubOutForTesting as StubOutForTesting
from estflow.library.tf_test_helpers import disable_with_predicate as disable_with_predicate
from estflow.library.tf_test_helpers import test_src_dir_path as test_src_dir_path
from estflow.library.tf_test_helpers import with_eager_op_as_function as with_eager_op_as_function
from estflow.library.tf_testing import TestCase as TestCase
from estflow.library.tf_testing import get_temp_dir as get_temp_dir
from estflow.library.tf_testing import gpu_device_name as gpu_device_name
from estflow.library.tf_testing import is_built_with_cuda as is_built_with_cuda
from estflow.library.tf_testing import is_built_with_gpu_support as is_built_with_gpu_support
from estflow.library.tf_testing import is_built_with_rocm as is_built_with_rocm
from estflow.library.tf_testing import is_built_with_xla as is_built_with_xla
from estflow.library.tf_testing import is_gpu_available as is_gpu_available
from estflow.library.tf_testing import main as main
