"""Latent layers for the Gaussian-based relaxations on the simplex."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.distributions.invertible_gaussian import InvertibleGaussian
from relaxtfp.distributions.logistic_normal_softmax import LogisticNormalSoftmax
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.layers.base import LatentLayer
from relaxtfp.layers.base import check_positive_float
from relaxtfp.layers.base import config_value
from relaxtfp.layers.base import prior_axes
from relaxtfp.layers.base import register

tfd = tfp.distributions

__all__ = ["InvertibleGaussianLatent", "LogisticNormalSoftmaxLatent"]


# Added to softplus(raw) so that a scale never underflows to 0 (softplus of
# a raw value below about -104 is 0 in float32), which would make the
# Gaussian log density and the KL infinite.
SCALE_FLOOR = 1e-6


def _split_loc_scale(inputs, size):
    """`(loc, softplus(raw) + SCALE_FLOOR)` from the two halves of the LAST axis.

    Splitting along the last axis keeps every example's loc and scale in
    its own row: each example's output depends on its own input only (a
    split along the batch axis would pair the loc of one example with the
    scale of another).
    """
    loc = inputs[..., :size]
    scale = tf.math.softplus(inputs[..., size:]) + tf.constant(
        SCALE_FLOOR, inputs.dtype)
    return loc, scale


class _SimplexLatent(LatentLayer):
    """Shared parts of the layers whose input is loc and raw scale,
    concatenated along the last axis."""

    # What the half width of the last axis counts, in error messages.
    _HALF_WIDTH_NAME = "K"

    def _prior_arguments(self):
        """The prior hyperparameters that must fit one example's `loc`."""
        raise NotImplementedError

    def build(self, input_shape):
        self._check_min_rank(input_shape, 2,
                             "a batch axis, then any axes, then loc and raw scale")
        width = input_shape[-1]
        if width is None or width % 2 or width < 2:
            raise ValueError(
                f"{type(self).__name__} needs an even, known last input dimension "
                f"(loc and raw scale, concatenated). Received: input_shape={input_shape}")
        # Each prior is a number or an array that broadcasts against one
        # example's loc; the spec fixes the last axis and any middle axis
        # where a prior has more than one value.
        size = width // 2
        units = tuple(input_shape[1:-1]) + (size,)
        axes = {}
        min_ndim = 2
        for name, value in self._prior_arguments().items():
            fixed = prior_axes(
                value, units, name,
                f"be a number or a list of {self._HALF_WIDTH_NAME} = {size} numbers "
                "(an array must broadcast against the loc of one example, shape "
                f"{units}, without changing it)")
            axes.update({axis: n for axis, n in fixed.items() if axis != -1})
            min_ndim = max(min_ndim, np.ndim(value) + 1)
        axes[-1] = width
        self._set_input_spec(input_shape, axes, min_ndim=min_ndim)
        super().build(input_shape)


