"""The straight-through Gumbel-Softmax distribution (Jang et al., 2017)."""

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.parameters import CategoricalLogitsProbsMixin
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import check_exactly_one
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.simplex import SoftmaxCenteredLebesgue
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization
from relaxtfp.internal.tfp_internal import tensor_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["StraightThroughGumbelSoftmax"]


def _straight_through(hard, soft):
    """`hard` in the forward pass, the gradient of `soft` in the backward pass.

    `soft - stop_gradient(soft)` is computed first: it is exactly zero for any
    finite `soft` (x - x == 0 in IEEE arithmetic), so the sum is exactly
    `hard`, a vector of exact zeros and ones. Writing
    `hard + soft - stop_gradient(soft)` instead would round `hard + soft`
    first and could leave values such as 0.99999994 or 5.9e-8.
    """
    return hard + (soft - tf.stop_gradient(soft))


def _probs_tolerance(dtype):
    # sqrt(eps): 3.5e-4 in float32, 1.5e-8 in float64. Loose enough for probs
    # produced by a softmax over many categories, tight enough to catch a
    # vector that was never normalized. `log_prob` renormalizes with
    # `log_softmax(log(probs))`, so a deviation within this tolerance only
    # rescales the law by a factor 1 +- tolerance.
    return tf.math.sqrt(dtype_util.eps(dtype))


class _OneHotCategoricalMixin(CategoricalLogitsProbsMixin):
    """Shared parts of the one-hot straight-through categorical classes.

    The class sets `self._logits` and `self._probs` (one of them `None`; the
    accessors come from `CategoricalLogitsProbsMixin`) and
    implements `_forward_logits()` (the logits of the law of the forward,
    discrete sample) and `_temperatures()` (the batch-shaped temperatures,
    used only for broadcasting). Kept private to relaxtfp's straight-through
    categorical modules.
    """

    def _param(self):
        return self._logits if self._logits is not None else self._probs

    def _event_shape(self):
        return tf.TensorShape(self._param().shape[-1:])

    def _event_shape_tensor(self):
        return ps.shape(self._param())[-1:]

    def _full_shape(self, logits, temperatures):
        """batch_shape + [K]: `logits` broadcast against every temperature."""
        shape = ps.shape(logits)
        for t in temperatures:
            shape = ps.broadcast_shape(shape, ps.concat([ps.shape(t), [1]], 0))
        return shape

    def _forward_log_probs(self):
        """log_softmax of the forward logits, broadcast to batch + [K]."""
        temperatures = self._temperatures()
        logits = self._forward_logits(*temperatures)
        return tf.broadcast_to(tf.math.log_softmax(logits),
                               self._full_shape(logits, temperatures))

    def _log_prob(self, x):
        # log p(x) = sum_k x_k log softmax(logits)_k, the categorical pmf of a
        # one-hot x. log_softmax subtracts the max before exponentiating, so
        # it is finite for any finite logits (at temperature 1e-3 and logits
        # +-50 the scaled logits are +-5e4 and log_softmax is about -1e5,
        # finite in float32). multiply_no_nan makes 0 * log(0) = 0 when a
        # category has probability exactly zero.
        log_p = self._forward_log_probs()
        x = tf.cast(x, log_p.dtype)
        return tf.reduce_sum(tf.math.multiply_no_nan(log_p, x), axis=-1)

    def _mean(self):
        return tf.math.exp(self._forward_log_probs())

    def _variance(self):
        p = self._mean()
        return p * (1. - p)

    def _covariance(self):
        p = self._mean()
        cov = -p[..., :, tf.newaxis] * p[..., tf.newaxis, :]
        return tf.linalg.set_diag(cov, p * (1. - p))

    def _entropy(self):
        # -sum p log p with p = exp(log p): where p underflows to 0 the term
        # is 0 (multiply_no_nan), never 0 * (-inf) or NaN.
        log_p = self._forward_log_probs()
        return -tf.reduce_sum(
            tf.math.multiply_no_nan(log_p, tf.math.exp(log_p)), axis=-1)

    def _mode(self):
        log_p = self._forward_log_probs()
        k = ps.shape(log_p)[-1]
        return tf.one_hot(tf.argmax(log_p, axis=-1), k, dtype=self.dtype)

    def enumerate_support(self, expand=True, name="enumerate_support"):
        """The K one-hot vectors of the support, stacked on a leading axis.

        TFP has no `enumerate_support`; this follows the layout of
        `torch.distributions.OneHotCategorical.enumerate_support`, leading
        support axis first: shape `[K] + batch_shape + [K]` when `expand`,
        `[K] + [1] * len(batch_shape) + [K]` otherwise. Row `k` is the k-th
        basis vector, so `log_prob(enumerate_support())` has shape
        `[K] + batch_shape` and its `exp` sums to one over the first axis.

        Args:
          expand: Python `bool`. If `True`, broadcast the support over the
            batch shape.
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `Tensor` of dtype `self.dtype`.
        """
        with self._name_and_control_scope(name):
            k = self.event_shape_tensor()[0]
            batch = self.batch_shape_tensor()
            eye = tf.eye(k, dtype=self.dtype)
            ones = tf.ones_like(batch)
            eye = tf.reshape(eye, ps.concat([[k], ones, [k]], 0))
            if expand:
                eye = tf.broadcast_to(eye, ps.concat([[k], batch, [k]], 0))
            return eye

    def _default_event_space_bijector(self):
        # The forward samples are discrete (vertices of the simplex); like
        # `tfd.OneHotCategorical`, there is no bijection from R^n onto them.
        return None

    def _probs_assertions(self, is_init):
        if self._probs is None or is_init == tensor_util.is_ref(self._probs):
            return []
        probs = tf.convert_to_tensor(self._probs)
        return [
            assert_util.assert_non_negative(
                probs, message="Argument `probs` must be non-negative."),
            assert_util.assert_near(
                tf.reduce_sum(probs, axis=-1), tf.ones([], probs.dtype),
                atol=_probs_tolerance(probs.dtype), rtol=0.,
                message="Argument `probs` must sum to 1 over its last "
                "dimension."),
        ]

    def _check_param_rank(self):
        param = self._param()
        name = "logits" if self._logits is not None else "probs"
        rank = tf.TensorShape(param.shape).rank
        if rank is not None and rank < 1:
            raise ValueError(f"Argument `{name}` must have rank at least 1.")

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        return [
            assert_util.assert_equal(
                x * (1. - x), tf.zeros([], x.dtype),
                message="Sample must be one-hot: every component must be 0 "
                "or 1."),
            assert_util.assert_equal(
                tf.reduce_sum(x, axis=-1), tf.ones([], x.dtype),
                message="Sample must be one-hot: its last dimension must sum "
                "to 1."),
        ]


