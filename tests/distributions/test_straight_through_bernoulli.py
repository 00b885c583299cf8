"""Tests for relaxtfp.distributions.StraightThroughBernoulli."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import special
from scipy import stats

from relaxtfp.distributions import StraightThroughBernoulli
from tests import utils
from tests.distributions.contract import DistributionContract

tfd = tfp.distributions

NUM_SAMPLES = 400_000
FALSE_FAIL_RATE = 1e-6
# The frequency tests must detect an error of this size in a probability.
DETECTABLE_ERROR = 0.01


class TestStraightThroughBernoulliContract(DistributionContract):

    def make(self, dtype):
        return StraightThroughBernoulli(
            logits=tf.constant([[-1., 0., 1.5], [2., -0.3, 0.7]], dtype))

    def make_iid(self, n, dtype):
        return StraightThroughBernoulli(probs=tf.fill([n], tf.constant(0.3, dtype)))

    def extreme_cases(self, dtype):
        logits = tf.Variable(tf.constant([-50., -5., 0., 5., 50.], dtype))
        probs = tf.Variable(tf.constant([1e-30, 1e-6, 0.5, 1. - 1e-6], dtype))
        return [(StraightThroughBernoulli(logits=logits), [logits]),
                (StraightThroughBernoulli(probs=probs), [probs])]

    def variables(self, dtype):
        logits = tf.Variable(tf.constant([[-1., 0., 1.5], [2., -0.3, 0.7]], dtype))
        return StraightThroughBernoulli(logits=logits), [logits]


# -- analytic values ----------------------------------------------------------


LOGITS = np.array([-30., -4., -0.5, 0., 0.3, 2., 17., 40.])


@pytest.mark.parametrize("use_logits", [True, False])
def test_log_prob_and_statistics_match_closed_forms(use_logits):
    """Against the exact values for the given parameter, in float64.

    From logits, log P(1) = log_expit(l) and log P(0) = log_expit(-l) exactly
    (scipy's `bernoulli(expit(l)).logpmf` rounds 1 - expit(40) to 0). From
    probs, the exact values for that probs are log(p) and log1p(-p).
    """
    p = special.expit(LOGITS)
    if use_logits:
        d = StraightThroughBernoulli(logits=tf.constant(LOGITS, tf.float64))
        log_p1, log_p0 = special.log_expit(LOGITS), special.log_expit(-LOGITS)
        var = special.expit(LOGITS) * special.expit(-LOGITS)
    else:
        d = StraightThroughBernoulli(probs=tf.constant(p, tf.float64))
        with np.errstate(divide="ignore"):
            log_p1, log_p0 = np.log(p), np.log1p(-p)
        var = p * (1. - p)
    np.testing.assert_allclose(d.log_prob(np.ones_like(p)), log_p1, rtol=1e-12)
    np.testing.assert_allclose(d.log_prob(np.zeros_like(p)), log_p0, rtol=1e-12)
    np.testing.assert_allclose(d.mean(), p, rtol=1e-12)
    np.testing.assert_allclose(d.variance(), var, rtol=1e-12)
    # H = -p log p - (1 - p) log(1 - p), with the logs kept exact (taking
    # log of a rounded 1 - 1e-13 would lose the term).
    entropy = -(np.exp(log_p1) * np.nan_to_num(log_p1, neginf=0.)
                + np.exp(log_p0) * np.nan_to_num(log_p0, neginf=0.))
    np.testing.assert_allclose(d.entropy(), entropy, rtol=1e-10, atol=1e-300)
    # Cross-check with scipy where p is not too close to 0 or 1.
    mid = np.abs(LOGITS) < 5.
    np.testing.assert_allclose(d.entropy().numpy()[mid],
                               stats.bernoulli(p[mid]).entropy(), rtol=1e-12)
    np.testing.assert_array_equal(d.mode(), (LOGITS > 0).astype(np.float64))


def test_log_prob_precise_for_large_logits_in_float32():
    """log P(0) at logits 50 is -50, not log(1 - 1.) = -inf."""
    d = StraightThroughBernoulli(logits=tf.constant([-50., 50.], tf.float32))
    np.testing.assert_allclose(d.log_prob([1., 0.]), [-50., -50.], rtol=1e-6)
    np.testing.assert_allclose(d.log_prob([0., 1.]), [-np.exp(-50.)] * 2, rtol=1e-5)


def test_log_prob_is_linear_in_the_value():
    """Off {0, 1}, log_prob is x log p + (1 - x) log(1 - p), as for
    tfd.Bernoulli, and its derivative in x is the logit: an ELBO estimated
    with straight-through samples gets a gradient through log q(z)."""
    logits = 0.3
    d = StraightThroughBernoulli(logits=tf.constant(logits, tf.float64))
    x = tf.constant([0.5, -1., 2., 1e-7, 1. - 1e-7], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        lp = d.log_prob(x)
    expected = x.numpy() * special.log_expit(logits) + (1. - x.numpy()) * special.log_expit(-logits)
    np.testing.assert_allclose(lp, expected, rtol=1e-12)
    np.testing.assert_allclose(
        lp, tfd.Bernoulli(logits=tf.constant(logits, tf.float64), dtype=tf.float64).log_prob(x),
        rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(lp, x), np.full(5, logits), rtol=1e-12)


def test_log_prob_from_probs_is_linear_in_the_value():
    probs = tf.constant([0.2, 0.9], tf.float64)
    x = tf.constant([0.25, 1.5], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        lp = StraightThroughBernoulli(probs=probs).log_prob(x)
    p = probs.numpy()
    np.testing.assert_allclose(lp, x.numpy() * np.log(p) + (1. - x.numpy()) * np.log1p(-p),
                               rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(lp, x), special.logit(p), rtol=1e-12)


def test_probs_and_logits_parameterizations_agree():
    a = StraightThroughBernoulli(logits=tf.constant(0.4, tf.float64))
    b = StraightThroughBernoulli(probs=tf.constant(special.expit(0.4), tf.float64))
    np.testing.assert_allclose(a.log_prob([0., 1.]), b.log_prob([0., 1.]), rtol=1e-12)
    np.testing.assert_allclose(b.logits_parameter(), 0.4, rtol=1e-12)
    np.testing.assert_allclose(a.probs_parameter(), special.expit(0.4), rtol=1e-12)
    np.testing.assert_array_equal(a.sample(100, seed=(1, 2)),
                                  b.sample(100, seed=(1, 2)))


# -- forward values are exactly 0 and 1 ------------------------------------------


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_forward_values_are_exactly_zero_or_one(dtype, mode):
    probs = tf.constant(np.linspace(0.001, 0.999, 97), dtype)

    def run():
        return StraightThroughBernoulli(probs=probs).sample(2000, seed=(3, 4))

    x = (run() if mode == "eager" else tf.function(run, jit_compile=True)()).numpy()
    assert set(np.unique(x)) == {0., 1.}


def test_naive_ordering_of_the_identity_is_not_exact():
    """Shows that the exactness test above can fail: `(b + p) - p`, the
    left-to-right reading of `b + p - stop_gradient(p)`, rounds `1 + p - p`
    away from 1 for some p in float32; `b + (p - stop_gradient(p))` does not."""
    probs = tf.constant(np.linspace(0.001, 0.999, 97), tf.float32)
    ones = tf.ones([97], tf.float32)
    naive = ((ones + probs) - probs).numpy()
    assert np.sum(naive != 1.) > 10
    assert np.all((ones + (probs - probs)).numpy() == 1.)


# -- gradients -------------------------------------------------------------------


def test_gradient_wrt_logits_is_sigmoid_derivative():
    """dz/dlogits = p (1 - p) for every sample, whatever its value."""
    logits = tf.Variable(tf.constant([-3., -0.5, 0., 1., 4.], tf.float64))
    with tf.GradientTape() as tape:
        z = StraightThroughBernoulli(logits=logits).sample(7, seed=(5, 6))
    jac = tape.jacobian(z, logits).numpy()         # [7, 5, 5]
    p = special.expit(logits.numpy())
    expected = np.broadcast_to(np.diag(p * (1. - p)), jac.shape)
    np.testing.assert_allclose(jac, expected, rtol=1e-14, atol=0.)


def test_gradient_wrt_probs_is_one():
    probs = tf.Variable(tf.constant([0.1, 0.5, 0.9], tf.float64))
    with tf.GradientTape() as tape:
        z = StraightThroughBernoulli(probs=probs).sample(11, seed=(5, 6))
        total = tf.reduce_sum(z)
    np.testing.assert_array_equal(tape.gradient(total, probs), [11., 11., 11.])


def test_gradient_under_xla_matches_eager():
    logits = tf.Variable(tf.constant([-1., 0.5, 2.], tf.float32))

    def run():
        with tf.GradientTape() as tape:
            z = StraightThroughBernoulli(logits=logits).sample(50, seed=(1, 2))
            loss = tf.reduce_sum(tf.square(z - 0.25))
        return z, tape.gradient(loss, logits)

    z0, g0 = run()
    z1, g1 = tf.function(run, jit_compile=True)()
    np.testing.assert_array_equal(z0, z1)
    np.testing.assert_allclose(g0, g1, rtol=1e-6)
    p = special.expit(logits.numpy())
    np.testing.assert_allclose(g0, np.sum(2. * (z0.numpy() - 0.25), 0) * p * (1 - p),
                               rtol=1e-5)


def test_gradient_of_log_prob_matches_closed_form():
    logits = tf.Variable(tf.constant([-1., 0.5], tf.float64))
    with tf.GradientTape() as tape:
        lp = StraightThroughBernoulli(logits=logits).log_prob([[1., 0.]])
    g = tape.jacobian(lp, logits).numpy()[0]
    p = special.expit(logits.numpy())
    # d log p / dl = 1 - p;  d log (1 - p) / dl = -p.
    np.testing.assert_allclose(np.diag(g), [1. - p[0], -p[1]], rtol=1e-12)


# -- probabilities exactly 0 and 1 --------------------------------------------------


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_boundary_probs_give_exact_values_and_finite_gradients(dtype):
    """probs 0 and 1 are valid; tfd.Bernoulli gives NaN gradients there.

    Values are exact. Gradients are the one-sided limits where those are
    finite (d log(1 - p)/dp = -1 at 0, d log p/dp = 1 at 1, d mean/dp = 1),
    and the derivative at a point just inside where the limit is infinite:
    d entropy/dp = log((1 - p) / p) at p = sqrt(tiny) (for 0) and at
    p = 1 - eps/2 (for 1).
    """
    np_dtype = dtype.as_numpy_dtype
    low = np.sqrt(np.finfo(np_dtype).tiny)
    top = np.nextafter(np_dtype(1.), np_dtype(0.))
    probs = tf.Variable(tf.constant([0., 1.], dtype))
    target = tfd.Bernoulli(probs=tf.constant(0.3, dtype))
    with tf.GradientTape(persistent=True) as tape:
        d = StraightThroughBernoulli(probs=probs)
        x = d.sample(50, seed=(1, 2))
        lp_sample = d.log_prob(x)
        lp_zero = d.log_prob(tf.zeros([2], dtype))
        lp_one = d.log_prob(tf.ones([2], dtype))
        entropy = d.entropy()
        mean, variance = d.mean(), d.variance()
        kl = tfd.kl_divergence(d, target)
    np.testing.assert_array_equal(x, np.tile([0., 1.], (50, 1)))
    np.testing.assert_array_equal(lp_sample, np.zeros((50, 2)))
    np.testing.assert_array_equal(lp_zero, [0., -np.inf])
    np.testing.assert_array_equal(lp_one, [-np.inf, 0.])
    np.testing.assert_array_equal(entropy, [0., 0.])
    np.testing.assert_array_equal(variance, [0., 0.])
    np.testing.assert_allclose(kl, [-np.log(0.7), -np.log(0.3)], rtol=1e-6)
    # Off the support, a point mass gives -inf (no linear extension).
    np.testing.assert_array_equal(d.log_prob(tf.constant([-0.5, 2.], dtype)),
                                  [-np.inf, -np.inf])
    for value in (x, lp_sample, lp_zero, lp_one, entropy, mean, variance, kl):
        grad = tape.gradient(value, probs)
        assert grad is not None
        assert np.all(np.isfinite(grad.numpy())), value
    rtol = 1e-5 if dtype == tf.float32 else 1e-10
    np.testing.assert_allclose(tape.jacobian(lp_zero, probs)[0, 0], -1., rtol=rtol)
    np.testing.assert_allclose(tape.jacobian(lp_one, probs)[1, 1], 1., rtol=rtol)
    np.testing.assert_allclose(tape.gradient(mean, probs), [1., 1.], rtol=rtol)
    np.testing.assert_allclose(tape.gradient(variance, probs), [1., -1.], rtol=rtol)
    np.testing.assert_allclose(
        tape.jacobian(entropy, probs).numpy().diagonal(),
        [np.log1p(-low) - np.log(low), np.log1p(-top) - np.log(top)], rtol=rtol)
    # Samples at p = 0 are all 0: d log_prob(x)/dp = logit(sqrt(tiny))
    # (through the straight-through x) - 1 (through p).
    np.testing.assert_allclose(tape.jacobian(lp_sample, probs).numpy()[:, 0, 0],
                               np.log(low) - np.log1p(-low) - 1., rtol=rtol)
    del tape


def test_probs_in_the_interior_keep_exact_gradients():
    """The boundary handling changes nothing inside (0, 1), down to tiny."""
    probs = tf.Variable(tf.constant([1e-30, 0.3, 1. - 1e-12], tf.float64))
    with tf.GradientTape(persistent=True) as tape:
        d = StraightThroughBernoulli(probs=probs)
        entropy = d.entropy()
        lp = d.log_prob(tf.constant([1., 0., 0.], tf.float64))
    p = probs.numpy()
    np.testing.assert_allclose(tape.gradient(entropy, probs), np.log1p(-p) - np.log(p),
                               rtol=1e-10)
    np.testing.assert_allclose(tape.gradient(lp, probs), [1. / p[0], -1. / (1. - p[1]),
                                                          -1. / (1. - p[2])], rtol=1e-10)
    del tape


# -- KL divergence -------------------------------------------------------------------


def _bernoulli_kl_exact(p, q):
    """sum over {0, 1} of P(o) log(P(o) / Q(o)), 0 log 0 = 0, in float64."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = [np.where(a == 0., 0., a * (np.log(a) - np.log(b)))
                 for a, b in ((p, q), (1. - p, 1. - q))]
    return terms[0] + terms[1]


