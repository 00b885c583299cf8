"""Tests for ARM and DisARM (Bernoulli antithetic estimators) and ARSM
(`arm(..., categorical=True)`).

Unbiasedness: NUM_REPLICAS independent estimates against the exact gradient
by enumeration (`tests/estimators/exact.py`), z-test per coordinate with a
union bound at FALSE_FAIL_RATE, plus the power check (twice the half-width
is at most 10% of the exact gradient's norm).
"""


import numpy as np
import pytest

from tests import substrates
from tests import utils
from tests.estimators import exact

sub = substrates.current()
tf = sub.tf
arm, disarm = sub.estimators.arm, sub.estimators.disarm
util = sub.module("internal.estimator_util")

NUM_REPLICAS = 50_000
FALSE_FAIL_RATE = 1e-6

TARGET = np.array([0.45, 0.2, 0.9])


def _toy_f(b):
    return (b - tf.constant(TARGET, b.dtype)) ** 2


@pytest.mark.parametrize("estimator", [arm, disarm])
def test_toy_problem_unbiased(estimator, seed):
    logits = tf.constant(exact.BERNOULLI_LOGITS)
    _, grads, _ = exact.estimator_replicas(
        estimator, _toy_f, logits, NUM_REPLICAS, seed, num_samples=1)
    exact.assert_unbiased(
        grads, exact.toy_gradient(exact.BERNOULLI_LOGITS, TARGET),
        FALSE_FAIL_RATE)


@pytest.mark.parametrize("estimator", [arm, disarm])
@pytest.mark.parametrize("num_samples", [1, 3])
def test_nonlinear_problem_unbiased(estimator, num_samples, seed):
    logits = tf.constant(exact.BERNOULLI_LOGITS)
    _, grad, _ = exact.exact_gradients(exact.bernoulli_f, logits)
    _, grads, _ = exact.estimator_replicas(
        estimator, exact.bernoulli_f, logits, NUM_REPLICAS, seed,
        num_samples=num_samples)
    exact.assert_unbiased(grads, grad, FALSE_FAIL_RATE)


@pytest.mark.parametrize("estimator", [arm, disarm])
def test_extreme_logits_unbiased(estimator, seed):
    """Logits far from 0 (p near 0 or 1): the toy gradient is tiny, the
    estimators must still match it."""
    logits = tf.constant([4., -5., 0.])
    logits = tf.cast(logits, tf.float64)
    f = exact.bernoulli_f
    _, grad, _ = exact.exact_gradients(f, logits)
    _, grads, _ = exact.estimator_replicas(
        estimator, f, logits, NUM_REPLICAS, seed, num_samples=2)
    exact.assert_unbiased(grads, grad, FALSE_FAIL_RATE, power_fraction=0.2)


def test_disarm_variance_not_larger_than_arm(seed):
    """DisARM = E[ARM | b, b_tilde], so its variance is never larger. The
    same seed gives both the same antithetic pairs."""
    logits = tf.constant(exact.BERNOULLI_LOGITS)
    _, g_arm, _ = exact.estimator_replicas(
        arm, exact.bernoulli_f, logits, NUM_REPLICAS, seed)
    _, g_dis, _ = exact.estimator_replicas(
        disarm, exact.bernoulli_f, logits, NUM_REPLICAS, seed)
    v_arm, v_dis = g_arm.var(0), g_dis.var(0)
    print(f"\nper-coordinate variance ARM {v_arm}, DisARM {v_dis}")
    # Same draws, so the comparison is paired: var(ARM) - var(DisARM) =
    # E[(ARM - DisARM)^2] >= 0 up to sampling error. Assert on the paired
    # sample identity var(A) = var(D) + var(A - D) + 2 cov(D, A - D), where
    # cov(D, A - D) has mean 0: |2 cov| is within 6 standard errors.
    diff = g_arm - g_dis
    cov = ((g_dis - g_dis.mean(0)) * (diff - diff.mean(0))).mean(0)
    se = np.sqrt(((g_dis - g_dis.mean(0)) ** 2
                  * (diff - diff.mean(0)) ** 2).mean(0) / NUM_REPLICAS)
    assert np.all(np.abs(cov) <= 6. * se + 1e-12), (cov, se)
    assert np.all(v_dis <= v_arm * 1.05), (v_dis, v_arm)


def test_two_n_evaluations_in_one_call(seed):
    shapes = []

    def f(b):
        shapes.append(tuple(b.shape))
        return tf.reduce_sum(b, -1)

    for estimator in (arm, disarm):
        shapes.clear()
        estimator(f, tf.constant([0.1, 0.2, 0.3]), seed=seed, num_samples=5)
        assert shapes == [(10, 3)]


