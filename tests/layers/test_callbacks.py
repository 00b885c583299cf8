"""Tests of `relaxtfp.layers.TemperatureAnnealing`."""

import math

import keras
import numpy as np
import pytest

from tests import substrates

rl = substrates.current().layers


def _model():
    inputs = keras.Input((6,))
    h = keras.layers.Dense(6)(inputs)
    st = rl.StraightThroughGumbelSoftmaxLatent(temperature=3., seed=1,
                                               name="stgs")
    hc = rl.HardConcreteLatent(temperature=3., seed=2, name="hc")
    stb = rl.StraightThroughBernoulliLatent(seed=3, name="stb")  # No temperature.
    z = keras.layers.Concatenate()([
        keras.layers.Flatten()(st(keras.layers.Reshape((2, 3))(h))), hc(h),
        stb(h)])
    model = keras.Model(inputs, keras.layers.Dense(6)(z))
    model.compile(optimizer="adam", loss="mse")
    return model, st, hc


DATA = np.zeros((40, 6), np.float32)      # 5 batches of 8 per epoch.


def test_schedule_is_exponential_decay_with_a_floor():
    cb = rl.TemperatureAnnealing(initial=2., rate=0.1, floor=0.5)
    assert cb.schedule(0) == 2.
    assert cb.schedule(3) == pytest.approx(2. * math.exp(-0.3))
    assert cb.schedule(100) == 0.5


def test_every_n_steps_sets_every_layer_with_a_temperature():
    model, st, hc = _model()
    cb = rl.TemperatureAnnealing(initial=1., rate=0.05, floor=0.3,
                                 every_n_steps=3)
    model.fit(DATA, DATA, batch_size=8, epochs=2, verbose=0, callbacks=[cb])
    # 10 steps; the last update happened after step 9.
    expected = max(0.3, math.exp(-0.05 * 9))
    assert cb.step == 10
    for layer in (st, hc):
        np.testing.assert_allclose(np.asarray(layer.temperature), expected, rtol=1e-6)
    # A second fit continues the global step count.
    model.fit(DATA, DATA, batch_size=8, epochs=1, verbose=0, callbacks=[cb])
    np.testing.assert_allclose(np.asarray(st.temperature),
                               max(0.3, math.exp(-0.05 * 15)), rtol=1e-6)


def test_per_epoch_and_floor():
    model, st, hc = _model()
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(float(np.asarray(st.temperature))))
    cb = rl.TemperatureAnnealing(initial=2., rate=1., floor=0.5)
    model.fit(DATA, DATA, batch_size=8, epochs=3, verbose=0,
              callbacks=[cb, record])
    np.testing.assert_allclose(seen, [2., 2. * math.exp(-1.), 0.5], rtol=1e-6)


def test_given_layers_only():
    model, st, hc = _model()
    cb = rl.TemperatureAnnealing(initial=1.5, rate=0., floor=0.1, layers=[hc])
    model.fit(DATA, DATA, batch_size=8, epochs=1, verbose=0, callbacks=[cb])
    np.testing.assert_allclose(np.asarray(hc.temperature), 1.5)
    np.testing.assert_allclose(np.asarray(st.temperature), 3.)


def test_errors():
    with pytest.raises(ValueError, match="Argument `floor` must be a finite positive"):
        rl.TemperatureAnnealing(floor=0.)
    with pytest.raises(ValueError, match="Argument `every_n_steps` must be a positive"):
        rl.TemperatureAnnealing(every_n_steps=0)
    with pytest.raises(ValueError, match="layers with a temperature"):
        rl.TemperatureAnnealing(layers=[rl.StraightThroughBernoulliLatent()])
    inputs = keras.Input((4,))
    model = keras.Model(inputs, rl.StraightThroughBernoulliLatent()(inputs))
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros((8, 4), np.float32)
    with pytest.raises(ValueError, match="found no relaxtfp latent layer"):
        model.fit(x, x, verbose=0, callbacks=[rl.TemperatureAnnealing()])


def test_given_layers_change_the_next_training_steps():
    # The divergence depends on the temperature; with frozen weights and no
    # other loss, the per-batch loss changes exactly when the callback sets a
    # new temperature. (On JAX, Keras trains on a copy of the variables within
    # an epoch, which the callback must write back before assigning.)
    inputs = keras.Input((6,))
    # A learned prior gives the model a trainable weight, which the zero
    # learning rate leaves in place.
    hc = rl.HardConcreteLatent(temperature=3., seed=2, prior_probs=0.1, learn_prior=True)
    frozen = keras.layers.Dense(6, kernel_initializer="zeros", trainable=False)
    model = keras.Model(inputs, hc(frozen(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.),
                  loss=lambda y, p: keras.ops.zeros_like(p[:, 0]))
    annealing = rl.TemperatureAnnealing(initial=2., rate=0.3, floor=0.1,
                                        every_n_steps=2, layers=[hc])
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(float(logs["loss"])))
    x = np.zeros((64, 6), np.float32)
    model.fit(x, x, batch_size=8, epochs=1, verbose=0, callbacks=[annealing, record])
    # `loss` is the running mean over the epoch: constant while the
    # temperature stays at 2 (steps 1-2), then falling as it decays.
    assert seen[1] == pytest.approx(seen[0])
    assert all(b < a for a, b in zip(seen[1:], seen[2:])), seen
    np.testing.assert_allclose(np.asarray(hc.temperature), 2. * math.exp(-0.3 * 8), rtol=1e-6)
