"""Variational inference with the straight-through classes as surrogates.

`tfp.vi.fit_surrogate_posterior` estimates the ELBO with samples of the
surrogate. With a straight-through surrogate, its gradient flows through the
samples into `log q(z)` and `log p(z)`; both are linear in `z` (the
log-pmf of the forward law extended linearly), so for a Bernoulli or
categorical target the straight-through gradient of the ELBO is unbiased
for `StraightThroughBernoulli` and biased only by the relaxation for the
others. Each test fits a surrogate with logits started at zero to a target
of known logits, for a fixed number of Adam steps with a fixed seed, and
asserts that the logits end at most half as far from the target's as they
started. On TensorFlow the logits are a `tf.Variable` fitted by
`tfp.vi.fit_surrogate_posterior`; on JAX they are the parameters of
`tfp.vi.fit_surrogate_posterior_stateless` (with the same Adam written as a
pure optimizer, `_PureAdam`). (With a `log_prob` that had no gradient in the
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

from tests import substrates

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
tfd = sub.tfd
DecoupledStraightThroughGumbelSoftmax = sub.rtd.DecoupledStraightThroughGumbelSoftmax
StraightThroughBernoulli = sub.rtd.StraightThroughBernoulli
StraightThroughGumbelSoftmax = sub.rtd.StraightThroughGumbelSoftmax
StraightThroughRelaxedBernoulli = sub.rtd.StraightThroughRelaxedBernoulli

STEPS = 200
SAMPLE_SIZE = 16
LEARNING_RATE = 0.1

BERNOULLI_TARGET = np.array([-2., 1., 2.5], np.float32)
CATEGORICAL_TARGET = np.array([[1.5, -1., 0., 0.5], [-1., 2., 0., -0.5]], np.float32)


def _centered(logits):
    return logits - np.mean(logits, axis=-1, keepdims=True)


class _PureAdam:
    """Adam (Kingma and Ba, 2015) with Keras's defaults, as the pure
    `init`/`update` optimizer that `fit_surrogate_posterior_stateless`
    takes (optax's protocol)."""

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon = epsilon

    def init(self, params):
        zeros = [tf.zeros_like(p) for p in params]
        return (tf.constant(0., params[0].dtype), zeros, list(zeros))

    def update(self, grads, state, params=None):
        del params
        step, ms, vs = state
        step = step + 1.
        ms = [self.beta_1 * m + (1. - self.beta_1) * g for m, g in zip(ms, grads)]
        vs = [self.beta_2 * v + (1. - self.beta_2) * g * g for v, g in zip(vs, grads)]
        rate = (self.learning_rate * tf.sqrt(1. - self.beta_2 ** step)
                / (1. - self.beta_1 ** step))
        updates = [-rate * m / (tf.sqrt(v) + self.epsilon) for m, v in zip(ms, vs)]
        return updates, (step, ms, vs)


def _fit(make_surrogate, target, target_logits, categorical):
    def distance(x):
        if categorical:
            return np.linalg.norm(_centered(x) - _centered(target_logits))
        return np.linalg.norm(x - target_logits)

    start = distance(np.zeros_like(target_logits))
    if sub.is_jax:
        (logits,), _ = tfp.vi.fit_surrogate_posterior_stateless(
            target.log_prob, make_surrogate, [tf.zeros_like(target_logits)],
            _PureAdam(LEARNING_RATE), STEPS, sample_size=SAMPLE_SIZE, seed=sub.seed(1, 2))
    else:
        logits = tf.Variable(tf.zeros_like(target_logits))
        tfp.vi.fit_surrogate_posterior(
            target.log_prob, make_surrogate(logits), tf.optimizers.Adam(LEARNING_RATE), STEPS,
            sample_size=SAMPLE_SIZE, seed=(1, 2))
    return start, distance(np.asarray(logits))


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


# TFP's JAX `Bernoulli.log_prob` is built on the JAX shim's
# `multiply_no_nan`, a `where` whose derivative in the value is 0 at the
# values 0 and 1 (TFP's TODO b/146385087): its slope in `z` there is
# `log P(0)` or `log P(1)` alone instead of the logit, and the ELBO gradient
# through a `tfd.Bernoulli` target is biased (measured: the logits move
# only 40% of the way). relaxtfp's own laws use `backend.multiply_no_nan`, which has
# TensorFlow's gradient on both substrates.
_JAX_BERNOULLI_TARGET = substrates.tensorflow_only(
    "TFP's JAX tfd.Bernoulli.log_prob has no gradient in the value at 0 and 1 "
    "(multiply_no_nan on JAX, TFP TODO b/146385087)")


@pytest.mark.parametrize("case", [
    pytest.param(case, marks=_JAX_BERNOULLI_TARGET) if "tfd.Bernoulli" in case else case
    for case in sorted(BERNOULLI_CASES)])
def test_bernoulli_surrogate_moves_halfway_to_the_target(case):
    make_surrogate, target = BERNOULLI_CASES[case]
    start, end = _fit(make_surrogate, target, BERNOULLI_TARGET, categorical=False)
    assert end <= 0.5 * start, (case, start, end)


@pytest.mark.parametrize("case", sorted(CATEGORICAL_CASES))
def test_categorical_surrogate_moves_halfway_to_the_target(case):
    make_surrogate, target = CATEGORICAL_CASES[case]
    start, end = _fit(make_surrogate, target, CATEGORICAL_TARGET, categorical=True)
    assert end <= 0.5 * start, (case, start, end)
