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
