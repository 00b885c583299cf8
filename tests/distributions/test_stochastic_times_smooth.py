"""Tests for relaxtfp.distributions.StochasticTimesSmooth."""

import numpy as np
import pytest
from scipy import special

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
tfd = sub.tfd
StochasticTimesSmooth = sub.rtd.StochasticTimesSmooth

NUM_SAMPLES = 400_000
FALSE_FAIL_RATE = 1e-6
# The frequency tests must detect an error of this size in a probability.
DETECTABLE_ERROR = 0.01


class TestStochasticTimesSmoothContract(DistributionContract):

    def make(self, dtype):
        return StochasticTimesSmooth(
            logits=tf.constant([[-1., 0., 1.5], [2., -0.3, 0.7]], dtype))

    def make_iid(self, n, dtype):
        return StochasticTimesSmooth(probs=tf.fill([n], tf.constant(0.3, dtype)))

    def extreme_cases(self, dtype):
        return [
            (lambda lg: StochasticTimesSmooth(logits=lg),
             [tf.constant([-50., -5., 0., 5., 50.], dtype)]),
            (lambda p: StochasticTimesSmooth(probs=p),
             [tf.constant([1e-30, 1e-6, 0.5, 1. - 1e-6], dtype)]),
        ]

    def parameters(self, dtype):
        return (lambda lg: StochasticTimesSmooth(logits=lg),
                [tf.constant([[-1., 0., 1.5], [2., -0.3, 0.7]], dtype)])


def sts_reference(p):
    """The two-point law in float64: atom location, log-masses, moments."""
    s = np.sqrt(p)
    return dict(atom=s, log_p_atom=np.log(s), log_p_zero=np.log1p(-s),
                mean=p, variance=p ** 1.5 - p ** 2)


# -- analytic values ----------------------------------------------------------


LOGITS = np.array([-12., -3., -0.5, 0., 0.3, 2., 6.])


