"""Latent layers for the categorical (one-hot, k-hot, value) relaxations."""

import keras
import numpy as np
import tensorflow as tf

from relaxtfp.distributions.decoupled_straight_through_gumbel_softmax import (
    DecoupledStraightThroughGumbelSoftmax,
)
from relaxtfp.distributions.generalized_gumbel_softmax import (
    GeneralizedGumbelSoftmax,
)
from relaxtfp.distributions.gumbel_softmax_top_k import GumbelSoftmaxTopK
from relaxtfp.distributions.straight_through_gumbel_softmax import (
    StraightThroughGumbelSoftmax,
)
from relaxtfp.layers.base import LatentLayer
from relaxtfp.layers.base import StraightThroughHooks
from relaxtfp.layers.base import check_positive_float
from relaxtfp.layers.base import config_value

__all__ = [
    "DecoupledStraightThroughGumbelSoftmaxLatent",
    "GeneralizedGumbelSoftmaxLatent",
    "GumbelSoftmaxTopKLatent",
    "StraightThroughGumbelSoftmaxLatent",
]

_PACKAGE = "relaxtfp"


def categorical_kl_from_logits(logits, prior_log_probs):
    """KL(Categorical(softmax(logits)) || Categorical(exp(prior_log_probs))).

    Reduced over the last axis. `log_softmax` is finite for finite logits, so
    no `0 * log 0` arises.
    """
    log_q = tf.math.log_softmax(logits)
    return tf.reduce_sum(tf.math.exp(log_q) * (log_q - prior_log_probs), axis=-1)


def _one_hot_argmax(x):
    return tf.one_hot(tf.argmax(x, axis=-1), tf.shape(x)[-1], dtype=x.dtype)


class _CategoricalLatent(LatentLayer):
    """Shared parts of the layers whose input is the logits `[batch, ..., K]`."""

    def __init__(self, prior_probs=None, **kwargs):
        super().__init__(**kwargs)
        if prior_probs is not None:
            probs = np.asarray(prior_probs, dtype=np.float64)
            if (probs.ndim != 1 or np.any(probs <= 0.)
                    or not np.isclose(probs.sum(), 1.)):
                raise ValueError(
                    "Argument `prior_probs` must be a vector of positive "
                    "probabilities summing to 1, or None (uniform). "
                    f"Received: prior_probs={prior_probs!r}")
        self.prior_probs = config_value(prior_probs)

    @staticmethod
    def params_size(num_classes, num_variables=1):
        """Number of inputs per example: one logit per class and variable.

        Args:
          num_classes: Python `int`, the classes K of each variable.
          num_variables: Python `int`, the number N of categorical variables
            (reshape the `N * K` outputs of a `Dense` to `[N, K]`). Default 1.

        Returns:
          Python `int`, `num_variables * num_classes`.
        """
        return int(num_variables) * int(num_classes)

    def build(self, input_shape):
        self._check_min_rank(input_shape, 2, "a batch axis, then any axes, then the classes")
        num_classes = input_shape[-1]
        if num_classes is None:
            raise ValueError(
                f"{type(self).__name__} needs a known last input dimension (the "
                f"number of classes). Received: input_shape={input_shape}")
        if self.prior_probs is not None and len(self.prior_probs) != num_classes:
            raise ValueError(
                f"Argument `prior_probs` must have {num_classes} entries to match "
                f"the input's last dimension. Received {len(self.prior_probs)}.")
        self._check_num_classes(num_classes, input_shape)
        # The layer is built for K classes (its prior, `k` or `values` are
        # checked against K): other inputs must have the same last axis.
        self._set_input_spec(input_shape, {-1: num_classes}, min_ndim=2)
        super().build(input_shape)

    def _check_num_classes(self, num_classes, input_shape):
        """Raises `ValueError` in `build` if K does not suit the layer."""

    def _prior_log_probs(self, logits):
        if self.prior_probs is None:
            k = tf.cast(tf.shape(logits)[-1], logits.dtype)
            return -tf.math.log(k) * tf.ones_like(logits)
        return tf.math.log(tf.constant(self.prior_probs, logits.dtype))

    def _categorical_divergence(self, logits):
        return categorical_kl_from_logits(logits, self._prior_log_probs(logits))

    def _divergence_elements(self, dist, sample):
        # KL of the categorical softmax(logits) law (for top-k: of the first
        # draw); layers whose discrete law differs override this.
        return self._categorical_divergence(dist.logits)

    def get_config(self):
        config = super().get_config()
        config["prior_probs"] = self.prior_probs
        return config


