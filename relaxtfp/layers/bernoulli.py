"""Latent layers for the Bernoulli-family relaxations (binary units, gates)."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.distributions.correlated_relaxed_bernoulli import (
    CorrelatedRelaxedBernoulli,
)
from relaxtfp.distributions.gaussian_relaxed_bernoulli import (
    GaussianRelaxedBernoulli,
)
from relaxtfp.distributions.hard_concrete import HardConcrete
from relaxtfp.distributions.stochastic_times_smooth import StochasticTimesSmooth
from relaxtfp.distributions.straight_through_bernoulli import (
    StraightThroughBernoulli,
)
from relaxtfp.distributions.straight_through_relaxed_bernoulli import (
    StraightThroughRelaxedBernoulli,
)
from relaxtfp.internal import numerics
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.layers.base import LatentLayer
from relaxtfp.layers.base import StraightThroughHooks
from relaxtfp.layers.base import check_positive_float
from relaxtfp.layers.base import check_probabilities
from relaxtfp.layers.base import config_value
from relaxtfp.layers.base import prior_axes
from relaxtfp.layers.base import read_variable
from relaxtfp.layers.base import register

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = [
    "CorrelatedRelaxedBernoulliLatent",
    "GaussianRelaxedBernoulliLatent",
    "HardConcreteLatent",
    "StochasticTimesSmoothLatent",
    "StraightThroughBernoulliLatent",
    "StraightThroughRelaxedBernoulliLatent",
]



def bernoulli_kl_from_logits(logits, prior_probs=None, prior_logits=None):
    """KL(Bernoulli(sigmoid(logits)) || prior), elementwise.

    A thin wrapper of `tfd.kl_divergence` between `tfd.Bernoulli` laws, the
    computation that the layers' divergences use (through
    `dist.discrete_law()` and the layer's `prior_law()`). The prior is
    `Bernoulli(prior_probs)` or `Bernoulli(sigmoid(prior_logits))` (give
    exactly one). TFP's KL works in the logits, with
    `log sigmoid(+-x) = -softplus(-+x)`, exact in both tails, so the value is
    finite for logits of any size, infinite ones included.
    """
    if (prior_probs is None) == (prior_logits is None):
        raise ValueError("Give exactly one of `prior_probs` and `prior_logits`.")
    logits = tf.convert_to_tensor(logits)
    if prior_logits is None:
        prior = tfd.Bernoulli(probs=tf.cast(prior_probs, logits.dtype))
    else:
        prior = tfd.Bernoulli(logits=tf.cast(prior_logits, logits.dtype))
    return tfd.kl_divergence(tfd.Bernoulli(logits=logits), prior)


class _BernoulliLatent(LatentLayer):
    """Shared parts of the layers whose input is one logit per binary unit.

    `prior_probs` and `learn_prior` are documented in `LatentLayer`.
    """

    _CONFIG = ("prior_probs", "learn_prior")

    def __init__(self, *, prior_probs=0.5, learn_prior=False, **kwargs):
        super().__init__(**kwargs)
        self.prior_probs = check_probabilities(prior_probs, "prior_probs")
        if not isinstance(learn_prior, bool):
            raise ValueError("Argument `learn_prior` must be True or False. "
                             f"Received: learn_prior={learn_prior!r}")
        self.learn_prior = learn_prior
        self.prior_logits = None

    # Smallest input rank, and what the axes hold (for the error message).
    _MIN_NDIM = 1
    _AXES_DESCRIPTION = "a batch axis, then the units"

    def _width_axes(self, input_shape):
        """Input axes fixed by the layer's own state (subclasses)."""
        return {}

    def build(self, input_shape):
        self._check_min_rank(input_shape, self._MIN_NDIM, self._AXES_DESCRIPTION)
        units = tuple(input_shape[1:])
        # The prior must fit the units whether it is learned or fixed.
        axes = prior_axes(
            self.prior_probs, units, "prior_probs",
            "broadcast against the units of one example (the input shape "
            f"without the batch axis, {units}) without changing their shape")
        if self.learn_prior:
            if None in units:
                raise ValueError(
                    f"{type(self).__name__} needs known input dimensions after the "
                    "batch axis with `learn_prior=True` (one prior logit per unit). "
                    f"Received: input_shape={tuple(input_shape)}")
            # One trainable prior logit per unit (the input's shape without
            # the batch axis), started at logit(prior_probs); the input must
            # keep exactly these units.
            init = np.broadcast_to(
                np.log(self.prior_probs) - np.log1p(-np.asarray(self.prior_probs)),
                units)
            self.prior_logits = self.add_weight(
                shape=units,
                initializer=keras.initializers.Constant(init),
                trainable=True,
                autocast=False,
                name="prior_logits")
            self._set_input_spec(
                input_shape, {i + 1: size for i, size in enumerate(units)},
                ndim=len(input_shape))
        else:
            # A fixed prior fixes the axes where it has more than one value.
            axes.update(self._width_axes(input_shape))
            if axes:
                self._set_input_spec(
                    input_shape, axes,
                    min_ndim=max(self._MIN_NDIM, len(np.shape(self.prior_probs)) + 1))
        super().build(input_shape)

    @staticmethod
    def params_size(event_shape):
        """Number of inputs per example for `event_shape` binary units.

        Args:
          event_shape: Python `int` or shape: the units of one example.

        Returns:
          Python `int`, the product of `event_shape` (one logit per unit).
        """
        return int(np.prod(event_shape))

    def prior_logits_value(self, dtype="float32"):
        """The logits of the prior's P(b = 1), as a `Tensor` of `dtype`.

        The trainable `prior_logits` weight when `learn_prior=True` (shape:
        the layer's input without the batch axis), else `logit(prior_probs)`.
        """
        if self.prior_logits is not None:
            return tf.cast(read_variable(self.prior_logits), dtype)
        probs = tf.constant(self.prior_probs, dtype=dtype)
        return numerics.logit(probs)

    def prior_law(self, dtype="float32"):
        """The prior of the hard values, a `tfd.Bernoulli` of `dtype`.

        `Bernoulli(logits=prior_logits)` with the trainable weight when
        `learn_prior=True` (gradients flow to it), else
        `Bernoulli(probs=prior_probs)`. The layer's `'kl'` divergence is
        `tfd.kl_divergence(dist.discrete_law(), layer.prior_law(dtype))`
        summed over the units, for `dist = layer.distribution(inputs)`
        (the marginal laws for `CorrelatedRelaxedBernoulliLatent`).
        """
        if self.prior_logits is not None:
            return tfd.Bernoulli(logits=self.prior_logits_value(dtype), dtype=dtype)
        return tfd.Bernoulli(probs=tf.constant(self.prior_probs, dtype=dtype),
                             dtype=dtype)

    def _discrete_law(self, dist):
        """The Bernoulli law of the hard value behind a sample of `dist`."""
        return dist.discrete_law()

    def _divergence_elements(self, dist, sample):
        # The KL of the discrete law behind the sample to the prior, from
        # TFP's Bernoulli KL in the logits (finite for logits of any size).
        return tfd.kl_divergence(self._discrete_law(dist),
                                 self.prior_law(dist.dtype))


