"""The libraries the VAE harness computes with, for the active Keras backend.

On `KERAS_BACKEND=tensorflow` (the default of `python -m benchmarks.vae`) they
are TensorFlow, TFP and `relaxtfp`. On `KERAS_BACKEND=jax` they are TFP's
TF-API shim on JAX (the same `tf.*` names, on JAX arrays), TFP's JAX substrate
and `relaxtfp.substrates.jax`; nothing imports TensorFlow there. The few
operations that differ are the functions below: drawing noise (TensorFlow's
stateless kernels take the Philox algorithm, JAX's take a PRNG key) and
shapes (under `jax.jit` every shape is static, and must be used as such).

Import this module after Keras' backend is chosen (`run.main` sets it).
"""

import keras
import numpy as np

JAX = keras.backend.backend() == "jax"

if JAX:
    from tensorflow_probability.python.internal.backend.jax import compat as _compat
    from tensorflow_probability.substrates import jax as tfp

    from relaxtfp.substrates import jax as relaxtfp
    tf = _compat.v2
elif keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    import tensorflow_probability as tfp

    import relaxtfp
else:
    raise RuntimeError(
        f"The VAE harness runs on KERAS_BACKEND tensorflow or jax; got "
        f"{keras.backend.backend()!r} (TFP has no substrate for it).")

tfd = tfp.distributions

__all__ = ["JAX", "leading", "normal", "relaxtfp", "seed", "tf", "tfd", "tfp",
           "uniform", "require_tensorflow"]


def require_tensorflow(what):
    """Raises `SystemExit` naming `what` when the backend is JAX."""
    if JAX:
        raise SystemExit(
            f"{what} runs on TensorFlow only; run it with KERAS_BACKEND=tensorflow "
            "(the JAX backend runs the latent-layer methods of both presets).")


def seed(a, b):
    """The stateless seed `(a, b)`: an int32 pair on TensorFlow, a raw JAX key
    (`uint32[2]`) on JAX."""
    if JAX:
        return np.asarray([a, b], np.uint32)
    return tf.constant([a, b], tf.int32)


def leading(num, x):
    """The shape `[num] + shape(x)`: static on JAX, a tensor on TensorFlow
    (where the batch size may be unknown while tracing)."""
    if JAX:
        return (num,) + tuple(x.shape)
    return tf.concat([[num], tf.shape(x)], 0)


def shape(x):
    """`x`'s shape: static on JAX, `tf.shape(x)` on TensorFlow."""
    return tuple(x.shape) if JAX else tf.shape(x)


def _jax_key(seed):
    """A pair of ints as a raw JAX key; a key as it is."""
    return np.asarray(seed, np.uint32) if isinstance(seed, (tuple, list)) else seed


def uniform(shape, seed, minval=0., maxval=1., dtype=None):
    """Stateless uniform draws (Philox on TensorFlow, JAX's generator on JAX).
    `seed`: a pair of ints, or the substrate's seed (see `seed`)."""
    dtype = tf.float32 if dtype is None else dtype
    if JAX:
        seed = _jax_key(seed)
        return tf.random.stateless_uniform(shape, seed=seed, minval=minval, maxval=maxval,
                                           dtype=dtype)
    return tf.random.stateless_uniform(shape, seed=seed, minval=minval, maxval=maxval,
                                       dtype=dtype, alg="philox")


def normal(shape, seed, dtype=None):
    """Stateless standard normal draws (Philox on TensorFlow)."""
    dtype = tf.float32 if dtype is None else dtype
    if JAX:
        seed = _jax_key(seed)
        return tf.random.stateless_normal(shape, seed=seed, dtype=dtype)
    return tf.random.stateless_normal(shape, seed, dtype=dtype, alg="philox")
