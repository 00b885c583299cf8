"""The straight-through Gumbel-Softmax distribution (Jang et al., 2017)."""

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.forward_laws import OneHotCategoricalForwardLaw
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import check_exactly_one
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.simplex import SoftmaxCenteredLebesgue
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization
from relaxtfp.internal.tfp_internal import tensor_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["StraightThroughGumbelSoftmax"]


class StraightThroughGumbelSoftmax(OneHotCategoricalForwardLaw,
                                   tfd.AutoCompositeTensorDistribution):
    """Straight-through Gumbel-Softmax: one-hot samples, relaxed gradients.

    Each sample is an exact one-hot vector drawn from the categorical law
    `softmax(logits)` (the Gumbel-max trick). Its gradient with respect to the
    parameters is the gradient of the Gumbel-Softmax (Concrete) relaxation
    `softmax((logits + G) / temperature)` evaluated at the same Gumbel noise
    `G`: the straight-through estimator of Jang et al. (2017), Section 2.2.
    The forward values are discrete; the temperature only shapes the
    gradient (lower: closer to the discrete derivative and higher variance;
    higher: smoother and more biased).

    The distribution is marked `FULLY_REPARAMETERIZED` because gradients do
    flow through `sample()`; they are the straight-through surrogate
    gradients described above, a biased estimate of the gradient of
    `E[f(x)]`.

    #### Mathematical Details

    With `G` a vector of independent standard Gumbel variables, drawn
    afresh for every batch member and every sample:

    ```none
    hard = one_hot(argmax(logits + G))               # forward value
    soft = softmax((logits + G) / temperature)       # backward surrogate
    x    = hard + (soft - stop_gradient(soft))       # == hard, exactly
    dx / dlogits = (diag(soft) - soft soft^T) / temperature
    ```

    `hard` is distributed as `OneHotCategorical(logits)`; `soft` as
    `RelaxedOneHotCategorical(temperature, logits)`.

    `log_prob` scores the forward (hard) value: for a one-hot `x`,

    ```none
    log_prob(x) = sum_k x_k * log_softmax(logits)_k
    ```

    the pmf of `OneHotCategorical(logits)` on the one-hot vectors, and its
    linear extension elsewhere (not the density of the relaxed surrogate).
    Being differentiable in `x` (gradient `log_softmax(logits)`), it passes
    an ELBO's gradient through `log q(z)` and `log p(z)`, so
    `tfp.vi.fit_surrogate_posterior` fits this class. (`tfd.OneHotCategorical`
    stops the gradient of its value: as a target it passes none.) `mean`,
    `variance`, `covariance`, `entropy` and `mode` are those of the same
    categorical law: `mean = softmax(logits)`, `variance = p * (1 - p)`.
    `tfd.kl_divergence` is registered against this class (at any
    temperatures), `DecoupledStraightThroughGumbelSoftmax` and
    `tfd.OneHotCategorical`, in either order: the KL of the forward laws.

    Boundaries. Finite logits of any size and temperatures from 1e-3 to 1e3
    give finite samples, values and gradients. `probs` may contain zeros: a
    category of probability 0 is never drawn and scores `-inf`, `mean` is 0
    there and the entropy and KL divergences are exact (`0 * log 0 = 0`,
    `+inf` where the second law excludes a category the first allows), and
    every gradient with respect to `probs` and `temperature` is finite.
    Values use `log(0) = -inf`; gradients (and the relaxation of `sample`)
    use `log` of a point just inside (`sqrt(tiny)` for 0, see
    `relaxtfp.internal.numerics.into_open_unit`), which gives the one-sided
    limit where that limit is finite (e.g. `d mean / d probs = I - p 1^T`
    on the simplex, zero-probability columns included). With
    `validate_args=True`, a non-positive `temperature`, `probs` that are
    negative or do not sum to 1 (within `sqrt(eps)`), and values that are
    not one-hot in `log_prob` raise `InvalidArgumentError`; `logits` or
    `probs` of rank 0 raise `ValueError` at construction.

    #### Examples

    ```python
    import tensorflow as tf
    import tensorflow_probability as tfp
    import relaxtfp

    logits = tf.Variable([[1., 0., -1.], [0., 0., 2.]])
    dist = relaxtfp.distributions.StraightThroughGumbelSoftmax(
        temperature=0.5, logits=logits)
    with tf.GradientTape() as tape:
        x = dist.sample(8, seed=(1, 2))         # Exact one-hot, shape [8, 2, 3]
        loss = tf.reduce_sum(x * [1., 2., 3.])
    grad = tape.gradient(loss, logits)          # Straight-through gradient.
    lp = dist.log_prob(x)                       # Categorical log-pmf, [8, 2]
    kl = tfp.distributions.kl_divergence(       # Closed form, shape [2].
        dist, tfp.distributions.OneHotCategorical(logits=[0., 0., 0.]))
    ```

    #### References

    [1]: Eric Jang, Shixiang Gu and Ben Poole. Categorical Reparameterization
         with Gumbel-Softmax. In _International Conference on Learning
         Representations_, 2017. https://arxiv.org/abs/1611.01144
    [2]: Chris J. Maddison, Andriy Mnih and Yee Whye Teh. The Concrete
         Distribution: A Continuous Relaxation of Discrete Random Variables. In
         _International Conference on Learning Representations_, 2017.
         https://arxiv.org/abs/1611.00712
    [3]: Yoshua Bengio, Nicholas Leonard and Aaron Courville. Estimating or
         Propagating Gradients Through Stochastic Neurons for Conditional
         Computation. _arXiv_, 2013. https://arxiv.org/abs/1308.3432
    """

    def __init__(self,
                 temperature,
                 logits=None,
                 probs=None,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="StraightThroughGumbelSoftmax"):
        """Constructs a batch of straight-through Gumbel-Softmax distributions.

        Args:
          temperature: Positive float `Tensor` of shape `batch_shape`, the
            temperature of the backward (relaxed) surrogate. It does not
            change the law of the samples.
          logits: Float `Tensor` of shape `batch_shape + [K]`, unnormalized
            log-probabilities of the K categories. Exactly one of `logits`
            and `probs`.
          probs: Float `Tensor` of shape `batch_shape + [K]`, on the simplex
            (non-negative, summing to 1 over the last axis).
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
          ValueError: If both or neither of `logits` and `probs` are given, or
            if the one given has rank 0.
        """
        parameters = dict(locals())
        check_exactly_one(logits=logits, probs=probs)
        with tf.name_scope(name) as name:
            dtype = float_dtype(temperature=temperature, logits=logits, probs=probs)
            self._temperature = convert_float(temperature, dtype=dtype, name="temperature")
            self._logits = convert_float(logits, dtype=dtype, name="logits")
            self._probs = convert_float(probs, dtype=dtype, name="probs")
            self._check_param_rank()
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
                shape_fn=lambda sample_shape: sample_shape[:-1],
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype)))),
            logits=parameter_properties.ParameterProperties(event_ndims=1),
            probs=parameter_properties.ParameterProperties(
                event_ndims=1,
                default_constraining_bijector_fn=SoftmaxCenteredLebesgue,
                is_preferred=False),
        )

    @property
    def temperature(self):
        """Temperature of the backward (relaxed) surrogate."""
        return self._temperature

    def _temperatures(self):
        return (tf.convert_to_tensor(self._temperature),)

    def _forward_logits(self, logits, temperature):
        del temperature  # The forward law does not depend on it.
        return logits

    def _sample_n(self, n, seed=None):
        temperature = tf.convert_to_tensor(self._temperature)
        logits, smooth_logits = self._sampling_logits()
        shape = ps.concat(
            [[n], self._full_shape(logits, (temperature,))], axis=0)
        # Full-shape noise: every category of every batch member of every
        # sample gets its own Gumbel draw (finite: see noise.gumbel).
        gumbel = noise.gumbel(shape, seed=seed, dtype=self.dtype)
        perturbed = logits + gumbel
        hard = tf.one_hot(tf.argmax(perturbed, axis=-1), ps.shape(perturbed)[-1],
                          dtype=self.dtype)
        # The relaxation takes finite logits (a zero probability at the
        # nearest normal one, see `_sampling_logits`): logits of -inf would
        # give its temperature gradient a 0 * inf = NaN. tf.math.softmax
        # subtracts the max, so (logits + G) / temperature of size 1e5
        # (temperature 1e-3) cannot overflow; the Jacobian
        # (diag(s) - s s^T) / temperature is then exactly 0 where s is
        # one-hot, finite everywhere.
        soft_perturbed = perturbed if smooth_logits is logits else smooth_logits + gumbel
        soft = numerics.softmax(soft_perturbed / temperature[..., tf.newaxis])
        return numerics.straight_through(hard, soft)

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = self._probs_assertions(is_init)
        if is_init != tensor_util.is_ref(self._temperature):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._temperature), "temperature"))
        return assertions
