"""The Hard Concrete distribution (Louizos, Welling and Kingma, 2018)."""

import tensorflow as tf
import tensorflow_probability as tfp

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

    def _params(self):
        return (tf.convert_to_tensor(self._temperature),
                self._logits_parameter_no_checks(),
                tf.convert_to_tensor(self._low),
                tf.convert_to_tensor(self._high))

    def _sample_n(self, n, seed=None):
        temperature, logits, low, high = self._params()
        shape = ps.concat([[n], self._batch_shape_tensor(
            temperature=temperature, logits=logits, low=low, high=high)], axis=0)
        # Full-shape noise: every element of every sample gets its own draw.
        logistic = noise.logistic(shape, seed=seed, dtype=self.dtype)
        s = tf.math.sigmoid((logits + logistic) / temperature)
        return tf.clip_by_value(low + (high - low) * s, 0., 1.)

    def _atom_args(self, temperature, logits, low, high):
        """`a0, a1` with P(z = 0) = sigmoid(a0) and P(z = 1) = sigmoid(-a1)."""
        # s(0) = -low / (high - low) and s(1) = (1 - low) / (high - low), so
        # logit(s(0)) = log(-low) - log(high) and
        # logit(s(1)) = log(1 - low) - log(high - 1): no subtraction of nearly
        # equal numbers, whatever the stretch.
        a0 = temperature * (tf.math.log(-low) - tf.math.log(high)) - logits
        a1 = temperature * (tf.math.log1p(-low) - tf.math.log(high - 1.)) - logits
        return a0, a1

    def _log_prob(self, x):
        temperature, logits, low, high = self._params()
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
        return tf.where(
            interior, log_density,
            tf.where(at_zero | tf.equal(x, 1.), log_atom, neg_inf))

    def _log_cdf(self, x):
        temperature, logits, low, high = self._params()
        x_safe = tf.where((x >= 0.) & (x < 1.), x, tf.constant(0.5, self.dtype))
        s = (x_safe - low) / (high - low)
        log_cdf = numerics.binary_concrete_log_cdf(s, logits, temperature)
        return tf.where(x < 0., tf.constant(float("-inf"), self.dtype),
                        tf.where(x >= 1., tf.zeros_like(log_cdf), log_cdf))

    def _cdf(self, x):
        return tf.math.exp(self._log_cdf(x))

    def prob_nonzero(self, name="prob_nonzero"):
        """`P(z != 0)`, the differentiable expected-L0 penalty of the gate.

        Equal to `sigmoid(logits - temperature * log(-low / high))`.
        """
        with self._name_and_control_scope(name):
            temperature, logits, low, high = self._params()
            return tf.math.sigmoid(
                logits - temperature * (tf.math.log(-low) - tf.math.log(high)))

    def _expectation(self, phi, dphi):
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
        """
        temperature, logits, low, high = self._params()
        width = high - low
        w0 = tf.math.log(-low) - tf.math.log(high)
        w1 = tf.math.log1p(-low) - tf.math.log(high - 1.)
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
        temperature, logits, low, high, width, w0, w1 = [
            tf.broadcast_to(t, shape)
            for t in (temperature, logits, low, high, width, w0, w1)]
        t_ = temperature[..., tf.newaxis]
        l_ = logits[..., tf.newaxis]

        # Regime temperature <= 1: integrate in w over (w0, w1).
        small = integrate(
            lambda w: dphi(g(w)) * dg(w) * tf.math.sigmoid(l_ - t_ * w), w0, w1)

        # Regime temperature > 1: integrate in l = temperature * w - logits.
        l0 = temperature * w0 - logits
        l1 = temperature * w1 - logits
        lo = tf.clip_by_value(-_LOGISTIC_CUTOFF * tf.ones_like(l0), l0, l1)
        hi = tf.clip_by_value(_LOGISTIC_CUTOFF * tf.ones_like(l0), l0, l1)
        w_lo = (lo + logits) / temperature
        head = phi(g(w_lo[..., tf.newaxis]))[..., 0]

        def in_l(l):
            w = (l + l_) / t_
            return dphi(g(w)) * dg(w) * tf.math.sigmoid(-l) / t_
        large = head + integrate(in_l, lo, hi)
        return tf.where(temperature <= 1., small, large)

    def _mean(self):
        return self._expectation(lambda z: z, tf.ones_like)

    def _variance(self):
        second = self._expectation(tf.math.square, lambda z: 2. * z)
        return tf.math.maximum(second - tf.math.square(self._mean()), 0.)

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
