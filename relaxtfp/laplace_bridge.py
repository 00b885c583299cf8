"""The Laplace Bridge between Dirichlet and logistic-normal distributions.

Two maps (Hobbhahn, Kristiadi and Hennig, 2022) and the KL divergence
KL(Dirichlet || LogisticNormalSoftmax) in closed form, registered with
`tfd.kl_divergence` once, when this module is imported.
"""

import math

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.distributions.logistic_normal_softmax import LogisticNormalSoftmax
from relaxtfp.internal.tfp_internal import ps

tfd = tfp.distributions

__all__ = [
    "dirichlet_to_logistic_normal",
    "logistic_normal_to_dirichlet",
]

_LOG_2PI = math.log(2. * math.pi)


def dirichlet_to_logistic_normal(dirichlet, diagonal=False):
    """The Laplace Bridge's logistic-normal approximation of a Dirichlet.

    Returns the `LogisticNormalSoftmax` whose Gaussian `g` (with
    `x = softmax(g)`) has the Laplace approximation of the Dirichlet's density
    in the softmax basis: the mode of that density in `g` (normalized so that
    `sum(g) = 0`) and the inverse of its Hessian there.

    #### Mathematical Details

    For `Dirichlet(alpha)` with `K` categories:

    ```none
    mu_k      = log(alpha_k) - (1/K) sum_l log(alpha_l)
    Sigma_ij  = delta_ij / alpha_i
                - (1/K) (1/alpha_i + 1/alpha_j - (1/K) sum_l 1/alpha_l)
    ```

    `Sigma = P diag(1/alpha) P` with `P = I - ones/K`, so `Sigma ones = 0`:
    it is singular along the all-ones direction, to which the softmax is
    blind. The log-ratios `d_i = g_i - g_K` then have covariance
    `diag(1/alpha_{1:K-1}) + 1/alpha_K`, which is the large-`alpha` limit of
    the Dirichlet's own log-ratio covariance
    `diag(trigamma(alpha_{1:K-1})) + trigamma(alpha_K)`.

    With `diagonal=True`, only the diagonal of `Sigma` is kept and passed as
    the standard deviation `scale_k = sqrt(Sigma_kk)` (Hobbhahn et al.'s
    diagonal bridge). It does not reproduce the log-ratio covariance even as
    `alpha` grows: for equal concentrations and `K = 3` it is 2/3 of the
    Dirichlet's, and KL(Dirichlet || approximation) tends to a positive
    constant instead of 0.

    #### Examples

    ```python
    import tensorflow_probability as tfp
    import relaxtfp

    dirichlet = tfp.distributions.Dirichlet([2., 3., 6.])
    q = relaxtfp.laplace_bridge.dirichlet_to_logistic_normal(dirichlet)
    kl = tfp.distributions.kl_divergence(dirichlet, q)        # Closed form.
    back = relaxtfp.laplace_bridge.logistic_normal_to_dirichlet(q)
    # back.concentration == [2., 3., 6.] up to rounding.
    ```

    #### References

    [1]: Marius Hobbhahn, Agustinus Kristiadi and Philipp Hennig. Fast
         Predictive Uncertainty for Classification with Bayesian Deep
         Networks. In _Uncertainty in Artificial Intelligence_, 2022.
         https://arxiv.org/abs/2003.01227
    [2]: David J. C. MacKay. Choice of Basis for Laplace Approximation.
         _Machine Learning_, 33(1):77-86, 1998.

    Args:
      dirichlet: A `tfd.Dirichlet`.
      diagonal: Python `bool`. If `False` (default), the full covariance
        (given as `covariance_matrix`); if `True`, its diagonal only, as a standard
        deviation (`scale`).

    Returns:
      A `relaxtfp.distributions.LogisticNormalSoftmax` with the Dirichlet's
      batch shape, dtype, `validate_args` and `allow_nan_stats`.
    """
    with tf.name_scope("dirichlet_to_logistic_normal"):
        alpha = tf.convert_to_tensor(dirichlet.concentration)
        k = tf.cast(ps.shape(alpha)[-1], alpha.dtype)
        log_alpha = tf.math.log(alpha)
        loc = log_alpha - tf.reduce_mean(log_alpha, axis=-1, keepdims=True)
        inv = tf.math.reciprocal(alpha)
        mean_inv = tf.reduce_mean(inv, axis=-1, keepdims=True)
        kwargs = dict(validate_args=dirichlet.validate_args,
                      allow_nan_stats=dirichlet.allow_nan_stats)
        if diagonal:
            # Sigma_kk = (1 - 2/K) / alpha_k + (1/K^2) sum_l 1/alpha_l, a sum
            # of non-negative terms for K >= 2 (no cancellation).
            variance = (1. - 2. / k) * inv + mean_inv / k
            return LogisticNormalSoftmax(loc, scale=tf.math.sqrt(variance),
                                         **kwargs)
        # (P D P)_ij = D_ij - (1/K)(D_ii + D_jj) + mean(D) / K, D = diag(1/a).
        covariance = (tf.linalg.diag(inv)
                      - (inv[..., :, tf.newaxis] + inv[..., tf.newaxis, :]) / k
                      + mean_inv[..., tf.newaxis] / k)
        return LogisticNormalSoftmax(loc, covariance_matrix=covariance, **kwargs)


