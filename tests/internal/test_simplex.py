"""Tests for relaxtfp.internal.simplex.SoftmaxCenteredLebesgue."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal.simplex import SoftmaxCenteredLebesgue
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
