"""`LatentLayer` behaviour shared by every layer: a fixed inference mode,
deterministic `predict` in mode `'mode'`, and `get_config` built from the
classes' `_CONFIG` declarations."""

import inspect

import keras
import numpy as np
import pytest

from tests import substrates
from tests.layers.test_latent import CASES
from tests.layers.test_latent import IDS

rl = substrates.current().layers
LatentLayer = rl.LatentLayer

SHARED = {"temperature", "kl_weight", "inference_mode", "divergence", "seed"}


def _own_parameters(cls):
    """Constructor parameters declared along the class hierarchy below
    `LatentLayer`."""
    names = set()
    for klass in cls.__mro__:
        if klass is LatentLayer or not issubclass(klass, LatentLayer):
            continue
        if "__init__" in vars(klass):
            names |= {name for name, p in inspect.signature(klass.__init__).parameters.items()
                      if name != "self" and p.kind is not p.VAR_KEYWORD}
    return names


def _layer_config_keys():
    return set(keras.layers.Layer(name="x").get_config())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_config_holds_exactly_the_declared_and_shared_arguments(case):
    name, cls, kwargs = case[:3]
    layer = cls(**kwargs)
    keys = set(layer.get_config()) - _layer_config_keys()
    declared = {key for klass in cls.__mro__ for key in vars(klass).get("_CONFIG", ())}
    assert _own_parameters(cls) == declared
    shared = {"kl_weight", "inference_mode", "seed"}
    if cls._HAS_TEMPERATURE:
        shared.add("temperature")
    if len(cls._DIVERGENCES) > 1:
        shared.add("divergence")
    assert keys == declared | shared


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_inference_mode_is_fixed_at_construction(case):
    name, cls, kwargs = case[:3]
    layer = cls(inference_mode="hard", **kwargs)
    with pytest.raises(AttributeError,
                       match=r"`inference_mode` of layer .* is fixed at construction"):
        layer.inference_mode = "mode"
    assert layer.inference_mode == "hard"
    clone = cls.from_config({**layer.get_config(), "inference_mode": "mode"})
    assert clone.inference_mode == "mode"


def _model(inference_mode):
    inputs = keras.Input((6,))
    z = rl.HardConcreteLatent(inference_mode=inference_mode, seed=3)(inputs)
    return keras.Model(inputs, z)


def test_predict_is_random_in_hard_mode_and_deterministic_in_mode_mode():
    x = np.random.default_rng(1).normal(size=(64, 6)).astype("float32")
    hard = _model("hard")
    assert not np.array_equal(hard.predict(x, verbose=0), hard.predict(x, verbose=0))
    mode = _model("mode")
    np.testing.assert_array_equal(mode.predict(x, verbose=0), mode.predict(x, verbose=0))


def test_temperature_for_a_layer_without_one_raises():
    with pytest.raises(ValueError, match="has no temperature. Received: temperature=0.5"):
        rl.GaussianRelaxedBernoulliLatent(temperature=0.5)


@pytest.mark.parametrize("cls, default", [
    (rl.HardConcreteLatent, 2. / 3.), (rl.CorrelatedRelaxedBernoulliLatent, 2. / 3.),
    (rl.StraightThroughRelaxedBernoulliLatent, 1.),
    (rl.StraightThroughGumbelSoftmaxLatent, 1.),
    (rl.DecoupledStraightThroughGumbelSoftmaxLatent, 1.),
    (rl.InvertibleGaussianLatent, 0.5)])
def test_documented_default_temperatures(cls, default):
    assert cls().get_config()["temperature"] == default


def test_arguments_are_keyword_only():
    """A positional number cannot land in another argument than intended
    (e.g. a temperature read as `straight_through`)."""
    with pytest.raises(TypeError):
        rl.GumbelSoftmaxTopKLatent(3, 0.5)
    with pytest.raises(TypeError):
        rl.HardConcreteLatent(0.5)