@register
class StraightThroughBernoulliLatent(StraightThroughHooks, _BernoulliLatent):
    """Binary latent units sampled by the straight-through Bernoulli estimator.

    The input holds the logits of the units, shape `[batch, ...]`; the output
    has the same shape. In training the output is a
    `relaxtfp.distributions.StraightThroughBernoulli` sample: exact 0/1
    values whose gradient is that of `p = sigmoid(logits)` (Bengio et al.,
    2013).

    At inference: `'hard'` and `'relaxed'` both return such a sample (its
    forward value is already discrete), `'mode'` returns `1[logits > 0]`.

    Divergence added with `add_loss` (when `kl_weight > 0`): the KL of the
    discrete law `dist.discrete_law()` to `prior_law()`, as in Jang et al.
    (2017), `sum_units KL(Bernoulli(sigmoid(logits)) || Bernoulli(prior_probs))`,
    in closed form, averaged over the batch and times `kl_weight`.

    The layer has no arguments of its own: it takes those of every layer
    (`prior_probs`, `learn_prior`, `kl_weight`, `inference_mode`, `seed`;
    no temperature), documented in `LatentLayer`.

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((8,))
    logits = keras.layers.Dense(
        relaxtfp.layers.StraightThroughBernoulliLatent.params_size(16))(inputs)
    z = relaxtfp.layers.StraightThroughBernoulliLatent(seed=1)(logits)
    outputs = keras.layers.Dense(8)(z)
    model = keras.Model(inputs, outputs)          # KL in model.losses.
    ```

    #### References

    [1]: Yoshua Bengio, Nicholas Leonard and Aaron Courville. Estimating or
         Propagating Gradients Through Stochastic Neurons for Conditional
         Computation. _arXiv preprint arXiv:1308.3432_, 2013.
         https://arxiv.org/abs/1308.3432
    [2]: Eric Jang, Shixiang Gu and Ben Poole. Categorical Reparameterization
         with Gumbel-Softmax. In _International Conference on Learning
         Representations_, 2017. https://arxiv.org/abs/1611.01144
    """

    _HAS_TEMPERATURE = False

    def _make_distribution(self, inputs):
        return StraightThroughBernoulli(logits=inputs)


