"""The Invertible Gaussian Reparameterization (Potapczynski et al., 2020)."""

import math

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import noise
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.simplex import ArgmaxLawWithoutClosedForm
from relaxtfp.internal.simplex import SoftmaxCenteredLebesgue
from relaxtfp.internal.simplex import check_same_event_size
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization
from relaxtfp.internal.tfp_internal import tensor_util
from relaxtfp.internal.tfp_internal import tensorshape_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["InvertibleGaussian"]

_HALF_LOG_TWO_PI = 0.5 * math.log(2. * math.pi)


class InvertibleGaussian(ArgmaxLawWithoutClosedForm, tfd.AutoCompositeTensorDistribution):
    """The Invertible Gaussian Reparameterization (IGR) on the simplex.

    A diagonal Gaussian in R^(K-1), divided by a temperature and mapped onto
    the K-simplex by the invertible "softmax++" map (Potapczynski et al.,
    2020). It is a continuous relaxation of a K-category one-hot variable,
    like the Concrete / Gumbel-softmax distribution, but the map is a
    bijection, so the density on the simplex is exact and the KL divergence
    between two IGRs is in closed form (see below).

    As `temperature -> 0` the samples approach the vertices of the simplex.
    The last coordinate plays the role of a reference category whose
    pre-softmax value is fixed at `log(delta)`.

    #### Mathematical Details

    Sampler, with `eps ~ Normal(0, I)` drawn independently for every element
    of `[n] + batch_shape + [K - 1]`:

    ```none
    y   = loc + scale * eps                               # in R^(K-1)
    x_i = exp(y_i / tau) / (sum_j exp(y_j / tau) + delta)   i < K
    x_K = delta / (sum_j exp(y_j / tau) + delta)
        = softmax([y / tau - log(delta), 0])
    ```

    The softmax subtracts the largest argument before exponentiating, so
    nothing overflows, and `x_K` is computed directly, never as
    `1 - sum(x_{1:K-1})` (which cancels to 0 when `x_K` is small).

    `log_prob` is the exact log density with respect to Lebesgue measure on
    the first `K - 1` coordinates (the `tfd.Dirichlet` convention), by change
    of variables through the inverse map:

    ```none
    y_i      = tau * (log x_i - log x_K + log delta),    i < K
    log p(x) = sum_i log Normal(y_i; loc_i, scale_i)
               + (K - 1) * log(tau) - sum_{i=1..K} log x_i
    ```

    KL divergence: the log-ratios `d = log x_{1:K-1} - log x_K = y / tau -
    log(delta)` are independent Gaussians, `d_i ~ Normal(mu_i, sigma_i)` with
    `mu = loc / tau - log(delta)` and `sigma = scale / tau`, and
    `d -> softmax([d, 0])` is one bijection for every IGR, so for any two
    IGRs (with equal or different `temperature` and `delta`)

    ```none
    KL(p || q) = sum_i KL(Normal(mu_p_i, sigma_p_i) || Normal(mu_q_i, sigma_q_i)),
    ```

    exact, registered with `tfd.kl_divergence`. With equal `temperature` and
    `delta` this is the KL divergence between the Gaussians of `y`.

    Shapes: the last axes of `loc` and `scale` have size K - 1 or 1 (1
    broadcasts; a scalar `scale` is shared by the K - 1 coordinates);
    `temperature` and `delta` have batch shape. Statically known shapes
    that fit no K >= 2 raise `ValueError`.

    Numerical limits: `log_prob` is finite at every point of the open simplex
    whose K coordinates are positive floating-point numbers. A sample whose
    softmax argument spread `max_i z_i - min_i z_i` (with
    `z = [y / tau - log(delta), 0]`) exceeds `-log(tiny)` (about 87 in
    float32, 708 in float64) has coordinates that underflow to exactly 0:
    the point returned lies on the boundary of the simplex, where the density
    (extended by continuity) is 0, and `log_prob` returns `-inf` there, never
    NaN. This happens, for instance, for nearly every sample at
    `temperature = 1e-3` unless `loc` and `scale` are of order `1e-2`. Use
    `kl_divergence`, which is computed in the Gaussian space, when an exact
    divergence is needed at such temperatures.

    #### Examples

    ```python
    import tensorflow as tf
    import tensorflow_probability as tfp
    import relaxtfp

    # A batch of 2 relaxed 4-category variables.
    q = relaxtfp.distributions.InvertibleGaussian(
        loc=[[0.5, -1., 0.], [1., 1., -2.]], scale=[0.7, 1., 1.3],
        temperature=0.5)
    x = q.sample(1000, seed=(1, 2))     # Shape [1000, 2, 4], rows sum to 1.
    lp = q.log_prob(x)                  # Shape [1000, 2], finite.

    # Exact KL to a prior, here with another temperature.
    p = relaxtfp.distributions.InvertibleGaussian(
        loc=[0., 0., 0.], scale=[1., 1., 1.], temperature=1.)
    kl = tfp.distributions.kl_divergence(q, p)    # Shape [2].
    ```

    #### References

    [1]: Andres Potapczynski, Gabriel Loaiza-Ganem and John P. Cunningham.
         Invertible Gaussian Reparameterization: Revisiting the
         Gumbel-Softmax. In _Neural Information Processing Systems_, 2020.
         https://arxiv.org/abs/1912.09588
    """

    def __init__(self,
                 loc,
                 scale,
                 temperature,
                 delta=1.0,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="InvertibleGaussian"):
        """Constructs a batch of Invertible Gaussian distributions.

        Args:
          loc: Float `Tensor` of shape `[..., K - 1]`, the mean of the
            underlying Gaussian.
          scale: Positive float `Tensor` of shape `[..., K - 1]`, the standard
            deviation of the underlying Gaussian (diagonal).
          temperature: Positive float `Tensor`, one temperature per batch
            member (its shape broadcasts with the batch shape, not with the
            event axis).
          delta: Positive float `Tensor`, one per batch member: the constant
            in the denominator of softmax++, equivalently `exp` of the fixed
            pre-softmax value of the last category. Default 1.
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
        """
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            dtype = float_dtype(loc=loc, scale=scale, temperature=temperature, delta=delta)
            self._loc = convert_float(loc, dtype=dtype, name="loc")
            self._scale = convert_float(scale, dtype=dtype, name="scale")
            self._temperature = convert_float(temperature, dtype=dtype, name="temperature")
            self._delta = convert_float(delta, dtype=dtype, name="delta")
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
        def positive():
            return tfb.Softplus(low=dtype_util.eps(dtype))

        # loc and scale live in R^(K-1) while the event is in R^K, so their
        # shape is the distribution's batch + event shape with the last
        # dimension one shorter.
        def gaussian_shape(shape):
            # `shape` may be a list, a NumPy array or a tensor.
            shape = ps.convert_to_shape_tensor(shape)
            return ps.concat([shape[:-1], shape[-1:] - 1], axis=0)

        return dict(
            loc=parameter_properties.ParameterProperties(
                event_ndims=1, shape_fn=gaussian_shape),
            scale=parameter_properties.ParameterProperties(
                event_ndims=1, shape_fn=gaussian_shape,
                default_constraining_bijector_fn=positive),
            temperature=parameter_properties.ParameterProperties(
                shape_fn=lambda shape: shape[:-1],
                default_constraining_bijector_fn=positive),
            delta=parameter_properties.ParameterProperties(
                shape_fn=lambda shape: shape[:-1],
                default_constraining_bijector_fn=positive),
        )

    @property
    def loc(self):
        """Mean of the underlying Gaussian, shape `[..., K - 1]`."""
        return self._loc

    @property
    def scale(self):
        """Standard deviation of the underlying Gaussian, `[..., K - 1]`."""
        return self._scale

    @property
    def temperature(self):
        """Temperature dividing the Gaussian before softmax++."""
        return self._temperature

    @property
    def delta(self):
        """The constant `delta` of softmax++."""
        return self._delta

    def _check_static_shapes(self):
        """Raises `ValueError` if the static shapes fit no event size K >= 2."""
        sizes = []
        for name in ("loc", "scale"):
            shape = getattr(self, "_" + name).shape
            rank = tensorshape_util.rank(shape)
            if rank is not None and rank > 0:
                sizes.append((name, tf.compat.dimension_value(shape[-1])))
            elif rank == 0:
                sizes.append((name, 1))
        known = [(n, k) for n, k in sizes if k is not None]
        if (len(known) == 2 and 1 not in (known[0][1], known[1][1])
                and known[0][1] != known[1][1]):
            raise ValueError(
                f"The last axes of `loc` (size {known[0][1]}) and `scale` (size "
                f"{known[1][1]}) must have the same size K - 1, or size 1; got "
                f"shapes {self._loc.shape} and {self._scale.shape}.")
        if (tensorshape_util.rank(self._loc.shape) == 0
                and tensorshape_util.rank(self._scale.shape) == 0):
            raise ValueError(
                "The event size K is undefined: `loc` or `scale` must have a "
                "last axis of size K - 1 >= 1; both are scalars.")
        if any(k == 0 for _, k in known):
            raise ValueError(
                "The last axes of `loc` and `scale` must have size K - 1 >= 1 "
                f"(at least 2 categories); got shapes {self._loc.shape} and "
                f"{self._scale.shape}.")

    def _event_shape(self):
        k_minus_1 = tf.broadcast_static_shape(
            self._loc.shape[-1:], self._scale.shape[-1:])
        if tensorshape_util.rank(k_minus_1) is None or k_minus_1[0] is None:
            return tf.TensorShape([None])
        return tf.TensorShape([k_minus_1[0] + 1])

    def _event_shape_tensor(self):
        # A scalar `loc` or `scale` has no last axis; it broadcasts.
        k_minus_1 = ps.convert_to_shape_tensor(ps.broadcast_shape(
            ps.shape(self._loc)[-1:], ps.shape(self._scale)[-1:]))
        return k_minus_1 + 1

    def _params(self):
        return (tf.convert_to_tensor(self._loc),
                tf.convert_to_tensor(self._scale),
                tf.convert_to_tensor(self._temperature),
                tf.convert_to_tensor(self._delta))

    def _sample_n(self, n, seed=None):
        loc, scale, temperature, delta = self._params()
        batch_shape = self._batch_shape_tensor(
            loc=loc, scale=scale, temperature=temperature, delta=delta)
        event_size = self._event_shape_tensor()[0]
        # Full-shape noise: every coordinate of every sample of every batch
        # member gets its own draw.
        shape = ps.concat([[n], batch_shape, [event_size - 1]], axis=0)
        eps = noise.normal(shape, seed=seed, dtype=self.dtype)
        y = loc + scale * eps
        z = (y / temperature[..., tf.newaxis]
             - tf.math.log(delta)[..., tf.newaxis])
        # softmax([z, 0]): tf.math.softmax subtracts max(z, 0) first, so no
        # exponential overflows, and the last coordinate is exp(-max) / sum,
        # computed directly rather than as 1 - sum(others).
        return SoftmaxCenteredLebesgue().forward(z)

    def _log_prob(self, x):
        loc, scale, temperature, delta = self._params()
        # Every coordinate must be positive for the inverse map to exist;
        # points with a zero coordinate lie on the boundary of the simplex,
        # where the density (extended by continuity) is 0. Evaluate the
        # formula at a harmless interior stand-in there, so that no
        # -inf - (-inf) = NaN reaches the value or the gradient.
        interior = tf.reduce_all(x > 0., axis=-1)
        k = ps.cast(ps.shape(x)[-1], self.dtype)
        x_safe = tf.where(interior[..., tf.newaxis], x, 1. / k)
        log_x = tf.math.log(x_safe)
        t = temperature[..., tf.newaxis]
        # Inverse of softmax++, in log space: log x_i - log x_K is exact to
        # the relative precision of each coordinate, however small x_K is.
        y = t * (log_x[..., :-1] - log_x[..., -1:]
                 + tf.math.log(delta)[..., tf.newaxis])
        standardized = (y - loc) / scale
        log_normal = tf.reduce_sum(
            -0.5 * tf.math.square(standardized) - tf.math.log(scale)
            - _HALF_LOG_TWO_PI, axis=-1)
        # log |det d x_{1:K-1} / d y| = -(K - 1) log tau + sum_{i<=K} log x_i.
        log_det = (-(k - 1.) * tf.math.log(temperature)
                   + tf.reduce_sum(log_x, axis=-1))
        log_density = log_normal - log_det
        return tf.where(interior, log_density,
                        tf.constant(float("-inf"), self.dtype))

    def _default_event_space_bijector(self):
        return SoftmaxCenteredLebesgue(validate_args=self.validate_args)

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = []
        for name in ("scale", "temperature", "delta"):
            param = getattr(self, "_" + name)
            if is_init != tensor_util.is_ref(param):
                assertions.append(
                    assert_positive(tf.convert_to_tensor(param), name))
        return assertions

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        return [
            assert_util.assert_non_negative(
                x, message="Sample must be in the simplex; it has components "
                "less than 0."),
            assert_util.assert_near(
                tf.reduce_sum(x, axis=-1), tf.ones([], x.dtype),
                message="Sample must be in the simplex; its components do "
                "not sum to 1."),
        ]


