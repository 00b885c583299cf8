"""The logistic-normal distribution on the simplex, with a softmax link."""

import math

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import check_exactly_one
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.simplex import ArgmaxLawWithoutClosedForm
from relaxtfp.internal.simplex import SoftmaxCenteredLebesgue
from relaxtfp.internal.simplex import check_same_event_size
from relaxtfp.internal.simplex import diagonal_log_ratio_log_det
from relaxtfp.internal.simplex import diagonal_log_ratio_quadratic_form
from relaxtfp.internal.simplex import diagonal_log_ratio_trace
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization
from relaxtfp.internal.tfp_internal import tensor_util
from relaxtfp.internal.tfp_internal import tensorshape_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["LogisticNormalSoftmax"]

_LOG_2PI = math.log(2. * math.pi)


class LogisticNormalSoftmax(ArgmaxLawWithoutClosedForm, tfd.AutoCompositeTensorDistribution):
    """The logistic-normal distribution: `softmax(g)` of a Gaussian `g` in R^K.

    `g ~ Normal(loc, Sigma)` in R^K and `x = softmax(g)` lies on the
    (K-1)-simplex. The covariance is given either as a diagonal, through a
    per-coordinate standard deviation `scale` (`Sigma = diag(scale**2)`), or
    as a full `K x K` matrix `covariance_matrix`. The softmax only sees the
    differences of the coordinates of `g`, so `Sigma` may be singular along
    the all-ones direction (as the Laplace Bridge's covariance is, see
    `relaxtfp.laplace_bridge`), and adding a constant to `loc` or a multiple
    of the all-ones matrix to `covariance_matrix` leaves the law unchanged.

    #### Mathematical Details

    Sampler, with standard normal noise drawn independently for every
    element:

    ```none
    diagonal:  g = loc + scale * eps,  eps in R^K;        x = softmax(g)
    full:      d = A loc + chol(A Sigma A^T) eps, eps in R^(K-1);
               x = softmax([d, 0])
    ```

    where `A` is the `(K-1) x K` difference matrix, `(A g)_i = g_i - g_K`.
    Both give the same law: `softmax(g) = softmax([A g, 0])`.

    `log_prob` is the log density with respect to Lebesgue measure on the
    first K-1 coordinates of the simplex, the measure of `tfd.Dirichlet`'s
    density. The log-ratios `d = log x_{1:K-1} - log x_K` are Gaussian,

    ```none
    d ~ Normal(m, S),   m = A loc,   S = A Sigma A^T,
    log p(x) = log Normal(d; m, S) - sum_k log x_k,
    ```

    the last term being the log-Jacobian of `x -> d`. For a diagonal `Sigma`,
    `S = diag(scale_{1:K-1}**2) + scale_K**2 * ones` is diagonal plus rank
    one, and both its quadratic form and its log-determinant have a form
    symmetric in the K coordinates, computed in O(K) without forming `S`:

    ```none
    e_k = log x_k - loc_k,  w_k = scale_k**-2,  e_bar = sum(w e) / sum(w)
    (d - m)^T S^-1 (d - m) = sum_k w_k (e_k - e_bar)**2
    log det S = 2 sum_k log scale_k + log sum_k w_k
    ```

    A full `covariance_matrix` goes through the Cholesky factor of `S`.

    The law of `x` depends on `loc` and `Sigma` only through `m` and `S`,
    available as `log_ratio_loc()` and `log_ratio_covariance()`.

    `mean` has no closed form (it is a K-dimensional Gaussian integral of the
    softmax) and is not implemented; `estimate_mean(num_samples, seed)` is a
    seeded Monte Carlo estimate whose standard error is at most
    `0.5 / sqrt(num_samples)` per coordinate, since `0 <= x_k <= 1`. For the
    same reason `variance()`, `stddev()` and `covariance()` (the moments of
    `x`, as on every TFP distribution) raise `NotImplementedError`; the
    Gaussian's covariance is the parameter `covariance_matrix` (named as in
    `tfd.MultivariateNormalFullCovariance`).

    KL divergence: `tfd.kl_divergence` between two `LogisticNormalSoftmax`
    laws is the Gaussian KL divergence between their log-ratio laws
    `Normal(m, S)`, exact because both laws are images of those Gaussians
    under the same bijection `d -> softmax([d, 0])`. With `scale` on both
    sides it is computed in O(K) by the symmetric forms above; otherwise
    through Cholesky factors of the two `S`. `relaxtfp.laplace_bridge`
    registers `KL(Dirichlet || LogisticNormalSoftmax)`.

    Shapes: the last axis of `loc` and of `scale` is K or 1 (1 broadcasts;
    a scalar `scale` is shared by all K coordinates), and `covariance_matrix`
    is `[..., K, K]`. Other event shapes raise `ValueError` when the shapes
    are known statically, and `InvalidArgumentError` under
    `validate_args=True` otherwise.

    Floating-point range: a coordinate of a sample underflows to exactly 0
    when its log-ratio to the largest coordinate is below about -87 in float32
    (-708 in float64); the density there is 0 and `log_prob` returns `-inf`,
    its limit, with gradient 0 with respect to the parameters (the density is
    0 there whatever they are). Laws whose log-ratios spread that far
    (differences of `loc` near 100, or `scale` of hundreds) are vertices in
    floating point. At an interior point whose standardized log-ratio
    residual exceeds the square root of the largest float (about 1e19 in
    float32, e.g. `loc` of +-1e30), the log density is below the
    floating-point range: `log_prob` returns `-inf` and, with `scale`, the
    gradient with respect to `scale` is `+inf`, the rounding of its true
    value. With `covariance_matrix` the gradient there goes through a
    Cholesky factor, whose gradient mixes infinities of both signs, and is
    not finite (it can be NaN); such laws need float64.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    # A diagonal logistic normal on the 2-simplex (K = 3).
    q = relaxtfp.distributions.LogisticNormalSoftmax(
        loc=[0.5, 0., -1.], scale=[1., 0.5, 0.8])
    x = q.sample(1000, seed=(1, 2))             # Shape [1000, 3], rows sum to 1.
    lp = q.log_prob(x)                          # Shape [1000], finite.

    # The same family with a full covariance, singular along ones(3): only
    # differences of the Gaussian's coordinates matter under the softmax.
    c = [[2., -1., -1.], [-1., 2., -1.], [-1., -1., 2.]]
    r = relaxtfp.distributions.LogisticNormalSoftmax(
        loc=[0., 0., 0.], covariance_matrix=tf.constant(c) / 3.)
    m = r.estimate_mean(10000, seed=(3, 4))     # About [1/3, 1/3, 1/3].
    ```

    #### References

    [1]: John Aitchison and Sheng M. Shen. Logistic-normal distributions: Some
         properties and uses. _Biometrika_, 67(2):261-272, 1980.
    [2]: John Aitchison. _The Statistical Analysis of Compositional Data_.
         Chapman and Hall, 1986.
    [3]: Marius Hobbhahn, Agustinus Kristiadi and Philipp Hennig. Fast
         Predictive Uncertainty for Classification with Bayesian Deep
         Networks. In _Uncertainty in Artificial Intelligence_, 2022.
         https://arxiv.org/abs/2003.01227
    """

    def __init__(self,
                 loc,
                 scale=None,
                 covariance_matrix=None,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="LogisticNormalSoftmax"):
        """Constructs a batch of logistic-normal distributions.

        Args:
          loc: Float `Tensor` of shape `[..., K]` (or `[..., 1]`, or a
            scalar, broadcast over the K coordinates), the mean of the
            Gaussian `g` whose softmax is the sample. Only differences of its
            entries matter. Integer input is converted to the float dtype.
          scale: Positive float `Tensor` of shape `[..., K]` (or `[..., 1]`,
            or a scalar, shared by the K coordinates), the standard
            deviations of the independent coordinates of `g`
            (`Sigma = diag(scale**2)`). Exactly one of `scale` and
            `covariance_matrix`.
          covariance_matrix: Float `Tensor` of shape `[..., K, K]`, the
            covariance matrix `Sigma` of `g`: symmetric, positive
            semi-definite, and such that `A Sigma A^T` is positive definite
            (`A` the difference matrix `(A g)_i = g_i - g_K`), i.e. `Sigma`
            may be singular only along the all-ones vector. Exactly one of
            `scale` and `covariance_matrix`.
          validate_args: Python `bool`, default `False`. When `True`
            distribution parameters are checked for validity despite possibly
            degrading runtime performance. When `False` invalid inputs may
            silently render incorrect outputs.
          allow_nan_stats: Python `bool`, default `True`. When `True`,
            statistics (e.g., mean, mode, variance) use the value "`NaN`" to
            indicate the result is undefined. When `False`, an exception is
            raised if one or more of the statistic's batch members are
            undefined.
          name: Python `str` name prefixed to Ops created by this class.

        Raises:
          ValueError: If both or neither of `scale` and `covariance_matrix`
            are given, if the event size `K` is statically known to be less
            than 2, or if the statically known shapes of the parameters do
            not fit one event size K (see the class docstring).
          TypeError: If a parameter is not real-valued, or the floating
            parameters differ in precision.
        """
        parameters = dict(locals())
        check_exactly_one(scale=scale, covariance_matrix=covariance_matrix)
        with tf.name_scope(name) as name:
            dtype = float_dtype(loc=loc, scale=scale, covariance_matrix=covariance_matrix)
            self._loc = convert_float(loc, dtype=dtype, name="loc")
            self._scale = convert_float(scale, dtype=dtype, name="scale")
            self._covariance_matrix = convert_float(
                covariance_matrix, dtype=dtype, name="covariance_matrix")
            self._check_static_shapes()
            super().__init__(
                dtype=dtype,
                reparameterization_type=reparameterization.FULLY_REPARAMETERIZED,
                validate_args=validate_args,
                allow_nan_stats=allow_nan_stats,
                parameters=parameters,
                name=name)

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return dict(
            loc=parameter_properties.ParameterProperties(event_ndims=1),
            scale=parameter_properties.ParameterProperties(
                event_ndims=1,
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype)))),
            # The alternative to `scale`: `is_preferred=False` makes
            # `make_trainable` and other generic builders create `scale` only.
            covariance_matrix=parameter_properties.ParameterProperties(
                event_ndims=2,
                shape_fn=lambda sample_shape: ps.concat(
                    [sample_shape, sample_shape[-1:]], axis=0),
                default_constraining_bijector_fn=lambda: tfb.Chain(
                    [tfb.CholeskyOuterProduct(), tfb.FillScaleTriL()]),
                is_preferred=False),
        )

    @property
    def loc(self):
        """Mean of the Gaussian `g` whose softmax is the sample."""
        return self._loc

    @property
    def scale(self):
        """Standard deviations of `g` (`None` if `covariance_matrix` was
        given)."""
        return self._scale

    @property
    def covariance_matrix(self):
        """The covariance matrix `Sigma` of `g` (`None` if `scale` was given).

        The parameter, not the covariance of the sample `x`, which is what
        `covariance()` would return and which has no closed form.
        """
        return self._covariance_matrix

    def _check_static_shapes(self):
        """Raises `ValueError` if the static shapes fit no event size K >= 2."""
        loc_k = _static_last_dim(self._loc)
        if self._covariance_matrix is not None:
            shape = self._covariance_matrix.shape
            rank = tensorshape_util.rank(shape)
            if rank is not None and rank < 2:
                raise ValueError(
                    "Argument `covariance_matrix` must have shape [..., K, K]; "
                    f"got shape {shape}.")
            if rank is not None:
                rows, cols = (tf.compat.dimension_value(d) for d in shape[-2:])
                if rows is not None and cols is not None and rows != cols:
                    raise ValueError(
                        "Argument `covariance_matrix` must be square, of shape "
                        f"[..., K, K]; got shape {shape}.")
                k = cols if cols is not None else rows
                if loc_k not in (None, 1) and k is not None and loc_k != k:
                    raise ValueError(
                        f"The last axis of `loc` (size {loc_k}) must have the "
                        "size K of `covariance_matrix` (shape [..., K, K], "
                        f"K = {k}) or size 1; got shapes {self._loc.shape} and "
                        f"{shape}.")
        else:
            scale_k = _static_last_dim(self._scale)
            if loc_k not in (None, 1) and scale_k not in (None, 1) and loc_k != scale_k:
                raise ValueError(
                    f"The last axes of `loc` (size {loc_k}) and `scale` (size "
                    f"{scale_k}) must have the same size K, or size 1; got "
                    f"shapes {self._loc.shape} and {self._scale.shape}.")
            if (tensorshape_util.rank(self._loc.shape) == 0
                    and tensorshape_util.rank(self._scale.shape) == 0):
                raise ValueError(
                    "The event size K is undefined: `loc` or `scale` must have "
                    "a last axis of size K >= 2; both are scalars.")
        k = tf.compat.dimension_value(self._event_shape()[0])
        if k is not None and k < 2:
            raise ValueError(
                "The event size K (last dimension of `loc`, `scale` or "
                f"`covariance_matrix`) must be at least 2; got {k}.")

    def _event_size(self):
        """Static K (or None): the size of `covariance_matrix`, else the
        broadcast of the last axes of `loc` and `scale`."""
        if self._covariance_matrix is not None:
            return _static_last_dim(self._covariance_matrix)
        sizes = [_static_last_dim(p) for p in (self._loc, self._scale)]
        known = [k for k in sizes if k is not None and k != 1]
        if known:
            return known[0]
        if None in sizes:
            return None
        return 1

    def _event_shape(self):
        return tf.TensorShape([self._event_size()])

    def _event_shape_tensor(self):
        if self._covariance_matrix is not None:
            return ps.shape(self._covariance_matrix)[-1:]
        return ps.convert_to_shape_tensor(ps.broadcast_shape(
            ps.shape(self._loc)[-1:], ps.shape(self._scale)[-1:]))

    def log_ratio_loc(self, name="log_ratio_loc"):
        """Mean `m = A loc` of the log-ratios `log x_{1:K-1} - log x_K`."""
        with self._name_and_control_scope(name):
            return self._log_ratio_loc(tf.convert_to_tensor(self._loc))

    def log_ratio_covariance(self, name="log_ratio_covariance"):
        """Covariance `A Sigma A^T` of the log-ratios, shape `[..., K-1, K-1]`.

        `(A Sigma A^T)_ij = Sigma_ij - Sigma_iK - Sigma_Kj + Sigma_KK`; for a
        diagonal `Sigma` this is `diag(scale_{1:K-1}**2) + scale_K**2`.
        """
        with self._name_and_control_scope(name):
            return self._log_ratio_covariance()

    def _log_ratio_loc(self, loc):
        loc = self._broadcast_loc(loc)
        return loc[..., :-1] - loc[..., -1:]

    def _broadcast_loc(self, loc):
        # `loc` may have a last axis of 1 that broadcasts against K.
        k = self._event_shape_tensor()
        return tf.broadcast_to(loc, ps.concat([ps.shape(loc)[:-1], k], axis=0))

    def _log_ratio_covariance(self):
        if self._scale is not None:
            var = tf.math.square(tf.convert_to_tensor(self._scale))
            var = tf.broadcast_to(
                var, ps.concat([ps.shape(var)[:-1], self._event_shape_tensor()], 0))
            return (tf.linalg.diag(var[..., :-1])
                    + var[..., -1:, tf.newaxis] * tf.ones_like(
                        tf.linalg.diag(var[..., :-1])))
        cov = tf.convert_to_tensor(self._covariance_matrix)
        last_row = cov[..., -1:, :-1]
        last_col = cov[..., :-1, -1:]
        return (cov[..., :-1, :-1] - last_col - last_row
                + cov[..., -1:, -1:])

    def _sample_n(self, n, seed=None):
        loc = tf.convert_to_tensor(self._loc)
        if self._scale is not None:
            scale = tf.convert_to_tensor(self._scale)
            shape = ps.concat([[n], self._batch_shape_tensor(loc=loc, scale=scale),
                               self._event_shape_tensor()], axis=0)
            # Full-shape noise: every coordinate of every element of every
            # sample gets its own draw.
            eps = noise.normal(shape, seed=seed, dtype=self.dtype)
            return numerics.softmax(loc + scale * eps)
        chol = tf.linalg.cholesky(self._log_ratio_covariance())
        m = self._log_ratio_loc(loc)
        shape = ps.concat([[n], self._batch_shape_tensor(loc=loc),
                           self._event_shape_tensor() - 1], axis=0)
        eps = noise.normal(shape, seed=seed, dtype=self.dtype)
        d = m + tf.linalg.matvec(chol, eps)
        # softmax([d, 0]) is max-subtracted inside tf.math.softmax, so a large
        # log-ratio cannot overflow.
        return numerics.softmax(
            tf.concat([d, tf.zeros_like(d[..., :1])], axis=-1))

    def _log_prob(self, x):
        # The density vanishes (faster than any power) wherever a coordinate
        # is 0, so log_prob is -inf there, whatever the parameters. Such
        # points get the stand-in residual 0 (in log-ratio space, where the
        # parameters enter), so that neither an infinite log x nor a huge
        # `loc` turns the masked branch into inf or NaN, which the gradient
        # of `tf.where` would multiply by 0 and pass on as NaN.
        positive = tf.reduce_all(x > 0., axis=-1)
        x_safe = tf.where(positive[..., tf.newaxis], x, tf.ones_like(x))
        log_x = tf.math.log(x_safe)
        k = tf.cast(ps.shape(log_x)[-1], self.dtype)
        loc = tf.convert_to_tensor(self._loc)
        if self._scale is not None:
            # Symmetric O(K) forms of the (K-1)-dim Gaussian with covariance
            # diag + rank one (relaxtfp.internal.simplex): no reference
            # coordinate, so scales from 1e-3 to 1e3 lose no accuracy.
            log_scale = self._full_log_scale()
            e = tf.where(positive[..., tf.newaxis], log_x - loc,
                         tf.zeros([], self.dtype))
            quad = diagonal_log_ratio_quadratic_form(e, log_scale)
            log_det = diagonal_log_ratio_log_det(log_scale)
        else:
            chol = tf.linalg.cholesky(self._log_ratio_covariance())
            r = (log_x[..., :-1] - log_x[..., -1:]) - self._log_ratio_loc(loc)
            r = tf.where(positive[..., tf.newaxis], r, tf.zeros([], self.dtype))
            z = tf.linalg.triangular_solve(chol, r[..., tf.newaxis], lower=True)
            quad = tf.reduce_sum(tf.math.square(z[..., 0]), axis=-1)
            log_det = 2. * tf.reduce_sum(
                tf.math.log(tf.linalg.diag_part(chol)), axis=-1)
        log_gauss = -0.5 * (quad + log_det + (k - 1.) * _LOG_2PI)
        log_density = log_gauss - tf.reduce_sum(log_x, axis=-1)
        return tf.where(positive, log_density,
                        tf.constant(float("-inf"), self.dtype))

    def _full_log_scale(self):
        """`log(scale)` broadcast to its full last axis K."""
        log_scale = tf.math.log(tf.convert_to_tensor(self._scale))
        return tf.broadcast_to(log_scale, ps.concat(
            [ps.shape(log_scale)[:-1], self._event_shape_tensor()], axis=0))

    def _mean(self, **kwargs):
        raise NotImplementedError(
            "LogisticNormalSoftmax has no closed-form mean; use "
            "`estimate_mean(num_samples, seed)` for a Monte Carlo estimate.")

    def _variance(self, **kwargs):
        raise NotImplementedError(
            "LogisticNormalSoftmax has no closed-form variance or covariance "
            "(moments of the softmax of a Gaussian); estimate them from "
            "samples. The Gaussian's own covariance is the parameter "
            "`covariance_matrix` (or `scale`).")

    def _stddev(self, **kwargs):
        return self._variance(**kwargs)

    def _covariance(self, **kwargs):
        return self._variance(**kwargs)

    def estimate_mean(self, num_samples, seed=None, name="estimate_mean"):
        """Monte Carlo estimate of `E[x]` from `num_samples` samples.

        The estimate is unbiased; its standard error is at most
        `0.5 / sqrt(num_samples)` in every coordinate (each `x_k` lies in
        [0, 1]), and by Hoeffding's inequality it is within
        `sqrt(log(2 / delta) / (2 * num_samples))` of the mean with
        probability at least `1 - delta`. Deterministic for a fixed `seed`.

        Args:
          num_samples: Python `int`, the number of samples.
          seed: A TFP seed (int, shape-[2] tensor, or `None`).
          name: Python `str` name prefixed to Ops.

        Returns:
          A `Tensor` of shape `batch_shape + [K]`.
        """
        with self._name_and_control_scope(name):
            return tf.reduce_mean(self.sample(num_samples, seed=seed), axis=0)

    def _default_event_space_bijector(self):
        return SoftmaxCenteredLebesgue(validate_args=self.validate_args)

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = []
        if self._scale is not None and is_init != tensor_util.is_ref(self._scale):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._scale), "scale"))
        if (self._covariance_matrix is not None
                and is_init != tensor_util.is_ref(self._covariance_matrix)):
            shape_assertions = self._covariance_shape_assertions()
            with tf.control_dependencies(shape_assertions):
                assertions.extend(shape_assertions + self._covariance_assertions())
        return assertions

    def _covariance_shape_assertions(self):
        """Run-time shape checks for shapes not known statically (the static
        ones raise `ValueError` in the constructor)."""
        if (tensorshape_util.is_fully_defined(self._covariance_matrix.shape)
                and tensorshape_util.is_fully_defined(self._loc.shape)):
            return []
        cov_shape = tf.shape(self._covariance_matrix)
        k = cov_shape[-1]
        loc_k = tf.concat([[1], tf.shape(self._loc)], axis=0)[-1]
        return [
            assert_util.assert_equal(
                cov_shape[-2], k, message="Argument `covariance_matrix` must "
                "be square, of shape [..., K, K]."),
            assert_util.assert_equal(
                (loc_k - 1) * (loc_k - k), 0,
                message="The last axis of `loc` must have the size K of "
                "`covariance_matrix` (shape [..., K, K]) or size 1."),
        ]

    def _covariance_assertions(self):
        cov = tf.convert_to_tensor(self._covariance_matrix)
        k = tf.cast(ps.shape(cov)[-1], cov.dtype)
        eps = dtype_util.eps(cov.dtype)
        scale = tf.reduce_max(tf.math.abs(cov), axis=[-2, -1])
        tol = 10. * k * eps * scale
        asymmetry = tf.reduce_max(
            tf.math.abs(cov - tf.linalg.matrix_transpose(cov)), axis=[-2, -1])
        assertions = [assert_util.assert_less_equal(
            asymmetry, tol,
            message="Argument `covariance_matrix` must be symmetric.")]
        sym = 0.5 * (cov + tf.linalg.matrix_transpose(cov))
        # A singular direction (the all-ones one) has eigenvalue 0 up to
        # rounding, hence the tolerance relative to the largest entry.
        assertions.append(assert_util.assert_greater_equal(
            tf.reduce_min(tf.linalg.eigvalsh(sym), axis=-1), -tol,
            message="Argument `covariance_matrix` must be positive "
            "semi-definite."))
        diff_cov = self._log_ratio_covariance()
        diff_cov = 0.5 * (diff_cov + tf.linalg.matrix_transpose(diff_cov))
        assertions.append(assert_util.assert_greater(
            tf.reduce_min(tf.linalg.eigvalsh(diff_cov), axis=-1), 4. * tol,
            message="Argument `covariance_matrix` must be positive definite on "
            "the differences g_i - g_K (A covariance_matrix A^T must be "
            "positive definite): it may be singular only along the all-ones "
            "vector."))
        return assertions

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        k = tf.cast(ps.shape(x)[-1], x.dtype)
        return [
            assert_util.assert_non_negative(
                x, message="Sample must lie on the simplex; it has negative "
                "components."),
            assert_util.assert_near(
                tf.ones([], x.dtype), tf.reduce_sum(x, axis=-1),
                atol=10. * k * dtype_util.eps(x.dtype),
                message="Sample must lie on the simplex; its last dimension "
                "must sum to 1."),
        ]


