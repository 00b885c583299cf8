"""Relaxed and straight-through discrete distributions, as TFP distributions."""

from relaxtfp.distributions.correlated_relaxed_bernoulli import CorrelatedRelaxedBernoulli
from relaxtfp.distributions.decoupled_straight_through_gumbel_softmax import (
    DecoupledStraightThroughGumbelSoftmax,
)
from relaxtfp.distributions.gaussian_relaxed_bernoulli import GaussianRelaxedBernoulli
from relaxtfp.distributions.generalized_gumbel_softmax import GeneralizedGumbelSoftmax
from relaxtfp.distributions.gumbel_softmax_top_k import GumbelSoftmaxTopK
from relaxtfp.distributions.hard_concrete import HardConcrete
from relaxtfp.distributions.invertible_gaussian import InvertibleGaussian
from relaxtfp.distributions.logistic_normal_softmax import LogisticNormalSoftmax
from relaxtfp.distributions.rebar_relaxation import RebarRelaxation
from relaxtfp.distributions.stochastic_times_smooth import StochasticTimesSmooth
from relaxtfp.distributions.straight_through_bernoulli import StraightThroughBernoulli
from relaxtfp.distributions.straight_through_gumbel_softmax import (
    StraightThroughGumbelSoftmax,
)
from relaxtfp.distributions.straight_through_relaxed_bernoulli import (
    StraightThroughRelaxedBernoulli,
)

__all__ = [
    "CorrelatedRelaxedBernoulli",
    "DecoupledStraightThroughGumbelSoftmax",
    "GaussianRelaxedBernoulli",
    "GeneralizedGumbelSoftmax",
    "GumbelSoftmaxTopK",
    "HardConcrete",
    "InvertibleGaussian",
    "LogisticNormalSoftmax",
    "RebarRelaxation",
    "StochasticTimesSmooth",
    "StraightThroughBernoulli",
    "StraightThroughGumbelSoftmax",
    "StraightThroughRelaxedBernoulli",
]

# Registers KL(Dirichlet || LogisticNormalSoftmax) (the Laplace bridge) with
# `tfd.kl_divergence` whenever the distributions are imported.
from relaxtfp import laplace_bridge  # noqa: E402,F401  isort: skip