class StraightThroughGumbelSoftmax(_OneHotCategoricalMixin,
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

    the pmf of `OneHotCategorical(logits)`. It is not the density of the
    relaxed surrogate. `mean`, `variance`, `covariance`, `entropy` and `mode`
    are those of the same categorical law: `mean = softmax(logits)`,
    `variance = p * (1 - p)`.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    logits = tf.Variable([[1., 0., -1.], [0., 0., 2.]])
    dist = relaxtfp.distributions.StraightThroughGumbelSoftmax(
        temperature=0.5, logits=logits)
    with tf.GradientTape() as tape:
        x = dist.sample(8, seed=(1, 2))         # Exact one-hot, shape [8, 2, 3]
        loss = tf.reduce_sum(x * [1., 2., 3.])
    grad = tape.gradient(loss, logits)          # Straight-through gradient.
    lp = dist.log_prob(x)                       # Categorical log-pmf, [8, 2]
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

    def _forward_logits(self, temperature):
        del temperature  # The forward law does not depend on it.
        return self._logits_parameter_no_checks()

    def _sample_n(self, n, seed=None):
        temperature = tf.convert_to_tensor(self._temperature)
        logits = self._logits_parameter_no_checks()
        shape = ps.concat(
            [[n], self._full_shape(logits, (temperature,))], axis=0)
        # Full-shape noise: every category of every batch member of every
        # sample gets its own Gumbel draw (finite: see noise.gumbel).
        perturbed = logits + noise.gumbel(shape, seed=seed, dtype=self.dtype)
        hard = tf.one_hot(tf.argmax(perturbed, axis=-1), ps.shape(perturbed)[-1],
                          dtype=self.dtype)
        # tf.math.softmax subtracts the max, so (logits + G) / temperature of
        # size 1e5 (temperature 1e-3) cannot overflow; the Jacobian
        # (diag(s) - s s^T) / temperature is then exactly 0 where s is
        # one-hot, finite everywhere.
        soft = numerics.softmax(perturbed / temperature[..., tf.newaxis])
        return _straight_through(hard, soft)

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = self._probs_assertions(is_init)
        if is_init != tensor_util.is_ref(self._temperature):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._temperature), "temperature"))
        return assertions
