"""The Gaussian relaxed Bernoulli distribution: stochastic gates (STG).

Yamada, Lindenbaum, Negahban and Kluger (2020) gate each input feature with a
clipped Gaussian, `z = clip(loc + scale * eps, 0, 1)`.
"""

import math

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import backend
from relaxtfp.internal import forward_laws
from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization
from relaxtfp.internal.tfp_internal import tensor_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["GaussianRelaxedBernoulli"]

_HALF_LOG_TWO_PI = 0.5 * math.log(2. * math.pi)

# `mean` and `variance` use the closed form in the clip points for
# scale < _SERIES_MIN_SCALE and a midpoint series in 1 / scale above it; see
# `_moments`. _SERIES_TERMS correction terms make the series' truncation
# error below 1e-18 at scale = _SERIES_MIN_SCALE.
_SERIES_MIN_SCALE = 2.
_SERIES_TERMS = 8


# |u| beyond which ndtr(u) is exactly 0 or 1 and the normal density and
# h, k, w of `_moments` are exactly 0, in float32 and float64 (Phi(-40) and
# phi(40) are below 1e-347). Standardized arguments are clipped there before
# the division by `scale` (see `_standardize`).
_NDTR_SATURATION = 40.


def _standardize(num, scale, lower=True):
    """`num / scale`, with `num` first clipped to `+-_NDTR_SATURATION * scale`
    (only from above if not `lower`).

    Where the clip acts the normal CDF (or its log, from above) is already
    exactly 0 or 1 (0), so values do not change; but the gradient of
    `num / scale` with respect to `scale`, `-num / scale**2`, no longer
    overflows (huge `loc`, tiny `scale`, infinite `loc`) to meet the zero
    derivative of the saturated function as `0 * inf = NaN`. The lower side
    of `log Phi` is not clipped: its value (about -u**2 / 2) matters there.
    """
    bound = _NDTR_SATURATION * scale
    num = tf.math.minimum(num, bound)
    if lower:
        num = tf.math.maximum(num, -bound)
    return backend.divide(num, scale)


def _std_normal_pdf(x):
    return tf.math.exp(-0.5 * tf.math.square(x) - _HALF_LOG_TWO_PI)


def _hermite_e(n, x):
    """Probabilists' Hermite polynomials He_0 .. He_n at `x`, as a list."""
    polys = [tf.ones_like(x), x]
    for k in range(1, n):
        polys.append(x * polys[k] - k * polys[k - 1])
    return polys[:n + 1]