def _static_last_dim(t):
    """The static size of the last axis of `t` (None if unknown or if `t`
    is a scalar, whose size along a broadcast axis is 1)."""
    if tensorshape_util.rank(t.shape) is None:
        return None
    if tensorshape_util.rank(t.shape) == 0:
        return 1
    return tf.compat.dimension_value(t.shape[-1])


@tfd.RegisterKL(LogisticNormalSoftmax, LogisticNormalSoftmax)
def _kl_logistic_normal_softmax(p, q, name=None):
    """Batchwise KL(p || q) between two `LogisticNormalSoftmax` laws, exact.

    Both laws are images of Gaussians in R^(K-1) under the same bijection
    `d -> softmax([d, 0])` (the log-ratios `d = log x_{1:K-1} - log x_K` are
    `Normal(m, S)`, with `m = log_ratio_loc()` and
    `S = log_ratio_covariance()`), and KL divergence is invariant under a
    bijection applied to both arguments, so

        KL = (1/2) (tr(S_q^-1 S_p) + (m_p - m_q)^T S_q^-1 (m_p - m_q)
                    - (K - 1) + log det S_q - log det S_p).

    When both are given by `scale`, every term has an O(K) form symmetric in
    the K coordinates (`relaxtfp.internal.simplex`), computed without forming
    `S`; otherwise `S_p` and `S_q` go through their Cholesky factors, as in
    the KL between `tfd.MultivariateNormalTriL` laws.

    Raises:
      ValueError: If the event sizes are statically known to differ.
    """
    with tf.name_scope(name or "kl_logistic_normal_softmax"):
        check_same_event_size(p, q, "LogisticNormalSoftmax")
        batch_shape = ps.broadcast_shape(p.batch_shape_tensor(), q.batch_shape_tensor())
        if p.scale is not None and q.scale is not None:
            log_scale_p = p._full_log_scale()
            log_scale_q = q._full_log_scale()
            k = tf.cast(ps.shape(log_scale_q)[-1], p.dtype)
            trace = diagonal_log_ratio_trace(2. * log_scale_p, log_scale_q)
            quad = diagonal_log_ratio_quadratic_form(
                tf.convert_to_tensor(p.loc) - tf.convert_to_tensor(q.loc), log_scale_q)
            kl = 0.5 * (trace + quad - (k - 1.)
                        + diagonal_log_ratio_log_det(log_scale_q)
                        - diagonal_log_ratio_log_det(log_scale_p))
        else:
            def gaussian(d):
                return tfd.MultivariateNormalTriL(
                    d.log_ratio_loc(), tf.linalg.cholesky(d.log_ratio_covariance()))
            kl = tfd.kl_divergence(gaussian(p), gaussian(q))
        return tf.broadcast_to(kl, batch_shape)