PROBS_A = np.array([0.3, 0.3, 1e-3, 0.999, 0., 1., 0., 0.5, 0.])
PROBS_B = np.array([0.3, 0.8, 0.6, 0.01, 0.4, 0.7, 0., 0., 1.])


@pytest.mark.parametrize("pair", ["self", "st_vs_bernoulli", "bernoulli_vs_st"])
def test_kl_divergence_is_the_bernoulli_one(pair):
    """Against the exact sum, boundary probabilities included (+inf where b
    excludes an outcome a allows), and against tfd.Bernoulli's closed form
    inside (0, 1)."""
    st = lambda p: StraightThroughBernoulli(probs=tf.constant(p, tf.float64))  # noqa: E731
    bern = lambda p: tfd.Bernoulli(probs=tf.constant(p, tf.float64))  # noqa: E731
    make_a, make_b = {"self": (st, st), "st_vs_bernoulli": (st, bern),
                      "bernoulli_vs_st": (bern, st)}[pair]
    kl = tfd.kl_divergence(make_a(PROBS_A), make_b(PROBS_B)).numpy()
    np.testing.assert_allclose(kl, _bernoulli_kl_exact(PROBS_A, PROBS_B), rtol=1e-12,
                               atol=1e-15)
    interior = slice(0, 4)
    np.testing.assert_allclose(
        kl[interior],
        tfd.kl_divergence(bern(PROBS_A[interior]), bern(PROBS_B[interior])), rtol=1e-12)


