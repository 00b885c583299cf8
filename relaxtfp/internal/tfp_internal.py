"""The one place where relaxtfp imports TFP's private modules.

TFP's distributions are written against a handful of internal helpers
(dtype inference, deferred conversion of `tf.Variable` parameters, static
shape arithmetic, assertions, parameter properties). relaxtfp follows the same
conventions, so it uses the same helpers; importing them in one module keeps
the dependency on a pinned TFP release (`>=0.25,<0.26`) visible and contained.
"""

from tensorflow_probability.python.internal import assert_util
from tensorflow_probability.python.internal import dtype_util
from tensorflow_probability.python.internal import parameter_properties
from tensorflow_probability.python.internal import prefer_static as ps
from tensorflow_probability.python.internal import reparameterization
from tensorflow_probability.python.internal import samplers
from tensorflow_probability.python.internal import tensor_util
from tensorflow_probability.python.internal import tensorshape_util

__all__ = [
    "assert_util",
    "dtype_util",
    "parameter_properties",
    "ps",
    "reparameterization",
    "samplers",
    "tensor_util",
    "tensorshape_util",
]
