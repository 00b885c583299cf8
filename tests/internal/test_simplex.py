"""Tests for relaxtfp.internal.simplex.SoftmaxCenteredLebesgue."""

import numpy as np
import pytest

from tests import substrates
from tests import utils

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
tfd = tfp.distributions
simplex = sub.module("internal.simplex")
SoftmaxCenteredLebesgue = simplex.SoftmaxCenteredLebesgue
diagonal_log_ratio_log_det = simplex.diagonal_log_ratio_log_det
diagonal_log_ratio_quadratic_form = simplex.diagonal_log_ratio_quadratic_form
diagonal_log_ratio_trace = simplex.diagonal_log_ratio_trace
FALSE_FAIL_RATE = 1e-6


def test_log_det_is_sum_of_log_coordinates():
    x = tf.constant([[0.3, -1.2, 2.0], [50., -50., 0.]], tf.float64)
    b = SoftmaxCenteredLebesgue()
    y = b.forward(x)
    np.testing.assert_allclose(b.forward_log_det_jacobian(x, event_ndims=1),
                               tf.reduce_sum(tf.math.log(y), -1), rtol=1e-12)
    np.testing.assert_allclose(b.inverse_log_det_jacobian(y, event_ndims=1),
                               -tf.reduce_sum(tf.math.log(y), -1), rtol=1e-12)
    # Differs from TFP's surface-measure convention by exactly 0.5 log K.
    np.testing.assert_allclose(
        tfp.bijectors.SoftmaxCentered().forward_log_det_jacobian(x, event_ndims=1)
        - b.forward_log_det_jacobian(x, event_ndims=1), 0.5 * np.log(4.), rtol=1e-12)


def test_forward_is_stable_for_large_inputs():
    y = np.asarray(SoftmaxCenteredLebesgue().forward(tf.constant([1e4, -1e4], tf.float32)))
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(), 1., rtol=1e-6)


def test_transformed_normal_density_has_dirichlet_measure():
    """E_{x ~ Dirichlet}[q(x) / p(x)] = 1 for a density q in the Dirichlet
    convention (importance-sampling identity); the CLT half-width is at
    false-failure rate FALSE_FAIL_RATE. With TFP's SoftmaxCentered the mean is
    1 / sqrt(3) = 0.577, which the half-width (< 0.05) excludes."""
    q = tfd.TransformedDistribution(
        tfd.MultivariateNormalDiag(tf.constant([0.2, -0.1], tf.float64),
                                   tf.constant([0.8, 1.1], tf.float64)),
        SoftmaxCenteredLebesgue())
    p = tfd.Dirichlet(tf.constant([1., 1., 1.], tf.float64))
    x = p.sample(200_000, seed=sub.seed(1, 2))
    ratio = np.asarray(tf.exp(q.log_prob(x) - p.log_prob(x)))
    utils.assert_mean_within_clt(ratio, 1., FALSE_FAIL_RATE)
    assert utils.clt_halfwidth(ratio.std(), ratio.size, FALSE_FAIL_RATE) < 0.05


# -- log-ratio forms of a diagonal Gaussian ----------------------------------------


def _difference_matrix(k):
    return np.concatenate([np.eye(k - 1), -np.ones((k - 1, 1))], axis=1)


def _matrix_forms(residual, log_scale, log_variance):
    """The same quantities through S = A diag(scale**2) A^T, as matrices."""
    k = residual.shape[-1]
    a = tf.constant(_difference_matrix(k), tf.float64)
    s = tf.linalg.matmul(a * tf.math.exp(2. * log_scale), a, transpose_b=True)
    r = tf.linalg.matvec(a, residual)
    quad = tf.reduce_sum(r * tf.linalg.solve(s, r[:, None])[:, 0])
    c = tf.linalg.matmul(a * tf.math.exp(log_variance), a, transpose_b=True)
    return quad, tf.linalg.logdet(s), tf.linalg.trace(tf.linalg.solve(s, c))


