"""Decoupled straight-through Gumbel-Softmax (Shah et al., 2024)."""

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

__all__ = ["DecoupledStraightThroughGumbelSoftmax"]


class DecoupledStraightThroughGumbelSoftmax(
        OneHotCategoricalForwardLaw, tfd.AutoCompositeTensorDistribution):
    """Straight-through Gumbel-Softmax with separate forward and backward
    temperatures.

    Shah et al. (2024) separate the two roles that the single temperature of
    the straight-through Gumbel-Softmax plays: `forward_temperature` sets how
    random the forward, discrete sample is (exploration), and
    `backward_temperature` sets how the surrogate gradient is spread across
    categories.

    The forward sample is an exact one-hot vector drawn from the categorical
    law `softmax(logits / forward_temperature)`: a forward temperature above
    1 flattens it towards uniform, below 1 sharpens it towards
    `argmax(logits)`, and 1 gives `softmax(logits)`. (Scaling the perturbed
    logits `(logits + G) / forward_temperature` instead, as some
    implementations do, leaves the argmax and hence the forward law
    unchanged: the forward temperature would be a no-op.)

    The distribution is marked `FULLY_REPARAMETERIZED` because gradients do
    flow through `sample()`: they are straight-through surrogate gradients,
    a biased estimate of the gradient of `E[f(x)]`.

    #### Mathematical Details

    With `G` a vector of independent standard Gumbel variables, drawn
    afresh for every batch member and every sample, and `tau_f`, `tau_b` the
    forward and backward temperatures:

    ```none
    z    = logits + tau_f * G                  # perturbed logits
    hard = one_hot(argmax(z))                  # = one_hot(argmax(logits / tau_f + G))
    soft = softmax(z / tau_b)                  # backward surrogate
    x    = hard + (soft - stop_gradient(soft)) # == hard, exactly
    ```

    Choice of the backward noise: the backward relaxation is taken of the
    same perturbed vector `z` whose argmax is the forward sample, i.e. the
    Gumbel noise of the backward pass is `tau_f * G`, the forward noise on
    the scale of the raw logits. Then `argmax(soft) == argmax(hard)` for
    every `tau_b`, and `soft -> hard` as `tau_b -> 0`: the surrogate always
    relaxes the category actually emitted. Using the unscaled `G` in
    `softmax((logits + G) / tau_b)` would relax `argmax(logits + G)`, a draw
    from `softmax(logits)`, which differs from the forward sample whenever
    `tau_f != 1`. With `tau_f = 1` this class equals
    `StraightThroughGumbelSoftmax(temperature=tau_b)`. The law of `soft` is
    `RelaxedOneHotCategorical(temperature=tau_b / tau_f,
    logits=logits / tau_f)`, and

    ```none
    dx / dlogits = (diag(soft) - soft soft^T) / tau_b
    ```

    `log_prob` scores the forward (hard) value under the forward law:

    ```none
    log_prob(x) = sum_k x_k * log_softmax(logits / tau_f)_k
    ```

    on the one-hot vectors, extended linearly in `x` elsewhere, so that it is
    differentiable in the value (see `StraightThroughGumbelSoftmax`).
    `mean = softmax(logits / tau_f)`, `variance = mean * (1 - mean)`, and
    `covariance`, `entropy` and `mode` are those of the same categorical law.
    `tfd.kl_divergence` is registered against this class,
    `StraightThroughGumbelSoftmax` and `tfd.OneHotCategorical`, in either
    order: the KL of the forward laws, which depends on `tau_f` and not on
    `tau_b`.

    Boundaries are as for `StraightThroughGumbelSoftmax`: finite samples,
    values and gradients for finite logits and both temperatures from 1e-3
    to 1e3; a zero in `probs` stays zero at every forward temperature
    (`0 ** (1 / tau_f) = 0`), is never drawn, scores `-inf`, and leaves every
    gradient (with respect to `probs` and both temperatures) finite, taken
    at a point just inside (see
    `relaxtfp.internal.numerics.into_open_unit`). With `validate_args=True`,
    non-positive temperatures, `probs` off the simplex and non-one-hot
    values in `log_prob` raise `InvalidArgumentError`.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    logits = tf.Variable([2., 0., -1., 0.5])
    dist = relaxtfp.distributions.DecoupledStraightThroughGumbelSoftmax(
        forward_temperature=2., backward_temperature=0.5, logits=logits)
    with tf.GradientTape() as tape:
        x = dist.sample(16, seed=(1, 2))        # Exact one-hot, shape [16, 4]
        loss = tf.reduce_sum(x * [1., 2., 3., 4.])
    grad = tape.gradient(loss, logits)          # Straight-through gradient.
    p = dist.mean()                             # softmax(logits / 2.)
    ```

    #### References

    [1]: Rushi Shah, Mingyuan Yan, Michael Curtis Mozer and Dianbo Liu.
         Improving Discrete Optimisation Via Decoupled Straight-Through
         Gumbel-Softmax. _arXiv_, 2024. https://arxiv.org/abs/2410.13331
    [2]: Eric Jang, Shixiang Gu and Ben Poole. Categorical Reparameterization
         with Gumbel-Softmax. In _International Conference on Learning
         Representations_, 2017. https://arxiv.org/abs/1611.01144
    """

    def __init__(self,
                 forward_temperature,
                 backward_temperature,
                 logits=None,
                 probs=None,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="DecoupledStraightThroughGumbelSoftmax"):
        """Constructs a batch of decoupled straight-through Gumbel-Softmax
        distributions.

        Args:
          forward_temperature: Positive float `Tensor` of shape
            `batch_shape`. The forward samples are drawn from
            `softmax(logits / forward_temperature)`.
          backward_temperature: Positive float `Tensor` of shape
            `batch_shape`, the temperature of the backward (relaxed)
            surrogate. It does not change the law of the samples.
          logits: Float `Tensor` of shape `batch_shape + [K]`, unnormalized
            log-probabilities of the K categories at forward temperature 1.
            Exactly one of `logits` and `probs`.
          probs: Float `Tensor` of shape `batch_shape + [K]`, on the simplex
            (non-negative, summing to 1 over the last axis); equivalent to
            `logits = log(probs)`, so the forward law is proportional to
            `probs ** (1 / forward_temperature)`.
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
            dtype = float_dtype(
                forward_temperature=forward_temperature, backward_temperature=backward_temperature,
                logits=logits, probs=probs)
            self._forward_temperature = convert_float(
                forward_temperature, dtype=dtype, name="forward_temperature")
            self._backward_temperature = convert_float(
                backward_temperature, dtype=dtype, name="backward_temperature")
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
        def temperature():
            return parameter_properties.ParameterProperties(
                shape_fn=lambda sample_shape: sample_shape[:-1],
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype))))
        return dict(
            forward_temperature=temperature(),
            backward_temperature=temperature(),
            logits=parameter_properties.ParameterProperties(event_ndims=1),
            probs=parameter_properties.ParameterProperties(
                event_ndims=1,
                default_constraining_bijector_fn=SoftmaxCenteredLebesgue,
                is_preferred=False),
        )

    @property
    def forward_temperature(self):
        """Temperature of the forward law `softmax(logits / forward_temperature)`."""
        return self._forward_temperature

    @property
    def backward_temperature(self):
        """Temperature of the backward (relaxed) surrogate."""
        return self._backward_temperature

    def _temperatures(self):
        return (tf.convert_to_tensor(self._forward_temperature),
                tf.convert_to_tensor(self._backward_temperature))

    def _forward_logits(self, logits, forward_temperature, backward_temperature):
        del backward_temperature  # The forward law does not depend on it.
        return logits / forward_temperature[..., tf.newaxis]

    def _sample_n(self, n, seed=None):
        tau_f, tau_b = self._temperatures()
        logits, smooth_logits = self._sampling_logits()
        shape = ps.concat([[n], self._full_shape(logits, (tau_f, tau_b))],
                          axis=0)
        gumbel = noise.gumbel(shape, seed=seed, dtype=self.dtype)
        # argmax(logits + tau_f * G) = argmax(logits / tau_f + G): a draw from
        # softmax(logits / tau_f). One perturbed vector feeds both passes, so
        # the argmax of the surrogate is the forward category exactly, with
        # no rounding difference between two separately computed vectors.
        # (Given probs with a zero, the relaxation takes the finite logits of
        # `_sampling_logits`, which differ only in the categories of
        # probability zero, never drawn.)
        noise_term = tau_f[..., tf.newaxis] * gumbel
        perturbed = logits + noise_term
        hard = tf.one_hot(tf.argmax(perturbed, axis=-1), ps.shape(perturbed)[-1],
                          dtype=self.dtype)
        soft_perturbed = perturbed if smooth_logits is logits else smooth_logits + noise_term
        # Max-subtracted softmax: no overflow even for |z| / tau_b ~ 1e7
        # (tau_f = 1e3, tau_b = 1e-3); the Jacobian is then 0 or finite.
        soft = numerics.softmax(soft_perturbed / tau_b[..., tf.newaxis])
        return numerics.straight_through(hard, soft)

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = self._probs_assertions(is_init)
        for name in ("forward_temperature", "backward_temperature"):
            param = getattr(self, "_" + name)
            if is_init != tensor_util.is_ref(param):
                assertions.append(
                    assert_positive(tf.convert_to_tensor(param), name))
        return assertions