def test_antithetic_pairs_have_the_right_marginals(seed):
    """Both halves of the evaluation batch are Bernoulli(sigmoid(logits))."""
    logits = tf.constant([-1.0, 0.0, 2.0], tf.float64)
    seen = []
    n = 100_000
    arm(lambda b: seen.append(b) or tf.reduce_sum(b, -1), logits, seed=seed,
        num_samples=n)
    b = np.asarray(seen[0])
    p = 1. / (1. + np.exp(-np.asarray(logits)))
    for half in (b[:n], b[n:]):
        for d in range(3):
            utils.assert_proportion_matches(half[:, d].sum(), n, p[d],
                                            FALSE_FAIL_RATE, num_tests=6)


def test_surrogate_value_is_the_mean_over_2n(seed):
    seen = []

    def f(b):
        seen.append(b)
        return tf.reduce_sum(b, -1) ** 2

    logits = tf.constant([0.4, -0.3], tf.float64)
    value = disarm(f, logits, seed=seed, num_samples=4)
    np.testing.assert_allclose(value, np.mean(np.asarray(f(seen[0]))),
                               rtol=1e-14)


def test_gradient_to_variables_inside_f(seed):
    phi0 = np.array([0.2, -0.4, 0.7])
    logits = tf.constant(exact.BERNOULLI_LOGITS)
    f = lambda b, p: tf.reduce_sum((b - p) ** 2, -1) * (1. + b[..., 0])  # noqa
    _, _, (phi_grad,) = exact.exact_gradients(f, logits, params=[phi0])
    for estimator in (arm, disarm):
        reps = NUM_REPLICAS // 10
        _, _, (phi_grads,) = exact.estimator_replicas(
            estimator, f, logits, reps, seed,
            params=[np.tile(phi0, [reps, 1])], replicated=True, num_samples=2)
        exact.assert_unbiased(phi_grads, phi_grad, FALSE_FAIL_RATE)


def test_batch_prefix_convention(seed):
    """f may return [2n] + a prefix of the batch shape: with logits [4, 3]
    and f returning [2n, 4], each row is one joint latent with its own
    learning signal, so rows whose f is zero get exactly zero gradient
    (a joint signal summed over rows would leak into them)."""
    logits = tf.constant(np.tile(exact.BERNOULLI_LOGITS, [4, 1]))
    mask = tf.constant([1., 0., 0., 0.], tf.float64)

    def f(b):                                       # [2n, 4, 3] -> [2n, 4]
        return exact.bernoulli_f(b) * mask

    for estimator in (arm, disarm):
        g = np.asarray(sub.gradients(
            lambda logits: estimator(f, logits, seed=seed, num_samples=2),
            logits)[0])
        assert np.all(g[1:] == 0.) and np.any(g[0] != 0.), g


def test_disarm_categorical_not_implemented():
    with pytest.raises(NotImplementedError, match=r"arm\(f, logits, .*categorical=True"):
        disarm(lambda b: tf.reduce_sum(b, [-1, -2]), tf.zeros([2, 3]),
               seed=(1, 2), categorical=True)


def _one_categorical_f(b):
    """Nonlinear in the value x in {0, 1, 2} of one K = 3 variable."""
    x = tf.reduce_sum(b * tf.constant([0., 1., 2.], b.dtype), axis=-1)
    return (x - 0.7) ** 2 + 0.5 * x ** 3


@pytest.mark.parametrize("num_samples", [1, 2])
def test_arsm_one_variable_unbiased(num_samples, seed):
    logits = tf.constant([0.4, -0.6, 0.1], tf.float64)
    _, grad, _ = exact.exact_gradients(_one_categorical_f, logits,
                                       categorical=True)
    _, grads, _ = exact.estimator_replicas(
        arm, _one_categorical_f, logits, NUM_REPLICAS, seed,
        num_samples=num_samples, categorical=True)
    exact.assert_unbiased(grads, grad, FALSE_FAIL_RATE)


def test_arsm_two_variables_jointly_unbiased(seed):
    """Two K = 3 variables in one joint latent, f not separable."""
    logits = tf.constant(exact.CATEGORICAL_LOGITS)
    _, grad, _ = exact.exact_gradients(exact.categorical_f, logits,
                                       categorical=True)
    _, grads, _ = exact.estimator_replicas(
        arm, exact.categorical_f, logits, NUM_REPLICAS, seed, num_samples=1,
        categorical=True)
    exact.assert_unbiased(grads, grad, FALSE_FAIL_RATE)


def test_arsm_two_categories_unbiased(seed):
    """K = 2: the Bernoulli problem written as two-category variables."""
    logits = util.as_two_categories(tf.constant(exact.BERNOULLI_LOGITS))
    f = lambda b: exact.bernoulli_f(b[..., 1])  # noqa: E731
    _, grad, _ = exact.exact_gradients(f, logits, categorical=True)
    _, grads, _ = exact.estimator_replicas(
        arm, f, logits, NUM_REPLICAS, seed, num_samples=1, categorical=True)
    exact.assert_unbiased(grads, grad, FALSE_FAIL_RATE)


