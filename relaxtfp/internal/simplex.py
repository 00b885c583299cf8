"""The simplex bijector with the density convention of `tfd.Dirichlet`.

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

import tensorflow_probability as tfp

from relaxtfp.internal import numerics
from relaxtfp.internal.tfp_internal import ps

tfb = tfp.bijectors

__all__ = ["SoftmaxCenteredLebesgue"]


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
