"""relaxtfp: relaxed and straight-through discrete distributions for TFP.

Every distribution is a `tfp.distributions.Distribution` subclass with
reparameterized (or straight-through) sampling, stateless seeds and a
`log_prob` that agrees with its sampler.

`relaxtfp.distributions`, `relaxtfp.estimators`, `relaxtfp.laplace_bridge`
and `relaxtfp.layers` run on TensorFlow; `relaxtfp.substrates.jax` holds the
same modules for TFP's JAX substrate and Keras 3 on JAX. The submodules load
on first use, as TFP's do, so that `import relaxtfp.substrates.jax` never
imports TensorFlow.
"""

import importlib

from relaxtfp._version import __version__

_SUBMODULES = ("distributions", "estimators", "laplace_bridge", "layers", "substrates")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))


__all__ = [
    "__version__",
    "distributions",
    "estimators",
    "laplace_bridge",
    "layers",
    "substrates",
]