def test_arsm_gradient_to_variables_inside_f_and_value(seed):
    """Variables in f get the pathwise gradient at the true samples only, and
    the surrogate's value is the mean of f there."""
    phi0 = np.array([0.3, -0.2, 0.5])
    logits = tf.constant(exact.CATEGORICAL_LOGITS)
    f = lambda b, p: (exact.categorical_f(b)  # noqa: E731
                      * tf.reduce_sum(p * b[..., 0, :], -1))
    _, _, (phi_grad,) = exact.exact_gradients(
        f, logits, categorical=True, params=[phi0])
    reps = NUM_REPLICAS // 5
    # f maps [N, R, 2, 3] and phi [R, 3] to [N, R].
    _, _, (phi_grads,) = exact.estimator_replicas(
        arm, f, logits, reps, seed, params=[np.tile(phi0, [reps, 1])],
        replicated=True, num_samples=2, categorical=True)
    exact.assert_unbiased(phi_grads, phi_grad, FALSE_FAIL_RATE)
    seen = []
    value = arm(lambda b: seen.append(b) or exact.categorical_f(b), logits,
                seed=seed, num_samples=3, categorical=True)
    np.testing.assert_allclose(
        value, np.mean(np.asarray(exact.categorical_f(seen[0]))), rtol=1e-14)


@pytest.mark.parametrize("logits_shape,prefix_rank,num_vars", [
    ([3], 0, 1), ([4, 5], 0, 4), ([2, 4], 1, 1), ([6, 2, 3], 1, 2),
    ([6, 2, 3], 0, 12)])
def test_arsm_number_of_evaluations(logits_shape, prefix_rank, num_vars,
                                    seed):
    """As documented: one call on n true samples, then one call on
    n * D * K * (K - 1) / 2 swapped samples, D = variables per joint latent."""
    shapes = []
    k = logits_shape[-1]
    latent_axes = list(range(1 + prefix_rank, len(logits_shape)))

    def f(b):
        shapes.append(tuple(b.shape))
        x = tf.reduce_sum(b * tf.range(k, dtype=b.dtype), -1) ** 2
        return tf.reduce_sum(x, latent_axes) if latent_axes else x

    n = 3
    arm(f, tf.zeros(logits_shape), seed=seed, num_samples=n, categorical=True)
    assert shapes == [tuple([n] + logits_shape),
                      tuple([n * num_vars * k * (k - 1) // 2] + logits_shape)]


def test_arsm_samples_are_categorical(seed):
    """The true samples z = argmin(log pi - logits) follow softmax(logits)."""
    logits = tf.constant([0.7, -0.4, 0.0, 1.1], tf.float64)
    seen = []
    n = 100_000
    arm(lambda b: seen.append(b) or tf.reduce_sum(b, -1), logits, seed=seed,
        num_samples=n, categorical=True)
    counts = np.asarray(seen[0]).sum(0)
    p = np.asarray(tf.math.softmax(logits))
    for c in range(4):
        utils.assert_proportion_matches(counts[c], n, p[c], FALSE_FAIL_RATE,
                                        num_tests=4)


def test_arsm_batch_prefix_convention(seed):
    """Rows of a [4, 2, 3] batch are separate joint latents: rows whose f is
    zero get exactly zero gradient."""
    logits = tf.constant(np.tile(exact.CATEGORICAL_LOGITS, [4, 1, 1]))
    mask = tf.constant([1., 0., 0., 0.], tf.float64)
    g = np.asarray(sub.gradients(
        lambda logits: arm(lambda b: exact.categorical_f(b) * mask, logits,
                           seed=seed, num_samples=2, categorical=True),
        logits)[0])
    assert np.all(g[1:] == 0.) and np.any(g[0] != 0.), g


def test_invalid_arguments():
    with pytest.raises(ValueError, match="Argument `num_samples` must be"):
        arm(lambda b: b, tf.zeros([2]), seed=(1, 2), num_samples=0)
    with pytest.raises(ValueError, match="Argument `f` must return values"):
        disarm(lambda b: b[:1], tf.zeros([2]), seed=(1, 2), num_samples=2)


_XLA_CASES = {
    "disarm": (disarm, [-50., -3., 0., 3., 50.],
               lambda b: tf.reduce_sum(b, -1) ** 2, dict(num_samples=8)),
    "arsm": (arm, [[-30., 0., 30.], [0.5, -0.2, 0.1]], exact.categorical_f,
             dict(num_samples=4, categorical=True)),
}


@pytest.mark.parametrize("case", sorted(_XLA_CASES))
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_xla_matches_eager_and_no_nan_at_extreme_logits(dtype, case):
    estimator, values, f, options = _XLA_CASES[case]
    logits = tf.constant(values, dtype)

    def run(logits):
        loss, (grad,) = sub.value_and_gradient(
            lambda logits: estimator(f, logits, seed=(3, 4), **options), logits)
        return loss, grad

    eager = run(logits)
    xla = sub.xla(run)(logits)
    assert np.all(np.isfinite(eager[1]))
    rtol = 1e-5 if dtype == tf.float32 else 1e-12
    np.testing.assert_allclose(xla[0], eager[0], rtol=rtol)
    np.testing.assert_allclose(xla[1], eager[1], rtol=rtol, atol=rtol)