def test_kl_divergence_from_logits_and_its_gradients():
    a_logits = tf.Variable(tf.constant([-40., -2., 0.5, 30.], tf.float32))
    b_logits = tf.Variable(tf.constant([3., -1., 0.5, -30.], tf.float32))
    with tf.GradientTape() as tape:
        kl = tfd.kl_divergence(StraightThroughBernoulli(logits=a_logits),
                               StraightThroughBernoulli(logits=b_logits))
    expected = tfd.kl_divergence(tfd.Bernoulli(logits=a_logits), tfd.Bernoulli(logits=b_logits))
    np.testing.assert_allclose(kl, expected, rtol=1e-5)
    for g in tape.gradient(kl, [a_logits, b_logits]):
        assert np.all(np.isfinite(g.numpy()))


def test_kl_divergence_gradients_finite_at_boundary_probs():
    a = tf.Variable(tf.constant([0., 1., 0., 0.4], tf.float32))
    b = tf.Variable(tf.constant([0.5, 0.5, 0., 1.], tf.float32))
    with tf.GradientTape() as tape:
        kl = tfd.kl_divergence(StraightThroughBernoulli(probs=a),
                               StraightThroughBernoulli(probs=b))
    np.testing.assert_allclose(kl[:3], [np.log(2.), np.log(2.), 0.], rtol=1e-6)
    assert kl[3] == np.inf
    for g in tape.gradient(kl, [a, b]):
        assert np.all(np.isfinite(g.numpy()))


