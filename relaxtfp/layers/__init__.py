"""Keras 3 latent layers (TensorFlow backend) for every relaxtfp relaxation.

Each layer takes the encoder's parameters (logits, or loc and scale) and
returns a sample tensor: relaxed (or straight-through) while training, and at
inference a hard sample, a mode, or a relaxed sample (`inference_mode`). It
adds the divergence to a configurable prior that its docstring names with
`add_loss`, times `kl_weight`. `TemperatureAnnealing` anneals temperatures.
"""

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
