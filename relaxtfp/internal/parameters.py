"""Shared handling of distribution parameters: `logits`/`probs` pairs and
validity assertions with messages that name the argument and the rule."""

import numpy as np
import tensorflow as tf

from relaxtfp.internal import numerics
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import tensor_util

__all__ = [
    "CategoricalLogitsProbsMixin",
    "LogitsProbsMixin",
    "assert_in_unit_interval",
    "assert_positive",
    "check_exactly_one",
    "convert_float",
    "float_dtype",
]


def check_exactly_one(**kwargs):
    """Raises `ValueError` unless exactly one keyword argument is not None."""
    given = [k for k, v in kwargs.items() if v is not None]
    if len(given) != 1:
        names = " or ".join(f"`{k}`" for k in kwargs)
        raise ValueError(f"Must pass exactly one of {names}; got "
                         f"{'none' if not given else ', '.join(given)}.")


def float_dtype(dtype_hint=tf.float32, **params):
    """The floating dtype that a distribution's parameters share.

    Integer arrays, tensors and Python numbers carry no floating dtype and
    are converted to the common one: `HardConcrete(0.5, logits=np.array([1,
    0, 2]))` is a float32 distribution. An integer `tf.Variable` cannot be
    converted without losing its tracking, and booleans, strings and complex
    numbers are no parameters of a real-valued law: each raises `TypeError`
    naming the argument. Floating parameters of different precision raise
    `TypeError` naming both arguments.

    Args:
      dtype_hint: the dtype when no parameter has a floating dtype.
      **params: the parameters by argument name (`None` is skipped).

    Returns:
      The common `tf.DType`.
    """
    found = {}
    for name, value in params.items():
        if value is None or not hasattr(value, "dtype"):
            continue
        try:
            dtype = tf.as_dtype(value.dtype)
        except TypeError:
            dtype = None
        if dtype is not None and dtype_util.is_floating(dtype):
            found[name] = dtype
        elif (dtype is not None and dtype_util.is_integer(dtype)
              and not dtype_util.is_bool(dtype)):
            if tensor_util.is_ref(value):
                raise TypeError(
                    f"Argument `{name}` must have a floating dtype; got an "
                    f"integer variable of dtype {dtype_util.name(dtype)}. Create the "
                    "variable with a float dtype.")
        else:
            raise TypeError(
                f"Argument `{name}` must be a real number: a floating or "
                f"integer dtype. Received dtype {value.dtype}.")
    dtypes = set(found.values())
    if len(dtypes) > 1:
        described = ", ".join(
            f"`{k}` ({dtype_util.name(v)})" for k, v in found.items())
        raise TypeError(
            "Floating arguments must share one dtype; received " + described + ".")
    return dtypes.pop() if dtypes else tf.as_dtype(dtype_hint)


def convert_float(value, dtype, name):
    """`convert_nonref_to_tensor`, converting integer input to `dtype`.

    Variables and other deferred tensors are kept as they are (their dtype
    was checked by `float_dtype`); `None` stays `None`.
    """
    if (value is not None and not tensor_util.is_ref(value)
            and hasattr(value, "dtype")):
        if not dtype_util.is_floating(value.dtype):
            value = tf.cast(value, dtype)
    return tensor_util.convert_nonref_to_tensor(value, dtype=dtype, name=name)


def assert_positive(x, name):
    return assert_util.assert_positive(
        x, message=f"Argument `{name}` must be positive.")


def assert_in_unit_interval(x, name):
    one = tf.ones([], dtype=x.dtype)
    return [
        assert_util.assert_non_negative(
            x, message=f"Argument `{name}` must be in [0, 1]; it has components "
            "less than 0."),
        assert_util.assert_less_equal(
            x, one, message=f"Argument `{name}` must be in [0, 1]; it has "
            "components greater than 1."),
    ]


class LogitsProbsMixin:
    """`logits`/`probs` accessors for distributions given either of them.

    The subclass sets `self._logits` and `self._probs` (one of them `None`).
    """

    @property
    def logits(self):
        """Input argument `logits` (`None` if `probs` was given)."""
        return self._logits

    @property
    def probs(self):
        """Input argument `probs` (`None` if `logits` was given)."""
        return self._probs

    def logits_parameter(self, name=None):
        """Logits computed from whichever of `logits` or `probs` was given."""
        with self._name_and_control_scope(name or "logits_parameter"):
            return self._logits_parameter_no_checks()

    def probs_parameter(self, name=None):
        """Probs computed from whichever of `logits` or `probs` was given."""
        with self._name_and_control_scope(name or "probs_parameter"):
            return self._probs_parameter_no_checks()

    def _logits_parameter_no_checks(self):
        if self._logits is None:
            probs = tf.convert_to_tensor(self._probs)
            return tf.math.log(probs) - tf.math.log1p(-probs)
        return tensor_util.identity_as_tensor(self._logits)

    def _probs_parameter_no_checks(self):
        if self._logits is None:
            return tensor_util.identity_as_tensor(self._probs)
        return tf.math.sigmoid(self._logits)

    def _logits_probs_assertions(self, is_init):
        """Assertions on `probs` (logits are unconstrained)."""
        if self._probs is None or is_init == tensor_util.is_ref(self._probs):
            return []
        return assert_in_unit_interval(tf.convert_to_tensor(self._probs), "probs")


class CategoricalLogitsProbsMixin(LogitsProbsMixin):
    """`logits`/`probs` accessors for laws over K categories (last axis).

    `probs` lie on the simplex and `probs_parameter()` is `softmax(logits)`;
    `logits_parameter()` from `probs` is `log(probs)`, defined up to an
    additive constant per batch member, as for `tfd.OneHotCategorical`.
    """

    def _logits_parameter_no_checks(self):
        if self._logits is None:
            probs = tf.convert_to_tensor(self._probs)
            # log(0) = -inf drops the category; the double `where` keeps the
            # gradient at zero probabilities at 0 instead of 0 * inf = NaN.
            positive = probs > 0.
            safe = tf.where(positive, probs, tf.ones([], probs.dtype))
            return tf.where(positive, tf.math.log(safe),
                            tf.constant(-np.inf, probs.dtype))
        return tensor_util.identity_as_tensor(self._logits)

    def _probs_parameter_no_checks(self):
        if self._logits is None:
            return tensor_util.identity_as_tensor(self._probs)
        return numerics.softmax(self._logits)
