"""A Keras callback that anneals the temperature of relaxtfp latent layers."""

import math
import numbers

import keras

from relaxtfp.layers.base import LatentLayer

__all__ = ["TemperatureAnnealing"]


def _number(value, name, minimum, strict):
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not math.isfinite(value)
            or (value <= minimum if strict else value < minimum)):
        rule = "positive" if strict else "non-negative"
        raise ValueError(f"Argument `{name}` must be a finite {rule} number. "
                         f"Received: {name}={value!r}")
    return float(value)


class TemperatureAnnealing(keras.callbacks.Callback):
    """Anneals latent-layer temperatures: exponential decay with a floor.

    Sets the `temperature` weight of relaxtfp latent layers to

    ```none
    tau(t) = max(floor, initial * exp(-rate * t))
    ```

    the schedule of Jang et al. (2017), who update it every N training steps
    (`t` the global step, a multiple of N). With `every_n_steps=N`, `t` counts
    the training batches seen by this callback (across `fit` calls) and the
    temperature changes after every N-th batch; with `every_n_steps=None`
    (default), `t` is the epoch index and the temperature is set at the start
    of every epoch. The temperature is also set to `tau(t)` for the current
    `t` when training begins.

    The layers are the ones given in `layers`, or else every relaxtfp latent
    layer of the model (nested models included) that has a temperature.
    The temperature is a non-trainable weight read by the compiled step
    function, so the change takes effect without retracing (also under
    `jit_compile=True`, and on Keras' JAX backend), and it is saved with the
    model.

    #### Examples

    ```python
    import numpy as np
    import keras
    import relaxtfp

    inputs = keras.Input((4,))
    latent = relaxtfp.layers.StraightThroughGumbelSoftmaxLatent(seed=1)
    z = latent(keras.layers.Reshape((2, 2))(keras.layers.Dense(4)(inputs)))
    model = keras.Model(inputs, keras.layers.Dense(4)(keras.layers.Flatten()(z)))
    model.compile(optimizer="adam", loss="mse")
    annealing = relaxtfp.layers.TemperatureAnnealing(
        initial=1., rate=0.1, floor=0.5, every_n_steps=2)
    x = np.zeros((32, 4), np.float32)
    model.fit(x, x, batch_size=8, epochs=1, verbose=0, callbacks=[annealing])
    # 4 steps: tau = max(0.5, exp(-0.1 * 4)) = 0.670.
    ```

    #### References

    [1]: Eric Jang, Shixiang Gu and Ben Poole. Categorical Reparameterization
         with Gumbel-Softmax. In _International Conference on Learning
         Representations_, 2017. https://arxiv.org/abs/1611.01144
    """

    def __init__(self, initial=1., rate=1e-4, floor=0.5, every_n_steps=None,
                 layers=None):
        """Creates the callback.

        Args:
          initial: Positive float, the temperature at `t = 0`. Default 1.
          rate: Non-negative float, the decay rate per unit of `t`.
            Default 1e-4.
          floor: Positive float, the lowest temperature. Default 0.5.
          every_n_steps: Positive `int` N to update every N training batches,
            or `None` (default) to update once per epoch.
          layers: Optional list of latent layers to anneal; by default every
            relaxtfp latent layer of the model that has a temperature.

        Raises:
          ValueError: If an argument is out of range, or a given layer has no
            temperature.
        """
        super().__init__()
        self.initial = _number(initial, "initial", 0., strict=True)
        self.rate = _number(rate, "rate", 0., strict=False)
        self.floor = _number(floor, "floor", 0., strict=True)
        if every_n_steps is not None and (
                not isinstance(every_n_steps, numbers.Integral)
                or isinstance(every_n_steps, bool) or every_n_steps < 1):
            raise ValueError(
                "Argument `every_n_steps` must be a positive integer or None. "
                f"Received: every_n_steps={every_n_steps!r}")
        self.every_n_steps = every_n_steps
        if layers is not None:
            layers = list(layers)
            for layer in layers:
                if getattr(layer, "temperature", None) is None:
                    raise ValueError(
                        "Argument `layers` must hold layers with a temperature "
                        f"weight. Received: {layer!r}")
        self._given_layers = layers
        self.step = 0
        self.temperature = None

    def schedule(self, t):
        """`max(floor, initial * exp(-rate * t))`, a Python float."""
        return max(self.floor, self.initial * math.exp(-self.rate * t))

    def _layers(self):
        if self._given_layers is not None:
            return self._given_layers
        found = [layer for layer in self.model._flatten_layers(include_self=True)
                 if isinstance(layer, LatentLayer)
                 and layer.temperature is not None]
        if not found:
            raise ValueError(
                "TemperatureAnnealing found no relaxtfp latent layer with a "
                "temperature in the model; pass `layers=` explicitly.")
        return found

    def _set(self, t):
        self.temperature = self.schedule(t)
        # Keras on JAX trains on a copy of the model's variables within an
        # epoch; writing that copy back first makes the next step read the
        # new temperature (the other backends have no such copy).
        sync = getattr(self.model, "jax_state_sync", None)
        if sync is not None:
            sync()
        for layer in self._layers():
            layer.temperature.assign(self.temperature)

    def on_train_begin(self, logs=None):
        if self.every_n_steps is not None:
            self._set(self.every_n_steps * (self.step // self.every_n_steps))

    def on_epoch_begin(self, epoch, logs=None):
        if self.every_n_steps is None:
            self._set(epoch)

    def on_train_batch_end(self, batch, logs=None):
        if self.every_n_steps is None:
            return
        self.step += 1
        if self.step % self.every_n_steps == 0:
            self._set(self.step)
