"""The Generalized Gumbel-Softmax distribution (Joo et al., 2020)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import backend
from relaxtfp.internal import forward_laws
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
from relaxtfp.internal.tfp_internal import tensorshape_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["GeneralizedGumbelSoftmax"]

# A +inf logit has no probability: softmax([inf, 0]) is NaN (inf - inf).
_PLUS_INF_LOGITS = ("Argument `logits` must be less than +inf (-inf drops a "
                    "value; +inf is no probability).")


class GeneralizedGumbelSoftmax(CategoricalLogitsProbsMixin,
                               tfd.AutoCompositeTensorDistribution):
    """A discrete law on arbitrary real values, relaxed by the Gumbel-softmax.

    A discrete random variable that takes the value `values[k]` with
    probability `p_k = softmax(logits)_k` (k = 0, ..., K-1) is written as
    `X = sum_k z_k * values[k]` with `z` a one-hot vector, and `z` is relaxed
    to a Gumbel-softmax (Concrete) vector `w` on the simplex. Joo et al.
    (2020) use this to give reparameterized gradients to discrete laws other
    than the categorical (Poisson, geometric, binomial, ...), truncated to
    finitely many values; `from_distribution` builds it from any TFP
    distribution with a `log_prob`.

    The *event* of this distribution is the K-vector `w` (event shape
    `[K]`): `sample` returns relaxed one-hot weights, and `sample_value`
    (equivalently `weights_to_values(sample(...))`) returns the relaxed value
    `sum_k w_k * values[k]`, of shape `sample_shape + batch_shape`. With
    `hard=True`, `sample` returns the exact one-hot vector of the argmax in
    the forward pass (components exactly 0 and 1, so `sample_value` is exactly
    one of `values`) with the gradient of the relaxed `w` (straight-through).

    As `temperature -> 0` the relaxed value converges in law to the discrete
    law (`values[k]` with probability `p_k`); whatever the temperature, the
    argmax of `w` has exactly that law.

    #### Mathematical Details

    Sampler, with `g_k ~ Gumbel(0, 1)` drawn independently for every element
    of the full sample shape:

    ```none
    w     = softmax((logits + g) / temperature)          # event, shape [K]
    hard  = one_hot(argmax(w)) + (w - stop_gradient(w))  # if hard=True
    value = sum_k w_k * values[k]                        # sample_value
    ```

    `log_prob` scores the law of what `sample` returns:

    * `hard=False`: the Concrete (Gumbel-softmax) density of `w`, with
      respect to Lebesgue measure on the first K-1 coordinates of the simplex
      (the `tfd.Dirichlet` convention; equal to `tfd.RelaxedOneHotCategorical`):

      ```none
      log p(w) = lgamma(K) + (K - 1) log(temperature)
                 + sum_k (logits_k - (temperature + 1) log w_k)
                 - K logsumexp_k(logits_k - temperature log w_k)
      ```

      Components of `w` below the smallest normal number (the sampler's
      softmax underflows to 0 there at small temperatures) are read as that
      number, so `log_prob(sample(...))` is finite for temperatures down to
      1e-3; an exact vertex (a one-hot input) therefore gets a finite value
      that is *not* a probability mass. Inputs with a negative component get
      `-inf`.
    * `hard=True`: the categorical pmf of the one-hot sample,
      `sum_k w_k log p_k` (the `tfd.OneHotCategorical` convention: for a
      non-one-hot `w` this is a cross-entropy, not a density; with
      `validate_args=True` such inputs raise).

    Categories with `logits_k = -inf` (or `probs_k = 0`; this is how
    `from_distribution`'s truncation drops values) are never sampled:
    `w_k = 0` exactly. The relaxed vector then lives on the face of the
    simplex spanned by the K' remaining categories, and the Concrete density
    above is taken with K' in place of K over those categories only (with
    respect to Lebesgue measure on the first K'-1 of them); an input with
    `w_k > 0` on a dropped category gets `-inf`. With a single category left
    (a probability of exactly 1) the face is a vertex: every sample is that
    one-hot vector and its `log_prob` is 0, the log-mass. Values and
    gradients stay finite. With respect to a zero probability, `mean`,
    `value_mean`, `value_variance` and the `hard=True` `log_prob` have the
    one-sided limit of their gradient (for example
    `values[k] - value_mean()` for `value_mean`); samples and the Concrete
    density have a zero gradient there (a dropped weight behaves like
    `probs_k**(1 / temperature)`, whose one-sided derivative is infinite for
    `temperature > 1`).

    `logits` of +inf are refused: no probability corresponds to them
    (`softmax([inf, 0])` is NaN). A `ValueError` is raised at construction
    when the value is known then, and with `validate_args=True` an
    `InvalidArgumentError` otherwise. Finite logits of any size (+-1e30) and
    any positive temperature (1e-30 to 1e30, float32 and float64) give
    finite samples, log-probs and gradients: the sampler shifts
    `logits + g` by its maximum and clips it to where the softmax
    saturates before dividing by the temperature (the values are those of
    the plain formula).

    `mean` and `variance` are those of the event: for `hard=True`, `probs`
    and `probs * (1 - probs)`; for `hard=False` the mean of the Concrete
    vector has no closed form and `mean` raises `NotImplementedError`.
    `value_mean()` and `value_variance()` are the mean and variance of the
    discrete law of the value (`sum_k p_k values[k]`, ...), which is the
    law of `sample_value` for `hard=True` and its `temperature -> 0` limit
    for `hard=False`.

    #### Examples

    ```python
    import tensorflow as tf
    import tensorflow_probability as tfp
    import relaxtfp

    # Values 0, 1, 2.5 with probabilities 0.2, 0.5, 0.3.
    ggs = relaxtfp.distributions.GeneralizedGumbelSoftmax(
        values=[0., 1., 2.5], temperature=0.5, probs=[0.2, 0.5, 0.3])
    w = ggs.sample(4, seed=(1, 2))               # Shape [4, 3], on the simplex.
    x = ggs.sample_value(4, seed=(1, 2))         # Shape [4], = sum_k w_k v_k.
    lp = ggs.log_prob(w)                         # Concrete log density.

    # A relaxed Poisson(3): values 0..29, keep the shortest prefix holding
    # 99% of the mass and fold the rest into its last value (0..8 here).
    rate = tf.Variable(3.)
    with tf.GradientTape() as tape:
        poisson = relaxtfp.distributions.GeneralizedGumbelSoftmax.from_distribution(
            tfp.distributions.Poisson(rate), values=tf.range(30.),
            temperature=0.3, truncation=0.99, hard=True)
        n = poisson.sample_value(100, seed=(3, 4))   # Integers 0..8.
        loss = tf.reduce_mean(tf.square(n - 5.))
    grad = tape.gradient(loss, rate)             # Straight-through gradient.
    ```

    #### References

    [1]: Weonyoung Joo, Dongjun Kim, Seungjae Shin, Wonseok Yang and Il-Chul
         Moon. Generalized Gumbel-Softmax Gradient Estimator for Various
         Discrete Random Variables. _arXiv preprint arXiv:2003.01847_, 2020.
         https://arxiv.org/abs/2003.01847
    [2]: Chris J. Maddison, Andriy Mnih and Yee Whye Teh. The Concrete
         Distribution: A Continuous Relaxation of Discrete Random Variables. In
         _International Conference on Learning Representations_, 2017.
         https://arxiv.org/abs/1611.00712
    [3]: Eric Jang, Shixiang Gu and Ben Poole. Categorical Reparameterization
         with Gumbel-Softmax. In _International Conference on Learning
         Representations_, 2017. https://arxiv.org/abs/1611.01144
    """

    def __init__(self,
                 values,
                 temperature,
                 logits=None,
                 probs=None,
                 hard=False,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="GeneralizedGumbelSoftmax"):
        """Constructs a batch of Generalized Gumbel-Softmax distributions.

        Args:
          values: Float `Tensor` of shape `[..., K]`: the real values the
            discrete variable takes. Broadcasts with `logits`/`probs` and
            `temperature` in its batch dimensions.
          temperature: Positive float `Tensor` of batch shape, the temperature
            of the Gumbel-softmax relaxation.
          logits: Float `Tensor` of shape `[..., K]`, unnormalized log
            probabilities of the values; `-inf` drops a value. Exactly one of
            `logits` and `probs`.
          probs: Float `Tensor` of shape `[..., K]` on the probability simplex
            (non-negative, summing to 1 over the last axis); a zero drops a
            value.
          hard: Python `bool`. If `True`, `sample` returns exact one-hot
            vectors with the relaxed sample's gradient (straight-through) and
            `log_prob` is the categorical pmf. Default `False`.
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
          ValueError: If both or neither of `logits` and `probs` are given,
            or if `values` and `logits`/`probs` have different static last
            dimensions.
        """
        parameters = dict(locals())
        check_exactly_one(logits=logits, probs=probs)
        with tf.name_scope(name) as name:
            dtype = float_dtype(values=values, temperature=temperature, logits=logits, probs=probs)
            self._values = convert_float(values, dtype=dtype, name="values")
            self._temperature = convert_float(temperature, dtype=dtype, name="temperature")
            self._logits = convert_float(logits, dtype=dtype, name="logits")
            self._probs = convert_float(probs, dtype=dtype, name="probs")
            self._hard = bool(hard)
            self._check_static_shapes()
            self._check_static_logits()
            super().__init__(
                dtype=dtype,
                reparameterization_type=reparameterization.FULLY_REPARAMETERIZED,
                validate_args=validate_args,
                allow_nan_stats=allow_nan_stats,
                parameters=parameters,
                name=name)

    def _check_static_shapes(self):
        param_name = "logits" if self._logits is not None else "probs"
        param = self._logits if self._logits is not None else self._probs
        for name, t in (("values", self._values), (param_name, param)):
            rank = tensorshape_util.rank(t.shape)
            if rank is not None and rank < 1:
                raise ValueError(f"Argument `{name}` must have rank at least 1 "
                                 "(its last axis indexes the K values).")
        k_values = tf.compat.dimension_value(self._values.shape[-1]) if (
            tensorshape_util.rank(self._values.shape)) else None
        k_param = tf.compat.dimension_value(param.shape[-1]) if (
            tensorshape_util.rank(param.shape)) else None
        if k_values is not None and k_param is not None and k_values != k_param:
            raise ValueError(
                f"Argument `values` must have the same last dimension as "
                f"`{param_name}` (one value per category); got {k_values} "
                f"values and {k_param} categories.")

    def _check_static_logits(self):
        """Raises `ValueError` for `logits` known at construction with a
        +inf entry, whatever `validate_args` (see `_PLUS_INF_LOGITS`)."""
        if self._logits is None or tensor_util.is_ref(self._logits):
            return
        value = tf.get_static_value(self._logits)
        if value is not None and np.any(np.isposinf(value)):
            raise ValueError(_PLUS_INF_LOGITS)

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return dict(
            values=parameter_properties.ParameterProperties(
                event_ndims=1,
                default_constraining_bijector_fn=tfb.Identity),
            temperature=parameter_properties.ParameterProperties(
                shape_fn=lambda sample_shape: sample_shape[:-1],
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype)))),
            logits=parameter_properties.ParameterProperties(event_ndims=1),
            probs=parameter_properties.ParameterProperties(
                event_ndims=1,
                default_constraining_bijector_fn=tfb.SoftmaxCentered,
                is_preferred=False),
        )

    # -- construction from another distribution --------------------------------

    @classmethod
    def from_distribution(cls,
                          distribution,
                          values,
                          temperature,
                          truncation=None,
                          hard=False,
                          validate_args=False,
                          allow_nan_stats=True,
                          name="GeneralizedGumbelSoftmax"):
        """Relaxes a TFP distribution with scalar events on finitely many values.

        `logits_k = distribution.log_prob(values[..., k])`, with `values`
        (shape `[K]` or `[..., K]`) broadcast against the distribution's batch
        shape. The relaxed law is therefore the distribution *conditioned on*
        `values`: mass outside `values` is spread proportionally over them
        (as any softmax of logits does). Choose `values` to cover the mass
        that matters, e.g. `tf.range(K)` for a count distribution.

        With `truncation = eta` in (0, 1], only the shortest prefix of
        `values` (in the given order) whose cumulative probability reaches
        `eta` is kept, and the probability of every later value is folded
        into the last kept one, so that the kept probabilities sum to 1: the
        truncated variable is `min(X, v_n)` for increasing `values`, as in
        Joo et al. (2020). For Poisson(3) and `eta = 0.99` this keeps 0..8
        (P(X <= 7) = 0.9881 < 0.99 <= P(X <= 8) = 0.9962) and the last kept
        value gets P(X >= 8). The cut is computed in-graph, per batch member,
        with no host synchronization, so it works under `tf.function` and
        XLA: shapes stay static (K categories), and dropped values get
        `logits = -inf`, so they are never sampled and `log_prob` works on the
        face of the simplex spanned by the kept values.

        The logits are computed once, when this method runs. For gradients
        with respect to the distribution's parameters, call it inside the
        `tf.GradientTape` (or the `tf.function`) that uses it.

        Args:
          distribution: A TFP distribution with scalar events (event shape
            `[]`) and a `log_prob`, e.g. `tfd.Poisson`, `tfd.Geometric`,
            `tfd.Binomial`.
          values: Tensor of shape `[K]` or `[..., K]`, the values to keep,
            cast to `distribution.dtype`.
          temperature: Positive float `Tensor`, the relaxation temperature.
          truncation: Optional float in (0, 1], Python number or `Tensor`
            broadcasting with the batch shape. `None` keeps every value.
          hard: Python `bool`, see `__init__`.
          validate_args: Python `bool`, see `__init__`. It also enables the
            in-graph check of a `Tensor` `truncation`.
          allow_nan_stats: Python `bool`, see `__init__`.
          name: Python `str`, see `__init__`.

        Returns:
          A `GeneralizedGumbelSoftmax` with `logits` as above.

        Raises:
          ValueError: If `distribution` has non-scalar events, or if a
            Python-number `truncation` is not in (0, 1].
        """
        event_rank = tensorshape_util.rank(distribution.event_shape)
        if event_rank is not None and event_rank != 0:
            raise ValueError(
                "Argument `distribution` must have scalar events (event shape "
                f"[]); got event shape {distribution.event_shape}.")
        if truncation is not None and not tf.is_tensor(truncation):
            eta = np.asarray(truncation, dtype=np.float64)
            if not np.all((eta > 0.) & (eta <= 1.)):
                raise ValueError(
                    f"Argument `truncation` must be in (0, 1]; got {truncation}.")
        with tf.name_scope(name):
            dtype = distribution.dtype
            values = tf.cast(tf.convert_to_tensor(values), dtype)
            values_rank = tensorshape_util.rank(values.shape)
            if values_rank is not None and values_rank < 1:
                raise ValueError("Argument `values` must have rank at least 1 "
                                 "(its last axis indexes the K values).")
            batch = ps.broadcast_shape(ps.shape(values)[:-1],
                                       distribution.batch_shape_tensor())
            values_b = tf.broadcast_to(
                values, ps.concat([batch, ps.shape(values)[-1:]], axis=0))
            rank = ps.rank(values_b)
            # Put the K axis first, so that it sits left of the batch axes
            # that `log_prob` broadcasts against, then move it back last.
            x = tf.transpose(values_b, ps.concat([[rank - 1], ps.range(rank - 1)], 0))
            log_p = distribution.log_prob(x)
            logits = tf.transpose(log_p, ps.concat([ps.range(1, rank), [0]], 0))
            if truncation is not None:
                truncation = tf.convert_to_tensor(truncation, dtype=logits.dtype)
                deps = []
                if validate_args:
                    deps = [
                        assert_util.assert_positive(
                            truncation,
                            message="Argument `truncation` must be in (0, 1]."),
                        assert_util.assert_less_equal(
                            truncation, tf.ones([], truncation.dtype),
                            message="Argument `truncation` must be in (0, 1]."),
                    ]
                with tf.control_dependencies(deps):
                    logits = _truncate_and_fold(logits, truncation)
        return cls(values_b, temperature, logits=logits, hard=hard,
                   validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                   name=name)

    # -- properties -----------------------------------------------------------

    @property
    def values(self):
        """The real values the discrete variable takes, shape `[..., K]`."""
        return self._values

    @property
    def temperature(self):
        """The temperature of the Gumbel-softmax relaxation."""
        return self._temperature

    @property
    def hard(self):
        """Whether samples are exact one-hot vectors (straight-through)."""
        return self._hard

    # -- shapes -----------------------------------------------------------------

    def _param(self):
        return self._logits if self._logits is not None else self._probs

    def discrete_law(self, name="discrete_law"):
        """The law of the hard one-hot weights: `tfd.OneHotCategorical`.

        The discrete value behind a sample `w` (relaxed or, with
        `hard=True`, exact) is the one-hot vector `one_hot(argmax(w))`, the
        Gumbel-max draw of `Categorical(softmax(logits))` (or `probs`),
        whatever the temperature; the latent value it stands for is
        `weights_to_values(one_hot)`, i.e. `values[k]` with probability
        `softmax(logits)_k`. The returned `tfd.OneHotCategorical` is built
        from `logits` when they were given and from `probs` otherwise (a
        value of probability 0 keeps probability 0); it has this
        distribution's batch shape, dtype, `validate_args` and
        `allow_nan_stats`, and gradients flow to the parameter given.

        Args:
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `tfd.OneHotCategorical` over the K values.

        #### Examples

        ```python
        import numpy as np
        import relaxtfp

        d = relaxtfp.distributions.GeneralizedGumbelSoftmax(
            values=[0., 1., 2.], temperature=0.5, logits=[0., 1., 2.])
        law = d.discrete_law()                       # Over one-hot weights.
        value = d.weights_to_values(law.sample(seed=(1, 2)))   # 0, 1 or 2.
        np.testing.assert_allclose(
            d.weights_to_values(law.mean()), d.value_mean(), rtol=1e-5)
        ```
        """
        with self._name_and_control_scope(name):
            if self._logits is not None:
                return forward_laws.one_hot_categorical_law(
                    self, logits=tf.convert_to_tensor(self._logits))
            return forward_laws.one_hot_categorical_law(
                self, probs=tf.convert_to_tensor(self._probs))

    def _event_shape(self):
        return tf.TensorShape(self._param().shape[-1:]).merge_with(
            self._values.shape[-1:])

    def _event_shape_tensor(self):
        return ps.shape(self._param())[-1:]

    def _broadcast_params(self):
        """Values, temperature and logits broadcast to the full batch shape.

        A parameter whose static shape already is the full one is returned
        as it is: a `broadcast_to` to its own shape is still a copy eagerly
        and a reduction in the gradient.
        """
        values = tf.convert_to_tensor(self._values)
        temperature = tf.convert_to_tensor(self._temperature)
        logits = self._logits_parameter_no_checks()
        batch = self._batch_shape_tensor(
            values=values, temperature=temperature, logits=logits)
        full = ps.concat([batch, ps.shape(logits)[-1:]], axis=0)
        static_batch = self.batch_shape
        static_full = static_batch.concatenate(logits.shape[-1:])
        return (_broadcast_unless_static(values, full, static_full),
                _broadcast_unless_static(temperature, batch, static_batch),
                _broadcast_unless_static(logits, full, static_full))

    def _probs_from(self, logits):
        """The category probabilities, of the shape of the broadcast `logits`.

        From `probs`, `probs / sum(probs)` directly rather than
        `softmax(log(probs))`: the same values, but the gradient with respect
        to a zero probability is the one-sided limit (e.g.
        `values[k] - value_mean` for `value_mean`), where the logarithm's
        guard at zero would give 0.
        """
        if self._probs is None:
            return numerics.softmax(logits)
        probs = tf.broadcast_to(tf.convert_to_tensor(self._probs), ps.shape(logits))
        return probs / tf.reduce_sum(probs, axis=-1, keepdims=True)

    def _log_probs(self, logits):
        """`log` of `_probs_from(logits)`, -inf at zero probabilities (their
        gradient through the normalizer is kept, see `_probs_from`)."""
        if self._probs is None:
            return tf.math.log_softmax(logits)
        probs = tf.broadcast_to(tf.convert_to_tensor(self._probs), ps.shape(logits))
        positive = probs > 0.
        # The double `where`: log is evaluated at positive values only.
        log_probs = tf.where(positive, tf.math.log(tf.where(positive, probs, 1.)),
                             tf.constant(-np.inf, self.dtype))
        return log_probs - tf.math.log(tf.reduce_sum(probs, axis=-1, keepdims=True))

    # -- sampling ---------------------------------------------------------------

    def _sample_n(self, n, seed=None):
        _, temperature, logits = self._broadcast_params()
        shape = ps.concat([[n], ps.shape(logits)], axis=0)
        # Full-shape noise: every category of every batch member of every
        # sample gets its own Gumbel draw.
        gumbel = noise.gumbel(shape, seed=seed, dtype=self.dtype)
        keep = logits > -np.inf
        # Dropped categories (logits = -inf) get the constant -inf through
        # `where`, never (-inf + g) / temperature: the gradient of that
        # product with respect to the temperature would be 0 * inf = NaN.
        # The mask is applied to the logits (parameter shape) as a 0 / -inf
        # bias added after the division, so the sample-shaped tensor needs
        # no `where` of its own: -inf + (finite) = -inf, and the gradient of
        # a sum reaches neither the bias nor (through it) the temperature.
        safe_logits = tf.where(keep, logits, tf.zeros([], self.dtype))
        bias = tf.where(keep, tf.zeros([], self.dtype),
                        tf.constant(-np.inf, self.dtype))
        y = safe_logits + gumbel
        # Shifted by its maximum over the kept categories (the softmax and
        # argmax do not change), y <= 0, and the clip keeps y / temperature
        # finite with a finite temperature gradient for any logits and
        # temperature (see `numerics.clip_to_saturation`): without them,
        # logits of 1e30 or a temperature of 1e-30 overflow to inf in
        # float32 and the softmax is NaN.
        y = y - tf.stop_gradient(tf.reduce_max(y + bias, axis=-1, keepdims=True))
        t = temperature[..., tf.newaxis]
        z = backend.divide(numerics.clip_to_saturation(y, t), t) + bias
        w = numerics.softmax(z)
        if not self._hard:
            return w
        one_hot = tf.one_hot(tf.math.argmax(z, axis=-1), ps.shape(z)[-1],
                             dtype=self.dtype)
        # `w - stop_gradient(w)` is exactly 0, so the forward value is exactly
        # one-hot; the parentheses matter (1 + w - w need not round to 1).
        return one_hot + (w - tf.stop_gradient(w))

    def weights_to_values(self, weights, name="weights_to_values"):
        """The relaxed value `sum_k weights_k * values[k]`.

        Args:
          weights: Float `Tensor` of shape `[..., K]` (e.g. a `sample`),
            broadcasting with `batch_shape + [K]`.
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          `Tensor` of shape `broadcast(weights.shape[:-1], batch_shape)`.
        """
        with self._name_and_control_scope(name):
            weights = tf.convert_to_tensor(weights, dtype=self.dtype)
            values, _, _ = self._broadcast_params()
            # A dropped category has weight exactly 0; its value is finite, so
            # the product is 0 (no 0 * inf).
            return tf.reduce_sum(weights * values, axis=-1)

    def sample_value(self, sample_shape=(), seed=None, name="sample_value"):
        """Samples the relaxed value `sum_k w_k values[k]`, reparameterized.

        Args:
          sample_shape: Shape of the sample, as for `sample`.
          seed: A TFP seed, as for `sample`. With the same seed,
            `sample_value` equals `weights_to_values(sample(...))`.
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          `Tensor` of shape `sample_shape + batch_shape`. For `hard=True`
          each element is exactly one of `values`.
        """
        with tf.name_scope(name):
            return self.weights_to_values(self.sample(sample_shape, seed=seed))

    # -- densities --------------------------------------------------------------

    def _log_prob(self, x):
        _, temperature, logits = self._broadcast_params()
        keep = logits > -np.inf
        zero = tf.zeros([], self.dtype)
        neg_inf = tf.constant(-np.inf, self.dtype)
        # An input with mass on a dropped category, or a negative component,
        # is outside the support.
        outside = tf.reduce_any(tf.where(keep, x < 0., tf.not_equal(x, 0.)), axis=-1)
        if self._hard:
            log_p = self._log_probs(logits)
            # x_k * log p_k with 0 * (-inf) read as 0 on dropped categories.
            terms = tf.where(keep, x * tf.where(keep, log_p, zero), zero)
            return tf.where(outside, neg_inf, tf.reduce_sum(terms, axis=-1))
        tiny = np.finfo(dtype_util.as_numpy_dtype(self.dtype)).tiny
        # Underflowed components (w_k < tiny) are read as tiny: see the class
        # docstring. Dropped categories are read as x_k = 1 (log x_k = 0),
        # which takes them out of both sums below without a `where` on the
        # sample-shaped terms: in the logsumexp their term is
        # -inf - t * 0 = -inf (weight 0, and a zero gradient, no 0 * inf),
        # and in the plain sum log x_k = 0 adds nothing. Every other term is
        # finite.
        log_x = tf.math.log(tf.where(keep, tf.math.maximum(x, tiny),
                                     tf.ones([], self.dtype)))
        safe_logits = tf.where(keep, logits, zero)
        t = temperature[..., tf.newaxis]
        k = tf.reduce_sum(tf.cast(keep, self.dtype), axis=-1)
        # Concrete density over the K' kept categories, in log space: the
        # numerator's product is a sum of logs, the denominator's power a
        # logsumexp (max-subtracted, so no overflow for any temperature).
        lse = tf.math.reduce_logsumexp(logits - t * log_x, axis=-1)
        total = (tf.reduce_sum(safe_logits, axis=-1)
                 - (temperature + 1.) * tf.reduce_sum(log_x, axis=-1))
        log_density = (tf.math.lgamma(k) + (k - 1.) * tf.math.log(temperature)
                       + total - k * lse)
        return tf.where(outside, neg_inf, log_density)

    # -- statistics --------------------------------------------------------------

    def _mean(self):
        if not self._hard:
            raise NotImplementedError(
                "The mean of the relaxed one-hot vector (hard=False) has no "
                "closed form; use `value_mean()` for the mean of the discrete "
                "law, or a Monte Carlo average of samples.")
        _, _, logits = self._broadcast_params()
        return self._probs_from(logits)

    def _variance(self):
        p = self._mean()
        return p * (1. - p)

    def value_mean(self, name="value_mean"):
        """Mean of the discrete law of the value, `sum_k p_k values[k]`.

        The mean of `sample_value` for `hard=True`; its `temperature -> 0`
        limit for `hard=False`. Shape `batch_shape`.
        """
        with self._name_and_control_scope(name):
            return self._value_moments()[0]

    def value_variance(self, name="value_variance"):
        """Variance of the discrete law of the value,
        `sum_k p_k (values[k] - value_mean)^2`. Shape `batch_shape`."""
        with self._name_and_control_scope(name):
            return self._value_moments()[1]

    def _value_moments(self):
        values, _, logits = self._broadcast_params()
        p = self._probs_from(logits)
        # Dropped categories have p_k = 0 exactly; their values are finite.
        mean = tf.reduce_sum(p * values, axis=-1)
        centered = values - mean[..., tf.newaxis]
        return mean, tf.reduce_sum(p * tf.math.square(centered), axis=-1)

    def _default_event_space_bijector(self):
        if self._hard:
            # The support is the finite set of one-hot vectors.
            return None
        # Onto the open simplex, with the same Lebesgue convention as
        # `log_prob` (and `tfd.Dirichlet`).
        return SoftmaxCenteredLebesgue(validate_args=self.validate_args)

    # -- validation ---------------------------------------------------------------

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = []
        if is_init != tensor_util.is_ref(self._temperature):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._temperature), "temperature"))
        if is_init != tensor_util.is_ref(self._values):
            values = tf.convert_to_tensor(self._values)
            assertions.append(tf.debugging.assert_all_finite(
                values, message="Argument `values` must be finite."))
        if self._logits is not None and is_init != tensor_util.is_ref(self._logits):
            logits = tf.convert_to_tensor(self._logits)
            assertions.append(assert_util.assert_less(
                logits, tf.constant(np.inf, logits.dtype), message=_PLUS_INF_LOGITS))
        if self._probs is not None and is_init != tensor_util.is_ref(self._probs):
            probs = tf.convert_to_tensor(self._probs)
            assertions.append(assert_util.assert_non_negative(
                probs, message="Argument `probs` must be on the probability "
                "simplex; it has negative components."))
            assertions.append(assert_util.assert_near(
                tf.reduce_sum(probs, axis=-1), tf.ones([], probs.dtype),
                atol=np.sqrt(dtype_util.eps(probs.dtype)), rtol=0.,
                message="Argument `probs` must be on the probability simplex; "
                "its last axis does not sum to 1."))
        return assertions

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        if self._hard:
            is_binary = tf.reduce_all(tf.equal(x, 0.) | tf.equal(x, 1.))
            one = tf.reduce_all(tf.equal(tf.reduce_sum(x, axis=-1), 1.))
            return [assert_util.assert_equal(
                is_binary & one, True,
                message="Sample must be a one-hot vector (hard=True): "
                "components 0 or 1, exactly one 1.")]
        return [
            assert_util.assert_non_negative(
                x, message="Sample must be on the probability simplex; it has "
                "negative components."),
            assert_util.assert_near(
                tf.reduce_sum(x, axis=-1), tf.ones([], x.dtype),
                atol=np.sqrt(dtype_util.eps(x.dtype)), rtol=0.,
                message="Sample must be on the probability simplex; its last "
                "axis does not sum to 1."),
        ]


def _broadcast_unless_static(x, shape, static_shape):
    """`tf.broadcast_to(x, shape)`, or `x` itself where its static shape is
    already `static_shape` (fully defined)."""
    if (tensorshape_util.is_fully_defined(static_shape)
            and tuple(x.shape) == tuple(static_shape)):
        return x
    return tf.broadcast_to(x, shape)


def _truncate_and_fold(logits, truncation):
    """Keeps the shortest prefix reaching `truncation`; folds the rest in.

    Returns normalized logits in which category k is kept iff the
    probability of the categories before it is below `truncation` (so the
    kept prefix is the shortest whose cumulative probability reaches it,
    or everything if it never does). The last kept category gets the
    probability of itself and of every later category; the others keep
    theirs; dropped categories get -inf. All in-graph, per batch member.
    """
    dtype = logits.dtype
    log_p = logits - tf.math.reduce_logsumexp(logits, axis=-1, keepdims=True)
    p = tf.math.exp(log_p)
    before = tf.math.cumsum(p, axis=-1, exclusive=True)
    keep = before < truncation[..., tf.newaxis]
    keep_next = tf.concat(
        [keep[..., 1:], tf.zeros_like(keep[..., :1])], axis=-1)
    last = keep & ~keep_next
    # The tail P(category >= k), summed from the end (small terms first).
    # Summing probabilities, not a cumulative logsumexp, keeps the gradient
    # finite when trailing categories have zero mass; the double `where`
    # guards log(0) on tails that are not selected.
    tail = tf.math.cumsum(p, axis=-1, reverse=True)
    positive = tail > 0.
    log_tail = tf.where(
        positive, tf.math.log(tf.where(positive, tail, tf.ones([], dtype))),
        tf.constant(-np.inf, dtype))
    neg_inf = tf.constant(-np.inf, dtype)
    return tf.where(last, log_tail, tf.where(keep, log_p, neg_inf))
