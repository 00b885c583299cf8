"""Tests for relaxtfp.internal.noise: the counter-based noise generators."""

import importlib

import numpy as np
import pytest
from scipy import stats

from tests import substrates
from tests import utils

sub = substrates.current()
tf = sub.tf
noise = importlib.import_module(sub.rtfp.__name__ + ".internal.noise")

FALSE_FAIL_RATE = 1e-6
N = 200_000


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_never_zero_and_below_one(dtype):
    u = np.asarray(noise.uniform([N], seed=(1, 2), dtype=dtype))
    assert u.dtype == np.dtype(dtype)
    assert u.min() > 0. and u.max() < 1.


@pytest.mark.parametrize("name,law", [("uniform", stats.uniform), ("logistic", stats.logistic),
                                      ("gumbel", stats.gumbel_r), ("normal", stats.norm)])
def test_noise_laws(name, law):
    x = np.asarray(getattr(noise, name)([N], seed=(3, 4), dtype="float64"))
    grid = law.ppf(np.linspace(0.001, 0.999, 999))
    utils.assert_cdf_matches(x, grid, law.cdf(grid), FALSE_FAIL_RATE)
    assert np.all(np.isfinite(x))


def test_seeds_are_stateless():
    a = noise.logistic([5], seed=(1, 2), dtype="float32")
    b = noise.logistic([5], seed=(1, 2), dtype="float32")
    c = noise.logistic([5], seed=(1, 3), dtype="float32")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_xla_matches_eager():
    f = sub.xla(lambda: noise.logistic([1000], seed=(5, 6), dtype="float32"))
    np.testing.assert_allclose(f(), noise.logistic([1000], seed=(5, 6), dtype="float32"),
                               rtol=1e-6)


@substrates.tensorflow_only("Keras's SeedGenerator gives an int64 pair on TensorFlow; on "
                            "JAX a key (test_jax_key_from_a_keras_seed_generator_is_accepted)")
def test_int64_seeds_from_keras_seed_generator_are_accepted():
    import keras
    gen = keras.random.SeedGenerator(3)
    seed = gen.next()
    assert seed.dtype == tf.int64 or "int64" in str(seed.dtype)
    x = noise.uniform([4], seed=seed, dtype=tf.float32)
    np.testing.assert_array_equal(x, noise.uniform([4], seed=tf.cast(seed, tf.int32),
                                                   dtype=tf.float32))


def test_split_seeds_give_independent_streams():
    """Correlation between streams of split seeds is within the CLT bound
    (false-failure rate FALSE_FAIL_RATE); a shared stream would give 1."""
    s1, s2 = noise.split_seed((7, 8), n=2)
    a = np.asarray(noise.uniform([N], s1, "float64"))
    b = np.asarray(noise.uniform([N], s2, "float64"))
    r = np.corrcoef(a, b)[0, 1]
    assert abs(r) < utils.clt_halfwidth(1., N, FALSE_FAIL_RATE)


@pytest.mark.parametrize("seed,error", [
    ((1, 2, 3), ValueError),             # a stateless kernel would read two of three
    ([[1, 2]], ValueError),
    ((1.5, 2.), TypeError),
    ("seed", TypeError),
    (True, TypeError),
    (tf.constant([1., 2.]), TypeError),
])
def test_sanitize_seed_rejects_what_is_not_a_seed(seed, error):
    with pytest.raises(error, match="`seed`"):
        noise.sanitize_seed(seed)


@substrates.tensorflow_only("TensorFlow's seeds are int32 pairs, and None draws a fresh "
                            "one; JAX's are keys (test_jax_seeds_are_accepted)")
@pytest.mark.parametrize("seed", [None, 7, (1, 2), np.array([1, 2], np.int64),
                                  tf.constant([1, 2], tf.int64)])
def test_sanitize_seed_accepts_tfp_and_keras_seeds(seed):
    out = noise.sanitize_seed(seed)
    assert out.dtype == tf.int32 and tuple(out.shape) == (2,)


# -- JAX: seeds are PRNG keys ----------------------------------------------------

jax_only = pytest.mark.skipif(not sub.is_jax, reason="JAX PRNG keys")


def _key_data(key):
    """The raw uint32[2] data of a typed or raw JAX key."""
    jax = sub.jax
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        return np.asarray(jax.random.key_data(key))
    return np.asarray(key)


@jax_only
def test_jax_seeds_are_accepted():
    """Typed keys, raw keys, Python ints and pairs of integers all give the
    key they name: an int n is `PRNGKey(n)`, a pair is the raw key data."""
    jax = sub.jax
    raw = jax.random.PRNGKey(7)
    typed = jax.random.key(7)
    for seed in (raw, typed, 7, (0, 7), np.array([0, 7], np.uint32),
                 np.array([0, 7], np.int64)):
        np.testing.assert_array_equal(_key_data(noise.sanitize_seed(seed)),
                                      _key_data(raw), err_msg=repr(seed))
    draws = [np.asarray(noise.uniform([8], seed, "float32")) for seed in (raw, typed, 7, (0, 7))]
    for d in draws[1:]:
        np.testing.assert_array_equal(d, draws[0])


@jax_only
def test_jax_key_from_a_keras_seed_generator_is_accepted():
    import keras
    if keras.backend.backend() != "jax":
        pytest.skip("Keras runs on another backend")
    seed = keras.random.SeedGenerator(3).next()
    x = np.asarray(noise.uniform([4], seed=seed, dtype="float32"))
    np.testing.assert_array_equal(x, noise.uniform([4], seed=np.asarray(seed), dtype="float32"))


@jax_only
def test_jax_rejects_none_and_key_arrays():
    """JAX has no global random state: `None` raises, naming `seed`; so does a
    batch of keys, of which a draw would use only part."""
    jax = sub.jax
    with pytest.raises(ValueError, match="`seed`.*None"):
        noise.sanitize_seed(None)
    with pytest.raises(ValueError, match="`seed`"):
        noise.sanitize_seed(jax.random.split(jax.random.key(0), 3))
    with pytest.raises(ValueError, match="`seed`"):
        noise.uniform([3], seed=None, dtype="float32")


def test_distributions_reject_a_seed_of_three_integers():
    """Every sampler draws through `sanitize_seed`, so a distribution names
    a malformed seed instead of silently using part of it."""
    dist = sub.rtd.HardConcrete(0.5, logits=[0., 1.])
    with pytest.raises(ValueError, match="`seed`"):
        dist.sample(seed=(1, 2, 3))
