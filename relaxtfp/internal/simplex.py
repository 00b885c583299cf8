"""The simplex bijector with the density convention of `tfd.Dirichlet`, and
the log-ratio forms of a Gaussian with diagonal covariance.

Every density on the K-simplex in relaxtfp is taken with respect to Lebesgue
measure on the first K-1 coordinates, as `tfd.Dirichlet`'s is, so that
log-ratios and KL divergences against a Dirichlet are right.

`tfb.SoftmaxCentered` measures the simplex by its surface area in R^K: its
log-det-Jacobian carries an extra `0.5 * log(K)` (the Jacobian of the lift
that appends the last coordinate). A `TransformedDistribution` built on it is
therefore off from the Dirichlet convention by exactly that constant
(E_{x ~ Dirichlet(1, 1, 1)}[q(x) / p(x)] = 1 / sqrt(3) instead of 1).
`SoftmaxCenteredLebesgue` removes the constant and is otherwise
`SoftmaxCentered`: forward x in R^(K-1) -> softmax([x, 0]), computed by
a max-subtracted softmax (so no overflow, and the last coordinate
1 / (1 + sum(exp(x))) is computed directly, never as 1 - sum(others)), here
`numerics.softmax`, which also accepts inputs of rank above 5.
"""

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import numerics
from relaxtfp.internal.tfp_internal import ps

tfb = tfp.bijectors

__all__ = [
    "ArgmaxLawWithoutClosedForm",
    "check_same_event_size",
    "SoftmaxCenteredLebesgue",
    "diagonal_log_ratio_log_det",
    "diagonal_log_ratio_quadratic_form",
    "diagonal_log_ratio_trace",
]


class ArgmaxLawWithoutClosedForm:
    """`discrete_law()` of a law on the simplex that pushes a Gaussian
    through a softmax-type map (`InvertibleGaussian`, `LogisticNormalSoftmax`).
    """

    def discrete_law(self, name="discrete_law"):
        """Raises `NotImplementedError`: the law of the argmax has no closed form.

        The discrete value behind a sample `x` is the one-hot vector
        `one_hot(argmax(x))`. Its law is a Gaussian orthant probability (the
        probability that one coordinate of a correlated Gaussian vector
        exceeds all others), which has no closed form for more than two
        categories; estimate it from samples instead, e.g. the mean of
        `one_hot(argmax(x))` over many draws.

        Args:
          name: Python `str` name prefixed to Ops created by this method.

        Raises:
          NotImplementedError: always.
        """
        del name  # Nothing is computed.
        raise NotImplementedError(
            f"{type(self).__name__}.discrete_law: the discrete value behind a "
            "sample is one_hot(argmax(x)), and the law of the argmax of a "
            "Gaussian vector pushed through the softmax map is a Gaussian "
            "orthant probability in K - 1 dimensions with no closed form. "
            "Estimate it from samples (the mean of one_hot(argmax(x)) over "
            "draws).")


def check_same_event_size(p, q, law):
    """Raises `ValueError` when the event sizes K of two laws on the simplex
    are statically known to differ (a KL between them is undefined)."""
    k_p = tf.compat.dimension_value(p.event_shape[0])
    k_q = tf.compat.dimension_value(q.event_shape[0])
    if k_p is not None and k_q is not None and k_p != k_q:
        raise ValueError(
            f"KL({law} || {law}) needs one event size K; got {k_p} and {k_q}.")


class SoftmaxCenteredLebesgue(tfb.SoftmaxCentered):
    """`tfb.SoftmaxCentered` with log-det-Jacobians w.r.t. Lebesgue measure on
    the first K-1 coordinates of the simplex (the `tfd.Dirichlet` convention).

    forward_log_det_jacobian(x) = sum(log y), with y = forward(x) in R^K.
    """

    def __init__(self, validate_args=False, name="softmax_centered_lebesgue"):
        super().__init__(validate_args=validate_args, name=name)

    def _forward(self, x):
        # tfb.SoftmaxCentered's own forward calls tf.math.softmax, whose CPU
        # kernel rejects rank > 5 (see numerics.softmax).
        return numerics.softmax(self._pad.forward(x))

    def _half_log_k(self, k, dtype):
        return 0.5 * ps.log(ps.cast(k, dtype=dtype))

    def _inverse_log_det_jacobian(self, y):
        return (super()._inverse_log_det_jacobian(y)
                + self._half_log_k(ps.shape(y)[-1], y.dtype))

    def _forward_log_det_jacobian(self, x):
        return (super()._forward_log_det_jacobian(x)
                - self._half_log_k(1 + ps.shape(x)[-1], x.dtype))