def test_kl_divergence_mixed_dtypes_raise():
    with pytest.raises(TypeError, match="one dtype; got StraightThroughBernoulli with "
                       "float64 and Bernoulli with float32"):
        tfd.kl_divergence(StraightThroughBernoulli(probs=tf.constant(0.5, tf.float64)),
                          tfd.Bernoulli(probs=0.5))


def test_kl_divergence_matches_monte_carlo(seed):
    """E_a[log a(x) - log b(x)] over samples of a, within the CLT band at
    false-failure rate FALSE_FAIL_RATE. Power: the band is narrower than half
    the gap to the reverse divergence KL(b || a), the likely mix-up."""
    n = 100_000
    a = StraightThroughBernoulli(logits=tf.constant([-1., 0.5, 2.], tf.float64))
    b = StraightThroughBernoulli(probs=tf.constant([0.05, 0.1, 0.5], tf.float64))
    x = a.sample(n, seed=seed)
    log_ratio = (a.log_prob(x) - b.log_prob(x)).numpy()
    kl = tfd.kl_divergence(a, b).numpy()
    half = utils.clt_halfwidth(log_ratio.std(axis=0, ddof=1), n, FALSE_FAIL_RATE / 3)
    assert np.all(2. * half < np.abs(kl - tfd.kl_divergence(b, a).numpy()))
    utils.assert_mean_within_clt(log_ratio, kl, FALSE_FAIL_RATE)