@tfd.RegisterKL(InvertibleGaussian, InvertibleGaussian)
def _kl_invertible_gaussian(p, q, name=None):
    """Batchwise KL(p || q) between two IGRs, exact.

    An IGR is the image of its log-ratios `d = y / tau - log(delta)`, which
    are independent `Normal(loc / tau - log(delta), scale / tau)`, under the
    bijection `d -> softmax([d, 0])` from R^(K-1) onto the open simplex. The
    bijection is the same for every temperature and delta, and KL divergence
    is invariant under a bijection applied to both arguments, so KL(p || q)
    is the KL divergence between the two laws of `d`, summed over the K - 1
    coordinates:

        KL = sum_i log(sigma_q / sigma_p) + (sigma_p**2 + (mu_p - mu_q)**2)
             / (2 sigma_q**2) - 1/2,

    with `sigma_p / sigma_q = (scale_p / scale_q) (tau_q / tau_p)` and
    `(mu_p - mu_q) / sigma_q = (loc_p tau_q / tau_p - loc_q
    - tau_q log(delta_p / delta_q)) / scale_q`; for equal `temperature` and
    `delta` these are the ratios of the Gaussians of `y` themselves.

    Raises:
      ValueError: If the event sizes are statically known to differ.
    """
    with tf.name_scope(name or "kl_invertible_gaussian"):
        check_same_event_size(p, q, "InvertibleGaussian")
        loc_p, scale_p, temperature_p, delta_p = p._params()
        loc_q, scale_q, temperature_q, delta_q = q._params()
        tau_p = temperature_p[..., tf.newaxis]
        tau_q = temperature_q[..., tf.newaxis]
        tau_ratio = tau_q / tau_p
        log_delta_ratio = (tf.math.log(delta_p) - tf.math.log(delta_q))[..., tf.newaxis]
        scale_ratio = scale_p / scale_q * tau_ratio
        standardized_diff = (loc_p * tau_ratio - loc_q
                             - tau_q * log_delta_ratio) / scale_q
        kl = (-tf.math.log(scale_ratio)
              + 0.5 * (tf.math.square(scale_ratio) + tf.math.square(standardized_diff))
              - 0.5)
        kl = tf.reduce_sum(kl, axis=-1)
        batch_shape = ps.broadcast_shape(p.batch_shape_tensor(),
                                         q.batch_shape_tensor())
        return tf.broadcast_to(kl, batch_shape)
