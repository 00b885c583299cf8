"""Checks, before TensorFlow or TFP is imported, that Keras runs on our backend.

`relaxtfp.layers` runs on Keras' TensorFlow backend; the same source loaded as
`relaxtfp.substrates.jax.layers` runs on Keras' JAX backend. Importing either
on another backend raises `ImportError` naming the module to use, before a
missing TensorFlow or JAX could raise a less helpful error.
"""

import keras

__all__ = ["KERAS_BACKEND", "backend_error"]

_MODULES = {"tensorflow": "relaxtfp.layers", "jax": "relaxtfp.substrates.jax.layers"}

# The Keras backend of this copy of the module (see `relaxtfp.internal.backend`).
KERAS_BACKEND = "jax" if __name__.startswith("relaxtfp.substrates.jax.") else "tensorflow"


def backend_error():
    """The message explaining why the active Keras backend is wrong, or `None`."""
    active = keras.backend.backend()
    if active == KERAS_BACKEND:
        return None
    here = _MODULES[KERAS_BACKEND]
    if active in _MODULES:
        return (f"{here} needs Keras 3 with the {KERAS_BACKEND!r} backend, but the "
                f"active Keras backend is {active!r}: use {_MODULES[active]} on that "
                f"backend, or set the environment variable KERAS_BACKEND={KERAS_BACKEND} "
                "before Keras is first imported.")
    return ("relaxtfp's latent layers need Keras 3 with the 'tensorflow' backend "
            "(relaxtfp.layers) or the 'jax' backend (relaxtfp.substrates.jax.layers), "
            f"but the active Keras backend is {active!r}; TensorFlow Probability, which "
            "they are built on, has no substrate for it. Set the environment variable "
            "KERAS_BACKEND before Keras is first imported.")


_ERROR = backend_error()
if _ERROR is not None:
    raise ImportError(_ERROR)