# -- statistics ------------------------------------------------------------------


def test_frequencies_match_log_prob(seed):
    """Frequencies of 1 and of 0 against exp(log_prob), per element.

    Hoeffding, union-bounded over the 5 probabilities: false-failure rate
    FALSE_FAIL_RATE. Power: a sampler whose probability of a 1 is off by
    DETECTABLE_ERROR >= 2 eps would leave the band with probability at least
    1 - FALSE_FAIL_RATE (Hoeffding again), which the first assert shows.
    """
    probs = np.array([0.003, 0.2, 0.5, 0.77, 0.999])
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, num_tests=5)
    assert 2. * eps <= DETECTABLE_ERROR
    d = StraightThroughBernoulli(probs=tf.constant(probs, tf.float64))
    x = d.sample(NUM_SAMPLES, seed=seed).numpy()
    p1 = np.exp(d.log_prob(np.ones(5)).numpy())
    p0 = np.exp(d.log_prob(np.zeros(5)).numpy())
    np.testing.assert_allclose(p0 + p1, 1., rtol=1e-12)
    assert np.all((x == 0.) | (x == 1.))
    for j in range(5):
        utils.assert_proportion_matches((x[:, j] == 1.).sum(), NUM_SAMPLES, p1[j],
                                        FALSE_FAIL_RATE, num_tests=5)


def test_sample_mean_and_variance(seed):
    d = StraightThroughBernoulli(logits=tf.constant([-2., 0.4, 3.], tf.float64))
    x = d.sample(100_000, seed=seed).numpy()
    utils.assert_mean_within_clt(x, d.mean().numpy(), FALSE_FAIL_RATE)
    utils.assert_mean_within_clt((x - d.mean().numpy()) ** 2, d.variance().numpy(),
                                 FALSE_FAIL_RATE)


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("probs,message", [
    (1.5, "Argument `probs` must be in [0, 1]; it has components greater than 1."),
    (-0.1, "Argument `probs` must be in [0, 1]; it has components less than 0."),
])
def test_invalid_probs_raise(probs, message):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=message.replace("[", r"\[").replace("]", r"\]")):
        StraightThroughBernoulli(probs=probs, validate_args=True)


