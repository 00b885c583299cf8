"""The latent layers' `input_spec`: after `build`, an input whose shape does
not fit the state built for it raises Keras' error naming the layer and the
expected shape, in `call` and in `distribution` and `divergence`."""

import keras
import numpy as np
import pytest

from tests import substrates

rl = substrates.current().layers

_P5 = [0.1, 0.2, 0.3, 0.4, 0.5]

# (id, class, kwargs, shape built on, mismatched shape, expected message).
MISMATCHES = [
    ("learn_prior_width", rl.StraightThroughBernoulliLatent, {"learn_prior": True},
     (2, 5), (2, 4), "expected axis 1 of input shape to have value 5"),
    ("learn_prior_rank", rl.HardConcreteLatent, {"learn_prior": True},
     (2, 5), (2, 3, 5), "expected ndim=2, found ndim=3"),
    ("learn_prior_middle_axis", rl.StochasticTimesSmoothLatent, {"learn_prior": True},
     (2, 3, 5), (2, 4, 5), "expected axis 1 of input shape to have value 3"),
    ("list_prior", rl.GaussianRelaxedBernoulliLatent, {"prior_probs": _P5},
     (2, 5), (2, 4), "expected axis -1 of input shape to have value 5"),
    ("list_prior_broadcast", rl.StraightThroughRelaxedBernoulliLatent,
     {"prior_probs": _P5}, (2, 5), (2, 1), "expected axis -1 of input shape to have value 5"),
    ("correlated_learned", rl.CorrelatedRelaxedBernoulliLatent, {},
     (2, 6), (3, 1), "expected axis -1 of input shape to have value 6"),
    ("correlated_fixed", rl.CorrelatedRelaxedBernoulliLatent,
     {"correlation": np.eye(3).tolist(), "divergence": "mc"},
     (2, 3), (2, 4), "expected axis -1 of input shape to have value 3"),
    ("categorical_prior", rl.StraightThroughGumbelSoftmaxLatent,
     {"prior_probs": [0.1, 0.2, 0.3, 0.4]}, (2, 3, 4), (2, 3, 5),
     "expected axis -1 of input shape to have value 4"),
    ("categorical_uniform", rl.DecoupledStraightThroughGumbelSoftmaxLatent, {},
     (2, 4), (2, 6), "expected axis -1 of input shape to have value 4"),
    ("categorical_rank", rl.StraightThroughGumbelSoftmaxLatent, {},
     (2, 4), (4,), "expected min_ndim=2, found ndim=1"),
    ("top_k", rl.GumbelSoftmaxTopKLatent, {"k": 2}, (2, 4), (2, 2),
     "expected axis -1 of input shape to have value 4"),
    ("generalized", rl.GeneralizedGumbelSoftmaxLatent, {"values": [0., 1., 2.]},
     (2, 3), (2, 4), "expected axis -1 of input shape to have value 3"),
    ("invertible_gaussian", rl.InvertibleGaussianLatent, {"prior_loc": [0., 1., 2.]},
     (2, 6), (2, 8), "expected axis -1 of input shape to have value 6"),
    ("logistic_normal_softmax", rl.LogisticNormalSoftmaxLatent, {},
     (2, 6), (2, 7), "expected axis -1 of input shape to have value 6"),
]


def _x(shape):
    return np.random.default_rng(0).normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("case", MISMATCHES, ids=[c[0] for c in MISMATCHES])
def test_mismatched_input_after_build_raises_keras_error(case):
    _, cls, kwargs, good, bad, message = case
    layer = cls(name="latent", seed=1, **kwargs)
    layer(_x(good), training=True)
    assert isinstance(layer.input_spec, keras.InputSpec)
    pattern = (r"Input 0 (with name '\w+' )?of layer 'latent' is incompatible with "
               r"the layer: " + message)
    with pytest.raises(ValueError, match=pattern):
        layer(_x(bad), training=True)
    with pytest.raises(ValueError, match=pattern):
        layer.divergence(_x(bad))
    with pytest.raises(ValueError, match=pattern):
        layer.distribution(_x(bad))
    # A symbolic input of the wrong shape is refused when the model is built.
    with pytest.raises(ValueError, match=pattern):
        layer(keras.Input(bad[1:]))
    # The shape it was built on, with another batch size, still works.
    assert layer(_x((7,) + good[1:])).shape[0] == 7


def test_correlated_layer_no_longer_broadcasts_a_single_gate_to_all():
    # Built on 6 gates, a [3, 1] input used to return a [3, 6] sample.
    layer = rl.CorrelatedRelaxedBernoulliLatent(seed=1)
    layer(_x((2, 6)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 6"):
        layer(_x((3, 1)))


@pytest.mark.parametrize("cls, kwargs", [
    (rl.StraightThroughBernoulliLatent, {}),
    (rl.HardConcreteLatent, {"prior_probs": 0.2}),
    (rl.GaussianRelaxedBernoulliLatent, {"prior_probs": [0.2]}),
])
def test_layers_without_width_state_take_any_shape(cls, kwargs):
    # A scalar prior holds no per-unit state: the layer maps each logit on
    # its own, so any shape with a batch axis is valid after build.
    layer = cls(seed=1, **kwargs)
    layer(_x((2, 5)))
    assert layer(_x((3, 2, 7))).shape == (3, 2, 7)
    assert layer.divergence(_x((3, 4))).shape == (3,)


@pytest.mark.parametrize("cls, kwargs, shape, message", [
    (rl.StraightThroughBernoulliLatent, {"prior_probs": _P5}, (2, 3),
     r"Argument `prior_probs` must broadcast against the units of one example "
     r"\(the input shape without the batch axis, \(3,\)\) without changing their "
     r"shape\. Received: prior_probs=\[0\.1, 0\.2, 0\.3, 0\.4, 0\.5\]"),
    (rl.HardConcreteLatent, {"prior_probs": [[0.1, 0.2], [0.3, 0.4]]}, (2, 2),
     r"Argument `prior_probs` must broadcast against the units of one example "
     r"\(the input shape without the batch axis, \(2,\)\)"),
    (rl.StochasticTimesSmoothLatent, {"learn_prior": True}, (None, None, 5),
     r"needs known input dimensions after the batch axis with `learn_prior=True` "
     r"\(one prior logit per unit\)\. Received: input_shape=\(None, None, 5\)"),
    (rl.InvertibleGaussianLatent, {"prior_loc": [0., 1.]}, (2, 6),
     r"Argument `prior_loc` must be a number or a list of K - 1 = 3 numbers \(an array "
     r"must broadcast against the loc of one example, shape \(3,\), without changing "
     r"it\)\. Received: prior_loc=\[0\.0, 1\.0\]"),
    (rl.InvertibleGaussianLatent, {"prior_scale": [1., 2., 3., 4.]}, (2, 6),
     r"Argument `prior_scale` must be a number or a list of K - 1 = 3 numbers "),
    (rl.LogisticNormalSoftmaxLatent, {"prior_concentration": [1., 2.]}, (2, 6),
     r"Argument `prior_concentration` must be a number or a list of K = 3 numbers "
     r"\(.*\)\. Received: prior_concentration=\[1\.0, 2\.0\]"),
])
def test_priors_that_do_not_fit_the_input_raise_at_build(cls, kwargs, shape, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs).build(shape)
