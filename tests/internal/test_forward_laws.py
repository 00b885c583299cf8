"""Tests for relaxtfp.internal.forward_laws and the two numerics helpers it
is built on (`straight_through`, `into_open_unit`), and for
`backend.multiply_no_nan`, whose gradient the forward laws rely on."""

import importlib

import numpy as np
import pytest

from tests import substrates

sub = substrates.current()
tf = sub.tf
backend, forward_laws, numerics = (
    importlib.import_module(f"{sub.rtfp.__name__}.internal.{name}")
    for name in ("backend", "forward_laws", "numerics"))


def _np_dtype(dtype):
    return np.dtype(getattr(dtype, "as_numpy_dtype", dtype)).type


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64])
def test_into_open_unit_moves_only_zero_and_one(dtype):
    np_dtype = _np_dtype(dtype)
    finfo = np.finfo(np_dtype)
    inside = [float(finfo.tiny), 1e-3, 0.5, float(np.nextafter(np_dtype(1.), np_dtype(0.)))]
    probs = tf.constant([0.] + inside + [1.], dtype)
    moved, (grad,) = sub.value_and_gradient(numerics.into_open_unit, probs)
    moved_np = np.asarray(moved).astype(np.float64)
    expected = np.array([np.sqrt(float(finfo.tiny))] + inside + [inside[-1]], np_dtype)
    np.testing.assert_array_equal(moved_np, expected.astype(np.float64))
    np.testing.assert_array_equal(np.asarray(moved)[1:-1], np.asarray(probs)[1:-1])
    assert np.all(moved_np > 0.) and np.all(moved_np < 1.)
    np.testing.assert_array_equal(np.asarray(grad).astype(np.float64), 1.)


def test_straight_through_keeps_the_value_bit_for_bit():
    forward = tf.constant([-np.inf, 0., 1., 0.3], tf.float32)
    backward = tf.constant([0.7, -2., 1e-30, 5.], tf.float32)
    out, (grad,) = sub.value_and_gradient(
        lambda b: numerics.straight_through(tf.stop_gradient(forward), 3. * b), backward)
    np.testing.assert_array_equal(out, forward)
    np.testing.assert_array_equal(grad, [3.] * 4)


def test_evaluate_takes_values_from_exact_and_gradients_from_smooth():
    probs = tf.constant([0., 0.25, 1.], tf.float64)

    def log_p1(p):
        law = forward_laws.bernoulli_log_probs(probs=p)
        return forward_laws.evaluate(lambda parts: parts[0], law)

    value, (grad,) = sub.value_and_gradient(log_p1, probs)
    np.testing.assert_array_equal(value, [-np.inf, np.log(0.25), 0.])
    low = np.sqrt(np.finfo(np.float64).tiny)
    top = np.nextafter(1., 0.)
    np.testing.assert_allclose(grad, [1. / low, 4., 1. / top], rtol=1e-15)


def test_evaluate_with_logits_is_a_single_computation():
    law = forward_laws.bernoulli_log_probs(logits=tf.constant([-800., 0., 800.], tf.float64))
    assert law.exact is None
    np.testing.assert_allclose(law.smooth[0], [-800., -np.log(2.), 0.], rtol=1e-15)
    np.testing.assert_allclose(law.smooth[1], [0., -np.log(2.), -800.], rtol=1e-15)


def test_categorical_log_probs_from_probs_with_a_zero():
    probs = tf.constant([[0.5, 0.5, 0.], [0.2, 0.3, 0.5]], tf.float64)
    law = forward_laws.categorical_log_probs(probs=probs, transform=lambda x: x / 2.)
    tempered = np.sqrt(np.asarray(probs))
    tempered /= tempered.sum(-1, keepdims=True)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(law.exact, np.log(tempered), rtol=1e-14)
    assert np.all(np.isfinite(np.asarray(law.smooth)))
    np.testing.assert_allclose(law.smooth[1], law.exact[1], rtol=1e-14)


def test_multiply_no_nan_has_tensorflows_gradient():
    """Value `x * y`, 0 where `y` is 0 even for an infinite `x`; gradient `y`
    for `x` and `x` for `y`, also at `y = 0` (where a plain `where` would
    give 0 and drop the derivative of `x log p` in `x`). `x` broadcasts."""
    x = tf.constant([[-np.inf], [2.]], tf.float64)
    y = tf.constant([0., 3.], tf.float64)
    np.testing.assert_array_equal(backend.multiply_no_nan(x, y), [[0., -np.inf], [0., 6.]])
    finite_x = tf.constant([[-4.], [2.]], tf.float64)
    gx, gy = sub.gradients(lambda a, b: tf.reduce_sum(backend.multiply_no_nan(a, b)),
                           finite_x, y)
    np.testing.assert_array_equal(gx, [[3.], [3.]])
    np.testing.assert_array_equal(gy, [-2., -2.])