def test_invalid_variable_assignment_is_caught():
    probs = tf.Variable(0.5)
    d = StraightThroughBernoulli(probs=probs, validate_args=True)
    d.sample(seed=(1, 2))
    probs.assign(1.5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`probs` must be in"):
        d.sample(seed=(1, 2))


def test_logits_and_probs_are_exclusive():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        StraightThroughBernoulli(logits=0., probs=0.5)
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        StraightThroughBernoulli()


def test_log_prob_validates_support():
    d = StraightThroughBernoulli(logits=0., validate_args=True)
    d.log_prob([0., 1.])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Sample must be 0 or 1."):
        d.log_prob(0.5)


# -- regressions for defects of the reference library, relaxit ----------------------


def test_regression_gradient_is_sigmoid_adjusted_and_value_exact():
    """relaxit's rsample is b + p - stopgrad(p): the gradient w.r.t.
    logits is sigma'(logits) (not 1), and the value must be exactly 0/1 -
    which its left-to-right sum does not guarantee in float32."""
    logits = tf.Variable(tf.constant(np.linspace(-3., 3., 61), tf.float32))
    with tf.GradientTape() as tape:
        z = StraightThroughBernoulli(logits=logits).sample(seed=(9, 9))
    g = tape.gradient(z, logits).numpy()
    p = special.expit(logits.numpy().astype(np.float64))
    np.testing.assert_allclose(g, p * (1 - p), rtol=1e-6)
    assert not np.allclose(g, 1.)
    assert set(np.unique(z.numpy())) <= {0., 1.}


def test_regression_batch_can_be_expanded():
    """relaxit's Bernoulli subclasses could not `expand`. Here the
    batch broadcasts (`tfd.BatchBroadcast`), slices and wraps in
    `tfd.Independent`."""
    d = StraightThroughBernoulli(logits=[-1., 0., 1.])
    wide = tfd.BatchBroadcast(d, [4, 3])
    x = wide.sample(2, seed=(1, 2))
    assert tuple(x.shape) == (2, 4, 3)
    assert tuple(wide.log_prob(x).shape) == (2, 4, 3)
    ind = tfd.Independent(d, 1)
    assert tuple(ind.log_prob(ind.sample(5, seed=(1, 2))).shape) == (5,)
    assert tuple(d[1:].sample(4, seed=(1, 2)).shape) == (4, 2)


def test_regression_float64_is_kept():
    """relaxit forced float32 in several classes."""
    d = StraightThroughBernoulli(logits=tf.constant(0.5, tf.float64))
    assert d.sample(seed=(1, 2)).dtype == tf.float64
    assert d.mean().dtype == tf.float64


# -- discrete_law ---------------------------------------------------------------------


def test_discrete_law_is_the_forward_bernoulli():
    d = StraightThroughBernoulli(logits=LOGITS, validate_args=True)
    law = d.discrete_law()
    assert isinstance(law, tfd.Bernoulli)
    assert law.dtype == tf.float64 and law.validate_args
    np.testing.assert_array_equal(law.logits_parameter(), LOGITS)
    x = np.array([0., 1.])[:, np.newaxis] * np.ones_like(LOGITS)
    np.testing.assert_allclose(law.log_prob(x), d.log_prob(x), rtol=1e-12)
    probs = np.array([0., 0.3, 1.], np.float32)
    law = StraightThroughBernoulli(probs=probs).discrete_law()
    np.testing.assert_array_equal(law.probs_parameter(), probs)
    np.testing.assert_array_equal(law.log_prob([0., 0., 1.]).numpy()[[0, 2]], [0., 0.])


def test_discrete_law_docstring_example_runs():
    """The method is inherited from the forward-law mixin, whose docstring
    example the per-class docstring test does not collect."""
    import inspect
    import re

    doc = inspect.getdoc(StraightThroughBernoulli.discrete_law)
    (code,) = re.findall(r"```python\n(.*?)```", doc, re.DOTALL)
    exec(compile(code, "<discrete_law example>", "exec"), {})
