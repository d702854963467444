"""TF's candidate-sampler randomness pieces (the ops' TF-exact ids are tested in test_candidate_sampling_ops.py)."""

import numpy as np

from estflow.core import philox, range_samplers


def test_simple_philox_reads_the_block_stream_word_by_word():
    stream = range_samplers.SimplePhilox(5, (7, 0))
    words = philox.blocks(np, 5, (7, 0), 100).reshape(-1).tolist()
    assert [stream.rand32() for _ in range(300)] == words[:300]  # across the 64-block refills
    stream = range_samplers.SimplePhilox(5, (7, 0))
    assert stream.rand64() == words[0] | words[1] << 32
    assert 0.0 <= stream.rand_float() < 1.0 and 0.0 <= stream.rand_double() < 1.0


def test_exact_uniform_int_rejects_the_biased_words():
    class Words(range_samplers.SimplePhilox):
        def __init__(self, words):
            self.queue = list(words)

        def rand32(self):
            return self.queue.pop(0)

    # n = 3: 2**32 % 3 == 1, so word 0 is rejected; a power of two takes the low bits.
    assert Words([0, 7]).uniform(3) == 1
    assert Words([2**32 - 1]).uniform(8) == 7
    stream = range_samplers.SimplePhilox(1, (0, 2))
    assert all(0 <= stream.uniform(10) < 10 for _ in range(100))


def test_alias_table_reproduces_the_weights():
    weights = [1.0, 0.0, 3.0, 6.0, 2.5]
    prob, alt = range_samplers.alias_table(weights)
    n = len(weights)
    mass = np.zeros(n)
    for slot in range(n):  # each slot: prob to itself, the rest to its alias
        mass[slot] += prob[slot] / n
        mass[alt[slot]] += (1 - prob[slot]) / n
    np.testing.assert_allclose(mass, np.array(weights) / sum(weights), atol=1e-6)


def test_sample_batch_counts_tries_and_keeps_ids_distinct():
    draws = iter([3, 3, 1, 3, 2])
    ids, tries = range_samplers.sample_batch(lambda: next(draws), 3, unique=True)
    assert ids.tolist() == [3, 1, 2] and tries == 5
    draws = iter([3, 3, 1])
    ids, tries = range_samplers.sample_batch(lambda: next(draws), 3, unique=False)
    assert ids.tolist() == [3, 3, 1] and tries == 3


def test_seeded_generators_replay_and_unseeded_ones_differ():
    a, b = range_samplers.GuardedPhilox(3, 4), range_samplers.GuardedPhilox(3, 4)
    assert [a.reserve(8).rand32() for _ in range(3)] == [b.reserve(8).rand32() for _ in range(3)]
    c, d = range_samplers.GuardedPhilox(0, 0), range_samplers.GuardedPhilox(0, 0)
    assert c.reserve(8).rand64() != d.reserve(8).rand64()
