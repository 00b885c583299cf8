"""The substrate a test runs on: relaxtfp on TensorFlow, or on JAX.

TensorFlow 2.21 and jaxlib cannot share a process (both register XLA's
protocol buffers, and `import tensorflow` imports an installed jaxlib through
TF Lite, which aborts), so one pytest run tests one substrate. It is the one
named by the environment variable `RELAXTFP_TEST_SUBSTRATE` (`tensorflow` or
`jax`), by default TensorFlow where it is installed and JAX otherwise. The
tox environments `py311` and `jax` run the suite once on each.

Tests written against `Substrate` run on either; test modules that import
TensorFlow at the top are TensorFlow-only and are not collected on JAX (see
`conftest.py`).
"""

import importlib
import importlib.util
import os

import numpy as np

__all__ = ["NAMES", "Substrate", "selected"]

NAMES = ("tensorflow", "jax")


def selected():
    """The name of the substrate this test run uses."""
    name = os.environ.get("RELAXTFP_TEST_SUBSTRATE")
    if name is None:
        name = "tensorflow" if importlib.util.find_spec("tensorflow") else "jax"
    if name not in NAMES:
        raise ValueError(
            f"RELAXTFP_TEST_SUBSTRATE must be one of {NAMES}; got {name!r}.")
    return name


class Substrate:
    """One substrate's modules and the few operations tests need from it.

    Attributes:
      name: "tensorflow" or "jax".
      tf: TensorFlow, or TFP's TensorFlow-API shim on JAX (`tf.constant`,
        `tf.float64`, `tf.reduce_sum`, ... work on both).
      tfp, tfd: TFP and its distributions for the substrate.
      rtfp: relaxtfp for the substrate (`relaxtfp` or
        `relaxtfp.substrates.jax`); `rtd` its distributions, `estimators`
        its estimators.
      validation_error: the exception a failed `validate_args` assertion
        raises (`tf.errors.InvalidArgumentError`; `ValueError` on JAX).
    """

    def __init__(self, name):
        self.name = name
        self.is_jax = name == "jax"
        if self.is_jax:
            self.jax = importlib.import_module("jax")
            self.jax.config.update("jax_enable_x64", True)
            self.tf = importlib.import_module(
                "tensorflow_probability.python.internal.backend.jax.compat").v2
            self.tfp = importlib.import_module("tensorflow_probability.substrates.jax")
            self.rtfp = importlib.import_module("relaxtfp.substrates.jax")
        else:
            self.jax = None
            self.tf = importlib.import_module("tensorflow")
            self.tfp = importlib.import_module("tensorflow_probability")
            self.rtfp = importlib.import_module("relaxtfp")
        # The error of a failed run-time check with `validate_args=True`:
        self.tfd = self.tfp.distributions
        self.rtd = self.rtfp.distributions
        self.estimators = self.rtfp.estimators

    @property
    def layers(self):
        """The Keras latent layers for the substrate (`relaxtfp.layers` on
        TensorFlow, `relaxtfp.substrates.jax.layers` on JAX); Keras must run
        on the matching backend (`KERAS_BACKEND`)."""
        return importlib.import_module(self.rtfp.__name__ + ".layers")

    def __repr__(self):
        return f"Substrate({self.name!r})"

    def module(self, name):
        """relaxtfp's module `name` for the substrate, e.g.
        `module("internal.simplex")` is `relaxtfp.internal.simplex` or
        `relaxtfp.substrates.jax.internal.simplex`."""
        return importlib.import_module(f"{self.rtfp.__name__}.{name}")

    # -- values -------------------------------------------------------------

    def constant(self, value, dtype):
        return self.tf.constant(value, dtype)

    @staticmethod
    def numpy(x):
        return np.asarray(x)

    def dtype_name(self, dtype):
        """"float32" for tf.float32, np.float32 or a JAX array's dtype."""
        return np.dtype(getattr(dtype, "as_numpy_dtype", dtype)).name

    # -- seeds --------------------------------------------------------------

    def seed(self, a, b):
        """A stateless seed made from two integers (TF's pair, or a JAX key)."""
        if self.is_jax:
            return self.jax.numpy.array([a, b], dtype=self.jax.numpy.uint32)
        return self.tf.constant([a, b], self.tf.int32)

    # -- transformations ----------------------------------------------------

    def value_and_gradient(self, f, *args):
        """`(f(*args), [df/dargs])` for a scalar `f`, on either substrate."""
        return self.tfp.math.value_and_gradient(f, list(args))

    def gradients(self, f, *args):
        return self.value_and_gradient(f, *args)[1]

    def jacobian(self, f, x):
        """The Jacobian of `f` at `x`, of shape `f(x).shape + x.shape`."""
        if self.is_jax:
            return self.jax.jacrev(f)(x)
        x = self.tf.convert_to_tensor(x)
        with self.tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.jacobian(y, x)

    @property
    def validation_error(self):
        """What a failed `validate_args` assertion raises: TensorFlow's
        `InvalidArgumentError`, or `ValueError` on JAX (TFP's JAX assertions
        raise it eagerly)."""
        return ValueError if self.is_jax else self.tf.errors.InvalidArgumentError

    def gradients_of_sum(self, f, *args):
        """Gradients of the sum of `f(*args)`: what `tape.gradient` gives for
        a non-scalar output."""
        return self.gradients(lambda *a: self.tf.reduce_sum(f(*a)), *args)

    def gradients_of_outputs(self, f, *args):
        """`{name: gradients of the sum of f(*args)[name]}` for a function
        returning a dict of tensors: what a persistent tape gives for several
        outputs. `f` is differentiated once per output; on JAX all of it runs
        as one `jax.jit` computation (op-by-op differentiation is slow)."""
        def all_gradients(*a):
            return {name: self.gradients_of_sum(lambda *b, name=name: f(*b)[name], *a)
                    for name in f(*a)}
        if self.is_jax:
            all_gradients = self.jax.jit(all_gradients)
        return all_gradients(*args)

    def function(self, f):
        """Graph mode: `tf.function`, or `jax.jit` (JAX has no other)."""
        if self.is_jax:
            return self.jax.jit(f)
        return self.tf.function(f)

    def xla(self, f):
        """XLA compilation: `tf.function(jit_compile=True)`, or `jax.jit`."""
        if self.is_jax:
            return self.jax.jit(f)
        return self.tf.function(f, jit_compile=True)


_CURRENT = {}


def current():
    """The `Substrate` of this test run (one instance per process).

    Test modules that run on both substrates take their modules from it at
    import time, e.g. `sub = substrates.current(); tf = sub.tf`.
    """
    name = selected()
    if name not in _CURRENT:
        _CURRENT[name] = Substrate(name)
    return _CURRENT[name]


def tensorflow_only(reason):
    """A mark that skips a test on JAX, with the reason it is TF-specific."""
    import pytest
    return pytest.mark.skipif(selected() == "jax", reason=reason)
