"""Keras 3 latent layers (TensorFlow and JAX backends) for every relaxation.

Each layer takes the encoder's parameters (logits, or loc and scale) and
returns a sample tensor: relaxed (or straight-through) while training, and at
inference a hard sample, a mode, or a relaxed sample (`inference_mode`). It
adds the divergence to a configurable prior that its docstring names with
`add_loss`, times `kl_weight`: for the discrete layers, the closed-form KL of
`layer.distribution(x).discrete_law()` to `layer.prior_law()`.
`TemperatureAnnealing` anneals temperatures. The arguments every layer
shares are documented once, in `LatentLayer`.

Three things to know before the first model (details in `LatentLayer`):

* `inference_mode='hard'` (the default) samples at every call, so `predict`
  on one input gives a different output each time; construct the layer with
  `inference_mode='mode'` for a deterministic test-time output (the
  recommended set-up for an L0 gate: `HardConcreteLatent(divergence='l0',
  inference_mode='mode')`).
* `inference_mode` is fixed at construction (a read-only property): Keras
  caches the traced `predict` function, so a later change could not take
  effect. Build a new layer from `get_config()` for another mode.
* The divergence is summed over the latents of an example, while Keras'
  built-in losses average over the last axis (`BinaryCrossentropy` is a mean
  over pixels). In a VAE, sum the reconstruction loss over each example's
  values too, or the KL outweighs it by the number of pixels.

#### Backends

`relaxtfp.layers` runs on Keras' TensorFlow backend, with TFP on
TensorFlow. `relaxtfp.substrates.jax.layers` is the same code on TFP's JAX
substrate and runs on Keras' JAX backend (`KERAS_BACKEND=jax`), with the
same API; seeds come from `keras.random.SeedGenerator` on both. Importing
the module of the other backend raises `ImportError` naming the right one;
TFP has no PyTorch substrate, so there are no layers for the torch backend.
Both modules register their classes with Keras under the same names
(`relaxtfp>HardConcreteLatent`, ...), so a `.keras` file saved on one
backend loads on the other.
"""

from relaxtfp.layers import _backend_check  # noqa: F401  (first: checks the backend)

from relaxtfp.layers.base import LatentLayer
from relaxtfp.layers.bernoulli import CorrelatedRelaxedBernoulliLatent
from relaxtfp.layers.bernoulli import GaussianRelaxedBernoulliLatent
from relaxtfp.layers.bernoulli import HardConcreteLatent
from relaxtfp.layers.bernoulli import StochasticTimesSmoothLatent
from relaxtfp.layers.bernoulli import StraightThroughBernoulliLatent
from relaxtfp.layers.bernoulli import StraightThroughRelaxedBernoulliLatent
from relaxtfp.layers.callbacks import TemperatureAnnealing
from relaxtfp.layers.categorical import (
    DecoupledStraightThroughGumbelSoftmaxLatent,
)
from relaxtfp.layers.categorical import GeneralizedGumbelSoftmaxLatent
from relaxtfp.layers.categorical import GumbelSoftmaxTopKLatent
from relaxtfp.layers.categorical import StraightThroughGumbelSoftmaxLatent
from relaxtfp.layers.simplex import InvertibleGaussianLatent
from relaxtfp.layers.simplex import LogisticNormalSoftmaxLatent

__all__ = [
    "CorrelatedRelaxedBernoulliLatent",
    "DecoupledStraightThroughGumbelSoftmaxLatent",
    "GaussianRelaxedBernoulliLatent",
    "GeneralizedGumbelSoftmaxLatent",
    "GumbelSoftmaxTopKLatent",
    "HardConcreteLatent",
    "InvertibleGaussianLatent",
    "LatentLayer",
    "LogisticNormalSoftmaxLatent",
    "StochasticTimesSmoothLatent",
    "StraightThroughBernoulliLatent",
    "StraightThroughGumbelSoftmaxLatent",
    "StraightThroughRelaxedBernoulliLatent",
    "TemperatureAnnealing",
]
