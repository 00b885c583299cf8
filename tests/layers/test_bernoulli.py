"""The learned prior of the Bernoulli latent layers (`learn_prior=True`) and
`bernoulli_kl_from_logits`.

The shared layer behaviour (shapes, the documented divergence for a fixed
prior, seeds, saving) is tested for every layer in `test_latent.py`.
"""

import keras
import numpy as np
import pytest
import scipy.stats

from tests import substrates

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
rl = sub.layers
bernoulli_kl_from_logits = rl.bernoulli.bernoulli_kl_from_logits

tfd = tfp.distributions


def _normal(shape, seed):
    """Standard normal float32 inputs, the same on both substrates."""
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _gradient(fn, variable):
    """The gradient of the scalar `fn()` with respect to a Keras variable.

    On JAX, Keras variables are read from a `keras.StatelessScope`, so the
    gradient is taken through the value that the scope maps the variable to.
    """
    if sub.is_jax:
        def at(value):
            with keras.StatelessScope(state_mapping=[(variable, value)]):
                return fn()
        return sub.jax.grad(at)(variable.value)
    with tf.GradientTape() as tape:
        value = fn()
    return tape.gradient(value, variable)


def _sigmoid(x):
    return 1. / (1. + np.exp(-x))


def _log_sigmoid(x):
    return -np.logaddexp(0., -x)


# (class, kwargs, gate probability P(b = 1) of the discrete law as a
# function of the input and the layer).
CASES = {
    "straight_through_bernoulli": (
        rl.StraightThroughBernoulliLatent, {}, lambda x, l: _sigmoid(x)),
    "straight_through_relaxed_bernoulli": (
        rl.StraightThroughRelaxedBernoulliLatent, {"temperature": 0.7},
        lambda x, l: _sigmoid(x)),
    "correlated_relaxed_bernoulli": (
        rl.CorrelatedRelaxedBernoulliLatent, {"temperature": 0.7},
        lambda x, l: _sigmoid(x)),
    "stochastic_times_smooth": (
        rl.StochasticTimesSmoothLatent, {}, lambda x, l: np.sqrt(_sigmoid(x))),
    "hard_concrete": (
        rl.HardConcreteLatent, {"temperature": 0.7},
        lambda x, l: _sigmoid(x - 0.7 * np.log(0.1 / 1.1))),
    "gaussian_relaxed_bernoulli": (
        rl.GaussianRelaxedBernoulliLatent, {"scale": 0.7},
        lambda x, l: scipy.stats.norm.cdf(x / 0.7)),
}


def _kl_to_learned_prior(q, a):
    """KL(Bernoulli(q) || Bernoulli(sigmoid(a))), elementwise, float64."""
    return (q * (np.log(q) - _log_sigmoid(a))
            + (1. - q) * (np.log1p(-q) - _log_sigmoid(-a)))


def _built(cls, kwargs, shape=(4, 5), prior_probs=0.3):
    layer = cls(learn_prior=True, prior_probs=prior_probs, seed=3, **kwargs)
    layer.build((None,) + shape[1:])
    return layer


@pytest.mark.parametrize("name", sorted(CASES))
def test_prior_logits_weight_starts_at_the_logit_of_prior_probs(name):
    cls, kwargs, _ = CASES[name]
    layer = _built(cls, kwargs, prior_probs=[0.1, 0.2, 0.3, 0.4, 0.5])
    assert layer.prior_logits.shape == (5,)
    assert any(w is layer.prior_logits for w in layer.trainable_weights)
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    np.testing.assert_allclose(np.asarray(layer.prior_logits), np.log(p / (1. - p)), rtol=1e-6)
    fixed = cls(prior_probs=0.3, **kwargs)
    fixed.build((None, 5))
    assert fixed.prior_logits is None
    np.testing.assert_allclose(np.asarray(fixed.prior_logits_value()), np.log(0.3 / 0.7),
                               rtol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_divergence_and_its_prior_gradient_in_closed_form(name):
    cls, kwargs, gate = CASES[name]
    layer = _built(cls, kwargs)
    a = np.array([-2., -0.5, 0., 0.8, 3.])
    layer.prior_logits.assign(a)
    x = _normal((4, 5), 56)
    d = layer.divergence(x)
    grad = _gradient(lambda: tf.reduce_mean(layer.divergence(x)), layer.prior_logits)
    q = gate(np.asarray(x).astype(np.float64), layer)
    np.testing.assert_allclose(np.asarray(d), _kl_to_learned_prior(q, a).sum(1), rtol=2e-5)
    # d KL / d a = sigmoid(a) - q, averaged over the batch.
    np.testing.assert_allclose(np.asarray(grad),
                               (_sigmoid(a) - q).mean(0), rtol=1e-4, atol=1e-6)


def test_training_the_prior_alone_reaches_the_mean_of_the_posteriors():
    # With the encoder fixed, the factorized prior that minimizes the mean KL
    # has P(b_j = 1) = the batch mean of q_j (the aggregate posterior's
    # marginals); a wrong gradient or sign would end elsewhere.
    layer = _built(rl.StraightThroughBernoulliLatent, {})
    x = _normal((64, 5), 78) * 2.
    optimizer = keras.optimizers.Adam(0.1)
    for _ in range(300):
        grad = _gradient(lambda: tf.reduce_mean(layer.divergence(x)), layer.prior_logits)
        optimizer.apply_gradients([(grad, layer.prior_logits)])
    np.testing.assert_allclose(_sigmoid(np.asarray(layer.prior_logits)),
                               _sigmoid(np.asarray(x)).mean(0), atol=1e-3)


def test_mc_divergence_scores_the_sample_under_the_learned_prior():
    # CorrelatedRelaxedBernoulliLatent(divergence='mc') adds
    # log q(z) - log p(z) with p the binary Concrete of the prior logits:
    # moving the prior logits changes it by exactly the prior's log-density
    # difference at the same sample.
    layer = _built(rl.CorrelatedRelaxedBernoulliLatent,
                   {"temperature": 0.7, "divergence": "mc"})
    x = _normal((4, 5), 12)
    seed = sub.seed(3, 4)
    d0 = np.asarray(layer.divergence(x, seed=seed))
    a = np.array([-1., 0.5, 2., 0., -3.], np.float32)
    before = np.asarray(layer.prior_logits)
    layer.prior_logits.assign(a)
    d1 = np.asarray(layer.divergence(x, seed=seed))
    z = np.asarray(layer._sample(layer.distribution(x), seed)).astype(np.float64)

    def log_concrete(z, logits, t=0.7):
        # Binary Concrete density (Maddison et al., 2017, eq. 23).
        return (np.log(t) + logits - (t + 1.) * (np.log(z) + np.log1p(-z))
                - 2. * np.logaddexp(logits - t * np.log(z), -t * np.log1p(-z)))

    expected = (log_concrete(z, before) - log_concrete(z, a)).sum(1)
    np.testing.assert_allclose(d1 - d0, expected, rtol=1e-3, atol=1e-3)


def test_keras_file_round_trip_keeps_the_learned_prior(tmp_path):
    inputs = keras.Input((5,))
    layer = rl.CorrelatedRelaxedBernoulliLatent(temperature=0.5, learn_prior=True, seed=2)
    model = keras.Model(inputs, layer(keras.layers.Dense(5)(inputs)))
    layer.prior_logits.assign([0.1, -0.2, 0.3, -0.4, 0.5])
    assert layer.get_config()["learn_prior"] is True
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path).layers[-1]
    assert loaded.learn_prior is True
    np.testing.assert_allclose(np.asarray(loaded.prior_logits), [0.1, -0.2, 0.3, -0.4, 0.5])
    x = _normal((3, 5), 11)
    np.testing.assert_allclose(np.asarray(loaded.divergence(x)), np.asarray(layer.divergence(x)))