@keras.saving.register_keras_serializable(package=_PACKAGE)
class StraightThroughGumbelSoftmaxLatent(StraightThroughHooks, _CategoricalLatent):
    """One-hot latent variables by the straight-through Gumbel-softmax.

    The input holds logits of shape `[batch, K]` or `[batch, N, K]` (N
    categorical variables of K classes; any number of middle axes works);
    the output has the same shape. In training the output is a
    `relaxtfp.distributions.StraightThroughGumbelSoftmax` sample: an exact
    one-hot draw of `Categorical(softmax(logits))` whose gradient is that of
    the Gumbel-softmax relaxation at the layer's `temperature` (Jang et al.,
    2017). Anneal the temperature with `relaxtfp.layers.TemperatureAnnealing`.

    At inference: `'hard'` and `'relaxed'` both return such a sample,
    `'mode'` returns `one_hot(argmax(logits))`.

    Divergence added with `add_loss` (when `kl_weight > 0`): the KL of the
    discrete law, as in Jang et al. (2017),
    `sum_variables KL(Categorical(softmax(logits)) || Categorical(prior_probs))`
    (uniform prior by default), in closed form, averaged over the batch and
    times `kl_weight`.

    #### Examples

    ```python
    import keras
    import relaxtfp

    n, k = 20, 10                                 # 20 variables, 10 classes.
    inputs = keras.Input((784,))
    h = keras.layers.Dense(
        relaxtfp.layers.StraightThroughGumbelSoftmaxLatent.params_size(k, n))(
            inputs)
    logits = keras.layers.Reshape((n, k))(h)
    z = relaxtfp.layers.StraightThroughGumbelSoftmaxLatent(
        temperature=1., seed=1)(logits)          # Shape [None, 20, 10]
    decoded = keras.layers.Dense(784)(keras.layers.Flatten()(z))
    model = keras.Model(inputs, decoded)
    ```

    #### References

    [1]: Eric Jang, Shixiang Gu and Ben Poole. Categorical Reparameterization
         with Gumbel-Softmax. In _International Conference on Learning
         Representations_, 2017. https://arxiv.org/abs/1611.01144
    """

    def __init__(self,
                 temperature=1.,
                 prior_probs=None,
                 kl_weight=1.,
                 inference_mode="hard",
                 seed=None,
                 **kwargs):
        """Creates the layer.

        Args:
          temperature: Positive float, the initial temperature of the
            Gumbel-softmax relaxation used in the backward pass. Default 1.
          prior_probs: `None` (uniform, the default) or a list of K prior
            class probabilities (positive, summing to 1).
          kl_weight: Non-negative float, the weight (beta) of the divergence
            loss; 0 adds no loss. Default 1.
          inference_mode: `'hard'`, `'mode'` or `'relaxed'`: what the layer
            returns when not training. Default `'hard'`.
          seed: Optional integer seed of the layer's `SeedGenerator`.
          **kwargs: Keyword arguments of `keras.layers.Layer`.
        """
        super().__init__(temperature=temperature, prior_probs=prior_probs,
                         kl_weight=kl_weight, inference_mode=inference_mode,
                         seed=seed, **kwargs)

    def _make_distribution(self, inputs):
        return StraightThroughGumbelSoftmax(
            temperature=self.temperature_value(inputs.dtype), logits=inputs)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class DecoupledStraightThroughGumbelSoftmaxLatent(StraightThroughHooks, _CategoricalLatent):
    """One-hot latent variables with separate forward and backward temperatures.

    The input holds logits of shape `[batch, K]` or `[batch, N, K]`; the
    output has the same shape. In training the output is a
    `relaxtfp.distributions.DecoupledStraightThroughGumbelSoftmax` sample
    (Shah et al., 2024): an exact one-hot draw of
    `Categorical(softmax(logits / forward_temperature))` whose gradient is
    that of a Gumbel-softmax relaxation at the backward temperature. The
    forward temperature is a fixed hyperparameter; the backward temperature
    is the layer's `temperature` weight, which
    `relaxtfp.layers.TemperatureAnnealing` anneals.

    At inference: `'hard'` and `'relaxed'` both return such a sample,
    `'mode'` returns `one_hot(argmax(logits))`.

    Divergence added with `add_loss` (when `kl_weight > 0`): the KL of the
    discrete law of the forward sample, as in Jang et al. (2017),
    `sum_variables KL(Categorical(softmax(logits / forward_temperature)) ||
    Categorical(prior_probs))` (uniform prior by default), in closed form,
    averaged over the batch and times `kl_weight`.

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((20, 10))                # 20 variables, 10 classes.
    z = relaxtfp.layers.DecoupledStraightThroughGumbelSoftmaxLatent(
        forward_temperature=2., temperature=0.5, seed=1)(inputs)
    model = keras.Model(inputs, z)                # Output [None, 20, 10].
    ```

    #### References

    [1]: Rushi Shah, Mingyuan Yan, Michael Curtis Mozer and Dianbo Liu.
         Improving Discrete Optimisation Via Decoupled Straight-Through
         Gumbel-Softmax. _arXiv_, 2024. https://arxiv.org/abs/2410.13331
    """

    def __init__(self,
                 forward_temperature=1.,
                 temperature=1.,
                 prior_probs=None,
                 kl_weight=1.,
                 inference_mode="hard",
                 seed=None,
                 **kwargs):
        """Creates the layer.

        Args:
          forward_temperature: Positive float, the fixed temperature of the
            forward law `softmax(logits / forward_temperature)`. Default 1.
          temperature: Positive float, the initial backward temperature.
            Default 1.
          prior_probs: `None` (uniform, the default) or a list of K prior
            class probabilities (positive, summing to 1).
          kl_weight: Non-negative float, the weight (beta) of the divergence
            loss; 0 adds no loss. Default 1.
          inference_mode: `'hard'`, `'mode'` or `'relaxed'`: what the layer
            returns when not training. Default `'hard'`.
          seed: Optional integer seed of the layer's `SeedGenerator`.
          **kwargs: Keyword arguments of `keras.layers.Layer`.
        """
        super().__init__(temperature=temperature, prior_probs=prior_probs,
                         kl_weight=kl_weight, inference_mode=inference_mode,
                         seed=seed, **kwargs)
        self.forward_temperature = check_positive_float(
            forward_temperature, "forward_temperature")

    def _make_distribution(self, inputs):
        return DecoupledStraightThroughGumbelSoftmax(
            forward_temperature=tf.constant(self.forward_temperature,
                                            inputs.dtype),
            backward_temperature=self.temperature_value(inputs.dtype),
            logits=inputs)

    def _divergence_elements(self, dist, sample):
        return self._categorical_divergence(
            dist.logits / dist.forward_temperature)

    def get_config(self):
        config = super().get_config()
        config["forward_temperature"] = self.forward_temperature
        return config


