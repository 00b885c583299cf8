"""The divergences of the categorical latent layers, from the distributions'
`discrete_law()` and the layers' `prior_law()`. The documented closed forms
are checked for every layer in `test_latent.py`."""

import numpy as np
import pytest

from tests import substrates

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
rl = sub.layers

tfd = tfp.distributions

PRIOR = [0.1, 0.2, 0.3, 0.4]
CASES = {
    "straight_through": (rl.StraightThroughGumbelSoftmaxLatent, {}),
    "decoupled": (rl.DecoupledStraightThroughGumbelSoftmaxLatent,
                  {"forward_temperature": 3.}),
    "generalized": (rl.GeneralizedGumbelSoftmaxLatent, {"values": [0., 1., 2., 5.]}),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("prior_probs", [None, PRIOR])
def test_divergence_is_the_kl_of_the_discrete_law_to_the_prior_law(name, prior_probs):
    cls, kwargs = CASES[name]
    layer = cls(prior_probs=prior_probs, **kwargs)
    x = np.random.default_rng(45).normal(size=(5, 3, 4)).astype(np.float32) * 4.
    dist = layer.distribution(x)
    prior = layer.prior_law()
    expected = np.array(PRIOR if prior_probs else [0.25] * 4, np.float32)
    np.testing.assert_allclose(prior.probs_parameter(), expected, rtol=1e-6)
    kl = tf.reduce_sum(tfd.kl_divergence(dist.discrete_law(), prior), axis=-1)
    np.testing.assert_allclose(np.asarray(layer.divergence(x)), np.asarray(kl), rtol=1e-6)


def test_top_k_divergence_uses_the_law_of_the_first_draw():
    layer = rl.GumbelSoftmaxTopKLatent(k=2, prior_probs=PRIOR)
    x = np.random.default_rng(67).normal(size=(5, 4)).astype(np.float32)
    first_draw = tfd.OneHotCategorical(logits=x)
    np.testing.assert_allclose(
        np.asarray(layer.divergence(x)),
        np.asarray(tfd.kl_divergence(first_draw, layer.prior_law())), rtol=1e-6)


def test_uniform_prior_law_needs_a_built_layer():
    layer = rl.StraightThroughGumbelSoftmaxLatent()
    with pytest.raises(ValueError, match="must be built .* number of classes"):
        layer.prior_law()
    layer.build((None, 6))
    np.testing.assert_allclose(layer.prior_law("float64").probs_parameter(),
                               np.full(6, 1. / 6.), rtol=1e-12)