@register
class InvertibleGaussianLatent(_SimplexLatent):
    """Relaxed one-hot latent variables by the Invertible Gaussian Reparam.

    The input, of shape `[batch, 2 (K - 1)]` or `[batch, N, 2 (K - 1)]`, is
    split along its LAST axis into `loc` (first `K - 1` entries) and a raw
    scale (last `K - 1` entries), `scale = softplus(raw) + 1e-6`; each
    example's output depends only on its own input row. In training the
    output, of shape `[batch, K]` or `[batch, N, K]`, is a
    `relaxtfp.distributions.InvertibleGaussian` sample on the simplex
    (Potapczynski et al., 2020) at the layer's `temperature`, which
    `relaxtfp.layers.TemperatureAnnealing` anneals.

    At inference: `'hard'` returns `one_hot(argmax(x))` for a sample `x` (a
    draw of the discrete law behind the relaxation); `'mode'` returns the
    one-hot class at the Gaussian's centre, `one_hot(argmax([loc / tau -
    log(delta), 0]))`; `'relaxed'` returns a sample `x`.

    Divergence added with `add_loss` (when `kl_weight > 0`): the registered
    closed-form `KL(IGR(loc, scale, tau, delta) || IGR(prior_loc,
    prior_scale, tau, delta))` to an IGR prior with the same temperature and
    `delta` (equal to the KL of the Gaussians), summed over the variables,
    averaged over the batch and times `kl_weight`.

    #### Examples

    ```python
    import keras
    import relaxtfp

    n, k = 20, 10                                 # 20 variables, 10 classes.
    inputs = keras.Input((784,))
    h = keras.layers.Dense(
        relaxtfp.layers.InvertibleGaussianLatent.params_size(k, n))(inputs)
    params = keras.layers.Reshape((n, 2 * (k - 1)))(h)
    z = relaxtfp.layers.InvertibleGaussianLatent(
        temperature=0.5, seed=1)(params)          # Shape [None, 20, 10]
    model = keras.Model(inputs, z)
    ```

    #### References

    [1]: Andres Potapczynski, Gabriel Loaiza-Ganem and John P. Cunningham.
         Invertible Gaussian Reparameterization: Revisiting the
         Gumbel-Softmax. In _Neural Information Processing Systems_, 2020.
         https://arxiv.org/abs/1912.09588
    """

    _DEFAULT_TEMPERATURE = 0.5
    _CONFIG = ("delta", "prior_loc", "prior_scale")

    def __init__(self, *, delta=1., prior_loc=0., prior_scale=1., **kwargs):
        """Creates the layer.

        Args:
          delta: Positive float, the softmax++ constant of the reference
            category. Default 1.
          prior_loc: Float or list of `K - 1` floats, the prior Gaussian's
            mean. Default 0.
          prior_scale: Positive float or list of `K - 1` floats, the prior
            Gaussian's standard deviation. Default 1.
          **kwargs: The arguments shared by every layer, documented in
            `LatentLayer` (`temperature`, default 0.5; `kl_weight`;
            `inference_mode`; `seed`).
        """
        super().__init__(**kwargs)
        self.delta = check_positive_float(delta, "delta")
        if not np.all(np.isfinite(np.asarray(prior_loc, dtype=np.float64))):
            raise ValueError(
                f"Argument `prior_loc` must be finite. Received: prior_loc={prior_loc!r}")
        scale = np.asarray(prior_scale, dtype=np.float64)
        if not np.all((scale > 0.) & np.isfinite(scale)):
            raise ValueError(
                "Argument `prior_scale` must be finite and positive. "
                f"Received: prior_scale={prior_scale!r}")
        self.prior_loc = config_value(prior_loc)
        self.prior_scale = config_value(prior_scale)

    def params_size(num_classes, num_variables=1):
        """Number of inputs per example: `2 (K - 1)` per variable.

        Args:
          num_classes: Python `int`, the classes K of each variable.
          num_variables: Python `int`, the number N of variables. Default 1.

        Returns:
          Python `int`, `num_variables * 2 * (num_classes - 1)`.
        """
        return int(num_variables) * 2 * (int(num_classes) - 1)

    _HALF_WIDTH_NAME = "K - 1"

    def _prior_arguments(self):
        return {"prior_loc": self.prior_loc, "prior_scale": self.prior_scale}

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] // 2 + 1,)

    def _make_distribution(self, inputs):
        loc, scale = _split_loc_scale(inputs, inputs.shape[-1] // 2)
        return InvertibleGaussian(
            loc=loc, scale=scale, temperature=self.temperature_value(inputs.dtype),
            delta=tf.constant(self.delta, inputs.dtype))

    def _prior(self, dist):
        dtype = dist.dtype
        loc = tf.convert_to_tensor(dist.loc)
        return InvertibleGaussian(
            loc=tf.broadcast_to(tf.constant(self.prior_loc, dtype), ps.shape(loc)),
            scale=tf.broadcast_to(tf.constant(self.prior_scale, dtype),
                                  ps.shape(loc)),
            temperature=dist.temperature, delta=dist.delta)

    def _divergence_elements(self, dist, sample):
        return tfd.kl_divergence(dist, self._prior(dist))

    def _hard(self, dist, sample):
        return tf.one_hot(tf.argmax(sample, axis=-1), ps.shape(sample)[-1],
                          dtype=sample.dtype)

    def _mode(self, dist):
        loc = tf.convert_to_tensor(dist.loc)
        scores = tf.concat(
            [loc / dist.temperature - tf.math.log(dist.delta),
             tf.zeros_like(loc[..., :1])], axis=-1)
        return tf.one_hot(tf.argmax(scores, axis=-1), ps.shape(scores)[-1],
                          dtype=loc.dtype)



@register
class LogisticNormalSoftmaxLatent(_SimplexLatent):
    """Relaxed one-hot latent variables: the softmax of a diagonal Gaussian.

    The input, of shape `[batch, 2 K]` or `[batch, N, 2 K]`, is split along
    its LAST axis into `loc` (first K entries) and a raw scale (last K),
    `scale = softplus(raw) + 1e-6`. In training the output, of shape
    `[batch, K]` or `[batch, N, K]`, is a
    `relaxtfp.distributions.LogisticNormalSoftmax` sample `softmax(g)`,
    `g ~ Normal(loc, diag(scale**2))`. The layer has no temperature.

    At inference: `'hard'` returns `one_hot(argmax(x))` for a sample `x`;
    `'mode'` returns the one-hot class at the Gaussian's centre,
    `one_hot(argmax(loc))`; `'relaxed'` returns a sample `x`.

    Divergence added with `add_loss` (when `kl_weight > 0`): the KL from a
    logistic normal to the Dirichlet prior `Dirichlet(prior_concentration)`
    (uniform on the simplex by default) has no closed form, so the layer
    adds the single-sample Monte Carlo log-ratio
    `log q(x) - log Dirichlet(x; prior_concentration)` at the training sample
    `x`, an unbiased, reparameterized estimate of that KL. Both densities are
    taken with respect to the same measure (Lebesgue on the first K - 1
    coordinates), summed over the variables, averaged over the batch and
    times `kl_weight`. A sample coordinate that underflows to 0 (log-ratio
    spreads beyond about 87 in float32) makes the estimate infinite.

    #### Examples

    ```python
    import keras
    import relaxtfp

    inputs = keras.Input((16,))
    params = keras.layers.Dense(
        relaxtfp.layers.LogisticNormalSoftmaxLatent.params_size(5))(inputs)
    x = relaxtfp.layers.LogisticNormalSoftmaxLatent(seed=1)(params)
    model = keras.Model(inputs, x)                # Output [None, 5].
    ```

    #### References

    [1]: John Aitchison and Sheng M. Shen. Logistic-normal distributions: Some
         properties and uses. _Biometrika_, 67(2):261-272, 1980.
    [2]: Marius Hobbhahn, Agustinus Kristiadi and Philipp Hennig. Fast
         Predictive Uncertainty for Classification with Bayesian Deep
         Networks. In _Uncertainty in Artificial Intelligence_, 2022.
         https://arxiv.org/abs/2003.01227
    """

    _HAS_TEMPERATURE = False
    _DIVERGENCES = ("mc",)
    _CONFIG = ("prior_concentration",)

    def __init__(self, *, prior_concentration=1., **kwargs):
        """Creates the layer.

        Args:
          prior_concentration: Positive float or list of K floats, the
            concentration of the Dirichlet prior. Default 1 (uniform).
          **kwargs: The arguments shared by every layer, documented in
            `LatentLayer` (`kl_weight`, `inference_mode`, `seed`; no
            temperature).
        """
        super().__init__(**kwargs)
        concentration = np.asarray(prior_concentration, dtype=np.float64)
        if not np.all((concentration > 0.) & np.isfinite(concentration)):
            raise ValueError(
                "Argument `prior_concentration` must be finite and positive. "
                f"Received: prior_concentration={prior_concentration!r}")
        self.prior_concentration = config_value(prior_concentration)

    def params_size(num_classes, num_variables=1):
        """Number of inputs per example: `2 K` per variable.

        Args:
          num_classes: Python `int`, the classes K of each variable.
          num_variables: Python `int`, the number N of variables. Default 1.

        Returns:
          Python `int`, `num_variables * 2 * num_classes`.
        """
        return int(num_variables) * 2 * int(num_classes)

    def _prior_arguments(self):
        return {"prior_concentration": self.prior_concentration}

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] // 2,)

    def _make_distribution(self, inputs):
        loc, scale = _split_loc_scale(inputs, inputs.shape[-1] // 2)
        return LogisticNormalSoftmax(loc=loc, scale=scale)

    def _divergence_elements(self, dist, sample):
        concentration = tf.broadcast_to(
            tf.constant(self.prior_concentration, sample.dtype), ps.shape(sample))
        return (dist.log_prob(sample)
                - tfd.Dirichlet(concentration).log_prob(sample))

    def _hard(self, dist, sample):
        return tf.one_hot(tf.argmax(sample, axis=-1), ps.shape(sample)[-1],
                          dtype=sample.dtype)

    def _mode(self, dist):
        loc = tf.convert_to_tensor(dist.loc)
        return tf.one_hot(tf.argmax(loc, axis=-1), ps.shape(loc)[-1],
                          dtype=loc.dtype)

