"""Tests for relaxtfp.internal.forward_laws and the two numerics helpers it
is built on (`straight_through`, `into_open_unit`)."""

import numpy as np
import pytest
import tensorflow as tf

from relaxtfp.internal import forward_laws
from relaxtfp.internal import numerics


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16, tf.float32, tf.float64])
def test_into_open_unit_moves_only_zero_and_one(dtype):
    np_dtype = dtype.as_numpy_dtype
    finfo = np.finfo(np_dtype)
    inside = [float(finfo.tiny), 1e-3, 0.5, float(np.nextafter(np_dtype(1.), np_dtype(0.)))]
    probs = tf.Variable(tf.constant([0.] + inside + [1.], dtype))
    with tf.GradientTape() as tape:
        moved = numerics.into_open_unit(probs)
    moved_np = moved.numpy().astype(np.float64)
    expected = np.array([np.sqrt(float(finfo.tiny))] + inside + [inside[-1]], np_dtype)
    np.testing.assert_array_equal(moved_np, expected.astype(np.float64))
    np.testing.assert_array_equal(moved.numpy()[1:-1], probs.numpy()[1:-1])
    assert np.all(moved_np > 0.) and np.all(moved_np < 1.)
    np.testing.assert_array_equal(tape.gradient(moved, probs).numpy().astype(np.float64), 1.)


def test_straight_through_keeps_the_value_bit_for_bit():
    forward = tf.constant([-np.inf, 0., 1., 0.3], tf.float32)
    backward = tf.Variable(tf.constant([0.7, -2., 1e-30, 5.], tf.float32))
    with tf.GradientTape() as tape:
        out = numerics.straight_through(tf.stop_gradient(forward), 3. * backward)
    np.testing.assert_array_equal(out, forward)
    np.testing.assert_array_equal(tape.gradient(out, backward), [3.] * 4)


def test_evaluate_takes_values_from_exact_and_gradients_from_smooth():
    probs = tf.Variable(tf.constant([0., 0.25, 1.], tf.float64))
    with tf.GradientTape() as tape:
        law = forward_laws.bernoulli_log_probs(probs=probs)
        log_p1 = forward_laws.evaluate(lambda parts: parts[0], law)
    np.testing.assert_array_equal(log_p1, [-np.inf, np.log(0.25), 0.])
    low = np.sqrt(np.finfo(np.float64).tiny)
    top = np.nextafter(1., 0.)
    np.testing.assert_allclose(tape.gradient(log_p1, probs), [1. / low, 4., 1. / top],
                               rtol=1e-15)


def test_evaluate_with_logits_is_a_single_computation():
    law = forward_laws.bernoulli_log_probs(logits=tf.constant([-800., 0., 800.], tf.float64))
    assert law.exact is None
    np.testing.assert_allclose(law.smooth[0], [-800., -np.log(2.), 0.], rtol=1e-15)
    np.testing.assert_allclose(law.smooth[1], [0., -np.log(2.), -800.], rtol=1e-15)


def test_categorical_log_probs_from_probs_with_a_zero():
    probs = tf.constant([[0.5, 0.5, 0.], [0.2, 0.3, 0.5]], tf.float64)
    law = forward_laws.categorical_log_probs(probs=probs, transform=lambda x: x / 2.)
    tempered = np.sqrt(probs.numpy())
    tempered /= tempered.sum(-1, keepdims=True)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(law.exact, np.log(tempered), rtol=1e-14)
    assert np.all(np.isfinite(law.smooth.numpy()))
    np.testing.assert_allclose(law.smooth[1], law.exact[1], rtol=1e-14)