# -- Gaussians with diagonal covariance seen through their log-ratios ----------
#
# For g ~ Normal(loc, diag(scale**2)) in R^K, the softmax sees only the
# log-ratios d = A g, (A g)_i = g_i - g_K, whose covariance
# S = A diag(scale**2) A^T = diag(scale_{1:K-1}**2) + scale_K**2 * ones is
# diagonal plus rank one. With w = scale**-2, pi = w / sum(w) and
# M = A^T S^-1 A = diag(w) - w w^T / sum(w) (a K x K matrix that no longer
# singles out the last coordinate):
#
#   (A e)^T S^-1 (A e) = e^T M e = sum_k w_k (e_k - e_bar)**2,
#                        e_bar = sum_k pi_k e_k,
#   tr(S^-1 A diag(u) A^T) = sum_k u_k M_kk = sum_k u_k w_k (1 - pi_k),
#   log det S = 2 sum_k log scale_k + log sum_k w_k.
#
# These need O(K) work and no reference coordinate, so a coordinate with a
# tiny or huge scale costs no accuracy: forming S and its Cholesky factor
# would bring the largest variance into every entry and cancel the rest.


def _broadcast_log_scale(log_scale, shape):
    return tf.broadcast_to(log_scale, ps.broadcast_shape(ps.shape(log_scale), shape))


def diagonal_log_ratio_quadratic_form(residual, log_scale):
    """`(A e)^T S^-1 (A e)` for `e = residual`, `S` the log-ratio covariance of
    `Normal(., diag(exp(log_scale)**2))`; both broadcast over the last axis K.

    The weighted mean `e_bar` is subtracted before squaring (no cancellation
    between large sums), and each term is squared after dividing by its
    scale, so it overflows only when a standardized residual does.

    The gradient is the analytic one, `2 w_k (e_k - e_bar)` with respect to
    `e_k` and `-2 w_k (e_k - e_bar)**2` with respect to `log_scale_k` (the
    dependence through `e_bar` cancels, since `sum w (e - e_bar) = 0`). Each
    is a single term per coordinate, so where the form overflows the
    gradient is infinite, never `inf - inf = NaN` as autodiff through
    `e_bar` would give. It is written in differentiable ops of the inputs,
    so second derivatives are right too.
    """
    log_scale = _broadcast_log_scale(log_scale, ps.shape(residual))
    residual = tf.broadcast_to(residual, ps.shape(log_scale))
    return _diagonal_quadratic_form(residual, log_scale)


def _standardized_residual(residual, log_scale):
    """`(e - e_bar) / scale`, with `e_bar` the weighted mean of `e`."""
    log_w = -2. * log_scale
    # Weights normalized by their largest, so that scales from 1e-30 to 1e30
    # neither overflow nor lose the small terms in the weighted mean.
    w = tf.math.exp(log_w - tf.reduce_max(log_w, axis=-1, keepdims=True))
    e_bar = (tf.reduce_sum(w * residual, axis=-1, keepdims=True)
             / tf.reduce_sum(w, axis=-1, keepdims=True))
    return (residual - e_bar) * tf.math.exp(-log_scale)


@tf.custom_gradient
def _diagonal_quadratic_form(residual, log_scale):
    z = _standardized_residual(residual, log_scale)

    def grad(dy):
        # Recomputed from the inputs, so that an outer tape differentiates it.
        z = _standardized_residual(residual, log_scale)
        dy = dy[..., tf.newaxis]
        return (dy * 2. * z * tf.math.exp(-log_scale),
                dy * -2. * tf.math.square(z))

    return tf.reduce_sum(tf.math.square(z), axis=-1), grad


def diagonal_log_ratio_log_det(log_scale):
    """`log det S` for the log-ratio covariance `S` of
    `Normal(., diag(exp(log_scale)**2))`, shape `log_scale.shape[:-1]`.

    `log_scale` must have its full last axis K (broadcast it first if it is
    shared across coordinates): the determinant depends on K.
    """
    return (2. * tf.reduce_sum(log_scale, axis=-1)
            + tf.reduce_logsumexp(-2. * log_scale, axis=-1))


def diagonal_log_ratio_trace(log_variance, log_scale):
    """`tr(S^-1 A diag(u) A^T)` with `u = exp(log_variance)`, `S` the log-ratio
    covariance of `Normal(., diag(exp(log_scale)**2))`: the trace term of a
    Gaussian KL divergence or of an expected log density in log-ratio space.

    `1 - pi_k` is computed as the sum of the other coordinates' weights over
    the sum of all (prefix and suffix sums of positive terms), not as a
    difference, so it keeps its relative precision when `pi_k` is near 1.
    """
    shape = ps.broadcast_shape(ps.shape(log_variance), ps.shape(log_scale))
    log_scale = tf.broadcast_to(log_scale, shape)
    log_variance = tf.broadcast_to(log_variance, shape)
    log_w = -2. * log_scale
    w = tf.math.exp(log_w - tf.reduce_max(log_w, axis=-1, keepdims=True))
    others = (tf.math.cumsum(w, axis=-1, exclusive=True)
              + tf.math.cumsum(w, axis=-1, exclusive=True, reverse=True))
    one_minus_pi = others / tf.reduce_sum(w, axis=-1, keepdims=True)
    return tf.reduce_sum(tf.math.exp(log_variance + log_w) * one_minus_pi, axis=-1)
