"""`tf.random`: random tensors and seeds (re-exports only)."""

from estflow.core.ops.candidate_sampling_ops import all_candidate_sampler as all_candidate_sampler
from estflow.core.ops.candidate_sampling_ops import fixed_unigram_candidate_sampler as fixed_unigram_candidate_sampler
from estflow.core.ops.candidate_sampling_ops import (
    learned_unigram_candidate_sampler as learned_unigram_candidate_sampler,
)
from estflow.core.ops.nn_loss_ops import log_uniform_candidate_sampler as log_uniform_candidate_sampler
from estflow.core.ops.nn_loss_ops import uniform_candidate_sampler as uniform_candidate_sampler
from estflow.core.ops.random_distribution_ops import random_gamma as gamma
from estflow.core.ops.random_distribution_ops import random_poisson as poisson
from estflow.core.ops.random_ops import categorical as categorical
from estflow.core.ops.random_ops import multinomial as multinomial
from estflow.core.ops.random_ops import random_normal as normal
from estflow.core.ops.random_ops import random_shuffle as shuffle
from estflow.core.ops.random_ops import random_uniform as uniform
from estflow.core.ops.random_ops import truncated_normal as truncated_normal
from estflow.core.ops.stateless_random_distribution_ops import (
    stateless_parameterized_truncated_normal as stateless_parameterized_truncated_normal,
)
from estflow.core.ops.stateless_random_distribution_ops import stateless_random_binomial as stateless_binomial
from estflow.core.ops.stateless_random_distribution_ops import stateless_random_gamma as stateless_gamma
from estflow.core.ops.stateless_random_distribution_ops import stateless_random_poisson as stateless_poisson
from estflow.core.ops.stateless_random_ops import fold_in as fold_in
from estflow.core.ops.stateless_random_ops import split as split
from estflow.core.ops.stateless_random_ops import stateless_categorical as stateless_categorical
from estflow.core.ops.stateless_random_ops import stateless_multinomial as stateless_multinomial
from estflow.core.ops.stateless_random_ops import stateless_random_normal as stateless_normal
from estflow.core.ops.stateless_random_ops import stateless_random_uniform as stateless_uniform
from estflow.core.ops.stateless_random_ops import stateless_truncated_normal as stateless_truncated_normal
from estflow.core.philox import Algorithm as Algorithm
from estflow.core.random_seed import get_seed as get_seed
from estflow.core.random_seed import set_random_seed as set_random_seed
from estflow.library.stateful_random import Generator as Generator
from estflow.library.stateful_random import create_rng_state as create_rng_state
from estflow.library.stateful_random import get_global_generator as get_global_generator
from estflow.library.stateful_random import set_global_generator as set_global_generator
