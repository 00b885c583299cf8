"""The Hard Concrete distribution (Louizos, Welling and Kingma, 2018)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import forward_laws
from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.parameters import LogitsProbsMixin
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import check_exactly_one
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

__all__ = ["HardConcrete"]

# Gauss-Legendre rule used by `mean` and `variance` (see `_expectation`).
_NUM_QUADRATURE_NODES = 128
# Beyond |L| > _LOGISTIC_CUTOFF the logistic tail mass is below 4e-18, under
# float64 resolution of a probability.
_LOGISTIC_CUTOFF = 40.


class HardConcrete(LogitsProbsMixin, tfd.AutoCompositeTensorDistribution):
    """The Hard Concrete distribution: a stretched, clipped binary Concrete.

    A binary Concrete (relaxed Bernoulli) variable `s` in (0, 1) is stretched
    to the interval `(low, high)`, with `low < 0 < 1 < high`, and clipped back
    to `[0, 1]`. The result is a mixed law: point masses at exactly 0 and
    exactly 1 and a density in between. Used as a gate, it is exactly zero
    with positive probability, and `prob_nonzero()` is a differentiable
    expected-L0 penalty (Louizos et al., 2018).

    As `temperature -> 0` the sample tends to a Bernoulli variable with
    probability `sigmoid(logits)` of being 1; for large temperatures it
    concentrates where `low + (high - low) * sigmoid(logits / temperature)`
    is clipped.

    #### Mathematical Details

    Sampler, with `u ~ Uniform(0, 1)` drawn independently for every element:

    ```none
    L = log(u) - log(1 - u)                       # standard logistic
    s = sigmoid((logits + L) / temperature)       # binary Concrete
    z = clip(low + (high - low) * s, 0, 1)
    ```

    `log_prob` is the log density with respect to the measure
    `delta_0 + Lebesgue(0, 1) + delta_1` (point masses at 0 and 1 plus the
    Lebesgue measure inside). With `s(x) = (x - low) / (high - low)` and
    `a(x) = temperature * logit(s(x)) - logits`:

    ```none
    P(z = 0)      = sigmoid(a(0))
    P(z = 1)      = sigmoid(-a(1))
    p(z), 0<z<1   = temperature * sigmoid(a) * sigmoid(-a)
                    / (s * (1 - s) * (high - low))
    P(z != 0)     = sigmoid(logits - temperature * log(-low / high))
    ```

    All of these are computed in log space (`log sigmoid(a) = -softplus(-a)`),
    so they stay finite for temperatures from 1e-3 to 1e3 and logits of any
    size. `mean` and `variance` have no closed form; they are computed by a
    128-point Gauss-Legendre rule on a smooth integrand (see `_expectation`);
    in float64 they agree with adaptive quadrature of the density to 1e-9
    (tested for temperatures 0.01 to 300).

    Boundary probabilities. `probs` exactly 0 or 1 (equivalently `logits`
    -inf or +inf) are valid: the gate is then the constant 0 or 1. Samples
    are that constant, `log_prob` is 0 at it and -inf elsewhere, `mean`,
    `variance`, `prob_nonzero`, `discrete_law`, `cdf` and `log_cdf` take
    their exact values,
    and everything is finite in value and gradient. The gradient with
    respect to `probs` there is the one-sided limit of the gradient inside
    (0, 1), which is finite for every statistic: for example
    `d log P(z = 0) / d probs = -(high / -low)**temperature` at probs 0 and
    `d prob_nonzero / d probs = (high / -low)**temperature` (derived in the
    code). The gradient of a sample there is 0, also the limit: near the
    boundary the clip holds the sample at 0 or 1. A slope beyond the
    largest float (`temperature * log(high / -low)` above 88 in float32,
    709 in float64) is clipped to it. Points that are impossible there
    (`log_prob` -inf) get a zero gradient. With infinite `logits` every
    gradient with respect to the logits is 0, the limit of a saturated
    sigmoid. Logits of any size (+-1e30) and temperatures from 1e-30 to 1e30
    give finite samples, log-probs, statistics and gradients, in float32 and
    float64: the sampler clips the sigmoid's argument where the sigmoid
    saturates (see `relaxtfp.internal.numerics.clip_to_saturation`), which
    changes no value but keeps the temperature gradient finite.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    # A batch of 3 gates with a shared temperature.
    gate = relaxtfp.distributions.HardConcrete(
        temperature=0.5, logits=[-2., 0., 2.])
    z = gate.sample(1000, seed=(1, 2))              # Shape [1000, 3]
    lp = gate.log_prob([0., 0.3, 1.])               # Finite, shape [3]
    penalty = tf.reduce_sum(gate.prob_nonzero())    # Expected L0 norm.
    ```

    #### References

    [1]: Christos Louizos, Max Welling and Diederik P. Kingma. Learning Sparse
         Neural Networks through L_0 Regularization. In _International
         Conference on Learning Representations_, 2018.
         https://arxiv.org/abs/1712.01312
    [2]: Chris J. Maddison, Andriy Mnih and Yee Whye Teh. The Concrete
         Distribution: A Continuous Relaxation of Discrete Random Variables. In
         _International Conference on Learning Representations_, 2017.
         https://arxiv.org/abs/1611.00712
    """

    def __init__(self,
                 temperature,
                 logits=None,
                 probs=None,
                 low=-0.1,
                 high=1.1,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="HardConcrete"):
        """Constructs a batch of Hard Concrete distributions.

        Args:
          temperature: Positive float `Tensor`, the temperature of the
            underlying binary Concrete variable.
          logits: Float `Tensor`, the log-odds `log(alpha)` of the underlying
            binary Concrete variable. Exactly one of `logits` and `probs`.
          probs: Float `Tensor` in [0, 1], `sigmoid(logits)`: the probability
            that the underlying binary Concrete sample exceeds 1/2.
          low: Float `Tensor`, negative: the lower end of the stretched
            interval (Louizos et al.'s gamma). Default -0.1.
          high: Float `Tensor`, greater than 1: the upper end of the stretched
            interval (Louizos et al.'s zeta). Default 1.1.
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
          ValueError: If both or neither of `logits` and `probs` are given.
        """
        parameters = dict(locals())
        check_exactly_one(logits=logits, probs=probs)
        with tf.name_scope(name) as name:
            dtype = float_dtype(
                temperature=temperature, logits=logits, probs=probs, low=low, high=high)
            self._temperature = convert_float(temperature, dtype=dtype, name="temperature")
            self._logits = convert_float(logits, dtype=dtype, name="logits")
            self._probs = convert_float(probs, dtype=dtype, name="probs")
            self._low = convert_float(low, dtype=dtype, name="low")
            self._high = convert_float(high, dtype=dtype, name="high")
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
            temperature=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype)))),
            logits=parameter_properties.ParameterProperties(),
            probs=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=tfb.Sigmoid,
                is_preferred=False),
            low=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=(
                    lambda: tfb.Chain([tfb.Scale(-1.), tfb.Softplus()]))),
            high=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=(
                    lambda: tfb.Chain([tfb.Shift(1.), tfb.Softplus()]))),
        )

    @property
    def temperature(self):
        """The temperature of the underlying binary Concrete variable."""
        return self._temperature

    @property
    def low(self):
        """Lower end of the stretched interval (negative)."""
        return self._low

    @property
    def high(self):
        """Upper end of the stretched interval (greater than 1)."""
        return self._high

    def _event_shape(self):
        return tf.TensorShape([])

    def _event_shape_tensor(self):
        return tf.constant([], dtype=tf.int32)

    def _params_and_boundary(self):
        """`(temperature, logits, low, high, side, tangent)`, with the logits
        finite: see `numerics.bernoulli_logits_and_boundary`. Every formula
        is evaluated on these finite logits and its result replaced where
        `side != 0` (probability 0 or 1)."""
        logits, side, tangent = numerics.bernoulli_logits_and_boundary(
            logits=self._logits, probs=self._probs)
        return (tf.convert_to_tensor(self._temperature), logits,
                tf.convert_to_tensor(self._low), tf.convert_to_tensor(self._high),
                side, tangent)

    def _sample_n(self, n, seed=None):
        temperature, logits, low, high, side, _ = self._params_and_boundary()
        shape = ps.concat([[n], self._batch_shape_tensor(
            temperature=temperature, logits=logits, low=low, high=high)], axis=0)
        # Full-shape noise: every element of every sample gets its own draw.
        logistic = noise.logistic(shape, seed=seed, dtype=self.dtype)
        # The binary Concrete variable; `relaxed_sigmoid` keeps the
        # temperature gradient of a saturated sigmoid finite. (Its values lie
        # in (0, 1); where they are moved off 0 or 1 the stretched value is
        # outside [0, 1] either way and the clip below gives the same gate.)
        s = numerics.relaxed_sigmoid(logits + logistic, temperature)
        z = tf.clip_by_value(low + (high - low) * s, 0., 1.)
        # Probability 0 or 1: the gate is the constant 0 or 1 (derivative 0,
        # the limit: near the boundary the clip holds the sample there).
        return tf.where(side < 0., tf.zeros([], self.dtype),
                        tf.where(side > 0., tf.ones([], self.dtype), z))

    @staticmethod
    def _atom_logits(low, high):
        """`w0, w1 = logit(s(0)), logit(s(1))`, the binary Concrete logits at
        which the stretched variable crosses 0 and 1."""
        # s(0) = -low / (high - low) and s(1) = (1 - low) / (high - low), so
        # logit(s(0)) = log(-low) - log(high) and
        # logit(s(1)) = log(1 - low) - log(high - 1): no subtraction of nearly
        # equal numbers, whatever the stretch.
        return (tf.math.log(-low) - tf.math.log(high),
                tf.math.log1p(-low) - tf.math.log(high - 1.))

    def _atom_args(self, temperature, logits, low, high):
        """`a0, a1` with P(z = 0) = sigmoid(a0) and P(z = 1) = sigmoid(-a1)."""
        w0, w1 = self._atom_logits(low, high)
        return temperature * w0 - logits, temperature * w1 - logits

    def _log_prob(self, x):
        temperature, logits, low, high, side, tangent = self._params_and_boundary()
        a0, a1 = self._atom_args(temperature, logits, low, high)
        at_zero = tf.equal(x, 0.)
        # A point is at most one of the two atoms, so one log-sigmoid of the
        # selected argument scores both (half the softplus work of computing
        # log P(z = 0) and log P(z = 1) for every element).
        log_atom = numerics.log_sigmoid(tf.where(at_zero, a0, -a1))
        interior = (x > 0.) & (x < 1.)
        # Evaluate the density only inside (0, 1); elsewhere use a harmless
        # stand-in so that no NaN reaches the gradient through tf.where.
        x_safe = tf.where(interior, x, tf.constant(0.5, self.dtype))
        width = high - low
        s = (x_safe - low) / width
        # s lies in [s(0), s(1)], strictly inside (0, 1), so the binary
        # Concrete density is bounded away from its singular endpoints.
        log_density = (numerics.binary_concrete_log_prob(s, logits, temperature)
                       - tf.math.log(width))
        neg_inf = tf.constant(float("-inf"), self.dtype)
        log_prob = tf.where(
            interior, log_density,
            tf.where(at_zero | tf.equal(x, 1.), log_atom, neg_inf))
        # Probability 0 (or 1): the atom at 0 (or 1) has mass 1, every other
        # point probability 0. The derivative of log P(z = 0) with respect to
        # probs tends to -exp(-a0 - logits) = -exp(-temperature * w0) as
        # p -> 0 (P(z = 0) = sigmoid(c - logit(p)) with c = temperature * w0,
        # whose log has derivative -exp(-c) at p = 0), and that of
        # log P(z = 1) to exp(temperature * w1) as p -> 1.
        w0, w1 = self._atom_logits(low, high)
        slope = tf.where(side < 0., -tf.math.exp(-temperature * w0),
                         tf.math.exp(temperature * w1))
        at_atom = tf.where(side < 0., at_zero, tf.equal(x, 1.))
        boundary_log_prob = tf.where(
            at_atom, numerics.boundary_value(tf.zeros([], self.dtype), slope, tangent),
            neg_inf)
        return tf.where(tf.equal(side, 0.), log_prob, boundary_log_prob)

    def _cdf_parts(self, x):
        """`(log_cdf, cdf, inside, c, side, tangent)` for 0 <= x < 1, where
        P(z <= x) = sigmoid(c - logits) with c = temperature * logit(s(x))."""
        temperature, logits, low, high, side, tangent = self._params_and_boundary()
        inside = (x >= 0.) & (x < 1.)
        x_safe = tf.where(inside, x, tf.constant(0.5, self.dtype))
        s = (x_safe - low) / (high - low)
        c = temperature * numerics.logit(s)
        log_cdf = numerics.log_sigmoid(c - logits)
        return log_cdf, tf.math.sigmoid(c - logits), inside, c, side, tangent

    def _log_cdf(self, x):
        log_cdf, _, inside, c, side, tangent = self._cdf_parts(x)
        neg_inf = tf.constant(float("-inf"), self.dtype)
        # Probability 0: P(z <= x) = 1 on [0, 1), with d log F / dp = -exp(-c)
        # at p = 0 (F = sigmoid(c - logit(p))). Probability 1: F = 0 there.
        boundary = tf.where(
            side < 0.,
            numerics.boundary_value(tf.zeros([], self.dtype), -tf.math.exp(-c), tangent),
            neg_inf)
        log_cdf = tf.where(tf.equal(side, 0.), log_cdf, boundary)
        return tf.where(x < 0., neg_inf,
                        tf.where(inside, log_cdf, tf.zeros_like(log_cdf)))

    def _cdf(self, x):
        _, cdf, inside, c, side, tangent = self._cdf_parts(x)
        # F = sigmoid(c - logit(p)) is 1 at p = 0 with slope -exp(-c), and 0
        # at p = 1 with slope -exp(c).
        value = tf.where(side < 0., tf.ones([], self.dtype), tf.zeros([], self.dtype))
        slope = -tf.math.exp(side * c)
        cdf = tf.where(tf.equal(side, 0.), cdf,
                       numerics.boundary_value(value, slope, tangent))
        return tf.where(x < 0., tf.zeros_like(cdf),
                        tf.where(inside, cdf, tf.ones_like(cdf)))

    def _open_logits(self):
        """`(open_logits, c, side, tangent)`: the logit of `P(z != 0)`.

        `P(z != 0) = P(s > s(0)) = sigmoid(logits - c)` with
        `c = temperature * logit(s(0)) = temperature * log(-low / high)`, so
        the logit of the open probability is `logits - c`, a difference of
        finite numbers (no sigmoid, no log of a probability). It is
        evaluated on the finite logits of `_params_and_boundary`; `side` and
        `tangent` mark probability 0 or 1, where the caller puts the exact
        value back.
        """
        temperature, logits, low, high, side, tangent = self._params_and_boundary()
        c = temperature * self._atom_logits(low, high)[0]
        return logits - c, c, side, tangent

    def prob_nonzero(self, name="prob_nonzero"):
        """`P(z != 0)`, the differentiable expected-L0 penalty of the gate.

        Equal to `sigmoid(logits - temperature * log(-low / high))`, the
        open probability of `discrete_law()`, from the same logit. At
        probability 0 (or 1) it is 0 (or 1), with the one-sided derivative
        `(high / -low)**temperature` (or `(-low / high)**temperature`) with
        respect to `probs`.
        """
        with self._name_and_control_scope(name):
            open_logits, c, side, tangent = self._open_logits()
            q = tf.math.sigmoid(open_logits)
            # q = sigmoid(logit(p) - c) has slope exp(-c) at p = 0 and exp(c)
            # at p = 1.
            value = tf.where(side < 0., tf.zeros([], self.dtype), tf.ones([], self.dtype))
            return tf.where(tf.equal(side, 0.), q,
                            numerics.boundary_value(value, tf.math.exp(side * c), tangent))

    def discrete_law(self, name="discrete_law"):
        """The open/closed law of the gate: `tfd.Bernoulli` of `z != 0`.

        The discrete value behind a sample `z` is the gate indicator
        `1[z != 0]` (the gate is open when `z != 0`, whether `z` is in
        (0, 1) or at the atom 1). Its law is `Bernoulli(P(z != 0))`, whose
        logit is `logits - temperature * log(-low / high)`: the returned
        `tfd.Bernoulli` takes that logit when the distribution was given
        `logits` (infinite logits give an infinite logit, a constant gate),
        and the probability `prob_nonzero()` when it was given `probs`, so
        that probabilities 0 and 1 stay exact and keep the one-sided
        gradient documented there. The law has this distribution's batch
        shape, dtype, `validate_args` and `allow_nan_stats`; gradients flow
        to `logits` (or `probs`), `temperature`, `low` and `high`.

        Args:
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `tfd.Bernoulli`.

        #### Examples

        ```python
        import numpy as np
        import tensorflow_probability as tfp
        import relaxtfp

        gate = relaxtfp.distributions.HardConcrete(
            temperature=0.5, logits=[-2., 0., 2.])
        law = gate.discrete_law()                    # Bernoulli of z != 0.
        np.testing.assert_allclose(law.probs_parameter(), gate.prob_nonzero(),
                                   rtol=1e-6)
        kl = tfp.distributions.kl_divergence(
            law, tfp.distributions.Bernoulli(probs=0.5))   # Shape [3]
        ```
        """
        with self._name_and_control_scope(name):
            if self._logits is None:
                return forward_laws.bernoulli_law(self, probs=self.prob_nonzero())
            open_logits, _, side, _ = self._open_logits()
            # Infinite logits: the gate is constantly closed (open), logit
            # -inf (+inf); no gradient reaches them, as for every statistic.
            infinite = tf.constant(np.inf, self.dtype)
            return forward_laws.bernoulli_law(self, logits=tf.where(
                tf.equal(side, 0.), open_logits, side * infinite))

    def _expectation(self, phi, dphi, boundary_dphi):
        """E[phi(z)] for a smooth `phi` with phi(0) = 0, by quadrature.

        With w = logit(s) (so z = g(w) = clip(low + (high - low) sigmoid(w)))
        and P(w > v) = sigmoid(logits - temperature * v),

            E[phi(z)] = integral over (w0, w1) of
                        phi'(g(w)) g'(w) sigmoid(logits - temperature * w) dw,

        where g(w0) = 0 and g(w1) = 1. The integrand varies on the scales 1
        (from g') and 1 / temperature (from the sigmoid). For
        temperature <= 1 both are >= 1 on an interval of moderate length, and
        a Gauss-Legendre rule in w is accurate. For temperature > 1 we
        integrate in the logistic variable l = temperature * w - logits
        instead, where the scales are 1 and temperature; the part with
        l < -_LOGISTIC_CUTOFF, where sigmoid(-l) = 1 to working precision,
        integrates in closed form to phi(g(w_c)), and the part above the
        cutoff is below 4e-18.

        Returns `(expectation, side, tangent, slope)`. Where `side != 0`
        (probability 0 or 1) the caller replaces the expectation by its exact
        value and gives it the derivative `slope` with respect to `probs`:
        P(z > u) = sigmoid(logit(p) - temperature * w(u)), u = g(w), has the
        derivative exp(-temperature * w) at p = 0 and exp(temperature * w) at
        p = 1, so (E[phi(z)] = integral_0^1 phi'(u) P(z > u) du)

            slope = integral over (w0, w1) of
                    psi(g(w)) g'(w) exp(side * temperature * w) dw,

        with psi = `boundary_dphi(z, side)` (phi' for a statistic that is
        linear in E[phi(z)]; the variance passes its own). The exponential
        peaks at wb = w0 (p = 0) or w1 (p = 1); with y = temperature * |w - wb|
        the integrand is exp(side * temperature * wb) exp(-y) times a function
        that varies on the scale temperature in y, and a Gauss-Legendre rule
        over y in [0, min(temperature * (w1 - w0), _LOGISTIC_CUTOFF)] is
        accurate (the truncated tail is below exp(-_LOGISTIC_CUTOFF)
        relative). The prefactor exceeds the largest float for
        temperature * |log(-low / high)| > 88 in float32 (709 in float64),
        where the slope is +-inf.
        """
        temperature, logits, low, high, side, tangent = self._params_and_boundary()
        width = high - low
        w0, w1 = self._atom_logits(low, high)
        nodes, weights = numerics.gauss_legendre(_NUM_QUADRATURE_NODES, self.dtype)

        def integrate(f, a, b):
            half = (b - a)[..., tf.newaxis] / 2.
            mid = (a + b)[..., tf.newaxis] / 2.
            return tf.reduce_sum(weights * f(mid + half * nodes), axis=-1) * (
                half[..., 0])

        def g(w):
            return tf.clip_by_value(low[..., tf.newaxis]
                                    + width[..., tf.newaxis] * tf.math.sigmoid(w),
                                    0., 1.)

        def dg(w):
            return width[..., tf.newaxis] * tf.math.sigmoid(w) * tf.math.sigmoid(-w)

        shape = ps.broadcast_shape(ps.shape(temperature), ps.shape(logits))
        shape = ps.broadcast_shape(shape, ps.shape(low))
        shape = ps.broadcast_shape(shape, ps.shape(high))
        temperature, logits, low, high, width, w0, w1, side, tangent = [
            tf.broadcast_to(t, shape)
            for t in (temperature, logits, low, high, width, w0, w1, side, tangent)]
        t_ = temperature[..., tf.newaxis]
        l_ = logits[..., tf.newaxis]

        # Regime temperature <= 1: integrate in w over (w0, w1).
        small = integrate(
            lambda w: dphi(g(w)) * dg(w) * tf.math.sigmoid(l_ - t_ * w), w0, w1)

        # Regime temperature > 1: integrate in l = temperature * w - logits.
        # Evaluated at temperature >= 1 only (elsewhere the other regime is
        # selected), so that 1 / temperature stays bounded in its gradient.
        t_large = tf.math.maximum(temperature, 1.)
        tl_ = t_large[..., tf.newaxis]
        l0 = t_large * w0 - logits
        l1 = t_large * w1 - logits
        lo = tf.clip_by_value(-_LOGISTIC_CUTOFF * tf.ones_like(l0), l0, l1)
        hi = tf.clip_by_value(_LOGISTIC_CUTOFF * tf.ones_like(l0), l0, l1)
        w_lo = (lo + logits) / t_large
        head = phi(g(w_lo[..., tf.newaxis]))[..., 0]

        def in_l(l):
            w = (l + l_) / tl_
            return dphi(g(w)) * dg(w) * tf.math.sigmoid(-l) / tl_
        large = head + integrate(in_l, lo, hi)
        expectation = tf.where(temperature <= 1., small, large)

        # The slope at the boundary (see above): with
        # wb = w0 at p = 0 and w1 at p = 1, and y = temperature * |w - wb|,
        # exp(-side * temperature * (wb - w)) = exp(-y) decays away from wb.
        wb = tf.where(side < 0., w0, w1)
        y_end = tf.math.minimum(temperature * (w1 - w0),
                                tf.constant(_LOGISTIC_CUTOFF, self.dtype))

        def in_y(y):
            w = wb[..., tf.newaxis] + side[..., tf.newaxis] * (-y) / t_
            return (boundary_dphi(g(w), side[..., tf.newaxis]) * dg(w)
                    * tf.math.exp(-y) / t_)
        # The prefactor's exponent is capped one below log(largest float) (at
        # the log itself, exp rounds to inf in float32): a slope that large
        # is clipped to the largest float anyway (`numerics.boundary_value`),
        # and the cap keeps an overflowing prefactor times an integral of
        # exactly 0 (the variance at p = 0 for huge temperatures) from being
        # NaN.
        log_max = np.log(np.finfo(dtype_util.as_numpy_dtype(self.dtype)).max) - 1.
        prefactor = tf.math.exp(tf.math.minimum(side * temperature * wb, log_max))
        slope = prefactor * integrate(in_y, tf.zeros_like(y_end), y_end)
        return expectation, side, tangent, slope

    def _mean(self):
        mean, side, tangent, slope = self._expectation(
            lambda z: z, tf.ones_like, lambda z, side: tf.ones_like(z))
        # At probability 0 (1) the gate is 0 (1).
        value = tf.where(side < 0., tf.zeros([], self.dtype), tf.ones([], self.dtype))
        return tf.where(tf.equal(side, 0.), mean,
                        numerics.boundary_value(value, slope, tangent))

    def _variance(self):
        mean = self._mean()
        # At the boundary, d Var / dp = d E[z^2] / dp - 2 E[z] d E[z] / dp
        # with E[z] = 0 (p = 0) or 1 (p = 1): one integral with
        # phi'(z) = 2 z - 2 E[z].
        second, side, tangent, slope = self._expectation(
            tf.math.square, lambda z: 2. * z,
            lambda z, side: 2. * z - 2. * tf.cast(side > 0., z.dtype))
        variance = tf.math.maximum(second - tf.math.square(mean), 0.)
        return tf.where(tf.equal(side, 0.), variance,
                        numerics.boundary_value(tf.zeros([], self.dtype), slope, tangent))

    def _default_event_space_bijector(self):
        # The atoms at 0 and 1 have no unconstrained preimage; the bijector
        # maps R onto the interior (0, 1), where the density lives.
        return tfb.Sigmoid(validate_args=self.validate_args)

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = self._logits_probs_assertions(is_init)
        if is_init != tensor_util.is_ref(self._temperature):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._temperature), "temperature"))
        if is_init != tensor_util.is_ref(self._low):
            assertions.append(assert_util.assert_negative(
                tf.convert_to_tensor(self._low),
                message="Argument `low` must be negative."))
        if is_init != tensor_util.is_ref(self._high):
            high = tf.convert_to_tensor(self._high)
            assertions.append(assert_util.assert_greater(
                high, tf.ones([], high.dtype),
                message="Argument `high` must be greater than 1."))
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