@pytest.mark.parametrize("spread", [1., 3.])
def test_diagonal_forms_match_the_matrix_forms(spread, rng):
    """Scales exp(N(0, spread)): up to about 1e-4..1e4 for spread 3."""
    for _ in range(5):
        residual = tf.constant(rng.normal(size=6), tf.float64)
        log_scale = tf.constant(rng.normal(size=6) * spread, tf.float64)
        log_variance = tf.constant(rng.normal(size=6), tf.float64)
        quad, log_det, trace = _matrix_forms(residual, log_scale, log_variance)
        np.testing.assert_allclose(
            diagonal_log_ratio_quadratic_form(residual, log_scale), quad, rtol=1e-9)
        np.testing.assert_allclose(diagonal_log_ratio_log_det(log_scale), log_det, rtol=1e-11)
        np.testing.assert_allclose(
            diagonal_log_ratio_trace(log_variance, log_scale), trace, rtol=1e-9)


def _derivatives(f, x, y):
    """`[df/dx, df/dy]` followed by the four blocks of the Hessian of a scalar
    `f(x, y)`, `d(df/dx)/dx, d(df/dx)/dy, d(df/dy)/dx, d(df/dy)/dy`."""
    if sub.is_jax:
        grad = sub.jax.grad(f, argnums=(0, 1))
        hessian = sub.jax.jacfwd(grad, argnums=(0, 1))(x, y)
        return list(grad(x, y)) + [h for row in hessian for h in row]
    with tf.GradientTape(persistent=True) as outer:
        outer.watch([x, y])
        with tf.GradientTape() as inner:
            inner.watch([x, y])
            value = f(x, y)
        g_x, g_y = inner.gradient(value, [x, y])
    return [g_x, g_y] + [outer.jacobian(g, v) for g in (g_x, g_y) for v in (x, y)]


def test_quadratic_form_gradient_and_hessian_match_the_matrix_form(rng):
    """The analytic gradient is written in differentiable ops of the inputs,
    so an outer derivative (a second tape, or `jax.jacfwd` of `jax.grad`
    through the shim's custom gradient) gets the right second derivatives."""
    residual = tf.constant(rng.normal(size=4), tf.float64)
    log_scale = tf.constant(rng.normal(size=4) * 0.5, tf.float64)
    variance = tf.constant(np.zeros(4), tf.float64)

    ours = _derivatives(diagonal_log_ratio_quadratic_form, residual, log_scale)
    ref = _derivatives(lambda r, s: _matrix_forms(r, s, variance)[0], residual, log_scale)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_quadratic_form_broadcasts_a_shared_scale():
    residual = tf.constant([[0.3, -1., 2.], [0., 0.5, 0.1]], tf.float64)
    np.testing.assert_allclose(
        diagonal_log_ratio_quadratic_form(residual, tf.constant(0.2, tf.float64)),
        diagonal_log_ratio_quadratic_form(residual, tf.fill([3], tf.constant(0.2, tf.float64))),
        rtol=1e-15)


def test_trace_keeps_its_precision_when_one_weight_dominates():
    """scale = (1e-3, 1, 1): pi_1 = 1 - 2e-6, and the first term of the trace
    is (u_1 / scale_1**2) (1 - pi_1) = 2 (of 4) for u = 1. In float32,
    1 - pi_1 computed as a difference loses about 3% (power: that error is
    rejected by the 1e-5 tolerance); as a sum of the other weights it keeps
    full precision."""
    log_scale = np.log([1e-3, 1., 1.])
    log_variance = np.zeros(3)
    exact = np.asarray(diagonal_log_ratio_trace(tf.constant(log_variance, tf.float64),
                                                tf.constant(log_scale, tf.float64)))
    ours = np.asarray(diagonal_log_ratio_trace(tf.constant(log_variance, tf.float32),
                                               tf.constant(log_scale, tf.float32)))
    np.testing.assert_allclose(ours, exact, rtol=1e-5)
    w = np.exp(-2. * log_scale).astype(np.float32)
    pi = w / w.sum()
    naive = np.sum(np.exp(log_variance).astype(np.float32) * w * (np.float32(1.) - pi))
    assert abs(naive - exact) > 1e-5 * abs(exact) * 10.