def logistic_normal_to_dirichlet(logistic_normal):
    """The Laplace Bridge's Dirichlet approximation of a logistic normal.

    The pseudo-inverse of `dirichlet_to_logistic_normal`: it maps the
    Gaussian's mean `mu = loc` and the diagonal `Sigma_kk` of its covariance
    (`scale**2`, or the diagonal of `covariance_matrix`) to a concentration. For a
    logistic normal produced by `dirichlet_to_logistic_normal`, with either
    `diagonal` setting, it returns the original Dirichlet exactly (up to
    rounding).

    The result depends on the parameters, not only on the law: `loc + c`
    gives the same concentration, but `covariance_matrix + c * ones` (which has the
    same law) does not. Pass the covariance centered (`Sigma ones = 0`), as
    `dirichlet_to_logistic_normal` returns it, for Hobbhahn et al.'s map.

    #### Mathematical Details

    ```none
    alpha_k = (1 / Sigma_kk) (1 - 2/K + exp(mu_k) / K^2 sum_l exp(-mu_l))
    ```

    `exp(mu_k) sum_l exp(-mu_l) = sum_l exp(mu_k - mu_l)` is evaluated as
    `exp(mu_k + logsumexp(-mu))`, which depends only on differences of `mu`
    and so does not overflow when `mu` is shifted far from 0 (the
    concentrations themselves overflow only when the spread of `mu` exceeds
    the floating-point range).

    #### Examples

    ```python
    import relaxtfp

    q = relaxtfp.distributions.LogisticNormalSoftmax(
        loc=[1., 0., -1.], scale=[0.5, 0.5, 0.5])
    dirichlet = relaxtfp.laplace_bridge.logistic_normal_to_dirichlet(q)
    x = dirichlet.sample(5, seed=(1, 2))       # Shape [5, 3].
    ```

    #### References

    [1]: Marius Hobbhahn, Agustinus Kristiadi and Philipp Hennig. Fast
         Predictive Uncertainty for Classification with Bayesian Deep
         Networks. In _Uncertainty in Artificial Intelligence_, 2022.
         https://arxiv.org/abs/2003.01227

    Args:
      logistic_normal: A `relaxtfp.distributions.LogisticNormalSoftmax`.

    Returns:
      A `tfd.Dirichlet` with the logistic normal's batch shape, dtype,
      `validate_args` and `allow_nan_stats`.
    """
    with tf.name_scope("logistic_normal_to_dirichlet"):
        mu = tf.convert_to_tensor(logistic_normal.loc)
        if logistic_normal.scale is not None:
            variance = tf.math.square(tf.convert_to_tensor(logistic_normal.scale))
        else:
            variance = tf.linalg.diag_part(
                tf.convert_to_tensor(logistic_normal.covariance_matrix))
        shape = ps.broadcast_shape(ps.shape(mu), ps.shape(variance))
        mu = tf.broadcast_to(mu, shape)
        variance = tf.broadcast_to(variance, shape)
        k = tf.cast(shape[-1], mu.dtype)
        ratio_sum = tf.math.exp(
            mu + tf.reduce_logsumexp(-mu, axis=-1, keepdims=True))
        concentration = (1. - 2. / k + ratio_sum / k ** 2) / variance
        return tfd.Dirichlet(concentration,
                             validate_args=logistic_normal.validate_args,
                             allow_nan_stats=logistic_normal.allow_nan_stats)


