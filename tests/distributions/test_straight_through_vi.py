"""Variational inference with the straight-through classes as surrogates.

`tfp.vi.fit_surrogate_posterior` estimates the ELBO with samples of the
surrogate. With a straight-through surrogate, its gradient flows through the
samples into `log q(z)` and `log p(z)`; both are linear in `z` (the
log-pmf of the forward law extended linearly), so for a Bernoulli or
categorical target the straight-through gradient of the ELBO is unbiased
for `StraightThroughBernoulli` and biased only by the relaxation for the
others. Each test fits a surrogate with `tf.Variable` logits, started at
zero, to a target of known logits, for a fixed number of steps with a fixed
seed, and asserts that the logits end at most half as far from the
target's as they started. (With a `log_prob` that had no gradient in the
value, the Bernoulli surrogates random-walked: the distance grew.)

The distance between categorical logits is taken after centering them (a
constant added to every logit leaves the law unchanged). A
`tfd.OneHotCategorical` target would not do: its `log_prob` stops the
gradient of the value (`softmax_cross_entropy_with_logits` on
`stop_gradient(x)`), unlike `tfd.Bernoulli`'s.

`StochasticTimesSmooth` is not here: its samples move the atom, not its mass
(`log q` at its own sample is `log s` whatever the extension), so the
entropy of an ELBO gets no gradient, and the KL divergence between two such
laws with different parameters is infinite. See its docstring.
"""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.distributions import DecoupledStraightThroughGumbelSoftmax
from relaxtfp.distributions import StraightThroughBernoulli
from relaxtfp.distributions import StraightThroughGumbelSoftmax
from relaxtfp.distributions import StraightThroughRelaxedBernoulli

tfd = tfp.distributions

STEPS = 200
SAMPLE_SIZE = 16
LEARNING_RATE = 0.1

BERNOULLI_TARGET = np.array([-2., 1., 2.5], np.float32)
CATEGORICAL_TARGET = np.array([[1.5, -1., 0., 0.5], [-1., 2., 0., -0.5]], np.float32)


def _centered(logits):
    return logits - np.mean(logits, axis=-1, keepdims=True)


def _fit(make_surrogate, target, target_logits, categorical):
    logits = tf.Variable(tf.zeros_like(target_logits))
    surrogate = make_surrogate(logits)

    def distance(x):
        if categorical:
            return np.linalg.norm(_centered(x) - _centered(target_logits))
        return np.linalg.norm(x - target_logits)

    start = distance(logits.numpy())
    tfp.vi.fit_surrogate_posterior(
        target.log_prob, surrogate, tf.optimizers.Adam(LEARNING_RATE), STEPS,
        sample_size=SAMPLE_SIZE, seed=(1, 2))
    return start, distance(logits.numpy())


BERNOULLI_CASES = {
    "StraightThroughBernoulli": (
        lambda lg: StraightThroughBernoulli(logits=lg),
        StraightThroughBernoulli(logits=BERNOULLI_TARGET)),
    "StraightThroughBernoulli-to-tfd.Bernoulli": (
        lambda lg: StraightThroughBernoulli(logits=lg),
        tfd.Bernoulli(logits=BERNOULLI_TARGET, dtype=tf.float32)),
    "StraightThroughRelaxedBernoulli": (
        lambda lg: StraightThroughRelaxedBernoulli(0.5, logits=lg),
        StraightThroughRelaxedBernoulli(0.5, logits=BERNOULLI_TARGET)),
}

CATEGORICAL_CASES = {
    "StraightThroughGumbelSoftmax": (
        lambda lg: StraightThroughGumbelSoftmax(0.5, logits=lg),
        StraightThroughGumbelSoftmax(0.5, logits=CATEGORICAL_TARGET)),
    # The forward law is softmax(logits / 2) for both: the logits are
    # compared on that common scale.
    "DecoupledStraightThroughGumbelSoftmax": (
        lambda lg: DecoupledStraightThroughGumbelSoftmax(2., 0.5, logits=lg),
        DecoupledStraightThroughGumbelSoftmax(2., 0.5, logits=CATEGORICAL_TARGET)),
}


@pytest.mark.parametrize("case", sorted(BERNOULLI_CASES))
def test_bernoulli_surrogate_moves_halfway_to_the_target(case):
    make_surrogate, target = BERNOULLI_CASES[case]
    start, end = _fit(make_surrogate, target, BERNOULLI_TARGET, categorical=False)
    assert end <= 0.5 * start, (case, start, end)


@pytest.mark.parametrize("case", sorted(CATEGORICAL_CASES))
def test_categorical_surrogate_moves_halfway_to_the_target(case):
    make_surrogate, target = CATEGORICAL_CASES[case]
    start, end = _fit(make_surrogate, target, CATEGORICAL_TARGET, categorical=True)
    assert end <= 0.5 * start, (case, start, end)
