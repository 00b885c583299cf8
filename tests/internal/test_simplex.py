"""Tests for relaxtfp.internal.simplex.SoftmaxCenteredLebesgue."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal.simplex import SoftmaxCenteredLebesgue
from relaxtfp.internal.simplex import diagonal_log_ratio_log_det
from relaxtfp.internal.simplex import diagonal_log_ratio_quadratic_form
from relaxtfp.internal.simplex import diagonal_log_ratio_trace
from tests import utils

tfd = tfp.distributions
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
    y = SoftmaxCenteredLebesgue().forward(tf.constant([1e4, -1e4], tf.float32)).numpy()
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
    x = p.sample(200_000, seed=(1, 2))
    ratio = tf.exp(q.log_prob(x) - p.log_prob(x)).numpy()
    utils.assert_mean_within_clt(ratio, 1., FALSE_FAIL_RATE)
    assert utils.clt_halfwidth(ratio.std(), ratio.size, FALSE_FAIL_RATE) < 0.05


# -- log-ratio forms of a diagonal Gaussian ----------------------------------------


def _difference_matrix(k):
    return np.concatenate([np.eye(k - 1), -np.ones((k - 1, 1))], axis=1)


def _matrix_forms(residual, log_scale, log_variance):
    """The same quantities through S = A diag(scale**2) A^T, in TensorFlow."""
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


def test_quadratic_form_gradient_and_hessian_match_the_matrix_form(rng):
    """The analytic gradient is written in differentiable ops of the inputs,
    so an outer tape gets the right second derivatives."""
    residual = tf.Variable(rng.normal(size=4))
    log_scale = tf.Variable(rng.normal(size=4) * 0.5)
    variance = tf.constant(np.zeros(4))

    def derivatives(f):
        with tf.GradientTape(persistent=True) as outer:
            with tf.GradientTape() as inner:
                value = f()
            g_r, g_s = inner.gradient(value, [residual, log_scale])
        hessians = [outer.jacobian(g, v) for g in (g_r, g_s) for v in (residual, log_scale)]
        return [g_r, g_s] + hessians

    ours = derivatives(lambda: diagonal_log_ratio_quadratic_form(residual, log_scale))
    ref = derivatives(lambda: _matrix_forms(residual, log_scale, variance)[0])
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
    exact = diagonal_log_ratio_trace(tf.constant(log_variance), tf.constant(log_scale)).numpy()
    ours = diagonal_log_ratio_trace(tf.constant(log_variance, tf.float32),
                                    tf.constant(log_scale, tf.float32)).numpy()
    np.testing.assert_allclose(ours, exact, rtol=1e-5)
    w = np.exp(-2. * log_scale).astype(np.float32)
    pi = w / w.sum()
    naive = np.sum(np.exp(log_variance).astype(np.float32) * w * (np.float32(1.) - pi))
    assert abs(naive - exact) > 1e-5 * abs(exact) * 10.