@tfd.RegisterKL(tfd.Dirichlet, LogisticNormalSoftmax)
def _kl_dirichlet_logistic_normal_softmax(d1, d2, name=None):
    """Batchwise KL(d1 || d2) for a Dirichlet `d1` and a logistic normal `d2`.

    Exact, in closed form (Aitchison, 1986, ch. 6). Both densities are taken
    with respect to Lebesgue measure on the first K-1 coordinates, so

        KL = -H(d1) - E_d1[log q(x)],
        log q(x) = log Normal(d; m, S) - sum_k log x_k,

    with `d = log x_{1:K-1} - log x_K`, `m = d2.log_ratio_loc()` and
    `S = d2.log_ratio_covariance()`. Under `Dirichlet(alpha)`,
    `E[log x_k] = digamma(alpha_k) - digamma(alpha_0)`, so `d` has mean
    `digamma(alpha_{1:K-1}) - digamma(alpha_K)` and covariance
    `C = diag(trigamma(alpha_{1:K-1})) + trigamma(alpha_K)`, and

        E[log Normal(d; m, S)] = -(1/2) ((K-1) log(2 pi) + log det S
                                 + tr(S^-1 C) + (E d - m)^T S^-1 (E d - m)).

    For large concentrations the KL is a small difference of terms of order
    `log(alpha)`; in float32 it is accurate to about 1e-5 absolute, so use
    float64 when it is below that.
    """
    with tf.name_scope(name or "kl_dirichlet_logistic_normal_softmax"):
        alpha = tf.convert_to_tensor(d1.concentration)
        dtype = alpha.dtype
        k = tf.cast(ps.shape(alpha)[-1], dtype)
        alpha0 = tf.reduce_sum(alpha, axis=-1)
        digamma = tf.math.digamma(alpha)
        trigamma = tf.math.polygamma(tf.ones([], dtype), alpha)
        mean_d = digamma[..., :-1] - digamma[..., -1:]
        cov_d = (tf.linalg.diag(trigamma[..., :-1])
                 + trigamma[..., -1:, tf.newaxis] * tf.ones_like(
                     tf.linalg.diag(trigamma[..., :-1])))
        expected_sum_log_x = (tf.reduce_sum(digamma, axis=-1)
                              - k * tf.math.digamma(alpha0))

        m = d2.log_ratio_loc()
        s = d2.log_ratio_covariance()
        batch = ps.broadcast_shape(ps.shape(mean_d)[:-1], ps.shape(m)[:-1])
        batch = ps.broadcast_shape(batch, ps.shape(s)[:-2])
        km1 = ps.shape(mean_d)[-1:]
        mat = ps.concat([batch, km1, km1], axis=0)
        chol = tf.linalg.cholesky(tf.broadcast_to(s, mat))
        cov_d = tf.broadcast_to(cov_d, mat)
        r = tf.broadcast_to(mean_d - m, ps.concat([batch, km1], axis=0))
        log_det = 2. * tf.reduce_sum(
            tf.math.log(tf.linalg.diag_part(chol)), axis=-1)
        trace = tf.linalg.trace(tf.linalg.cholesky_solve(chol, cov_d))
        z = tf.linalg.triangular_solve(chol, r[..., tf.newaxis], lower=True)
        quad = tf.reduce_sum(tf.math.square(z[..., 0]), axis=-1)
        expected_log_q = (-0.5 * ((k - 1.) * _LOG_2PI + log_det + trace + quad)
                          - expected_sum_log_x)
        return -d1.entropy() - expected_log_q