def test_learn_prior_must_be_a_bool():
    with pytest.raises(ValueError,
                       match=r"Argument `learn_prior` must be True or False. "
                             r"Received: learn_prior='yes'"):
        rl.StraightThroughBernoulliLatent(learn_prior="yes")


def test_kl_from_logits_takes_exactly_one_prior():
    logits = tf.constant([-30., -1., 0., 2., 30.])
    np.testing.assert_allclose(
        np.asarray(bernoulli_kl_from_logits(logits, prior_logits=tf.math.log(0.3 / 0.7))),
        np.asarray(bernoulli_kl_from_logits(logits, 0.3)), rtol=1e-5, atol=1e-6)
    for kwargs in ({}, {"prior_probs": 0.5, "prior_logits": 0.}):
        with pytest.raises(ValueError, match="exactly one of `prior_probs` and `prior_logits`"):
            bernoulli_kl_from_logits(logits, **kwargs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_divergence_is_the_kl_of_the_discrete_law_to_the_prior_law(name):
    cls, kwargs, gate = CASES[name]
    for learn_prior in (False, True):
        layer = cls(learn_prior=learn_prior, prior_probs=0.3, **kwargs)
        x = _normal((4, 5), 23) * 3.
        dist = layer.distribution(x)
        law = (tfd.Bernoulli(logits=dist.logits) if "correlated" in name
               else dist.discrete_law())
        expected = tf.reduce_sum(tfd.kl_divergence(law, layer.prior_law()), axis=-1)
        np.testing.assert_allclose(np.asarray(layer.divergence(x)), np.asarray(expected), rtol=1e-6)
        q = gate(np.asarray(x).astype(np.float64), layer)
        np.testing.assert_allclose(np.asarray(law.probs_parameter()), q, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(CASES))
def test_divergence_is_finite_for_huge_and_infinite_inputs(name):
    """The closed-form KL is finite for any input: at |logits| ~ 17 a form
    through p = sigmoid(logits) gives 0 * log(0), and an infinite logit (an
    encoder that overflowed) gave NaN through inf - inf in the logits."""
    cls, kwargs, _ = CASES[name]
    x = np.array([[-np.inf, -1e4, -17., 17., np.inf]], np.float32)
    layer = cls(prior_probs=0.3, **kwargs)
    d = np.asarray(layer.divergence(x))
    assert np.all(np.isfinite(d)), d
    # Every gate is (nearly) certain, closed for negative inputs and open for
    # positive ones, so the KL is nearly the sum of -log P_prior of those
    # outcomes (the least certain gate, sqrt(sigmoid(-17)) = 2e-4 open for
    # stochastic_times_smooth, moves it by about 2e-3).
    expected = np.sum(np.where(x > 0., -np.log(0.3), -np.log(0.7)))
    np.testing.assert_allclose(d, [expected], rtol=1e-3)


def test_kl_from_logits_is_finite_for_infinite_logits():
    kl = np.asarray(bernoulli_kl_from_logits(tf.constant([-np.inf, np.inf]), prior_probs=0.3))
    np.testing.assert_allclose(kl, [-np.log(0.7), -np.log(0.3)], rtol=1e-6)