@register
class StraightThroughRelaxedBernoulliLatent(StraightThroughHooks, _BernoulliLatent):
    """Binary latent units: hard 0/1 samples with binary Concrete gradients.

    The input holds the logits of the units, shape `[batch, ...]`; the output
    has the same shape. In training the output is a
    `relaxtfp.distributions.StraightThroughRelaxedBernoulli` sample: the
    exact Bernoulli(sigmoid(logits)) value in the forward pass, the gradient
    of the binary Concrete sample at the layer's `temperature` in the
    backward pass (the two-class straight-through Gumbel-softmax of Jang et
    al., 2017). The temperature shapes only the gradient; anneal it with
    `relaxtfp.layers.TemperatureAnnealing`.

    At inference: `'hard'` and `'relaxed'` both return such a sample, `'mode'`
    returns `1[logits > 0]`.

    Divergence added with `add_loss` (when `kl_weight > 0`): the KL of the
    discrete law `dist.discrete_law()` to `prior_law()`, as in Jang et al.
    (2017), `sum_units KL(Bernoulli(sigmoid(logits)) || Bernoulli(prior_probs))`,
    in closed form, averaged over the batch and times `kl_weight`.

    The layer has no arguments of its own: it takes those of every layer
    (`temperature`, default 1; `prior_probs`, `learn_prior`, `kl_weight`,
    `inference_mode`, `seed`), documented in `LatentLayer`.

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((8,))
    logits = keras.layers.Dense(16)(inputs)
    layer = relaxtfp.layers.StraightThroughRelaxedBernoulliLatent(
        temperature=1., kl_weight=0.5, seed=1)
    model = keras.Model(inputs, keras.layers.Dense(8)(layer(logits)))
    model.compile(optimizer="adam", loss="mse")
    annealing = relaxtfp.layers.TemperatureAnnealing(
        initial=1., rate=1e-3, floor=0.5, every_n_steps=100)
    # model.fit(x, y, callbacks=[annealing])
    ```

    #### References

    [1]: Eric Jang, Shixiang Gu and Ben Poole. Categorical Reparameterization
         with Gumbel-Softmax. In _International Conference on Learning
         Representations_, 2017. https://arxiv.org/abs/1611.01144
    """

    def _make_distribution(self, inputs):
        return StraightThroughRelaxedBernoulli(
            temperature=self.temperature_value(inputs.dtype), logits=inputs)


