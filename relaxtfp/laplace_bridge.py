"""The Laplace Bridge between Dirichlet and logistic-normal distributions.

Two maps (Hobbhahn, Kristiadi and Hennig, 2022) and the KL divergence
KL(Dirichlet || LogisticNormalSoftmax) in closed form, registered with
`tfd.kl_divergence` once, when this module is imported.

The other direction, KL(LogisticNormalSoftmax || Dirichlet), has no closed
form and is not registered. With `g ~ Normal(loc, Sigma)` and
`x = softmax(g)`, `log x_k = g_k - logsumexp(g)`, so

```none
KL(q || Dirichlet(alpha)) = -H(q) + sum_k lgamma(alpha_k) - lgamma(alpha_0)
                            - sum_k alpha_k loc_k + alpha_0 E[logsumexp(g)]
                            + (terms in closed form),
```

and every term is in closed form except `E[logsumexp(g)]`, the expected
log-sum-exp of a Gaussian, which has none even for K = 2 (there it is
`E[softplus(d)]` for a Gaussian `d`). A Monte Carlo estimate,
`tf.reduce_mean(q.log_prob(x) - dirichlet.log_prob(x))` with
`x = q.sample(n, seed)`, is unbiased; no approximation is registered in its
place.
"""

import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.distributions.logistic_normal_softmax import LogisticNormalSoftmax
from relaxtfp.internal.simplex import diagonal_log_ratio_log_det
from relaxtfp.internal.simplex import diagonal_log_ratio_quadratic_form
from relaxtfp.internal.simplex import diagonal_log_ratio_trace
from relaxtfp.internal.tfp_internal import dtype_util
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

    The full bridge is the same law as `LogisticNormalSoftmax(loc,
    scale=tf.math.rsqrt(alpha))` (a diagonal `Sigma' = diag(1/alpha)` differs
    from `Sigma` by `u 1^T + 1 u^T`, which the difference matrix removes), but
    this function returns Hobbhahn et al.'s centered `Sigma`, whose diagonal
    `logistic_normal_to_dirichlet` inverts. Its entries share a term of order
    `max(1/alpha) / K^2` that cancels in the log-ratio covariance, so in a
    floating-point dtype the centered `Sigma` keeps the law only while the
    concentrations spread over fewer orders of magnitude than the dtype's
    precision: `Dirichlet([1e-8, 1., 1e8])` in float32 rounds it to a matrix
    that is not positive definite on the differences. When the concentration
    is known (eagerly), that raises `ValueError` here; in a graph it raises
    `InvalidArgumentError` under `validate_args=True` (the logistic normal's
    own check). Use float64, or the diagonal-`scale` form above, which is
    exact and stable for any concentrations.

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

    Raises:
      ValueError: If `diagonal=False` and the concentration, known
        statically, gives a centered covariance that is not positive
        definite on the differences in the Dirichlet's dtype (see above).
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
        bridge = LogisticNormalSoftmax(loc, covariance_matrix=covariance, **kwargs)
        _check_positive_definite_in_dtype(bridge, alpha)
        return bridge


def _check_positive_definite_in_dtype(bridge, alpha):
    """Raises `ValueError` if the rounded centered covariance of a statically
    known concentration is not positive definite on the differences."""
    if tf.get_static_value(alpha) is None:
        return
    try:
        chol = tf.linalg.cholesky(bridge.log_ratio_covariance())
        diag = np.asarray(tf.linalg.diag_part(chol))
        valid = np.all(np.isfinite(diag) & (diag > 0.))
    except tf.errors.InvalidArgumentError:
        valid = False
    if not valid:
        a = tf.get_static_value(alpha)
        raise ValueError(
            "dirichlet_to_logistic_normal: in "
            f"{dtype_util.name(alpha.dtype)} the bridge's centered covariance of "
            f"Dirichlet concentrations from {np.min(a):.3g} to {np.max(a):.3g} "
            "is not positive definite on the differences (its entries share a "
            "term of order max(1/concentration) that cancels). Use float64, or "
            "LogisticNormalSoftmax(loc, scale=tf.math.rsqrt(concentration)), "
            "the same law in a form that is exact for any concentrations.")


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

    When `d2` is given by `scale`, `log det S`, `tr(S^-1 C)` and the
    quadratic form have O(K) forms symmetric in the K coordinates
    (`relaxtfp.internal.simplex`; `C = A diag(trigamma(alpha)) A^T`), which
    need neither `S` nor a reference coordinate and so stay accurate for
    concentrations and scales over many orders of magnitude; a full
    `covariance_matrix` goes through the Cholesky factor of `S`.

    For large concentrations the KL is a small difference of terms of order
    `lgamma(alpha_0)` (the Dirichlet's entropy), so in float32 its absolute
    error grows like float32 epsilon times `lgamma(alpha_0)` (about 2e-3 at
    `alpha_0 = 2e4`); use float64 for large concentrations.
    """
    with tf.name_scope(name or "kl_dirichlet_logistic_normal_softmax"):
        alpha = tf.convert_to_tensor(d1.concentration)
        dtype = alpha.dtype
        k = tf.cast(ps.shape(alpha)[-1], dtype)
        alpha0 = tf.reduce_sum(alpha, axis=-1)
        digamma = tf.math.digamma(alpha)
        trigamma = tf.math.polygamma(tf.ones([], dtype), alpha)
        expected_sum_log_x = (tf.reduce_sum(digamma, axis=-1)
                              - k * tf.math.digamma(alpha0))
        if d2.scale is not None:
            log_scale = tf.math.log(tf.convert_to_tensor(d2.scale))
            log_scale = tf.broadcast_to(log_scale, ps.concat(
                [ps.shape(log_scale)[:-1], ps.shape(alpha)[-1:]], axis=0))
            # E[log x] - loc; the common shift digamma(alpha_0) keeps it of
            # the size of the log-ratios, and A removes it.
            residual = ((digamma - tf.math.digamma(alpha0)[..., tf.newaxis])
                        - tf.convert_to_tensor(d2.loc))
            expected_log_q = (
                -0.5 * ((k - 1.) * _LOG_2PI
                        + diagonal_log_ratio_log_det(log_scale)
                        + diagonal_log_ratio_trace(tf.math.log(trigamma), log_scale)
                        + diagonal_log_ratio_quadratic_form(residual, log_scale))
                - expected_sum_log_x)
            kl = -d1.entropy() - expected_log_q
            return tf.broadcast_to(kl, ps.broadcast_shape(
                d1.batch_shape_tensor(), d2.batch_shape_tensor()))
        mean_d = digamma[..., :-1] - digamma[..., -1:]
        cov_d = (tf.linalg.diag(trigamma[..., :-1])
                 + trigamma[..., -1:, tf.newaxis] * tf.ones_like(
                     tf.linalg.diag(trigamma[..., :-1])))

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
