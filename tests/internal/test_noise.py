"""Tests for relaxtfp.internal.noise: the counter-based noise generators."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from relaxtfp.internal import noise
from tests import utils

FALSE_FAIL_RATE = 1e-6
N = 200_000


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_uniform_never_zero_and_below_one(dtype):
    u = noise.uniform([N], seed=(1, 2), dtype=dtype).numpy()
    assert u.dtype == dtype.as_numpy_dtype
    assert u.min() > 0. and u.max() < 1.


@pytest.mark.parametrize("name,law", [("uniform", stats.uniform), ("logistic", stats.logistic),
                                      ("gumbel", stats.gumbel_r), ("normal", stats.norm)])
def test_noise_laws(name, law):
    x = getattr(noise, name)([N], seed=(3, 4), dtype=tf.float64).numpy()
    grid = law.ppf(np.linspace(0.001, 0.999, 999))
    utils.assert_cdf_matches(x, grid, law.cdf(grid), FALSE_FAIL_RATE)
    assert np.all(np.isfinite(x))


def test_seeds_are_stateless():
    a = noise.logistic([5], seed=(1, 2), dtype=tf.float32)
    b = noise.logistic([5], seed=(1, 2), dtype=tf.float32)
    c = noise.logistic([5], seed=(1, 3), dtype=tf.float32)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_xla_matches_eager():
    f = tf.function(lambda: noise.logistic([1000], seed=(5, 6), dtype=tf.float32),
                    jit_compile=True)
    np.testing.assert_allclose(f(), noise.logistic([1000], seed=(5, 6), dtype=tf.float32),
                               rtol=1e-6)


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
    a = noise.uniform([N], s1, tf.float64).numpy()
    b = noise.uniform([N], s2, tf.float64).numpy()
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


@pytest.mark.parametrize("seed", [None, 7, (1, 2), np.array([1, 2], np.int64),
                                  tf.constant([1, 2], tf.int64)])
def test_sanitize_seed_accepts_tfp_and_keras_seeds(seed):
    out = noise.sanitize_seed(seed)
    assert out.dtype == tf.int32 and tuple(out.shape) == (2,)


def test_distributions_reject_a_seed_of_three_integers():
    """Every sampler draws through `sanitize_seed`, so a distribution names
    a malformed seed instead of silently using part of it."""
    import relaxtfp
    dist = relaxtfp.distributions.HardConcrete(0.5, logits=[0., 1.])
    with pytest.raises(ValueError, match="`seed`"):
        dist.sample(seed=(1, 2, 3))
