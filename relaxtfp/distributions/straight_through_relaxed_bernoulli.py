"""Straight-through relaxed Bernoulli: hard forward, binary-Concrete backward."""

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.forward_laws import BernoulliForwardLaw
from relaxtfp.internal.parameters import LogitsProbsMixin
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import check_exactly_one
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization
from relaxtfp.internal.tfp_internal import tensor_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["StraightThroughRelaxedBernoulli"]


class StraightThroughRelaxedBernoulli(BernoulliForwardLaw, LogitsProbsMixin,
                                      tfd.AutoCompositeTensorDistribution):
    """Hard 0/1 samples whose gradient is that of a binary Concrete sample.

    Each sample draws one logistic noise `L`. The forward value is the hard
    Bernoulli outcome `1[logits + L > 0]`, which is 1 with probability
    `sigmoid(logits)`. The backward pass differentiates the binary Concrete
    (relaxed Bernoulli) sample `sigmoid((logits + L) / temperature)` built
    from the same noise, so `temperature` shapes only the gradient: it does
    not change the law of the forward values. This is the straight-through
    Gumbel-softmax estimator of Jang et al. (2017) for two classes.

    `log_prob` scores the value that `sample` returns, i.e. the hard outcome,
    under its law Bernoulli(sigmoid(logits)), and does not depend on
    `temperature`. (Pyro's `RelaxedBernoulliStraightThrough` scores the
    relaxed value instead, which the forward pass never returns.) Off {0, 1}
    it is the linear extension `x * log p + (1 - x) * log(1 - p)`, as for
    `tfd.Bernoulli`, not the density of the relaxed value, which is
    `tfd.RelaxedBernoulli(temperature, logits=logits).log_prob`. Being
    differentiable in the value, it passes an ELBO's gradient through
    `log q(z)` and `log p(z)` (`tfp.vi.fit_surrogate_posterior` fits this
    class). `tfd.kl_divergence` is registered against this class (at any
    temperatures), `StraightThroughBernoulli` and `tfd.Bernoulli`, in either
    order: the KL of the forward laws, independent of the temperatures.

    Boundaries are as for `StraightThroughBernoulli`: finite values and
    gradients for any finite logits and temperatures from 1e-3 to 1e3;
    `probs` exactly 0 or 1 give samples always 0 or always 1, exact values
    (`-inf` for the impossible outcome), and finite gradients with respect
    to `probs` and `temperature`: the hard value is decided on the logits
    `-+inf`, the relaxation is taken at a point just inside (`sqrt(tiny)` or
    `1 - eps / 2`, see `relaxtfp.internal.numerics.into_open_unit`), whose
    gradients are finite, and statistics follow the conventions of
    `StraightThroughBernoulli`. With `validate_args=True`, a non-positive
    `temperature`, `probs` outside [0, 1], and values off {0, 1} in
    `log_prob` raise `InvalidArgumentError`.

    The gradient is biased; `reparameterization_type` is
    `FULLY_REPARAMETERIZED` because samples carry a gradient, as for Pyro's
    straight-through classes.

    #### Mathematical Details

    Sampler, with `L ~ Logistic(0, 1)` drawn independently for every
    element:

    ```none
    soft = sigmoid((logits + L) / temperature)    # binary Concrete
    hard = 1[logits + L > 0]                       # = 1[soft > 1/2]
    sample = hard + (soft - stop_gradient(soft))   # exactly 0. or 1.
    ```

    Pathwise derivatives of a sample (the binary Concrete ones):

    ```none
    d sample / d logits      = soft * (1 - soft) / temperature
    d sample / d temperature = -soft * (1 - soft) * (logits + L) / temperature^2
    ```

    Forward law and statistics, with `p = sigmoid(logits)`:

    ```none
    log_prob(x) = x * log_sigmoid(logits) + (1 - x) * log_sigmoid(-logits)
    mean = p,   variance = p * (1 - p)
    ```

    The hard value is decided on `logits + L`, not on the rounded `soft`,
    so it has law Bernoulli(p) exactly even when `soft` rounds to 1/2, 0 or 1
    (small temperatures).

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    logits = tf.Variable([-1., 0., 2.])
    with tf.GradientTape() as tape:
        dist = relaxtfp.distributions.StraightThroughRelaxedBernoulli(
            temperature=0.5, logits=logits)
        b = dist.sample(1000, seed=(1, 2))     # Values exactly 0. or 1.
        loss = tf.reduce_mean(tf.square(b - 0.3))
    grad = tape.gradient(loss, logits)         # Binary Concrete gradient.
    lp = dist.log_prob(b)                      # Bernoulli log-pmf of b.
    ```

    #### References

    [1]: Eric Jang, Shixiang Gu and Ben Poole. Categorical Reparameterization
         with Gumbel-Softmax. In _International Conference on Learning
         Representations_, 2017. https://arxiv.org/abs/1611.01144
    [2]: Chris J. Maddison, Andriy Mnih and Yee Whye Teh. The Concrete
         Distribution: A Continuous Relaxation of Discrete Random Variables. In
         _International Conference on Learning Representations_, 2017.
         https://arxiv.org/abs/1611.00712
    """

    def __init__(self,
                 temperature,
                 logits=None,
                 probs=None,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="StraightThroughRelaxedBernoulli"):
        """Constructs a batch of straight-through relaxed Bernoulli laws.

        Args:
          temperature: Positive float `Tensor`, the temperature of the binary
            Concrete relaxation used in the backward pass.
          logits: Float `Tensor`, the log-odds of a 1. Exactly one of
            `logits` and `probs`.
          probs: Float `Tensor` in [0, 1], the probability of a 1. Exactly one
            of `logits` and `probs`.
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
            dtype = float_dtype(temperature=temperature, logits=logits, probs=probs)
            self._temperature = convert_float(temperature, dtype=dtype, name="temperature")
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
            temperature=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype)))),
            logits=parameter_properties.ParameterProperties(),
            probs=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=tfb.Sigmoid,
                is_preferred=False),
        )

    @property
    def temperature(self):
        """The temperature of the binary Concrete relaxation (backward only)."""
        return self._temperature

    def _event_shape(self):
        return tf.TensorShape([])

    def _event_shape_tensor(self):
        return tf.constant([], dtype=tf.int32)

    def _sample_n(self, n, seed=None):
        temperature = tf.convert_to_tensor(self._temperature)
        logits = self._logits_parameter_no_checks()
        shape = ps.concat([[n], self._batch_shape_tensor(
            temperature=temperature, logits=logits)], axis=0)
        # Full-shape noise: every element of every sample gets its own draw.
        logistic = noise.logistic(shape, seed=seed, dtype=self.dtype)
        perturbed = logits + logistic
        if self._logits is None:
            # probs 0 or 1 give logits -+inf, which decide the hard value
            # right (never 1, always 1) but give the relaxation a 0 * inf =
            # NaN gradient. The relaxation is taken at the nearest normal
            # probability instead (logits about -87 or 17 in float32), whose
            # gradient is finite.
            inner = numerics.into_open_unit(tf.convert_to_tensor(self._probs))
            soft_perturbed = (tf.math.log(inner) - tf.math.log1p(-inner)) + logistic
        else:
            soft_perturbed = perturbed
        # The binary Concrete relaxation, with finite temperature gradients
        # where the sigmoid saturates (extreme logits, tiny temperatures).
        soft = numerics.relaxed_sigmoid(soft_perturbed, temperature)
        # P(logits + L > 0) = sigmoid(logits) exactly; deciding on `soft`
        # would misclassify values that round to 1/2 at small temperatures.
        hard = tf.cast(perturbed > 0., self.dtype)
        # The difference is exactly 0. in the forward pass, so the sum is
        # exactly 0. or 1. Do not reassociate.
        return hard + (soft - tf.stop_gradient(soft))

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = self._logits_probs_assertions(is_init)
        if is_init != tensor_util.is_ref(self._temperature):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._temperature), "temperature"))
        return assertions