@register
class StochasticTimesSmoothLatent(StraightThroughHooks, _BernoulliLatent):
    """Binary stochastic units times a smooth factor: `z = sqrt(p) * b`.

    The input holds the logits of the units, shape `[batch, ...]`; the output
    has the same shape. In training the output is a
    `relaxtfp.distributions.StochasticTimesSmooth` sample: `z = s * b` with
    `s = sqrt(sigmoid(logits))` and a gate `b ~ Bernoulli(s)`; gradients flow
    through `s` only (Bengio et al., 2013).

    At inference: `'hard'` and `'relaxed'` both return such a sample, whose
    values are the two values `{0, s}` that the decoder saw in training, not
    `{0, 1}` (a decoder trained on `{0, s}` and fed prior draws in `{0, 1}`
    sees inputs it never met); `'mode'` returns the more probable of the
    two atoms (`s` when `s > 1/2`, else 0).

    Divergence added with `add_loss` (when `kl_weight > 0`): the KL of the
    discrete law of the gate, `dist.discrete_law()` (the law of
    `1[z != 0]`), to `prior_law()`,
    `sum_units KL(Bernoulli(s) || Bernoulli(prior_probs))` with
    `s = sqrt(sigmoid(logits))`, in closed form, averaged over the batch
    and times `kl_weight`.

    The layer has no arguments of its own: it takes those of every layer
    (`prior_probs`, the prior probability that the gate is open;
    `learn_prior`, `kl_weight`, `inference_mode`, `seed`; no temperature),
    documented in `LatentLayer`.

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((8,))
    z = relaxtfp.layers.StochasticTimesSmoothLatent(seed=1)(
        keras.layers.Dense(16)(inputs))           # Shape [None, 16]
    model = keras.Model(inputs, keras.layers.Dense(8)(z))
    ```

    #### References

    [1]: Yoshua Bengio, Nicholas Leonard and Aaron Courville. Estimating or
         Propagating Gradients Through Stochastic Neurons for Conditional
         Computation. _arXiv preprint arXiv:1308.3432_, 2013.
         https://arxiv.org/abs/1308.3432
    """

    _HAS_TEMPERATURE = False

    def _make_distribution(self, inputs):
        return StochasticTimesSmooth(logits=inputs)


class _GateLatent(_BernoulliLatent):
    """Gates with atoms at 0 and 1: divergence 'kl' or 'l0'."""

    _DIVERGENCES = ("kl", "l0")

    def _divergence_elements(self, dist, sample):
        if self.divergence_type == "l0":
            return dist.prob_nonzero()
        return super()._divergence_elements(dist, sample)

    def _hard(self, dist, sample):
        return tf.cast(sample > 0., sample.dtype)


