"""`relaxtfp.internal.numerics.softmax`: any rank, same values as the kernel."""

import numpy as np
import pytest
import tensorflow as tf
from scipy import special

from relaxtfp.internal import numerics


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 1, 3, 1, 2, 4), (1, 2, 1, 2, 1, 2, 3)])
def test_softmax_any_rank(shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32) * 30.
    got = numerics.softmax(tf.constant(x))
    assert got.shape == shape
    np.testing.assert_allclose(got, special.softmax(x.astype(np.float64), axis=-1),
                               rtol=1e-5, atol=1e-30)


def test_softmax_gradient_and_static_shape_in_a_graph():
    @tf.function(input_signature=[tf.TensorSpec([None, 2, 1, 3, 1, 4], tf.float32)])
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = numerics.softmax(x)
            assert y.shape.as_list() == [None, 2, 1, 3, 1, 4]
            loss = tf.reduce_sum(y[..., 0])
        return tape.gradient(loss, x)

    x = np.random.default_rng(1).normal(size=(2, 2, 1, 3, 1, 4)).astype(np.float32)
    p = special.softmax(x.astype(np.float64), axis=-1)
    # d p_0 / d x_k = p_0 (delta_0k - p_k).
    want = p[..., :1] * ((np.arange(4) == 0) - p)
    np.testing.assert_allclose(grad(tf.constant(x)), want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_relaxed_sigmoid_and_softmax_keep_values_and_finite_gradients(dtype):
    """The relaxations used by RebarRelaxation and the estimators: the plain
    sigmoid and softmax in the ordinary range, and finite gradients with
    respect to the input and the temperature where `z / temperature`
    overflows (infinite or huge inputs, tiny temperatures)."""
    z = tf.constant([-3., 0., 2.5], dtype)
    np.testing.assert_allclose(numerics.relaxed_sigmoid(z, tf.constant(0.7, dtype)),
                               tf.math.sigmoid(z / 0.7), rtol=1e-6)
    np.testing.assert_allclose(numerics.relaxed_softmax(z, tf.constant(0.7, dtype)),
                               tf.nn.softmax(z / 0.7), rtol=1e-6)
    extreme = tf.constant([-np.inf, -1e30, 0., 1e30], dtype)
    for temperature in (1e-6, 1., 1e6):
        t = tf.constant(temperature, dtype)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([extreme, t])
            s = numerics.relaxed_sigmoid(extreme, t)
            p = numerics.relaxed_softmax(extreme, t)
            loss_s = tf.reduce_sum(s * [1., 2., 3., 4.])
            loss_p = tf.reduce_sum(p * [1., 2., 3., 4.])
        assert np.all((s.numpy() > 0.) & (s.numpy() < 1.))
        np.testing.assert_allclose(np.sum(p.numpy()), 1., rtol=1e-6)
        for loss in (loss_s, loss_p):
            for grad in tape.gradient(loss, [extreme, t]):
                assert np.all(np.isfinite(grad.numpy())), (temperature, grad)
