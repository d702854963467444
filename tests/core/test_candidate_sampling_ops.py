"""All, fixed-unigram and learned-unigram candidate samplers: TF 2.15.1's expected counts and errors.

Expected counts are deterministic given the sampled ids (non-unique: p * num_sampled); the
constants below were printed by real TensorFlow for the same arguments.
"""

import numpy as np
import pytest

import estflow as tf

TRUE = np.array([[0, 3], [4, 2]], np.int64)


def run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


@pytest.mark.usefixtures("g")
def test_all_candidate_sampler():
    sampled, true_count, sampled_count = run(tf.nn.all_candidate_sampler(TRUE, 2, 6, True, seed=1))
    assert sampled.tolist() == [0, 1, 2, 3, 4, 5] and sampled.dtype == np.int64
    assert true_count.tolist() == [[1.0, 1.0], [1.0, 1.0]] and sampled_count.tolist() == [1.0] * 6
    assert tf.random.all_candidate_sampler is tf.nn.all_candidate_sampler
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`true_candidate` out of range \[0, 4\), received 4"):
        run(tf.nn.all_candidate_sampler(TRUE, 2, 4, True))


def _p_times(weights, classes, n):
    weights = np.asarray(weights, np.float64)
    return (weights[classes] / weights.sum() * n).astype(np.float32)


@pytest.mark.usefixtures("g")
def test_fixed_unigram_with_distortion_matches_tensorflow():
    unigrams = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    sampled, true_count, sampled_count = run(tf.nn.fixed_unigram_candidate_sampler(
        TRUE, 2, 4, False, 10, unigrams=unigrams, distortion=0.5, seed=1))
    np.testing.assert_allclose(true_count, [[0.17802877724170685, 0.3560575544834137],
                                            [0.39808446168899536, 0.3083548843860626]], rtol=1e-6)
    np.testing.assert_allclose(sampled_count, _p_times(np.sqrt(unigrams), sampled, 4), rtol=1e-6)
    assert tf.random.fixed_unigram_candidate_sampler is tf.nn.fixed_unigram_candidate_sampler


@pytest.mark.usefixtures("g")
def test_fixed_unigram_reserved_ids_files_and_shards_number_ids_as_tensorflow(tmp_path):
    vocab = tmp_path / "vocab.csv"
    vocab.write_text("a,1\nb,2\nc,3\nd,4\ne,10\n")
    _, true_count, _ = run(tf.nn.fixed_unigram_candidate_sampler(TRUE, 2, 3, False, 5, vocab_file=str(vocab)))
    np.testing.assert_allclose(true_count, [[0.15, 0.6], [1.5, 0.45]], rtol=1e-6)
    sampled, true_count, _ = run(tf.nn.fixed_unigram_candidate_sampler(TRUE, 2, 300, False, 7,
                                                                     vocab_file=str(vocab), num_reserved_ids=2))
    np.testing.assert_allclose(true_count, [[0.0, 30.0], [45.0, 15.0]], rtol=1e-6)  # TF: [[0, .3], [.45, .15]] * 100
    assert sampled.min() >= 2  # reserved ids have weight 0
    # Shard 1 of 2 keeps ids 1, 3, 5 of the counts; 3 reserved ids leave it id 1 (weight 0), and TF's kernel
    # then numbers the counts from 1: ids 1, 3, 5 again, so the weights are [0, 1, 3, 5].
    shard_true = np.array([[0, 1], [2, 1]], np.int64)
    _, plain, _ = run(tf.nn.fixed_unigram_candidate_sampler(shard_true, 2, 3, False, 3, unigrams=[1.0, 2, 3, 4, 5, 6],
                                                            num_shards=2, shard=1))
    np.testing.assert_allclose(plain, [[0.5, 1.0], [1.5, 1.0]], rtol=1e-6)
    _, reserved, _ = run(tf.nn.fixed_unigram_candidate_sampler(shard_true, 2, 3, False, 4,
                                                               unigrams=[1.0, 2, 3, 4, 5, 6], num_reserved_ids=3,
                                                               num_shards=2, shard=1))
    np.testing.assert_allclose(reserved, [[0.0, 1 / 3], [1.0, 1 / 3]], rtol=1e-6)