@keras.saving.register_keras_serializable(package=_PACKAGE)
class GumbelSoftmaxTopKLatent(_CategoricalLatent):
    """Relaxed k-hot latent subsets: k of K categories without replacement.

    The input holds logits of shape `[batch, K]` or `[batch, N, K]`; the
    output has the same shape, a vector whose entries lie in `[0, 1]` and
    sum to `k` (a relaxed k-hot vector). In training the output is a
    `relaxtfp.distributions.GumbelSoftmaxTopK` sample: with
    `straight_through=False` (default) the relaxation at the layer's
    `temperature`; with `straight_through=True` the exact k-hot vector of the
    Gumbel-top-k set, with the relaxation's gradient. Choose `k` smaller than
    K: the reference demo used `k` equal to the latent size, which makes the
    sample constant (relaxit-review §9.29); the layer rejects `k >= K`.

    At inference: `'hard'` returns the k-hot vector of the k largest entries
    of a sample (the Gumbel-top-k set, a draw of the subset law);
    `'mode'` returns the k-hot vector of the k largest logits; `'relaxed'`
    returns a sample as in training.

    Divergence added with `add_loss` (when `kl_weight > 0`): the KL of a
    discrete law, in closed form, summed over the variables, averaged over
    the batch and times `kl_weight`. The KL of the k-subset law has no
    closed form (it sums over all C(K, k) subsets), so the layer uses the law
    of the first draw, `KL(Categorical(softmax(logits)) || Categorical(prior_probs))`
    (uniform prior by default). It is zero exactly when the logits equal the
    prior's up to a constant, i.e. when the subset law is the prior's.

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((12,))
    mask = relaxtfp.layers.GumbelSoftmaxTopKLatent(k=3, temperature=0.5,
                                                   seed=1)(
        keras.layers.Dense(12)(inputs))           # Rows sum to 3.
    model = keras.Model(inputs, keras.layers.Multiply()([inputs, mask]))
    ```

    #### References

    [1]: Sang Michael Xie and Stefano Ermon. Reparameterizable Subset
         Sampling via Continuous Relaxations. In _International Joint
         Conference on Artificial Intelligence_, 2019.
         https://arxiv.org/abs/1901.10517
    [2]: Wouter Kool, Herke van Hoof and Max Welling. Stochastic Beams and
         Where to Find Them: The Gumbel-Top-k Trick for Sampling Sequences
         Without Replacement. In _International Conference on Machine
         Learning_, 2019. https://arxiv.org/abs/1903.06059
    """

    def __init__(self,
                 k,
                 temperature=0.5,
                 straight_through=False,
                 prior_probs=None,
                 kl_weight=1.,
                 inference_mode="hard",
                 seed=None,
                 **kwargs):
        """Creates the layer.

        Args:
          k: Positive Python `int`, the size of the subset; must be smaller
            than the number of classes K.
          temperature: Positive float, the initial temperature of the
            relaxation. Default 0.5.
          straight_through: Python `bool`: return exact k-hot samples in
            training (with the relaxation's gradient). Default `False`.
          prior_probs: `None` (uniform, the default) or a list of K prior
            class probabilities (positive, summing to 1).
          kl_weight: Non-negative float, the weight (beta) of the divergence
            loss; 0 adds no loss. Default 1.
          inference_mode: `'hard'`, `'mode'` or `'relaxed'`: what the layer
            returns when not training. Default `'hard'`.
          seed: Optional integer seed of the layer's `SeedGenerator`.
          **kwargs: Keyword arguments of `keras.layers.Layer`.
        """
        super().__init__(temperature=temperature, prior_probs=prior_probs,
                         kl_weight=kl_weight, inference_mode=inference_mode,
                         seed=seed, **kwargs)
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(
                f"Argument `k` must be a positive integer. Received: k={k!r}")
        self.k = int(k)
        self.straight_through = bool(straight_through)

    def _check_num_classes(self, num_classes, input_shape):
        if self.k >= num_classes:
            raise ValueError(
                f"Argument `k` must be smaller than the number of classes "
                f"{num_classes} (with k = K every sample is the constant "
                f"all-ones vector). Received: k={self.k}")

    def _make_distribution(self, inputs):
        return GumbelSoftmaxTopK(
            k=self.k, temperature=self.temperature_value(inputs.dtype),
            logits=inputs, hard=self.straight_through)

    def _k_hot_top(self, x):
        indices = tf.math.top_k(x, k=self.k).indices
        return tf.reduce_sum(
            tf.one_hot(indices, tf.shape(x)[-1], dtype=x.dtype), axis=-2)

    def _hard(self, dist, sample):
        return self._k_hot_top(sample)

    def _mode(self, dist):
        return self._k_hot_top(dist.logits)

    def get_config(self):
        config = super().get_config()
        config.update({"k": self.k, "straight_through": self.straight_through})
        return config


