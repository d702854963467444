"""tf.random.Generator and friends: TF 2.15.1's numbers and state changes (constants printed by real TF)."""

import numpy as np
import pytest

import estflow as tf


@pytest.fixture
def sess(g):
    with tf.Session(graph=g) as session:
        yield session


def test_create_rng_state_matches_tensorflow(sess):
    got = sess.run([tf.random.create_rng_state(1, "philox"), tf.random.create_rng_state(-5, 1),
                    tf.random.create_rng_state([1, 2], "philox"), tf.random.create_rng_state(2**70 + 3, "threefry"),
                    tf.random.create_rng_state([1, 2, 3, 4], tf.random.Algorithm.PHILOX)])
    assert [v.tolist() for v in got] == [[1, 0, 0], [-5, -1, -1], [0, 1, 2], [3, 64], [1, 2, 3]]
    seed = tf.placeholder(tf.int64, [None])
    assert sess.run(tf.random.create_rng_state(seed, "philox"), {seed: [7]}).tolist() == [0, 0, 7]


def test_algorithm_enum():
    assert [a.value for a in tf.random.Algorithm] == [1, 2, 3]
    assert tf.random.Algorithm.PHILOX.name == "PHILOX"


def test_generator_draws_tensorflows_sequence(sess):
    gen = tf.random.Generator.from_seed(1234)
    assert gen.state.name == "random_generator/StateVar:0" and gen.algorithm == 1
    assert gen.state.dtype.base_dtype == tf.int64 and gen.state.shape.as_list() == [3]
    assert gen.state in tf.global_variables() and gen.state not in tf.trainable_variables()
    n = gen.normal([3])
    u = gen.uniform([2, 2], minval=1, maxval=9, dtype=tf.int32)
    f = gen.uniform_full_int([2], dtype=tf.int64)
    t = gen.truncated_normal([3])
    uf = gen.uniform([3], dtype=tf.float64)
    seeds = gen.make_seeds(2)
    binomial = gen.binomial([4], counts=5.0, probs=0.5)
    sess.run(tf.global_variables_initializer())
    assert sess.run(gen.state).tolist() == [1234, 0, 0]
    np.testing.assert_array_max_ulp(sess.run(n), np.float32([0.9356609, 1.0854305, -0.93788373]), maxulp=2)
    assert sess.run(gen.state).tolist() == [2002, 0, 0]  # 256 blocks per value drawn
    assert sess.run(u).tolist() == [[4, 2], [4, 4]]
    assert sess.run(gen.state).tolist() == [3026, 0, 0]
    assert sess.run(f).tolist() == [6197651132105268546, 1590359718043125283]
    np.testing.assert_array_max_ulp(sess.run(t), np.float32([-0.00286504, -0.69419545, -0.478955]), maxulp=2)
    np.testing.assert_allclose(sess.run(uf), [0.9723333, 0.3131704, 0.45639742], rtol=1e-7)
    assert sess.run(seeds).tolist() == [[5394157901782015838, -1253747224176783485], [0, 0]]
    assert sess.run(gen.state).tolist() == [5586, 0, 0]
    assert sess.run(binomial).tolist() == [4, 1, 5, 4]
    assert sess.run(gen.state).tolist() == [95186, 0, 0]  # TF's reserve: 2 * 100 * (4 + 3) / 4 draws


def test_each_run_draws_new_values_and_a_new_session_replays(g):
    gen = tf.random.Generator.from_seed(3)
    x = gen.normal([4])
    both = [gen.uniform([2]), gen.uniform([2])]  # two draws in one run: distinct ranges of the counter
    init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        first, second = sess.run(x), sess.run(x)
        a, b = sess.run(both)
    assert not np.array_equal(first, second) and not np.array_equal(a, b)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        np.testing.assert_array_equal(sess.run(x), first)


