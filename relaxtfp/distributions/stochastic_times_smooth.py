"""The stochastic-times-smooth unit (Bengio, Leonard and Courville, 2013)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import backend
from relaxtfp.internal import forward_laws
from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.parameters import LogitsProbsMixin
from relaxtfp.internal.parameters import check_exactly_one
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["StochasticTimesSmooth"]


class StochasticTimesSmooth(LogitsProbsMixin, tfd.AutoCompositeTensorDistribution):
    """Stochastic-times-smooth unit: `sqrt(p) * b` with `b ~ Bernoulli(sqrt(p))`.

    A binary stochastic gate times a smooth factor (Bengio et al., 2013):
    with `p = sigmoid(logits)` (or `probs`) and `s = sqrt(p)`,
    a sample is `z = s * b`, where `b` is a Bernoulli draw with probability
    `s` of being 1. The law of `z` has two atoms, at `s` (probability `s`)
    and at 0 (probability `1 - s`), and mean `E[z] = s * s = p`.

    Gradients flow only through the smooth factor `s`; the gate `b` is
    treated as a constant. The per-sample gradient is therefore
    `dz/dp = b / (2 sqrt(p))`, whose expectation is `1/2`: half the true
    `d E[z] / dp = 1`. The estimator is biased by design, and
    `reparameterization_type = FULLY_REPARAMETERIZED` only says that samples
    carry a gradient (as for the straight-through classes).

    `sample` has a single law, the one above, whether or not a gradient is
    taken, and `log_prob` is the log-pmf of that law, written as the
    log-pmf of the gate `b = z / s` and so extended linearly in `z`:
    `log_prob(z) = (z / s) log s + (1 - z / s) log(1 - s)`. It is
    differentiable in `z` (slope `(log s - log(1 - s)) / s`), so a
    `StochasticTimesSmooth` target passes a gradient to the samples it
    scores; off {0, s} it is not a log-probability (validate_args rejects
    values outside [0, 1]).

    Not a variational surrogate. A sample moves the atom, not its mass:
    `log_prob` at the sample's own atom is `log s` whatever the extension,
    so the gradient of `log q(z)` along samples is the score of the gate,
    whose mean is zero, and the entropy of an ELBO gets no gradient from
    this class (`tfp.vi.fit_surrogate_posterior`, fitting one to another of
    known logits, drives `p` towards 0 or 1 instead). Likewise
    no `tfd.kl_divergence` is registered: two laws with different `p` have
    their atoms at different points, so their KL divergence is `+inf`, and
    against a Bernoulli law on {0, 1} as well. The divergence of
    `relaxtfp.layers.StochasticTimesSmoothLatent` is that of the gate law,
    `KL(Bernoulli(sqrt(p)) || prior)`.

    Boundaries. Logits of any finite size give finite values and gradients
    (if `p` underflows to 0 the two atoms coincide at 0, which has all the
    mass). `probs` exactly 0 or 1 are valid: point masses at 0 and at 1,
    with `log_prob` 0 there and `-inf` at every other value, zero entropy
    and variance, a gate law `discrete_law()` of probability exactly 0 or
    1, and finite gradients with respect to `probs` (`d sqrt(p) /
    dp` is infinite at 0): each quantity takes its value at `probs` and its
    gradient at a point just inside (`sqrt(tiny)` for 0, `1 - eps / 2` for
    1, see `relaxtfp.internal.numerics.into_open_unit`), which is the
    one-sided limit where that limit is finite. With `validate_args=True`,
    `probs` outside [0, 1] and values outside [0, 1] in `log_prob` raise
    `InvalidArgumentError`.

    #### Mathematical Details

    Sampler, with `u ~ Uniform(0, 1)` drawn independently for every element:

    ```none
    s = sqrt(p) = sqrt(sigmoid(logits))
    b = 1[u < s]                          # no gradient
    z = b * s                             # gradient only through s
    ```

    Log-pmf, stable for logits of any size because
    `1 - s = (1 - p) / (1 + s)`:

    ```none
    log P(z = s) = log_sigmoid(logits) / 2
    log P(z = 0) = log_sigmoid(-logits) - log1p(s)
    log_prob(x) = (x / s) log P(z = s) + (1 - x / s) log P(z = 0)
    mean = p,   variance = p * s - p^2 = p * s * (1 - p) / (1 + s)
    ```

    A sample scored in the same execution mode equals `s` bit for bit, so
    `x / s = 1` exactly; the `sigmoid` kernels of eager and XLA execution
    differ by a few units of roundoff in `s`, which move `log_prob` of a
    sample drawn in the other mode by as many units of roundoff times
    `|log P(z = 0)|`.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    logits = tf.Variable([-1., 0., 2.])
    with tf.GradientTape() as tape:
        dist = relaxtfp.distributions.StochasticTimesSmooth(logits=logits)
        z = dist.sample(1000, seed=(1, 2))    # Values 0 or sqrt(p).
        loss = tf.reduce_mean(z)
    grad = tape.gradient(loss, logits)        # Gradient through sqrt(p) only.
    lp = dist.log_prob(z)                     # Finite: z is in the support.
    ```

    #### References

    [1]: Yoshua Bengio, Nicholas Leonard and Aaron Courville. Estimating or
         Propagating Gradients Through Stochastic Neurons for Conditional
         Computation. _arXiv preprint arXiv:1308.3432_, 2013.
         https://arxiv.org/abs/1308.3432
    """

    def __init__(self,
                 logits=None,
                 probs=None,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="StochasticTimesSmooth"):
        """Constructs a batch of stochastic-times-smooth units.

        Args:
          logits: Float `Tensor`, `logit(p)`. Exactly one of `logits` and
            `probs`.
          probs: Float `Tensor` in [0, 1], `p`, the mean of the unit (the gate
            opens with probability `sqrt(p)`). Exactly one of `logits` and
            `probs`.
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
            dtype = float_dtype(logits=logits, probs=probs)
            self._logits = convert_float(logits, dtype=dtype, name="logits")
            self._probs = convert_float(probs, dtype=dtype, name="probs")
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
            logits=parameter_properties.ParameterProperties(),
            probs=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=tfb.Sigmoid,
                is_preferred=False),
        )

    def _event_shape(self):
        return tf.TensorShape([])

    def _event_shape_tensor(self):
        return tf.constant([], dtype=tf.int32)

    def _sqrt_where(self, condition, probs):
        """`sqrt(probs)` where `condition`, 0 elsewhere, with finite gradients.

        d sqrt(p) / dp is infinite at p = 0, and the zero gradient that
        `tf.where` sends to the unselected branch would meet it as
        0 * inf = NaN; the root is therefore taken of `probs` only where
        `condition` holds (there p > 0) and of 1 elsewhere. The selected
        values equal `sqrt(probs)` bit for bit.
        """
        safe = tf.where(condition, probs, tf.ones([], self.dtype))
        return tf.where(condition, tf.math.sqrt(safe), tf.zeros([], self.dtype))

    def _atom(self):
        """`s = sqrt(p)`: the formula of the atom shared by `sample`,
        `log_prob` and `mode`, so that they agree bit for bit. (Computing it
        as `exp(log_sigmoid(logits) / 2)` is as precise, but XLA's and
        eager's kernels then differ by up to 17 units of roundoff.)"""
        return tf.math.sqrt(self._probs_parameter_no_checks())

    def _terms(self, probs=None):
        """`(p, 1 - p, atom, s, log s, log(1 - s))` of the law.

        From `probs` (the argument, when the law is given by probs): `atom`
        and `s` are both `sqrt(probs)`. From logits: `atom = sqrt(p)` with a
        finite gradient where `p` underflows to 0, and `s = exp(log_sigmoid /
        2)` with a finite derivative at every logit. `log(1 - s)` is
        `log(1 - p) - log(1 + s)`, with no cancellation as `s -> 1`.
        """
        if probs is not None:
            s = tf.math.sqrt(probs)
            return (probs, 1. - probs, s, s, 0.5 * tf.math.log(probs),
                    tf.math.log1p(-probs) - tf.math.log1p(s))
        logits = tf.convert_to_tensor(self._logits)
        p = tf.math.sigmoid(logits)
        log_p = numerics.log_sigmoid(logits)
        s = tf.math.exp(0.5 * log_p)
        return (p, tf.math.sigmoid(-logits), self._sqrt_where(p > 0., p), s,
                0.5 * log_p, numerics.log_sigmoid(-logits) - tf.math.log1p(s))

    def _evaluate(self, fn):
        """`fn(*self._terms(...))`; for a law given by probs, its value at
        `probs` with the gradient at `into_open_unit(probs)`, which is finite
        at probs 0 and 1 (where `d sqrt(p) / dp` is infinite)."""
        if self._logits is not None:
            return fn(*self._terms())
        probs = tf.convert_to_tensor(self._probs)
        surrogate = fn(*self._terms(numerics.into_open_unit(probs)))
        value = fn(*self._terms(probs))
        return numerics.straight_through(tf.stop_gradient(value), surrogate)

    def discrete_law(self, name="discrete_law"):
        """The law of the gate `b` behind a sample: `tfd.Bernoulli(sqrt(p))`.

        A sample is `z = s * b` with `s = sqrt(p)` and the gate
        `b = 1[z != 0] ~ Bernoulli(s)`; this returns the law of `b` (the
        value is `b * sqrt(p)`, not `b`). From `logits`, the
        `tfd.Bernoulli` takes the logit `log s - log(1 - s)` with
        `log s = log_sigmoid(logits) / 2` and
        `log(1 - s) = log_sigmoid(-logits) - log1p(s)`, finite and exact in
        both tails. From `probs`, it takes the probability `sqrt(probs)`,
        exact at 0 and 1, with the finite gradient of the class docstring's
        boundary convention (`d sqrt(p) / dp` is infinite at 0). The law has
        this distribution's batch shape, dtype, `validate_args` and
        `allow_nan_stats`, and gradients flow to the parameter given.

        Args:
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `tfd.Bernoulli`.

        #### Examples

        ```python
        import numpy as np
        import relaxtfp

        d = relaxtfp.distributions.StochasticTimesSmooth(probs=[0.04, 0.25, 1.])
        law = d.discrete_law()                       # Bernoulli(sqrt(p)).
        np.testing.assert_allclose(law.probs_parameter(), [0.2, 0.5, 1.],
                                   rtol=1e-6)
        ```
        """
        with self._name_and_control_scope(name):
            if self._logits is not None:
                _, _, _, _, log_s, log_1ms = self._terms()
                return forward_laws.bernoulli_law(self, logits=log_s - log_1ms)
            return forward_laws.bernoulli_law(
                self, probs=self._evaluate(lambda p, q, atom, s, log_s, log_1ms: s))

    def _sample_n(self, n, seed=None):
        probs = self._probs_parameter_no_checks()
        shape = ps.concat([[n], ps.shape(probs)], axis=0)
        # Full-shape noise: every element of every sample gets its own draw.
        u = noise.uniform(shape, seed=seed, dtype=self.dtype)
        # A comparison: no gradient flows through the gate. Where it is open,
        # p > u >= tiny > 0.
        gate = u < tf.math.sqrt(probs)
        return self._sqrt_where(gate, tf.broadcast_to(probs, shape))

    def _log_prob(self, x):
        x = tf.cast(x, self.dtype)

        def log_pmf(p, q, atom, s, log_s, log_1ms):
            del p, q, s
            # b = x / atom is the gate: 1 at the atom, 0 at zero. The
            # Bernoulli(s) log-pmf of the gate, b log s + (1 - b) log(1 - s),
            # is linear in x; multiply_no_nan makes 0 * log(0) = 0 at the
            # point masses (s = 0 or 1).
            positive = atom > 0.
            b = x / tf.where(positive, atom, tf.ones([], self.dtype))
            value = (backend.multiply_no_nan(log_s, b)
                     + backend.multiply_no_nan(log_1ms, 1. - b))
            # A point mass has no linear extension: if s is 0 (the atoms
            # coincide at 0, with all the mass) or 1, every other value gets
            # -inf.
            point_mass = tf.math.logical_not(positive) | tf.math.is_inf(log_1ms)
            on_support = tf.equal(x, 0.) | tf.equal(x, atom)
            return tf.where(point_mass & tf.math.logical_not(on_support),
                            tf.constant(-np.inf, self.dtype), value)

        return self._evaluate(log_pmf)

    def _mean(self):
        return self._probs_parameter_no_checks()

    def _variance(self):
        # E[z^2] - E[z]^2 = p * s - p^2 = p * s * (1 - s), and
        # 1 - s = (1 - p) / (1 + s) avoids cancellation as p -> 1.
        return self._evaluate(
            lambda p, q, atom, s, log_s, log_1ms: p * s * q / (1. + s))

    def _entropy(self):
        def entropy(p, q, atom, s, log_s, log_1ms):
            # 0 * log(0) = 0 via multiply_no_nan.
            return -(backend.multiply_no_nan(log_s, tf.math.exp(log_s))
                     + backend.multiply_no_nan(log_1ms, tf.math.exp(log_1ms)))
        return self._evaluate(entropy)

    def _mode(self):
        # The atom at s is the more likely one when s > 1/2 (p > 1/4); ties go
        # to 0, as in `tfd.Bernoulli`.
        probs = self._probs_parameter_no_checks()
        return self._sqrt_where(probs > 0.25, probs)

    def _default_event_space_bijector(self):
        # The law is discrete; like `tfd.Bernoulli`, no bijector.
        return

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        return self._logits_probs_assertions(is_init)

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
