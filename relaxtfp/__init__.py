"""relaxtfp: relaxed and straight-through discrete distributions for TFP.

Every distribution is a `tfp.distributions.Distribution` subclass with
reparameterized (or straight-through) sampling, stateless seeds and a
`log_prob` that agrees with its sampler.
"""

from relaxtfp import distributions
from relaxtfp import estimators
from relaxtfp import laplace_bridge  # Registers KL(Dirichlet || LogisticNormalSoftmax).
from relaxtfp import layers
from relaxtfp._version import __version__

__all__ = [
    "__version__",
    "distributions",
    "estimators",
    "laplace_bridge",
    "layers",
]