def test_from_state_and_copy_and_reset(sess):
    gen = tf.random.Generator.from_state([1234, 0, 0], alg="philox")
    twin = tf.random.Generator(copy_from=gen)
    a, b = gen.normal([3]), twin.normal([3])
    reset = gen.reset_from_seed(1234)
    sess.run(tf.global_variables_initializer())
    first = sess.run(a)
    np.testing.assert_array_equal(sess.run(b), first)  # the copy starts where gen's state was at init
    sess.run(reset)
    np.testing.assert_array_equal(sess.run(a), first)
    sess.run(gen.reset([1234, 0, 0]))
    np.testing.assert_array_equal(sess.run(a), first)
    sess.run(gen.reset_from_key_counter(0, [1234, 0]))
    np.testing.assert_array_equal(sess.run(a), first)
    skip = gen.skip(10)
    assert sess.run(skip).tolist() == [2002, 0, 0] and sess.run(gen.state).tolist() == [4562, 0, 0]
    with pytest.raises(ValueError, match="incompatible"):
        tf.random.Generator.from_state([1, 2], alg="philox")
    with pytest.raises(ValueError, match="state` and `alg`"):
        tf.random.Generator(state=[1, 2, 3])


def test_a_generator_on_an_existing_state_variable(sess):
    state = tf.Variable(np.array([1234, 0, 0], np.int64), trainable=False)
    gen = tf.random.Generator(state=state, alg="philox")
    assert gen.state is state
    x = gen.normal([3])
    sess.run(state.initializer)
    np.testing.assert_array_max_ulp(sess.run(x), np.float32([0.9356609, 1.0854305, -0.93788373]), maxulp=2)
    assert sess.run(state).tolist() == [2002, 0, 0]


def test_key_counter_constructor_and_key(sess):
    gen = tf.random.Generator.from_key_counter(key=9, counter=[5, 0], alg="philox")
    sess.run(gen.state.initializer)
    assert sess.run(gen.state).tolist() == [5, 0, 9] and sess.run(gen.key) == 9


def test_non_deterministic_and_global_generators(g):
    a, b = tf.random.Generator.from_non_deterministic_state(), tf.random.Generator.from_non_deterministic_state()
    glob = tf.random.get_global_generator()
    assert tf.random.get_global_generator() is glob
    seeded = tf.random.Generator.from_seed(1)
    tf.random.set_global_generator(seeded)
    assert tf.random.get_global_generator() is seeded
    with tf.Session(graph=g) as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(a.state).tolist() != sess.run(b.state).tolist()
    with tf.Graph().as_default():
        assert tf.random.get_global_generator() is not seeded  # one global generator per graph


def test_split_gives_independent_generators(sess):
    gen = tf.random.Generator.from_seed(5)
    children = gen.split(2)
    draws = [child.normal([3]) for child in children]
    sess.run(tf.global_variables_initializer())
    states = [sess.run(c.state).tolist() for c in children]
    assert states[0][:2] == [0, 0] and states[1][:2] == [0, 0] and states[0][2] != states[1][2]
    x, y = sess.run(draws)
    assert not np.array_equal(x, y)


def test_binomial_counts(sess):
    gen = tf.random.Generator.from_seed(1)
    b = gen.binomial([20000], counts=10.0, probs=0.25)
    rows = gen.binomial([4000, 2], counts=[2.0, 20.0], probs=0.5, dtype=tf.float32)
    assert b.op.type == "StatefulRandomBinomial"
    sess.run(tf.global_variables_initializer())
    values = sess.run(b)
    assert values.dtype == np.int32 and values.min() >= 0 and values.max() <= 10 and abs(values.mean() - 2.5) < 0.05
    np.testing.assert_allclose(sess.run(rows).mean(axis=0), [1.0, 10.0], rtol=0.03)
    assert sess.run(gen.state)[0] > 1  # the counter moved


def test_threefry_state_and_unimplemented_draws(sess):
    gen = tf.random.Generator.from_seed(7, alg="threefry")
    assert gen.algorithm == 2 and gen.state.shape.as_list() == [2]
    x = gen.normal([2])
    sess.run(gen.state.initializer)
    assert sess.run(gen.state).tolist() == [7, 0]
    with pytest.raises(tf.errors.UnimplementedError):
        sess.run(x)


def test_generator_state_is_checkpointed(g, tmp_path):
    gen = tf.random.Generator.from_seed(11)
    x = gen.uniform([2])
    saver = tf.train.Saver()
    with tf.Session(graph=g) as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(x)
        path = saver.save(sess, str(tmp_path / "ckpt"))
        after = sess.run(x)
    with tf.Session(graph=g) as sess:
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(x), after)