@pytest.mark.usefixtures("g")
def test_fixed_unigram_frequencies_and_unique_counts():
    sampled, _, sampled_count = run(tf.nn.fixed_unigram_candidate_sampler(TRUE, 2, 20000, False, 5,
                                                                          unigrams=[1.0, 0, 3, 0, 6]))
    freq = np.bincount(sampled, minlength=5) / 20000
    np.testing.assert_allclose(freq, [0.1, 0, 0.3, 0, 0.6], atol=0.015)
    sampled, true_count, sampled_count = run(tf.nn.fixed_unigram_candidate_sampler(TRUE, 2, 3, True, 5,
                                                                                   unigrams=[1.0, 1, 3, 1, 6]))
    assert len(set(sampled.tolist())) == 3
    # With unique, each count is 1 - (1 - p) ** tries for the number of draws the sampler took; when the
    # first 3 draws were distinct (tries == num_sampled) TF's shortcut gives p * 3 instead.
    p = np.array([1.0, 1, 3, 1, 6]) / 12
    if np.allclose(sampled_count, p[sampled] * 3):
        np.testing.assert_allclose(true_count, p[TRUE] * 3, rtol=1e-5)
    else:
        tries = int(round(np.log1p(-float(sampled_count[0])) / np.log1p(-p[sampled[0]])))
        assert tries > 3
        np.testing.assert_allclose(sampled_count, -np.expm1(tries * np.log1p(-p[sampled])), rtol=1e-5)
        np.testing.assert_allclose(true_count, -np.expm1(tries * np.log1p(-p[TRUE])), rtol=1e-5)


@pytest.mark.usefixtures("g")
def test_fixed_unigram_errors_are_tensorflows(tmp_path):
    cases = [
        (dict(range_max=7, unigrams=[1.0, 2, 3]), "range is 7 must be equal to weights size  3"),
        (dict(range_max=5, unigrams=[1.0] * 5, vocab_file=str(tmp_path / "v")), "Must only provide one"),
        (dict(range_max=5), "Must provide either vocab_file or unigrams"),
        (dict(range_max=5, unigrams=[1.0] * 5, num_shards=1), r"out of range \[0, 5\)"),
    ]
    for kwargs, message in cases:
        classes = TRUE if "num_shards" not in kwargs else TRUE + 1
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            run(tf.nn.fixed_unigram_candidate_sampler(classes, 2, 3, False, **kwargs))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,1\nb,x\n")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Wrong vocabulary format at line: b,x"):
        run(tf.nn.fixed_unigram_candidate_sampler([[0]], 1, 1, False, 2, vocab_file=str(bad)))


def test_learned_unigram_learns_the_true_classes_as_tensorflow(g):
    sampler = tf.nn.learned_unigram_candidate_sampler(TRUE, 2, 3, False, 10, seed=1)
    with tf.Session(graph=g) as sess:
        runs = [sess.run(sampler) for _ in range(3)]
    # Counts start at 1 for each of the 10 ids; each run adds the 4 true classes after sampling.
    np.testing.assert_allclose(runs[0][1], np.full((2, 2), 0.3), rtol=1e-6)
    np.testing.assert_allclose(runs[1][1], np.full((2, 2), 0.4285714626312256), rtol=1e-6)
    np.testing.assert_allclose(runs[2][1], np.full((2, 2), 0.5), rtol=1e-6)
    weights = np.ones(10) + 2 * np.isin(np.arange(10), TRUE)
    np.testing.assert_allclose(runs[2][2], _p_times(weights, runs[2][0], 3), rtol=1e-6)
    with tf.Session(graph=g) as sess:  # a new session starts from flat counts again
        np.testing.assert_allclose(sess.run(sampler)[1], np.full((2, 2), 0.3), rtol=1e-6)
    assert tf.random.learned_unigram_candidate_sampler is tf.nn.learned_unigram_candidate_sampler


