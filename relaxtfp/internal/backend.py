"""What differs between relaxtfp's two substrates, written once.

relaxtfp's modules are written against TensorFlow's API (`import tensorflow
as tf`, `import tensorflow_probability as tfp`). On TensorFlow they run as
they are; `relaxtfp.substrates.jax` loads the same source files with their
imports rewritten to TFP's JAX substrate and its TensorFlow-API shim (see
`relaxtfp.substrates.jax`). Almost everything then runs unchanged. The few
operations that the shim does not provide, or provides differently, branch
here on `JAX_MODE`, as TFP's own code branches on its `JAX_MODE` constant.

This module learns its substrate from its own module name: it is
`relaxtfp.internal.backend` on TensorFlow and
`relaxtfp.substrates.jax.internal.backend` on JAX.
"""

import tensorflow as tf

__all__ = [
    "JAX_MODE",
    "SUBSTRATE",
    "divide",
    "multiply_no_nan",
    "register_pytree_node_class",
    "stateless_normal",
    "stateless_uniform",
]

SUBSTRATE = "jax" if __name__.startswith("relaxtfp.substrates.jax.") else "tensorflow"
JAX_MODE = SUBSTRATE == "jax"

if JAX_MODE:
    import jax  # Only on the JAX substrate: TensorFlow users need no JAX.

# TensorFlow's stateless kernels take an explicit algorithm; Philox is fast
# under XLA on CPU (see `relaxtfp.internal.noise`). JAX's generators take a
# PRNG key and choose their own algorithm (threefry by default).
_TF_ALG = "philox"


def stateless_uniform(shape, seed, minval, dtype):
    """Uniform draws on `[minval, 1)` from a sanitized seed."""
    if JAX_MODE:
        return tf.random.stateless_uniform(
            shape, seed=seed, minval=minval, maxval=1., dtype=dtype)
    return tf.random.stateless_uniform(
        shape, seed=seed, minval=minval, maxval=1., dtype=dtype, alg=_TF_ALG)


def stateless_normal(shape, seed, dtype):
    """Standard normal draws from a sanitized seed."""
    if JAX_MODE:
        return tf.random.stateless_normal(shape, seed=seed, dtype=dtype)
    return tf.random.stateless_normal(shape, seed=seed, dtype=dtype, alg=_TF_ALG)


def register_pytree_node_class(cls):
    """Registers `cls` as a JAX pytree (JAX only; it defines `tree_flatten`
    and the class method `tree_unflatten`), so that its instances pass
    through `jax.jit` and `jax.grad(..., has_aux=True)`."""
    return jax.tree_util.register_pytree_node_class(cls)


def multiply_no_nan(x, y):
    """`x * y`, and 0 where `y` is 0 (even where `x` is infinite or NaN).

    The gradient is TensorFlow's on both substrates: `dz * y` for `x` and
    `x * dz` for `y` (each 0 where its second factor is 0), so that at
    `y = 0` the derivative with respect to `y` is `x`. The JAX shim's
    `tf.math.multiply_no_nan` is a `where` whose derivative with respect to
    `y` is 0 at `y = 0`, which would drop the gradient of a log-pmf
    `x log p` with respect to a value `x` at 0. On JAX the rule is a
    `jax.custom_vjp`, so it serves reverse mode (`jax.grad`, `jax.vjp`)
    only; `x` and `y` are broadcast against each other first, so that
    JAX's broadcasting reduces the gradients to their shapes.
    """
    if not JAX_MODE:
        return tf.math.multiply_no_nan(x, y)
    x, y = jax.numpy.broadcast_arrays(jax.numpy.asarray(x), jax.numpy.asarray(y))
    return _jax_multiply_no_nan(x, y)


if JAX_MODE:
    @jax.custom_vjp
    def _jax_multiply_no_nan(x, y):
        return jax.numpy.where(y == 0, jax.numpy.zeros((), x.dtype), x * y)

    def _jax_multiply_no_nan_fwd(x, y):
        return _jax_multiply_no_nan(x, y), (x, y)

    def _jax_multiply_no_nan_bwd(residuals, dz):
        x, y = residuals
        return _jax_multiply_no_nan(dz, y), _jax_multiply_no_nan(x, dz)

    _jax_multiply_no_nan.defvjp(_jax_multiply_no_nan_fwd, _jax_multiply_no_nan_bwd)


def divide(x, y):
    """`x / y`, differentiated as `dx / y - dy * (x / y) / y`.

    TensorFlow differentiates a quotient this way. JAX multiplies
    `-dy * x` by `y**-2`, which overflows for tiny `y` (a temperature of
    1e-30 in float32) and turns a finite derivative, or a zero one where
    `x = 0`, into inf or NaN. The JAX rule here keeps TensorFlow's order of
    operations, and is itself differentiable (derivatives of any order).
    """
    if JAX_MODE:
        return _jax_divide(x, y)
    return x / y


if JAX_MODE:
    @jax.custom_jvp
    def _jax_divide(x, y):
        return x / y

    @_jax_divide.defjvp
    def _jax_divide_jvp(primals, tangents):
        x, y = primals
        dx, dy = tangents
        quotient = x / y
        # `quotient * (1 / y)`, not `quotient / y`: XLA rewrites `(x / y) / y`
        # as `x / (y * y)`, whose `y * y` underflows.
        reciprocal = 1. / y
        return quotient, dx / y - dy * (quotient * reciprocal)
