"""relaxtfp on JAX: `tfp.substrates.jax` distributions and Keras 3 on JAX.

The same public API as `relaxtfp`, for TFP's JAX substrate:

    from relaxtfp.substrates import jax as rtfp
    from tensorflow_probability.substrates import jax as tfp

    dist = rtfp.distributions.HardConcrete(temperature=0.5, logits=[0., 1.])
    x = dist.sample(3, seed=jax.random.PRNGKey(0))

Nothing here imports TensorFlow. As with `tfp.substrates.jax`, seeds are JAX
PRNG keys (`jax.random.PRNGKey(0)` or a new-style `jax.random.key(0)`) or
Python ints; arrays are JAX arrays; gradients come from `jax.grad`.

There is no second copy of the code. Importing `relaxtfp.substrates.jax.X`
loads the source file of `relaxtfp.X` and rewrites its import statements, as
TFP builds its own JAX substrate from its TensorFlow source:

* `import tensorflow as tf` becomes TFP's TensorFlow-API shim on JAX
  (`tensorflow_probability.python.internal.backend.jax.compat.v2`),
* `import tensorflow_probability as tfp` becomes
  `tensorflow_probability.substrates.jax`, and TFP's internal helper modules
  their JAX twins,
* `relaxtfp.*` imports become `relaxtfp.substrates.jax.*`.

Only import statements are rewritten (found with `ast`, so docstrings and
strings are left alone); the rest of the module compiles unchanged, with its
line numbers, so tracebacks point at the real source. The few operations
that differ between the substrates (gradients inside an estimator, Keras
backend checks) are written once in `relaxtfp.internal.backend`, which asks
its own module name which substrate it was loaded for. The design is
described for maintainers in `docs/substrates.md`.
"""

from relaxtfp.substrates.jax import _rewrite

_rewrite.install()

# The public modules load on first use (PEP 562): `layers` needs Keras, which
# picks its backend when it is first imported, and the rest need only TFP's
# JAX substrate.
_SUBMODULES = ("distributions", "estimators", "laplace_bridge", "layers")


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    if name == "__version__":
        from relaxtfp._version import __version__
        return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | {"__version__"})


__all__ = ["__version__", "distributions", "estimators", "laplace_bridge", "layers"]