class GaussianRelaxedBernoulli(tfd.AutoCompositeTensorDistribution):
    """The Gaussian relaxed Bernoulli (clipped Gaussian) distribution.

    A Gaussian variable `X ~ Normal(loc, scale)` clipped to `[0, 1]`: the
    stochastic gates (STG) of Yamada et al. (2020). The result is a mixed law,
    with point masses at exactly 0 and exactly 1 and the Gaussian density in
    between. Used as a feature gate it is exactly zero with positive
    probability, and `prob_nonzero()` is the differentiable expected-L0
    penalty of STG.

    As `scale -> 0` the sample tends to `clip(loc, 0, 1)`; for large `scale`
    it tends to a Bernoulli(1/2)-like variable on `{0, 1}` (`P(z = 0)` tends
    to `Phi(-loc / scale)`).

    #### Mathematical Details

    Sampler, with `eps ~ Normal(0, 1)` drawn independently for every element
    of every sample (so the pathwise gradient reaches both parameters):

    ```none
    z = clip(loc + scale * eps, 0, 1)
    ```

    `log_prob` is the log density with respect to the measure
    `delta_0 + Lebesgue(0, 1) + delta_1` (point masses at 0 and 1 plus the
    Lebesgue measure inside). With `Phi` the standard normal CDF:

    ```none
    P(z = 0)      = Phi(-loc / scale)
    P(z = 1)      = Phi((loc - 1) / scale)
    p(z), 0<z<1   = Normal(z; loc, scale)
    P(z != 0)     = Phi(loc / scale)
    P(z <= x)     = Phi((x - loc) / scale),     0 <= x < 1
    ```

    The log-masses are computed with a log-space normal CDF (`log_ndtr`), so
    they stay finite and accurate far in both tails (the reference
    implementation's `log(1 - cdf)` gives `-inf` from about 8.3 standard
    deviations in float64, 5.4 in float32).

    `mean` and `variance` have closed forms. With `a = (loc - 1) / scale`,
    `b = loc / scale`, `h(x) = x Phi(x) + phi(x)` and
    `k(x) = (x^2 + 1) Phi(x) + x phi(x)` (so `h' = Phi` and `k' = 2 h`):

    ```none
    E[z]   = integral_0^1 Phi((loc - t) / scale) dt = scale * (h(b) - h(a))
    E[z^2] = 2 integral_0^1 t Phi((loc - t) / scale) dt
           = scale^2 * (k(b) - k(a)) - 2 * scale * h(a)
    ```

    Evaluated as written they cancel catastrophically (`h(x) ~ x` for large
    `x`). The implementation uses the symmetry `z -> 1 - z`,
    `loc -> 1 - loc` to make `loc <= 1/2`, the reflections
    `h(x) = x + h(-x)` and `k(x) = x^2 + 1 - k(-x)` so that `h` and `k` are
    only evaluated at non-positive arguments, and writes the variance
    directly as a sum of such terms (see `_moments`). For `scale >= 2` the
    clip interval is narrow on the Gaussian's scale and a midpoint series in
    `1 / scale` is used instead. The absolute error of `mean` and `variance`
    is a few units in the last place of 1: measured against 50-digit
    quadrature for scales 1e-3 to 1e3 and |loc| <= 50, at most 6e-16 in
    float64 and 2e-7 in float32.

    Extreme and infinite parameters. `loc` of -inf (+inf) is the constant
    gate 0 (1): samples are that constant, `log_prob` is 0 there and -inf
    elsewhere, the statistics and `discrete_law()` (logit -inf, +inf) take
    their exact values, and gradients are 0
    (the limits of a saturated `Phi`). For any finite `loc` (+-1e30) and
    `scale` from 1e-30 to 1e30, samples, the `log_prob` of samples, `mean`,
    `variance`, `prob_nonzero`, `cdf` and `survival_function` are finite in
    value and gradient, in float32 and float64: every standardized argument
    `u = num / scale` of `Phi` is clipped to `|u| <= 40`, where `Phi` is
    exactly 0 or 1, before the division, which changes no value but keeps
    `-num / scale**2`, its derivative with respect to `scale`, from
    overflowing against a zero derivative of `Phi`. `log Phi` is clipped
    from above only (its lower tail, about `-u**2 / 2`, is a value that
    matters), so `log_prob`, `log_cdf` and `log_survival_function` at points
    that are impossible to within the float range are -inf with a gradient
    that may be infinite.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    # A batch of 3 gates with a shared scale, as in STG (sigma = 0.5).
    gate = relaxtfp.distributions.GaussianRelaxedBernoulli(
        loc=[-0.5, 0.5, 1.5], scale=0.5)
    z = gate.sample(1000, seed=(1, 2))              # Shape [1000, 3]
    lp = gate.log_prob([0., 0.3, 1.])               # Finite, shape [3]
    penalty = tf.reduce_sum(gate.prob_nonzero())    # Expected L0 norm.
    ```

    #### References

    [1]: Yutaro Yamada, Ofir Lindenbaum, Sahand Negahban and Yuval Kluger.
         Feature Selection using Stochastic Gates. In _International
         Conference on Machine Learning_, 2020.
         https://arxiv.org/abs/1810.04247
    """

    def __init__(self,
                 loc,
                 scale,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="GaussianRelaxedBernoulli"):
        """Constructs a batch of Gaussian relaxed Bernoulli distributions.

        Args:
          loc: Float `Tensor`, the mean of the Gaussian before clipping (the
            gate's parameter `mu` in STG).
          scale: Positive float `Tensor`, the standard deviation of the
            Gaussian before clipping (STG's `sigma`).
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
            dtype = float_dtype(loc=loc, scale=scale)
            self._loc = convert_float(loc, dtype=dtype, name="loc")
            self._scale = convert_float(scale, dtype=dtype, name="scale")
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
            loc=parameter_properties.ParameterProperties(),
            scale=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype)))),
        )

    @property
    def loc(self):
        """Mean of the Gaussian before clipping."""
        return self._loc

    @property
    def scale(self):
        """Standard deviation of the Gaussian before clipping."""
        return self._scale

    def _event_shape(self):
        return tf.TensorShape([])

    def _event_shape_tensor(self):
        return tf.constant([], dtype=tf.int32)

    def _params(self):
        return tf.convert_to_tensor(self._loc), tf.convert_to_tensor(self._scale)

    def _sample_n(self, n, seed=None):
        loc, scale = self._params()
        shape = ps.concat(
            [[n], self._batch_shape_tensor(loc=loc, scale=scale)], axis=0)
        # Full-shape noise: every element of every sample gets its own draw,
        # whatever the shapes of `loc` and `scale`, and the draw is standard
        # so that d z / d scale = eps reaches `scale`.
        eps = noise.normal(shape, seed=seed, dtype=self.dtype)
        return tf.clip_by_value(loc + scale * eps, 0., 1.)

    def _infinite_loc(self, loc):
        """`(loc, side)`: `loc` with +-inf replaced by a stand-in 0.5, and
        `side` = -1 (+1) where `loc` is -inf (+inf), 0 elsewhere. An infinite
        `loc` is the constant gate 0 (or 1); callers overwrite results there."""
        infinite = tf.math.is_inf(loc)
        zero = tf.zeros([], self.dtype)
        return (tf.where(infinite, tf.constant(0.5, self.dtype), loc),
                tf.where(infinite, tf.math.sign(loc), zero))

    def _log_prob(self, x):
        loc, scale = self._params()
        loc, side = self._infinite_loc(loc)
        interior = (x > 0.) & (x < 1.)
        at_zero = tf.equal(x, 0.)
        at_one = tf.equal(x, 1.)
        # The Gaussian log density is a quadratic: finite for every finite
        # argument, even when scale = 1e-3 puts z = (x - loc) / scale at 1e3.
        # Outside (0, 1) its argument is 0, a harmless stand-in that keeps
        # tf.where's unused branch (and its gradient) finite; `backend.divide`
        # keeps that gradient 0 (not 0 * inf) on JAX at scale = 1e-30.
        z = backend.divide(
            tf.where(interior & tf.equal(side, 0.), x - loc, tf.zeros([], self.dtype)), scale)
        log_density = -0.5 * tf.math.square(z) - tf.math.log(scale) - (
            _HALF_LOG_TWO_PI)
        # The atoms through log Phi, never log(1 - Phi): P(z = 1) =
        # Phi((loc - 1) / scale) is a left tail when loc << 1. An element is
        # at most one of the two atoms, so one `log_ndtr` serves both: its
        # argument is selected first (-loc / scale at 0, (loc - 1) / scale at
        # 1, and 0 elsewhere), which halves the special-function work of the
        # step and still sends each atom's gradient to `loc` and `scale`.
        zero = tf.zeros([], self.dtype)
        num = tf.where(at_zero, -loc, tf.where(at_one, loc - 1., zero))
        num = tf.where(tf.equal(side, 0.), num, zero)  # Replaced below.
        log_atom = numerics.log_ndtr(_standardize(num, scale, lower=False))
        neg_inf = tf.constant(float("-inf"), self.dtype)
        log_prob = tf.where(
            at_zero | at_one, log_atom, tf.where(interior, log_density, neg_inf))
        # Infinite loc: the constant gate, log-mass 0 at it (gradient 0, the
        # limit of the saturated Phi).
        at_gate = tf.where(side < 0., at_zero, at_one)
        return tf.where(tf.equal(side, 0.), log_prob,
                        tf.where(at_gate, tf.zeros([], self.dtype), neg_inf))

    def _cdf_num(self, x, sign):
        """`(num, scale, inside, side)` with num = sign * (x - loc) for x in
        [0, 1) and finite loc (0 elsewhere, a harmless stand-in), and `side`
        as in `_infinite_loc`."""
        loc, scale = self._params()
        loc, side = self._infinite_loc(loc)
        inside = (x >= 0.) & (x < 1.)
        num = tf.where(inside & tf.equal(side, 0.), sign * (x - loc), tf.zeros([], self.dtype))
        return num, scale, inside, side

    def _log_cdf(self, x):
        num, scale, inside, side = self._cdf_num(x, 1.)
        log_cdf = numerics.log_ndtr(_standardize(num, scale, lower=False))
        # Infinite loc: P(z <= x) on [0, 1) is 1 for the gate 0, 0 for 1.
        log_cdf = tf.where(tf.equal(side, 0.), log_cdf,
                           tf.where(side < 0., tf.zeros([], self.dtype),
                                    tf.constant(float("-inf"), self.dtype)))
        return tf.where(x < 0., tf.constant(float("-inf"), self.dtype),
                        tf.where(inside, log_cdf, tf.zeros_like(log_cdf)))

    def _cdf(self, x):
        num, scale, inside, side = self._cdf_num(x, 1.)
        cdf = numerics.ndtr(_standardize(num, scale))
        cdf = tf.where(tf.equal(side, 0.), cdf,
                       tf.where(side < 0., tf.ones([], self.dtype), tf.zeros([], self.dtype)))
        return tf.where(x < 0., tf.zeros_like(cdf),
                        tf.where(inside, cdf, tf.ones_like(cdf)))

    def _log_survival_function(self, x):
        num, scale, inside, side = self._cdf_num(x, -1.)
        log_sf = numerics.log_ndtr(_standardize(num, scale, lower=False))
        log_sf = tf.where(tf.equal(side, 0.), log_sf,
                          tf.where(side > 0., tf.zeros([], self.dtype),
                                   tf.constant(float("-inf"), self.dtype)))
        return tf.where(x < 0., tf.zeros_like(log_sf),
                        tf.where(inside, log_sf, tf.constant(float("-inf"), self.dtype)))

    def _survival_function(self, x):
        # Phi directly (not exp(log Phi)), with the argument clipped on both
        # sides where Phi is 0 or 1 (see `_standardize`).
        num, scale, inside, side = self._cdf_num(x, -1.)
        sf = numerics.ndtr(_standardize(num, scale))
        sf = tf.where(tf.equal(side, 0.), sf,
                      tf.where(side > 0., tf.ones([], self.dtype), tf.zeros([], self.dtype)))
        return tf.where(x < 0., tf.ones_like(sf),
                        tf.where(inside, sf, tf.zeros_like(sf)))

    def prob_nonzero(self, name="prob_nonzero"):
        """`P(z != 0) = Phi(loc / scale)`: the expected-L0 penalty of STG.

        Summed over the gates, this is the regularizer of Yamada et al.
        (2020), the expected number of open gates; it is differentiable in
        both `loc` and `scale`.
        """
        with self._name_and_control_scope(name):
            loc, scale = self._params()
            return numerics.ndtr(_standardize(loc, scale))

    def discrete_law(self, name="discrete_law"):
        """The open/closed law of the gate: `tfd.Bernoulli` of `z > 0`.

        The discrete value behind a sample `z` is the gate indicator
        `1[z > 0]` (the gate is open when `z != 0`), whose law is
        `Bernoulli(Phi(loc / scale))`. The returned `tfd.Bernoulli` has the
        logit `log Phi(loc / scale) - log Phi(-loc / scale)`, the difference
        of the log-masses of `z != 0` and of the atom at 0, each by the
        log-space normal CDF that `log_prob` uses for the atoms, so it is
        accurate in both tails (a logit of `Phi(x)` formed as
        `log(p) - log1p(-p)` is infinite from about |x| = 5.4 in float32).
        As in `prob_nonzero`, the standardized argument `loc / scale` is
        clipped to +-40, where `Phi` is exactly 0 or 1 in float32 and
        float64: the logit then stays within +-804.6 (probabilities exactly
        0 and 1; the excluded outcome gets a log-probability of about -805
        rather than one below the float range), and values and gradients
        are finite for every finite `loc` and positive `scale`. `loc` of
        -inf (+inf) gives the logit -inf (+inf), the constant gate.
        `probs_parameter()` equals `prob_nonzero()` to rounding. The law has
        this distribution's batch shape, dtype, `validate_args` and
        `allow_nan_stats`; gradients flow to `loc` and `scale`.

        Args:
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `tfd.Bernoulli`.

        #### Examples

        ```python
        import numpy as np
        import tensorflow_probability as tfp
        import relaxtfp

        gate = relaxtfp.distributions.GaussianRelaxedBernoulli(
            loc=[-0.5, 0.5, 1.5], scale=0.5)
        law = gate.discrete_law()                    # Bernoulli of z > 0.
        np.testing.assert_allclose(law.probs_parameter(), gate.prob_nonzero(),
                                   rtol=1e-6)
        kl = tfp.distributions.kl_divergence(
            law, tfp.distributions.Bernoulli(probs=0.5))   # Shape [3]
        ```
        """
        with self._name_and_control_scope(name):
            loc, scale = self._params()
            loc, side = self._infinite_loc(loc)
            x = _standardize(loc, scale)
            open_logits = numerics.log_ndtr(x) - numerics.log_ndtr(-x)
            infinite = tf.constant(float("inf"), self.dtype)
            return forward_laws.bernoulli_law(self, logits=tf.where(
                tf.equal(side, 0.), open_logits, side * infinite))

    def _moments(self):
        """Mean and variance, in closed form or by a series for large scale.

        Closed form (scale < _SERIES_MIN_SCALE). By the symmetry
        z -> 1 - z, loc -> 1 - loc (mean -> 1 - mean, same variance) we take
        loc <= 1/2, so a = (loc - 1) / scale < 0. With h, k as in the class
        docstring and w(x) = k(x) - 2 x h(x) = (1 - x^2) Phi(x) - x phi(x):

          b <= 0:  E[z]   = scale * (h(b) - h(a))
                   Var[z] = scale^2 * (k(b) - k(a) - 2 (b - a) h(a)
                                       - (h(b) - h(a))^2)
          b > 0:   E[z]   = loc + scale * (h(-b) - h(a))
                   Var[z] = scale^2 * (1 - w(-b) - w(a) - (h(-b) - h(a))^2)

        (the second pair follows from the first by h(b) = b + h(-b) and
        k(b) = b^2 + 1 - k(-b), with 1 / scale = b - a). Every h, k and w is
        evaluated at a non-positive argument, where it is at most 1 and
        computed with a relative error of about eps * (1 + x^4); the only
        cancellations left are of order-one terms, multiplied by scale or
        scale^2, so the absolute error is a few eps * (1 + scale^2).

        Series (scale >= _SERIES_MIN_SCALE). With delta = 1 / scale and
        c = (loc - 1/2) / scale, the Taylor expansion of the integrands of
        the docstring about t = 1/2 integrates term by term to

          E[z]   = Phi(c) - phi(c) sum_j delta^(2j) He_(2j-1)(c) / (4^j (2j+1)!)
          E[z^2] = Phi(c) - phi(c) sum_j (4j delta^(2j-1) He_(2j-2)(c)
                                          + delta^(2j) He_(2j-1)(c))
                                         / (4^j (2j+1)!)

        (He the probabilists' Hermite polynomials). Since
        |He_n(c) phi(c)| <= 0.44 sqrt(n!), the j-th term is below
        (delta / 2)^(2j) / sqrt((2j)!) / 2 (and the extra term of E[z^2]
        is smaller still), so _SERIES_TERMS = 8 terms leave a truncation
        error under 1e-18 for delta <= 1/2. The variance is
        E[z^2] - E[z]^2, with an absolute error of a few eps.
        """
        loc, scale = self._params()
        shape = ps.broadcast_shape(ps.shape(loc), ps.shape(scale))
        loc = tf.broadcast_to(loc, shape)
        scale = tf.broadcast_to(scale, shape)
        dtype = self.dtype

        # Closed form, on loc <= 1/2. a and b are clipped from below where
        # h, k and w are exactly 0 (see `_standardize`): same values, and no
        # overflow in their gradients for huge or infinite loc or tiny scale.
        upper = loc > 0.5
        mu = tf.where(upper, 1. - loc, loc)
        s = tf.math.minimum(scale, tf.constant(_SERIES_MIN_SCALE, dtype))
        a = _standardize(mu - 1., s)
        b = _standardize(mu, s)

        def h(x):
            return x * numerics.ndtr(x) + _std_normal_pdf(x)

        def k(x):
            return (tf.math.square(x) + 1.) * numerics.ndtr(x) + x * _std_normal_pdf(x)

        def w(x):
            return (1. - tf.math.square(x)) * numerics.ndtr(x) - x * _std_normal_pdf(x)

        b_pos = b > 0.
        b_neg = tf.where(b_pos, tf.zeros_like(b), b)     # b, where b <= 0
        mb_neg = tf.where(b_pos, -b, tf.zeros_like(b))   # -b, where b > 0
        ha = h(a)
        # b <= 0.
        hb = h(b_neg)
        mean_left = s * (hb - ha)
        var_left = tf.math.square(s) * (
            k(b_neg) - k(a) - 2. * (b_neg - a) * ha - tf.math.square(hb - ha))
        # b > 0.
        hmb = h(mb_neg)
        mean_mid = mu + s * (hmb - ha)
        var_mid = tf.math.square(s) * (
            1. - w(mb_neg) - w(a) - tf.math.square(hmb - ha))
        mean_closed = tf.where(b_pos, mean_mid, mean_left)
        mean_closed = tf.where(upper, 1. - mean_closed, mean_closed)
        var_closed = tf.where(b_pos, var_mid, var_left)

        # Midpoint series in delta = 1 / scale.
        wide = tf.math.maximum(scale, tf.constant(_SERIES_MIN_SCALE, dtype))
        delta = 1. / wide
        # Clipped where Phi(c) is 0 or 1 and phi(c) He_n(c) is 0 (see
        # `_standardize`): beyond, He_16(c) overflows and meets phi(c) = 0.
        c = _standardize(loc - 0.5, wide)
        he = _hermite_e(2 * _SERIES_TERMS, c)
        sum1 = tf.zeros_like(c)
        sum2 = tf.zeros_like(c)
        for j in range(1, _SERIES_TERMS + 1):
            coeff = 1. / (4. ** j * math.factorial(2 * j + 1))
            d2j = delta ** (2 * j)
            sum1 += coeff * d2j * he[2 * j - 1]
            sum2 += coeff * (4. * j * delta ** (2 * j - 1) * he[2 * j - 2]
                             + d2j * he[2 * j - 1])
        pdf_c = _std_normal_pdf(c)
        cdf_c = numerics.ndtr(c)
        mean_series = cdf_c - pdf_c * sum1
        second_series = cdf_c - pdf_c * sum2
        var_series = second_series - tf.math.square(mean_series)

        series = scale >= _SERIES_MIN_SCALE
        mean = tf.where(series, mean_series, mean_closed)
        variance = tf.where(series, var_series, var_closed)
        return (tf.clip_by_value(mean, 0., 1.),
                tf.clip_by_value(variance, 0., 0.25))

    def _mean(self):
        return self._moments()[0]

    def _variance(self):
        return self._moments()[1]

    def _default_event_space_bijector(self):
        # The atoms at 0 and 1 have no unconstrained preimage; the bijector
        # maps R onto the interior (0, 1), where the density lives.
        return tfb.Sigmoid(validate_args=self.validate_args)

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = []
        if is_init != tensor_util.is_ref(self._scale):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._scale), "scale"))
        return assertions

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        return [
            assert_util.assert_non_negative(
                x, message="Sample must be in [0, 1]; it has components less "
                "than 0."),
            assert_util.assert_less_equal(
                x, tf.ones([], x.dtype), message="Sample must be in [0, 1]; it "
                "has components greater than 1."),
        ]