@register
class HardConcreteLatent(_GateLatent):
    """Hard Concrete gates (Louizos et al., 2018): exact zeros, relaxed ones.

    The input holds the log-odds `logits` of the gates, shape `[batch, ...]`;
    the output has the same shape. In training the output is a
    `relaxtfp.distributions.HardConcrete` sample in `[0, 1]`, exactly 0 or 1
    with positive probability, reparameterized.

    At inference: `'hard'` returns `1[z > 0]` for a sample `z` (a draw of the
    gate's open/closed law, Bernoulli(P(z != 0))); `'mode'` returns the
    deterministic test-time gate of Louizos et al. (2018, eq. 13),
    `clip(low + (high - low) * sigmoid(logits), 0, 1)`; `'relaxed'` returns
    a sample `z`.

    Divergence added with `add_loss` (when `kl_weight > 0`), summed over the
    gates, averaged over the batch and times `kl_weight`, with
    `P(z != 0) = sigmoid(logits - temperature * log(-low / high))`:

    * `divergence='kl'` (default): the KL of the discrete open/closed law
      `dist.discrete_law()` to `prior_law()`,
      `KL(Bernoulli(P(z != 0)) || Bernoulli(prior_probs))`, in closed form;
    * `divergence='l0'`: the expected L0 norm `dist.prob_nonzero()` of
      Louizos et al. (a penalty, not a divergence; `prior_probs` is then
      unused).

    For an L0-regularized model that is deterministic at test time, use
    `divergence='l0'` and `inference_mode='mode'` (see `LatentLayer`).

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((10,))
    gate_logits = keras.layers.Dense(10)(inputs)
    gates = relaxtfp.layers.HardConcreteLatent(
        divergence="l0", kl_weight=1e-3, seed=1)(gate_logits)
    outputs = keras.layers.Dense(1)(keras.layers.Multiply()([inputs, gates]))
    model = keras.Model(inputs, outputs)
    ```

    #### References

    [1]: Christos Louizos, Max Welling and Diederik P. Kingma. Learning Sparse
         Neural Networks through L_0 Regularization. In _International
         Conference on Learning Representations_, 2018.
         https://arxiv.org/abs/1712.01312
    """

    _DEFAULT_TEMPERATURE = 2. / 3.
    _CONFIG = ("low", "high")

    def __init__(self, *, low=-0.1, high=1.1, **kwargs):
        """Creates the layer.

        Args:
          low: Negative float, the lower end of the stretched interval.
            Default -0.1.
          high: Float greater than 1, the upper end of the stretched interval.
            Default 1.1.
          **kwargs: The arguments shared by every layer, documented in
            `LatentLayer` (`temperature`, default 2/3 as in Louizos et al.;
            `divergence`, `'kl'` or `'l0'`; `prior_probs`, the prior
            probability that a gate is open; `learn_prior`; `kl_weight`;
            `inference_mode`; `seed`).
        """
        super().__init__(**kwargs)
        if not (isinstance(low, (int, float)) and low < 0.):
            raise ValueError(
                f"Argument `low` must be a negative number. Received: low={low!r}")
        if not (isinstance(high, (int, float)) and high > 1.):
            raise ValueError(
                "Argument `high` must be a number greater than 1. "
                f"Received: high={high!r}")
        self.low = float(low)
        self.high = float(high)

    def _make_distribution(self, inputs):
        return HardConcrete(temperature=self.temperature_value(inputs.dtype),
                            logits=inputs, low=self.low, high=self.high)

    def _mode(self, dist):
        return tf.clip_by_value(
            self.low + (self.high - self.low) * tf.math.sigmoid(dist.logits),
            0., 1.)



@register
class GaussianRelaxedBernoulliLatent(_GateLatent):
    """Stochastic gates (Yamada et al., 2020): a Gaussian clipped to [0, 1].

    The input holds the gate means `loc`, shape `[batch, ...]`; the output
    has the same shape. The standard deviation `scale` is a layer
    hyperparameter (the STG paper uses 0.5). In training the output is a
    `relaxtfp.distributions.GaussianRelaxedBernoulli` sample
    `clip(loc + scale * eps, 0, 1)`, with fresh noise for every element and
    every example (one draw shared across the batch would gate every
    example alike). The layer has no temperature; `scale` plays that role
    and is fixed.

    At inference: `'hard'` returns `1[z > 0]` for a sample `z` (a draw of
    Bernoulli(P(z != 0))); `'mode'` returns the deterministic test-time gate
    of STG, `clip(loc, 0, 1)`; `'relaxed'` returns a sample `z`.

    Divergence added with `add_loss` (when `kl_weight > 0`), summed over the
    gates, averaged over the batch and times `kl_weight`, with
    `P(z != 0) = Phi(loc / scale)`:

    * `divergence='kl'` (default): the KL of the discrete open/closed law
      `dist.discrete_law()` to `prior_law()`,
      `KL(Bernoulli(Phi(loc / scale)) || Bernoulli(prior_probs))`, in closed
      form (a Bernoulli formula applied to the relaxed sample `z` would not
      be a divergence of either law);
    * `divergence='l0'`: the expected L0 norm `dist.prob_nonzero()`,
      `Phi(loc / scale)`, the STG regularizer (`prior_probs` unused).

    `Phi(loc / scale)` enters the KL through its logit
    `log Phi(loc / scale) - log Phi(-loc / scale)`, with a log-space normal
    CDF, so the divergence is finite for any `loc / scale`.

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((10,))
    gates = relaxtfp.layers.GaussianRelaxedBernoulliLatent(
        scale=0.5, divergence="l0", kl_weight=1e-2, seed=1)(
            keras.layers.Dense(10)(inputs))
    model = keras.Model(inputs, keras.layers.Multiply()([inputs, gates]))
    ```

    #### References

    [1]: Yutaro Yamada, Ofir Lindenbaum, Sahand Negahban and Yuval Kluger.
         Feature Selection using Stochastic Gates. In _International
         Conference on Machine Learning_, 2020.
         https://arxiv.org/abs/1810.04247
    """

    _HAS_TEMPERATURE = False
    _CONFIG = ("scale",)

    def __init__(self, *, scale=0.5, **kwargs):
        """Creates the layer.

        Args:
          scale: Positive float, the standard deviation of the Gaussian noise.
            Default 0.5.
          **kwargs: The arguments shared by every layer, documented in
            `LatentLayer` (`divergence`, `'kl'` or `'l0'`; `prior_probs`,
            the prior probability that a gate is open; `learn_prior`;
            `kl_weight`; `inference_mode`; `seed`).
        """
        super().__init__(**kwargs)
        self.scale = check_positive_float(scale, "scale")

    def _make_distribution(self, inputs):
        return GaussianRelaxedBernoulli(
            loc=inputs, scale=tf.constant(self.scale, inputs.dtype))

    def _mode(self, dist):
        return tf.clip_by_value(tf.convert_to_tensor(dist.loc), 0., 1.)