@pytest.mark.usefixtures("g")
def test_log_uniform_and_uniform_expected_counts_are_tensorflows():
    _, true_count, _ = run(tf.nn.log_uniform_candidate_sampler(TRUE, 2, 4, False, 10, seed=1))
    np.testing.assert_allclose(true_count, [[1.156259298324585, 0.3722323477268219],
                                            [0.3041359782218933, 0.47989097237586975]], rtol=1e-6)
    _, true_count, _ = run(tf.nn.uniform_candidate_sampler(TRUE, 2, 4, False, 10, seed=1))
    np.testing.assert_allclose(true_count, np.full((2, 2), 0.4), rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`true_candidate` out of range \[0, 4\), received 4"):
        run(tf.nn.log_uniform_candidate_sampler(TRUE, 2, 4, False, 4, seed=1))


@pytest.mark.usefixtures("g")
def test_op_types_and_shapes():
    labels = tf.placeholder(tf.int64, [None, 1])
    for build, op_type in ((lambda: tf.nn.all_candidate_sampler(labels, 1, 5, True), "AllCandidateSampler"),
                           (lambda: tf.nn.fixed_unigram_candidate_sampler(labels, 1, 3, True, 4, unigrams=[1.0] * 4),
                            "FixedUnigramCandidateSampler"),
                           (lambda: tf.nn.learned_unigram_candidate_sampler(labels, 1, 3, True, 4),
                            "LearnedUnigramCandidateSampler")):
        sampled, true_count, sampled_count = build()
        assert sampled.op.type == op_type and sampled.op.name == op_type
        assert true_count.shape.as_list() == [None, 1] and sampled_count.dtype == tf.float32


def test_seeded_samplers_draw_tensorflows_ids(g):
    """TF's GuardedPhiloxRandom, SimplePhilox, alias table and weighted pick: the ids real TF 2.15.1 drew,
    run after run (each run reserves 2048 words per sampled candidate)."""
    unigrams = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    cases = {
        "fixed": (tf.nn.fixed_unigram_candidate_sampler(TRUE, 2, 4, False, 10, unigrams=unigrams, distortion=0.5,
                                                        seed=1), [[9, 2, 4, 3], [0, 5, 0, 8], [7, 4, 5, 2]]),
        "fixed_unique": (tf.nn.fixed_unigram_candidate_sampler(TRUE, 2, 5, True, 10, unigrams=unigrams, seed=3),
                         [[3, 7, 6, 2, 4], [6, 4, 1, 7, 3]]),
        "learned": (tf.nn.learned_unigram_candidate_sampler(TRUE, 2, 3, False, 10, seed=1),
                    [[7, 9, 3], [2, 4, 9], [3, 1, 1]]),
        "learned_unique": (tf.nn.learned_unigram_candidate_sampler(TRUE, 2, 6, True, 10, seed=4),
                           [[5, 9, 8, 3, 4, 6], [6, 2, 4, 1, 3, 9]]),
        "log_uniform": (tf.nn.log_uniform_candidate_sampler(TRUE, 2, 4, False, 10, seed=1),
                        [[7, 1, 4, 4], [0, 1, 6, 0]]),
        "uniform": (tf.nn.uniform_candidate_sampler(TRUE, 2, 5, True, 10, seed=2), [[7, 8, 9, 0, 6], [1, 0, 4, 8, 5]]),
    }
    for label, (sampler, want) in cases.items():
        with tf.Session(graph=g) as sess:
            got = [sess.run(sampler)[0].tolist() for _ in want]
        assert got == want, label