@keras.saving.register_keras_serializable(package=_PACKAGE)
class GeneralizedGumbelSoftmaxLatent(_CategoricalLatent):
    """Latent variables on given real values, relaxed by the Gumbel-softmax.

    A discrete latent taking `values[k]` with probability
    `softmax(logits)_k` (Joo et al., 2020). The input holds logits of shape
    `[batch, K]` or `[batch, N, K]`, one per value. In training the layer
    samples the relaxed one-hot weights `w` of a
    `relaxtfp.distributions.GeneralizedGumbelSoftmax` (exact one-hot with
    the relaxed gradient when `straight_through=True`) and returns, with
    `output_type='value'` (default), the relaxed value `sum_k w_k * values[k]`,
    of shape `[batch]` or `[batch, N]` (the last axis dropped); with
    `output_type='weights'`, `w` itself, of the input's shape.

    At inference: `'hard'` uses `one_hot(argmax(w))` for a sample `w` (a
    draw of the discrete law, so the value is exactly one of `values`);
    `'mode'` uses `one_hot(argmax(logits))`, the most probable value;
    `'relaxed'` uses a sample as in training.

    Divergence added with `add_loss` (when `kl_weight > 0`): the KL of the
    discrete law, as in Jang et al. (2017),
    `sum_variables KL(Categorical(softmax(logits)) || Categorical(prior_probs))`
    over the K values (uniform prior by default; pass e.g. a truncated
    Poisson pmf), in closed form, averaged over the batch and times
    `kl_weight`.

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((8,))
    counts = relaxtfp.layers.GeneralizedGumbelSoftmaxLatent(
        values=[0., 1., 2., 3., 4.], temperature=0.5, seed=1)(
            keras.layers.Dense(5)(inputs))        # Shape [None]
    model = keras.Model(inputs, counts)
    ```

    #### References

    [1]: Weonyoung Joo, Dongjun Kim, Seungjae Shin, Wonseok Yang and Il-Chul
         Moon. Generalized Gumbel-Softmax Gradient Estimator for Various
         Discrete Random Variables. _arXiv preprint arXiv:2003.01847_, 2020.
         https://arxiv.org/abs/2003.01847
    """

    _OUTPUTS = ("value", "weights")

    def __init__(self,
                 values,
                 temperature=0.5,
                 straight_through=False,
                 output_type="value",
                 prior_probs=None,
                 kl_weight=1.,
                 inference_mode="hard",
                 seed=None,
                 **kwargs):
        """Creates the layer.

        Args:
          values: List of K floats, the values of the discrete latent.
          temperature: Positive float, the initial temperature of the
            relaxation. Default 0.5.
          straight_through: Python `bool`: exact one-hot weights in training
            (with the relaxed gradient). Default `False`.
          output_type: `'value'` (default) or `'weights'`, see the class docstring.
          prior_probs: `None` (uniform, the default) or a list of K prior
            probabilities of the values (positive, summing to 1).
          kl_weight: Non-negative float, the weight (beta) of the divergence
            loss; 0 adds no loss. Default 1.
          inference_mode: `'hard'`, `'mode'` or `'relaxed'`: what the layer
            returns when not training. Default `'hard'`.
          seed: Optional integer seed of the layer's `SeedGenerator`.
          **kwargs: Keyword arguments of `keras.layers.Layer`.
        """
        super().__init__(temperature=temperature, prior_probs=prior_probs,
                         kl_weight=kl_weight, inference_mode=inference_mode,
                         seed=seed, **kwargs)
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1 or array.size < 2 or not np.all(np.isfinite(array)):
            raise ValueError(
                "Argument `values` must be a list of at least 2 finite numbers. "
                f"Received: values={values!r}")
        if output_type not in self._OUTPUTS:
            raise ValueError(
                f"Argument `output_type` must be one of {self._OUTPUTS}. "
                f"Received: output_type={output_type!r}")
        self.values = array.tolist()
        self.straight_through = bool(straight_through)
        self.output_type = output_type

    def _check_num_classes(self, num_classes, input_shape):
        if num_classes != len(self.values):
            raise ValueError(
                f"The input's last dimension must equal the number of values "
                f"{len(self.values)}. Received: input_shape={input_shape}")

    def _make_distribution(self, inputs):
        return GeneralizedGumbelSoftmax(
            values=tf.constant(self.values, inputs.dtype),
            temperature=self.temperature_value(inputs.dtype), logits=inputs,
            hard=self.straight_through)

    def _hard(self, dist, sample):
        return _one_hot_argmax(sample)

    def _mode(self, dist):
        return _one_hot_argmax(dist.logits)

    def _to_output(self, dist, value):
        if self.output_type == "weights":
            return value
        return dist.weights_to_values(value)

    def compute_output_shape(self, input_shape):
        if self.output_type == "weights":
            return tuple(input_shape)
        return tuple(input_shape[:-1])

    def get_config(self):
        config = super().get_config()
        config.update({"values": self.values,
                       "straight_through": self.straight_through,
                       "output_type": self.output_type})
        return config