@register
class CorrelatedRelaxedBernoulliLatent(_BernoulliLatent):
    """Relaxed Bernoulli gates correlated through a Gaussian copula.

    The input holds the logits of `D` gates, shape `[batch, D]` (or
    `[batch, ..., D]`); the output has the same shape. In training the output
    is a `relaxtfp.distributions.CorrelatedRelaxedBernoulli` sample in
    `(0, 1)^D` (Lee et al., 2022). The correlation matrix is either learned
    (`correlation=None`, the default: a trainable vector of `D (D - 1) / 2`
    entries, initialized to zeros, i.e. `R = I`, mapped by
    `tfp.bijectors.CorrelationCholesky`), or fixed (`correlation` a `D x D`
    correlation matrix).

    At inference: `'hard'` returns the hard gates `1[z > 1/2]` of a sample
    (each Bernoulli(sigmoid(logits)), correlated); `'mode'` returns
    `1[logits > 0]`; `'relaxed'` returns a sample `z`.

    Divergence added with `add_loss` (when `kl_weight > 0`), averaged over
    the batch and times `kl_weight`:

    * `divergence='kl'` (default): the KL of the discrete marginal laws to
      `prior_law()`,
      `sum_k KL(Bernoulli(sigmoid(logits_k)) || Bernoulli(prior_probs))`,
      in closed form (the joint law of the hard gates has no closed form,
      so `dist.discrete_law()` raises). Against the independent prior this is the KL of the
      joint hard gates minus their total correlation, so it is a lower bound
      that is exact for `R = I`; it does not penalize the correlation.
    * `divergence='mc'`: the single-sample Monte Carlo log-ratio
      `log q(z) - log p(z)` with `z` the training sample, `q` the correlated
      law and `p` independent binary Concrete variables with the same
      temperature and probabilities `prior_probs` (the copula with `R = I`);
      an unbiased estimate of `KL(q || p)` between the relaxed laws.

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((6,))
    layer = relaxtfp.layers.CorrelatedRelaxedBernoulliLatent(
        temperature=0.5, divergence="mc", seed=1)
    z = layer(keras.layers.Dense(6)(inputs))      # Shape [None, 6]
    model = keras.Model(inputs, z)
    # layer.correlation_params: 15 trainable entries.
    ```

    #### References

    [1]: Changhee Lee, Fergus Imrie and Mihaela van der Schaar.
         Self-Supervision Enhanced Feature Selection with Correlated Gates.
         In _International Conference on Learning Representations_, 2022.
         https://openreview.net/forum?id=oDFvtxzPOx
    """

    _DEFAULT_TEMPERATURE = 2. / 3.
    _DIVERGENCES = ("kl", "mc")
    _CONFIG = ("correlation",)

    def __init__(self, *, correlation=None, **kwargs):
        """Creates the layer.

        Args:
          correlation: `None` (default) to learn the correlation matrix, or a
            fixed `D x D` correlation matrix (nested lists or array:
            symmetric, positive definite, unit diagonal).
          **kwargs: The arguments shared by every layer, documented in
            `LatentLayer` (`temperature`, default 2/3, shared by the gates;
            `divergence`, `'kl'` or `'mc'`; `prior_probs`, a float or a list
            of `D` floats; `learn_prior`; `kl_weight`; `inference_mode`;
            `seed`).
        """
        super().__init__(**kwargs)
        if correlation is not None:
            matrix = np.asarray(correlation, dtype=np.float64)
            if (matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]
                    or not np.allclose(matrix, matrix.T)
                    or not np.allclose(np.diag(matrix), 1.)
                    or np.any(np.linalg.eigvalsh(matrix) <= 0.)):
                raise ValueError(
                    "Argument `correlation` must be a symmetric positive "
                    "definite matrix with unit diagonal, or None. "
                    f"Received: correlation={correlation!r}")
        self.correlation = config_value(correlation)
        self.correlation_params = None

    _MIN_NDIM = 2
    _AXES_DESCRIPTION = "a batch axis, then any axes, then the gates"

    def _width_axes(self, input_shape):
        return {-1: input_shape[-1]}

    def build(self, input_shape):
        self._check_min_rank(input_shape, self._MIN_NDIM, self._AXES_DESCRIPTION)
        size = input_shape[-1]
        if size is None:
            raise ValueError(
                "CorrelatedRelaxedBernoulliLatent needs a known last input "
                f"dimension (the number of gates). Received: input_shape={input_shape}")
        if self.correlation is None:
            self.correlation_params = self.add_weight(
                shape=(size * (size - 1) // 2,), initializer="zeros",
                trainable=True, autocast=False, name="correlation_params")
        elif len(self.correlation) != size:
            raise ValueError(
                f"Argument `correlation` must be {size} x {size} to match the "
                f"input's last dimension. Received a {len(self.correlation)} x "
                f"{len(self.correlation)} matrix.")
        super().build(input_shape)

    def _make_distribution(self, inputs):
        temperature = self.temperature_value(inputs.dtype)
        if self.correlation is None:
            params = tf.cast(read_variable(self.correlation_params),
                             inputs.dtype)
            return CorrelatedRelaxedBernoulli(
                temperature=temperature, logits=inputs,
                correlation_cholesky=tfb.CorrelationCholesky().forward(params))
        return CorrelatedRelaxedBernoulli(
            temperature=temperature, logits=inputs,
            correlation=tf.constant(self.correlation, inputs.dtype))

    def _discrete_law(self, dist):
        # The joint law of the correlated hard gates has no closed form
        # (`discrete_law()` raises); the 'kl' divergence uses their
        # marginals, Bernoulli(sigmoid(logits)) each (see the class
        # docstring for what that bound leaves out).
        return tfd.Bernoulli(logits=dist.logits, dtype=dist.dtype)

    def _divergence_elements(self, dist, sample):
        logits = dist.logits
        if self.divergence_type == "kl":
            return super()._divergence_elements(dist, sample)
        prior_logits = tf.broadcast_to(
            self.prior_logits_value(logits.dtype), ps.shape(sample))
        log_prior = tf.reduce_sum(numerics.binary_concrete_log_prob(
            sample, prior_logits, dist.temperature), axis=-1)
        return dist.log_prob(sample) - log_prior

    def _hard(self, dist, sample):
        return tf.cast(sample > 0.5, sample.dtype)

    def _mode(self, dist):
        return tf.cast(dist.logits > 0., dist.dtype)