@pytest.mark.parametrize("use_logits", [True, False])
def test_log_prob_and_moments_match_closed_form(use_logits):
    p = special.expit(LOGITS)
    kw = (dict(logits=tf.constant(LOGITS, tf.float64)) if use_logits
          else dict(probs=tf.constant(p, tf.float64)))
    d = StochasticTimesSmooth(**kw)
    ref = sts_reference(p)
    # log_prob is linear in the value with slope (log s - log(1 - s)) / s, so
    # an ulp of difference between numpy's and TensorFlow's sqrt(p) moves it
    # by ~1e-16 * |log(1 - s)|: the atol.
    np.testing.assert_allclose(d.log_prob(ref["atom"]), ref["log_p_atom"], rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(d.log_prob(np.zeros_like(p)), ref["log_p_zero"],
                               rtol=1e-9)
    np.testing.assert_allclose(d.mean(), ref["mean"], rtol=1e-12)
    np.testing.assert_allclose(d.variance(), ref["variance"], rtol=1e-9)
    s = ref["atom"]
    np.testing.assert_allclose(d.entropy(), -(s * np.log(s) + (1 - s) * np.log1p(-s)),
                               rtol=1e-9)
    np.testing.assert_allclose(d.mode(), np.where(s > 0.5, s, 0.), rtol=1e-15)
    # The two masses sum to one.
    np.testing.assert_allclose(np.exp(d.log_prob(ref["atom"])) +
                               np.exp(d.log_prob(np.zeros_like(p))), 1., rtol=1e-12)


def test_log_prob_of_zero_is_precise_for_large_logits():
    """log(1 - sqrt(sigmoid(l))) = log sigmoid(-l) - log1p(sqrt(sigmoid(l)));
    at l = 30 in float32 a direct log1p(-sqrt(p)) gives log(0) = -inf."""
    for dtype in ("float32", "float64"):
        d = StochasticTimesSmooth(logits=tf.constant([30., 50.], dtype))
        expected = -np.array([30., 50.]) - np.log(2.)
        np.testing.assert_allclose(d.log_prob([0., 0.]), expected, rtol=1e-6)
        np.testing.assert_allclose(d.variance(), np.exp(-np.array([30., 50.])) / 2.,
                                   rtol=1e-5)


@pytest.mark.parametrize("use_logits", [True, False])
def test_log_prob_is_linear_in_the_value(use_logits):
    """log_prob(x) = b log s + (1 - b) log(1 - s) with b = x / s: the
    Bernoulli(s) log-pmf of the gate, equal to the pmf on {0, s} and smooth
    in x (its x-derivative is (log s - log(1 - s)) / s), so that a
    StochasticTimesSmooth target passes a gradient to the samples scored."""
    p = np.array([0.04, 0.3, 0.81])
    kw = (dict(logits=tf.constant(special.logit(p), tf.float64)) if use_logits
          else dict(probs=tf.constant(p, tf.float64)))
    d = StochasticTimesSmooth(**kw)
    s = np.sqrt(p)
    x = tf.constant([0.5 * s[0], 1., -0.1], tf.float64)
    lp = d.log_prob(x)
    (grad,) = sub.gradients(lambda v: tf.reduce_sum(d.log_prob(v)), x)
    b = np.asarray(x) / s
    np.testing.assert_allclose(lp, b * np.log(s) + (1. - b) * np.log1p(-s), rtol=1e-12)
    np.testing.assert_allclose(grad, (np.log(s) - np.log1p(-s)) / s, rtol=1e-12)


def test_log_prob_of_samples_has_no_pathwise_term():
    """The atom moves with s and log_prob at it is log s whatever the
    extension, so d/dlogits log_prob(z(logits)) is the score of the gate
    alone, b d log s / dl + (1 - b) d log(1 - s) / dl, whose mean is zero.
    (Hence the entropy term of an ELBO gets no gradient from this class's
    samples; see the class docstring.)"""
    logits = tf.constant([-1., 0.5, 2.], tf.float64)

    def total(lg):
        d = StochasticTimesSmooth(logits=lg)
        return tf.reduce_sum(d.log_prob(d.sample(50, seed=(1, 2))))

    (grad,) = sub.gradients(total, logits)
    z = StochasticTimesSmooth(logits=logits).sample(50, seed=(1, 2))
    p = special.expit(np.asarray(logits))
    s = np.sqrt(p)
    gate = (np.asarray(z) > 0.).astype(np.float64)
    d_log_s = 0.5 * (1. - p)
    d_log_1ms = -p - 0.5 * s * (1. - p) / (1. + s)
    np.testing.assert_allclose(grad,
                               np.sum(gate * d_log_s + (1. - gate) * d_log_1ms, 0),
                               rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_boundary_probs_give_exact_values_and_finite_gradients(dtype):
    """probs 0 and 1 are point masses (at 0 and at 1); values are exact and
    the gradients of samples, log_prob, mean, variance and entropy finite
    (d sqrt(p) / dp is infinite at 0: they are taken just inside, see
    relaxtfp.internal.numerics.into_open_unit)."""
    probs = tf.constant([0., 1.], dtype)

    def quantities(p):
        d = StochasticTimesSmooth(probs=p)
        z = d.sample(50, seed=(1, 2))
        return dict(z=z, lp_sample=d.log_prob(z), lp_zero=d.log_prob(tf.zeros([2], dtype)),
                    entropy=d.entropy(), mean=d.mean(), variance=d.variance())

    def grad(name):
        return np.asarray(sub.gradients(
            lambda p: tf.reduce_sum(quantities(p)[name]), probs)[0])

    q = quantities(probs)
    d = StochasticTimesSmooth(probs=probs)
    np.testing.assert_array_equal(q["z"], np.tile([0., 1.], (50, 1)))
    np.testing.assert_array_equal(q["lp_sample"], np.zeros((50, 2)))
    np.testing.assert_array_equal(q["lp_zero"], [0., -np.inf])
    np.testing.assert_array_equal(d.log_prob(tf.constant([0.5, 0.5], dtype)),
                                  [-np.inf, -np.inf])
    np.testing.assert_array_equal(q["entropy"], [0., 0.])
    np.testing.assert_array_equal(q["variance"], [0., 0.])
    for name in q:
        assert np.all(np.isfinite(grad(name))), name
    # One-sided limits where finite: d mean / dp = 1, and at p = 1
    # d variance / dp = d (p^1.5 - p^2) / dp = 1.5 - 2.
    rtol = 1e-5 if dtype == "float32" else 1e-7
    np.testing.assert_allclose(grad("mean"), [1., 1.])
    variance_jac = sub.jacobian(lambda p: quantities(p)["variance"], probs)
    np.testing.assert_allclose(variance_jac[1, 1], -0.5, rtol=rtol)


def test_no_kl_divergence_is_registered():
    """Two laws with different p have their atoms at different points, so
    their KL divergence is +inf (and against a Bernoulli law on {0, 1} too);
    none is registered rather than a value of no use. The layer's divergence
    is that of the gate law, Bernoulli(sqrt(p))."""
    with pytest.raises(NotImplementedError, match="No KL"):
        tfd.kl_divergence(StochasticTimesSmooth(logits=0.), StochasticTimesSmooth(logits=1.))
    with pytest.raises(NotImplementedError, match="No KL"):
        tfd.kl_divergence(StochasticTimesSmooth(logits=0.), tfd.Bernoulli(logits=1.))


def test_log_prob_when_atom_underflows():
    """sqrt(p) = 0: both atoms are at 0, which has all the mass."""
    d = StochasticTimesSmooth(probs=tf.constant([0., 1.], tf.float64))
    np.testing.assert_array_equal(d.log_prob([0., 1.]), [0., 0.])
    np.testing.assert_array_equal(d.log_prob([1e-3, 0.]), [-np.inf, -np.inf])
    x = np.asarray(d.sample(100, seed=(1, 2)))
    np.testing.assert_array_equal(x, np.tile([0., 1.], (100, 1)))


# -- the sampler and log_prob describe one law --------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("use_logits", [True, False])
def test_samples_score_exactly(dtype, use_logits):
    """Sampled values are 0 or sqrt(p) bit for bit and score their masses."""
    p = np.array([0.01, 0.2, 0.5, 0.9])
    kw = (dict(logits=tf.constant(special.logit(p), dtype)) if use_logits
          else dict(probs=tf.constant(p, dtype)))
    d = StochasticTimesSmooth(**kw)
    x = np.asarray(d.sample(2000, seed=(3, 4)))
    atom = np.asarray(d._atom())
    assert np.all((x == 0.) | (x == atom))
    lp = np.asarray(d.log_prob(x))
    expected = np.where(x == 0., np.log1p(-np.sqrt(p)), 0.5 * np.log(p))
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(lp, expected, rtol=rtol)


def test_xla_samples_score_finite_eagerly():
    """XLA's sigmoid differs from the eager one by up to ~2 ulps; the 4-ulp
    tolerance keeps samples drawn under XLA in the support."""
    logits = tf.constant(np.random.default_rng(0).normal(0., 8., 5000), tf.float32)
    x = sub.xla(lambda: StochasticTimesSmooth(logits=logits).sample(20, seed=(5, 6)))()
    lp = np.asarray(StochasticTimesSmooth(logits=logits).log_prob(x))
    assert np.all(np.isfinite(lp))


def test_frequencies_match_log_prob(seed):
    """Frequencies of the atom sqrt(p) and of 0 against exp(log_prob).

    Hoeffding, union-bounded over the 4 parameters: false-failure rate
    FALSE_FAIL_RATE. Power: an error of DETECTABLE_ERROR >= 2 eps in a
    probability would be rejected with probability >= 1 - FALSE_FAIL_RATE.
    relaxit's `sample()` law (values {0, 1} with P(1) = p) differs by far
    more: P(z = 0) = 1 - p instead of 1 - sqrt(p).
    """
    p = np.array([0.01, 0.2, 0.5, 0.9])
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, num_tests=4)
    assert 2. * eps <= DETECTABLE_ERROR
    assert np.min(np.abs((1. - p) - (1. - np.sqrt(p)))) > 2. * eps
    d = StochasticTimesSmooth(probs=tf.constant(p, tf.float64))
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    atom = np.sqrt(p)
    assert np.all((x == 0.) | (x == atom))
    p_atom = np.exp(np.asarray(d.log_prob(atom)))
    for j in range(4):
        utils.assert_proportion_matches((x[:, j] == atom[j]).sum(), NUM_SAMPLES,
                                        p_atom[j], FALSE_FAIL_RATE, num_tests=4)


def test_sample_mean_and_variance(seed):
    d = StochasticTimesSmooth(logits=tf.constant([-2., 0.4, 3.], tf.float64))
    x = np.asarray(d.sample(100_000, seed=seed))
    mean = np.asarray(d.mean())
    utils.assert_mean_within_clt(x, mean, FALSE_FAIL_RATE)
    utils.assert_mean_within_clt((x - mean) ** 2, np.asarray(d.variance()), FALSE_FAIL_RATE)


# -- gradients -------------------------------------------------------------------


def test_pathwise_gradient_closed_form():
    """dz/dp = b / (2 sqrt(p)) and dz/dlogits = b sqrt(p) (1 - p) / 2 per
    sample, with b = 1[z > 0]: the gradient passes through sqrt(p) only."""
    p = np.array([0.05, 0.3, 0.6, 0.95])
    cases = (("probs", tf.constant(p, tf.float64), lambda b: b / (2. * np.sqrt(p))),
             ("logits", tf.constant(special.logit(p), tf.float64),
              lambda b: b * np.sqrt(p) * (1. - p) / 2.))
    for name, param, closed_form in cases:
        def sample(v, name=name):
            return StochasticTimesSmooth(**{name: v}).sample(9, seed=(7, 8))
        jac = np.asarray(sub.jacobian(sample, param))      # [9, 4, 4]
        b = (np.asarray(sample(param)) > 0.).astype(np.float64)
        assert 0. < b.mean() < 1.
        expected = np.einsum("ij,jk->ijk", closed_form(b), np.eye(4))
        np.testing.assert_allclose(jac, expected, rtol=1e-12, atol=0.)


def test_pathwise_gradient_is_biased_by_one_half(seed):
    """E[dz/dp] = E[b] / (2 sqrt(p)) = 1/2, while d E[z] / dp = 1.

    The STS estimator is biased; this measures the bias. CLT test of the
    mean per-sample gradient against the closed form 1/2 at false-failure
    rate FALSE_FAIL_RATE; the half-width is far below 1/2, so the test would
    reject the unbiased value 1.
    """
    n, p = 100_000, 0.3
    probs = tf.fill([n], tf.constant(p, tf.float64))
    (per_sample,) = sub.gradients(                  # dz_i / dp_i
        lambda q: tf.reduce_sum(StochasticTimesSmooth(probs=q).sample(seed=seed)), probs)
    per_sample = np.asarray(per_sample)
    utils.assert_mean_within_clt(per_sample, 0.5, FALSE_FAIL_RATE)
    half = utils.clt_halfwidth(per_sample.std(ddof=1), n, FALSE_FAIL_RATE)
    assert half < 0.05
    (g_mean,) = sub.gradients(
        lambda q: tf.reduce_sum(StochasticTimesSmooth(probs=q[:1]).mean()), probs)
    np.testing.assert_allclose(np.asarray(g_mean)[0], 1.)


def test_gradients_finite_at_zero_and_one_probs():
    """At p = 0 the gate never opens and d sqrt(p)/dp is infinite; the
    gradient of a closed gate must be 0, not 0 * inf = NaN."""
    probs = tf.constant([0., 1e-30, 1.], tf.float64)
    logits = tf.constant([-800., -100., 800.], tf.float64)
    for name, v in (("probs", probs), ("logits", logits)):
        def total(v, name=name):
            d = StochasticTimesSmooth(**{name: v})
            return tf.reduce_sum(d.sample(50, seed=(1, 2))) + tf.reduce_sum(d.mode())
        g = np.asarray(sub.gradients(total, v)[0])
        assert np.all(np.isfinite(g)), (name, g)


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("probs,message", [
    (1.5, "Argument `probs` must be in [0, 1]; it has components greater than 1."),
    (-0.1, "Argument `probs` must be in [0, 1]; it has components less than 0."),
])
def test_invalid_probs_raise(probs, message):
    with pytest.raises(sub.validation_error,
                       match=message.replace("[", r"\[").replace("]", r"\]")):
        StochasticTimesSmooth(probs=probs, validate_args=True)


@substrates.tensorflow_only("assigns to a tf.Variable parameter")
def test_invalid_variable_assignment_is_caught():
    probs = tf.Variable(0.5)
    d = StochasticTimesSmooth(probs=probs, validate_args=True)
    d.sample(seed=(1, 2))
    probs.assign(-0.5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`probs` must be in"):
        d.sample(seed=(1, 2))


def test_logits_and_probs_are_exclusive():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        StochasticTimesSmooth(logits=0., probs=0.5)


def test_log_prob_validates_support():
    d = StochasticTimesSmooth(logits=0., validate_args=True)
    with pytest.raises(sub.validation_error, match="Sample must be in"):
        d.log_prob(1.5)


# -- regressions for defects of the reference library, relaxit ----------------------


def test_regression_sample_has_one_law_and_log_prob_accepts_it():
    """relaxit's `sample()` drew Bernoulli(p) in {0, 1} while
    `rsample()` drew {0, sqrt(p)}, and `log_prob(rsample())` raised under
    validation. Here a sample drawn with or without a gradient tape is the
    same draw, takes values in {0, sqrt(p)}, and scores under validation."""
    logits = tf.constant([-1., 0.5, 2.], tf.float64)

    def sample(lg):
        return StochasticTimesSmooth(logits=lg, validate_args=True).sample(500, seed=(1, 2))

    d = StochasticTimesSmooth(logits=logits, validate_args=True)
    plain = d.sample(500, seed=(1, 2))
    taped, (grad,) = sub.value_and_gradient(sample, logits)
    assert grad is not None
    np.testing.assert_array_equal(plain, taped)
    x = np.asarray(plain)
    atom = np.sqrt(special.expit(np.asarray(logits)))
    assert np.all((x == 0.) | (np.abs(x - atom) <= 4e-16 * atom))
    assert np.any(x == 0.) and np.any(x > 0.) and not np.any(x == 1.)
    assert np.all(np.isfinite(np.asarray(d.log_prob(plain))))


def test_regression_variance_is_that_of_the_sampled_law():
    """relaxit inherited Bernoulli's variance p (1 - p); the law of
    z = sqrt(p) b has variance p^1.5 - p^2."""
    p = np.array([0.1, 0.5, 0.8])
    v = np.asarray(StochasticTimesSmooth(probs=tf.constant(p, tf.float64)).variance())
    np.testing.assert_allclose(v, p ** 1.5 - p ** 2, rtol=1e-12)
    assert np.all(np.abs(v - p * (1. - p)) > 0.04)


def test_regression_batch_can_be_expanded():
    """relaxit's Bernoulli subclasses could not `expand`."""
    d = StochasticTimesSmooth(logits=[-1., 0., 1.])
    wide = tfd.BatchBroadcast(d, [4, 3])
    x = wide.sample(2, seed=(1, 2))
    assert tuple(x.shape) == (2, 4, 3)
    assert np.all(np.isfinite(np.asarray(wide.log_prob(x))))


# -- discrete_law: the law of the gate b -------------------------------------------


def test_discrete_law_is_the_bernoulli_of_the_gate():
    for dtype in (np.float32, np.float64):
        d = StochasticTimesSmooth(logits=LOGITS.astype(dtype), validate_args=True)
        law = d.discrete_law()
        assert isinstance(law, tfd.Bernoulli)
        assert sub.dtype_name(law.dtype) == np.dtype(dtype).name and law.validate_args
        s = np.sqrt(special.expit(LOGITS))
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(law.probs_parameter(), s, rtol=rtol)
        np.testing.assert_allclose(law.logits_parameter(), np.log(s) - np.log1p(-s),
                                   rtol=rtol)


def test_discrete_law_is_finite_for_extreme_logits_and_exact_at_boundary_probs():
    law = StochasticTimesSmooth(logits=[-1e30, -200., 200., 1e30]).discrete_law()
    assert np.all(np.isfinite(law.logits_parameter()))
    probs = tf.constant([0., 0.25, 1.])

    def gate_probs(p):
        return StochasticTimesSmooth(probs=p).discrete_law().probs_parameter()

    np.testing.assert_array_equal(gate_probs(probs), [0., 0.5, 1.])
    (grad,) = sub.gradients(lambda p: tf.reduce_sum(gate_probs(p)), probs)
    assert np.all(np.isfinite(np.asarray(grad)))


def test_frequency_of_nonzero_values_matches_the_discrete_law():
    """Hoeffding, union-bounded over the logits, false-failure rate 1e-6; the
    error that matters, Bernoulli(p) instead of Bernoulli(sqrt(p)), is at
    least 0.016 away from every probability here."""
    logits = LOGITS[1:-1].astype(np.float32)
    d = StochasticTimesSmooth(logits=logits)
    s = np.asarray(d.discrete_law().probs_parameter()).astype(np.float64)
    n = NUM_SAMPLES
    eps = utils.hoeffding_epsilon(n, FALSE_FAIL_RATE, num_tests=logits.size)
    assert np.min(np.abs(s - special.expit(logits))) >= 2. * eps
    counts = np.sum(np.asarray(d.sample(n, seed=(8, 1))) != 0., axis=0)
    for count, prob in zip(counts, s):
        utils.assert_proportion_matches(count, n, prob, FALSE_FAIL_RATE,
                                        num_tests=logits.size)
