"""Latent layers for the categorical (one-hot, k-hot, value) relaxations."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

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
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.layers.base import LatentLayer
from relaxtfp.layers.base import StraightThroughHooks
from relaxtfp.layers.base import check_positive_float
from relaxtfp.layers.base import config_value
from relaxtfp.layers.base import register

__all__ = [
    "DecoupledStraightThroughGumbelSoftmaxLatent",
    "GeneralizedGumbelSoftmaxLatent",
    "GumbelSoftmaxTopKLatent",
    "StraightThroughGumbelSoftmaxLatent",
]

tfd = tfp.distributions



def _one_hot_argmax(x):
    return tf.one_hot(tf.argmax(x, axis=-1), ps.shape(x)[-1], dtype=x.dtype)


class _CategoricalLatent(LatentLayer):
    """Shared parts of the layers whose input is the logits `[batch, ..., K]`.

    `prior_probs` is documented in `LatentLayer`.
    """

    _CONFIG = ("prior_probs",)

    def __init__(self, *, prior_probs=None, **kwargs):
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
        self._num_classes = num_classes
        # The layer is built for K classes (its prior, `k` or `values` are
        # checked against K): other inputs must have the same last axis.
        self._set_input_spec(input_shape, {-1: num_classes}, min_ndim=2)
        super().build(input_shape)

    def _check_num_classes(self, num_classes, input_shape):
        """Raises `ValueError` in `build` if K does not suit the layer."""

    def prior_law(self, dtype="float32"):
        """The prior of the hard values, a `tfd.OneHotCategorical` of `dtype`.

        `OneHotCategorical(probs=prior_probs)`, or uniform over the K classes
        the layer was built for when `prior_probs` is `None` (the layer must
        then be built). The layer's divergence is
        `tfd.kl_divergence(dist.discrete_law(), layer.prior_law(dtype))`
        summed over the variables, for `dist = layer.distribution(inputs)`
        (for `GumbelSoftmaxTopKLatent`, with the law of the first draw).

        Raises:
          ValueError: if `prior_probs` is `None` and the layer is not built.
        """
        if self.prior_probs is not None:
            return tfd.OneHotCategorical(
                probs=tf.constant(self.prior_probs, dtype), dtype=dtype)
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' must be built (call it once) before "
                "`prior_law()`: the uniform prior needs the number of classes.")
        return tfd.OneHotCategorical(
            logits=tf.zeros([self._num_classes], dtype), dtype=dtype)

    def _discrete_law(self, dist):
        """The one-hot law of the hard value behind a sample of `dist`."""
        return dist.discrete_law()

    def _divergence_elements(self, dist, sample):
        # TFP's categorical KL works with log_softmax, finite for finite
        # logits, so no 0 * log 0 arises.
        return tfd.kl_divergence(self._discrete_law(dist),
                                 self.prior_law(dist.dtype))


@register
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
    discrete law `dist.discrete_law()` to `prior_law()`, as in Jang et al.
    (2017),
    `sum_variables KL(Categorical(softmax(logits)) || Categorical(prior_probs))`
    (uniform prior by default), in closed form, averaged over the batch and
    times `kl_weight`.

    The layer has no arguments of its own: it takes those of every layer
    (`temperature`, default 1; `prior_probs`, `kl_weight`,
    `inference_mode`, `seed`), documented in `LatentLayer`.

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

    def _make_distribution(self, inputs):
        return StraightThroughGumbelSoftmax(
            temperature=self.temperature_value(inputs.dtype), logits=inputs)


@register
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
    discrete law of the forward sample, `dist.discrete_law()`, to
    `prior_law()`, as in Jang et al. (2017),
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

    _CONFIG = ("forward_temperature",)

    def __init__(self, *, forward_temperature=1., **kwargs):
        """Creates the layer.

        Args:
          forward_temperature: Positive float, the fixed temperature of the
            forward law `softmax(logits / forward_temperature)`. Default 1.
          **kwargs: The arguments shared by every layer, documented in
            `LatentLayer` (`temperature`, the initial backward temperature,
            default 1; `prior_probs`; `kl_weight`; `inference_mode`;
            `seed`).
        """
        super().__init__(**kwargs)
        self.forward_temperature = check_positive_float(
            forward_temperature, "forward_temperature")

    def _make_distribution(self, inputs):
        return DecoupledStraightThroughGumbelSoftmax(
            forward_temperature=tf.constant(self.forward_temperature,
                                            inputs.dtype),
            backward_temperature=self.temperature_value(inputs.dtype),
            logits=inputs)




@register
class GumbelSoftmaxTopKLatent(_CategoricalLatent):
    """Relaxed k-hot latent subsets: k of K categories without replacement.

    The input holds logits of shape `[batch, K]` or `[batch, N, K]`; the
    output has the same shape, a vector whose entries lie in `[0, 1]` and
    sum to `k` (a relaxed k-hot vector). In training the output is a
    `relaxtfp.distributions.GumbelSoftmaxTopK` sample: with
    `straight_through=False` (default) the relaxation at the layer's
    `temperature`; with `straight_through=True` the exact k-hot vector of the
    Gumbel-top-k set, with the relaxation's gradient. `k` must be smaller
    than K: with `k = K` every sample is the constant all-ones vector, which
    carries no information, and the layer rejects `k >= K`.

    At inference: `'hard'` returns the k-hot vector of the k largest entries
    of a sample (the Gumbel-top-k set, a draw of the subset law);
    `'mode'` returns the k-hot vector of the k largest logits; `'relaxed'`
    returns a sample as in training.

    Divergence added with `add_loss` (when `kl_weight > 0`): the KL of a
    discrete law, in closed form, summed over the variables, averaged over
    the batch and times `kl_weight`. The KL of the k-subset law has no
    closed form (it sums over all C(K, k) subsets; `dist.discrete_law()` is
    that law), so the layer uses the law of the first draw,
    `KL(Categorical(softmax(logits)) || Categorical(prior_probs))`
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

    _DEFAULT_TEMPERATURE = 0.5
    _CONFIG = ("k", "straight_through")

    def __init__(self, k, *, straight_through=False, **kwargs):
        """Creates the layer.

        Args:
          k: Positive Python `int`, the size of the subset; must be smaller
            than the number of classes K.
          straight_through: Python `bool`: return exact k-hot samples in
            training (with the relaxation's gradient). Default `False`.
          **kwargs: The arguments shared by every layer, documented in
            `LatentLayer` (`temperature`, default 0.5; `prior_probs`;
            `kl_weight`; `inference_mode`; `seed`).
        """
        super().__init__(**kwargs)
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

    def _discrete_law(self, dist):
        # The KL of the k-subset law (`dist.discrete_law()`) sums over all
        # C(K, k) subsets; the divergence uses the law of the first draw,
        # Categorical(softmax(logits)) (see the class docstring).
        return tfd.OneHotCategorical(logits=dist.logits, dtype=dist.dtype)

    def _k_hot_top(self, x):
        indices = tf.math.top_k(x, k=self.k).indices
        return tf.reduce_sum(
            tf.one_hot(indices, ps.shape(x)[-1], dtype=x.dtype), axis=-2)

    def _hard(self, dist, sample):
        return self._k_hot_top(sample)

    def _mode(self, dist):
        return self._k_hot_top(dist.logits)



@register
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
    discrete law `dist.discrete_law()` to `prior_law()`, as in Jang et al.
    (2017),
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

    _DEFAULT_TEMPERATURE = 0.5
    _CONFIG = ("values", "straight_through", "output_type")

    def __init__(self, values, *, straight_through=False, output_type="value", **kwargs):
        """Creates the layer.

        Args:
          values: List of K floats, the values of the discrete latent.
          straight_through: Python `bool`: exact one-hot weights in training
            (with the relaxed gradient). Default `False`.
          output_type: `'value'` (default) or `'weights'`, see the class
            docstring.
          **kwargs: The arguments shared by every layer, documented in
            `LatentLayer` (`temperature`, default 0.5; `prior_probs`, the K
            prior probabilities of the values; `kl_weight`;
            `inference_mode`; `seed`).
        """
        super().__init__(**kwargs)
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

