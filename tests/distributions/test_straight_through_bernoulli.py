"""Tests for relaxtfp.distributions.StraightThroughBernoulli."""

import numpy as np
import pytest
from scipy import special
from scipy import stats

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
tfd = sub.tfd
StraightThroughBernoulli = sub.rtd.StraightThroughBernoulli

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
        return [
            (lambda lg: StraightThroughBernoulli(logits=lg),
             [tf.constant([-50., -5., 0., 5., 50.], dtype)]),
            (lambda p: StraightThroughBernoulli(probs=p),
             [tf.constant([1e-30, 1e-6, 0.5, 1. - 1e-6], dtype)]),
        ]

    def parameters(self, dtype):
        return (lambda lg: StraightThroughBernoulli(logits=lg),
                [tf.constant([[-1., 0., 1.5], [2., -0.3, 0.7]], dtype)])


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
    np.testing.assert_allclose(np.asarray(d.entropy())[mid],
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
    lp = d.log_prob(x)
    x_np = np.asarray(x)
    expected = x_np * special.log_expit(logits) + (1. - x_np) * special.log_expit(-logits)
    np.testing.assert_allclose(lp, expected, rtol=1e-12)
    np.testing.assert_allclose(
        lp, tfd.Bernoulli(logits=tf.constant(logits, tf.float64), dtype=tf.float64).log_prob(x),
        rtol=1e-12)
    (grad,) = sub.gradients(lambda v: tf.reduce_sum(d.log_prob(v)), x)
    np.testing.assert_allclose(grad, np.full(5, logits), rtol=1e-12)


def test_log_prob_from_probs_is_linear_in_the_value():
    probs = tf.constant([0.2, 0.9], tf.float64)
    x = tf.constant([0.25, 1.5], tf.float64)
    d = StraightThroughBernoulli(probs=probs)
    lp = d.log_prob(x)
    p, x_np = np.asarray(probs), np.asarray(x)
    np.testing.assert_allclose(lp, x_np * np.log(p) + (1. - x_np) * np.log1p(-p),
                               rtol=1e-12)
    (grad,) = sub.gradients(lambda v: tf.reduce_sum(d.log_prob(v)), x)
    np.testing.assert_allclose(grad, special.logit(p), rtol=1e-12)


def test_probs_and_logits_parameterizations_agree():
    a = StraightThroughBernoulli(logits=tf.constant(0.4, tf.float64))
    b = StraightThroughBernoulli(probs=tf.constant(special.expit(0.4), tf.float64))
    np.testing.assert_allclose(a.log_prob([0., 1.]), b.log_prob([0., 1.]), rtol=1e-12)
    np.testing.assert_allclose(b.logits_parameter(), 0.4, rtol=1e-12)
    np.testing.assert_allclose(a.probs_parameter(), special.expit(0.4), rtol=1e-12)
    np.testing.assert_array_equal(a.sample(100, seed=(1, 2)),
                                  b.sample(100, seed=(1, 2)))


# -- forward values are exactly 0 and 1 ------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_forward_values_are_exactly_zero_or_one(dtype, mode):
    probs = tf.constant(np.linspace(0.001, 0.999, 97), dtype)

    def run():
        return StraightThroughBernoulli(probs=probs).sample(2000, seed=(3, 4))

    x = np.asarray(run() if mode == "eager" else sub.xla(run)())
    assert set(np.unique(x)) == {0., 1.}


def test_naive_ordering_of_the_identity_is_not_exact():
    """Shows that the exactness test above can fail: `(b + p) - p`, the
    left-to-right reading of `b + p - stop_gradient(p)`, rounds `1 + p - p`
    away from 1 for some p in float32; `b + (p - stop_gradient(p))` does not."""
    probs = tf.constant(np.linspace(0.001, 0.999, 97), tf.float32)
    ones = tf.ones([97], tf.float32)
    naive = np.asarray((ones + probs) - probs)
    assert np.sum(naive != 1.) > 10
    assert np.all(np.asarray(ones + (probs - probs)) == 1.)


# -- gradients -------------------------------------------------------------------


def test_gradient_wrt_logits_is_sigmoid_derivative():
    """dz/dlogits = p (1 - p) for every sample, whatever its value."""
    logits = tf.constant([-3., -0.5, 0., 1., 4.], tf.float64)
    jac = np.asarray(sub.jacobian(                 # [7, 5, 5]
        lambda lg: StraightThroughBernoulli(logits=lg).sample(7, seed=(5, 6)), logits))
    p = special.expit(np.asarray(logits))
    expected = np.broadcast_to(np.diag(p * (1. - p)), jac.shape)
    np.testing.assert_allclose(jac, expected, rtol=1e-14, atol=0.)


def test_gradient_wrt_probs_is_one():
    probs = tf.constant([0.1, 0.5, 0.9], tf.float64)
    (grad,) = sub.gradients(
        lambda p: tf.reduce_sum(StraightThroughBernoulli(probs=p).sample(11, seed=(5, 6))),
        probs)
    np.testing.assert_array_equal(grad, [11., 11., 11.])


def test_gradient_under_xla_matches_eager():
    logits = tf.constant([-1., 0.5, 2.], tf.float32)

    def run(lg):
        def loss(lg):
            z = StraightThroughBernoulli(logits=lg).sample(50, seed=(1, 2))
            return tf.reduce_sum(tf.square(z - 0.25))
        z = StraightThroughBernoulli(logits=lg).sample(50, seed=(1, 2))
        return z, sub.gradients(loss, lg)[0]

    z0, g0 = run(logits)
    z1, g1 = sub.xla(run)(logits)
    np.testing.assert_array_equal(z0, z1)
    np.testing.assert_allclose(g0, g1, rtol=1e-6)
    p = special.expit(np.asarray(logits))
    np.testing.assert_allclose(g0, np.sum(2. * (np.asarray(z0) - 0.25), 0) * p * (1 - p),
                               rtol=1e-5)


def test_gradient_of_log_prob_matches_closed_form():
    logits = tf.constant([-1., 0.5], tf.float64)
    g = np.asarray(sub.jacobian(
        lambda lg: StraightThroughBernoulli(logits=lg).log_prob([[1., 0.]]), logits))[0]
    p = special.expit(np.asarray(logits))
    # d log p / dl = 1 - p;  d log (1 - p) / dl = -p.
    np.testing.assert_allclose(np.diag(g), [1. - p[0], -p[1]], rtol=1e-12)


# -- probabilities exactly 0 and 1 --------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_boundary_probs_give_exact_values_and_finite_gradients(dtype):
    """probs 0 and 1 are valid; tfd.Bernoulli gives NaN gradients there.

    Values are exact. Gradients are the one-sided limits where those are
    finite (d log(1 - p)/dp = -1 at 0, d log p/dp = 1 at 1, d mean/dp = 1),
    and the derivative at a point just inside where the limit is infinite:
    d entropy/dp = log((1 - p) / p) at p = sqrt(tiny) (for 0) and at
    p = 1 - eps/2 (for 1).
    """
    np_dtype = np.dtype(dtype).type
    low = np.sqrt(np.finfo(np_dtype).tiny)
    top = np.nextafter(np_dtype(1.), np_dtype(0.))
    probs = tf.constant([0., 1.], dtype)
    target = tfd.Bernoulli(probs=tf.constant(0.3, dtype))

    def quantities(p):
        d = StraightThroughBernoulli(probs=p)
        x = d.sample(50, seed=(1, 2))
        return dict(
            x=x, lp_sample=d.log_prob(x), lp_zero=d.log_prob(tf.zeros([2], dtype)),
            lp_one=d.log_prob(tf.ones([2], dtype)), entropy=d.entropy(), mean=d.mean(),
            variance=d.variance(), kl=tfd.kl_divergence(d, target))

    def grad(name):
        return np.asarray(sub.gradients(
            lambda p: tf.reduce_sum(quantities(p)[name]), probs)[0])

    def jac(name):
        return np.asarray(sub.jacobian(lambda p: quantities(p)[name], probs))

    q = quantities(probs)
    np.testing.assert_array_equal(q["x"], np.tile([0., 1.], (50, 1)))
    np.testing.assert_array_equal(q["lp_sample"], np.zeros((50, 2)))
    np.testing.assert_array_equal(q["lp_zero"], [0., -np.inf])
    np.testing.assert_array_equal(q["lp_one"], [-np.inf, 0.])
    np.testing.assert_array_equal(q["entropy"], [0., 0.])
    np.testing.assert_array_equal(q["variance"], [0., 0.])
    np.testing.assert_allclose(q["kl"], [-np.log(0.7), -np.log(0.3)], rtol=1e-6)
    # Off the support, a point mass gives -inf (no linear extension).
    d = StraightThroughBernoulli(probs=probs)
    np.testing.assert_array_equal(d.log_prob(tf.constant([-0.5, 2.], dtype)),
                                  [-np.inf, -np.inf])
    for name in q:
        assert np.all(np.isfinite(grad(name))), name
    rtol = 1e-5 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(jac("lp_zero")[0, 0], -1., rtol=rtol)
    np.testing.assert_allclose(jac("lp_one")[1, 1], 1., rtol=rtol)
    np.testing.assert_allclose(grad("mean"), [1., 1.], rtol=rtol)
    np.testing.assert_allclose(grad("variance"), [1., -1.], rtol=rtol)
    np.testing.assert_allclose(
        jac("entropy").diagonal(),
        [np.log1p(-low) - np.log(low), np.log1p(-top) - np.log(top)], rtol=rtol)
    # Samples at p = 0 are all 0: d log_prob(x)/dp = logit(sqrt(tiny))
    # (through the straight-through x) - 1 (through p).
    np.testing.assert_allclose(jac("lp_sample")[:, 0, 0],
                               np.log(low) - np.log1p(-low) - 1., rtol=rtol)


def test_probs_in_the_interior_keep_exact_gradients():
    """The boundary handling changes nothing inside (0, 1), down to tiny."""
    probs = tf.constant([1e-30, 0.3, 1. - 1e-12], tf.float64)
    x = tf.constant([1., 0., 0.], tf.float64)
    (g_entropy,) = sub.gradients(
        lambda p: tf.reduce_sum(StraightThroughBernoulli(probs=p).entropy()), probs)
    (g_lp,) = sub.gradients(
        lambda p: tf.reduce_sum(StraightThroughBernoulli(probs=p).log_prob(x)), probs)
    p = np.asarray(probs)
    np.testing.assert_allclose(g_entropy, np.log1p(-p) - np.log(p), rtol=1e-10)
    np.testing.assert_allclose(g_lp, [1. / p[0], -1. / (1. - p[1]), -1. / (1. - p[2])],
                               rtol=1e-10)


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
    kl = np.asarray(tfd.kl_divergence(make_a(PROBS_A), make_b(PROBS_B)))
    np.testing.assert_allclose(kl, _bernoulli_kl_exact(PROBS_A, PROBS_B), rtol=1e-12,
                               atol=1e-15)
    interior = slice(0, 4)
    np.testing.assert_allclose(
        kl[interior],
        tfd.kl_divergence(bern(PROBS_A[interior]), bern(PROBS_B[interior])), rtol=1e-12)


def test_kl_divergence_from_logits_and_its_gradients():
    a_logits = tf.constant([-40., -2., 0.5, 30.], tf.float32)
    b_logits = tf.constant([3., -1., 0.5, -30.], tf.float32)

    def kl_of(a, b):
        return tfd.kl_divergence(StraightThroughBernoulli(logits=a),
                                 StraightThroughBernoulli(logits=b))

    expected = tfd.kl_divergence(tfd.Bernoulli(logits=a_logits), tfd.Bernoulli(logits=b_logits))
    np.testing.assert_allclose(kl_of(a_logits, b_logits), expected, rtol=1e-5)
    for g in sub.gradients(lambda a, b: tf.reduce_sum(kl_of(a, b)), a_logits, b_logits):
        assert np.all(np.isfinite(np.asarray(g)))


def test_kl_divergence_gradients_finite_at_boundary_probs():
    a = tf.constant([0., 1., 0., 0.4], tf.float32)
    b = tf.constant([0.5, 0.5, 0., 1.], tf.float32)

    def kl_of(a, b):
        return tfd.kl_divergence(StraightThroughBernoulli(probs=a),
                                 StraightThroughBernoulli(probs=b))

    kl = np.asarray(kl_of(a, b))
    np.testing.assert_allclose(kl[:3], [np.log(2.), np.log(2.), 0.], rtol=1e-6)
    assert kl[3] == np.inf
    # The gradient of the sum: the infinite element contributes a finite one.
    for g in sub.gradients(lambda a, b: tf.reduce_sum(kl_of(a, b)), a, b):
        assert np.all(np.isfinite(np.asarray(g)))


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
    log_ratio = np.asarray(a.log_prob(x) - b.log_prob(x))
    kl = np.asarray(tfd.kl_divergence(a, b))
    half = utils.clt_halfwidth(log_ratio.std(axis=0, ddof=1), n, FALSE_FAIL_RATE / 3)
    assert np.all(2. * half < np.abs(kl - np.asarray(tfd.kl_divergence(b, a))))
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
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    p1 = np.exp(np.asarray(d.log_prob(np.ones(5))))
    p0 = np.exp(np.asarray(d.log_prob(np.zeros(5))))
    np.testing.assert_allclose(p0 + p1, 1., rtol=1e-12)
    assert np.all((x == 0.) | (x == 1.))
    for j in range(5):
        utils.assert_proportion_matches((x[:, j] == 1.).sum(), NUM_SAMPLES, p1[j],
                                        FALSE_FAIL_RATE, num_tests=5)


def test_sample_mean_and_variance(seed):
    d = StraightThroughBernoulli(logits=tf.constant([-2., 0.4, 3.], tf.float64))
    x = np.asarray(d.sample(100_000, seed=seed))
    mean = np.asarray(d.mean())
    utils.assert_mean_within_clt(x, mean, FALSE_FAIL_RATE)
    utils.assert_mean_within_clt((x - mean) ** 2, np.asarray(d.variance()), FALSE_FAIL_RATE)


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("probs,message", [
    (1.5, "Argument `probs` must be in [0, 1]; it has components greater than 1."),
    (-0.1, "Argument `probs` must be in [0, 1]; it has components less than 0."),
])
def test_invalid_probs_raise(probs, message):
    with pytest.raises(sub.validation_error,
                       match=message.replace("[", r"\[").replace("]", r"\]")):
        StraightThroughBernoulli(probs=probs, validate_args=True)


@substrates.tensorflow_only("assigns to a tf.Variable parameter")
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
    with pytest.raises(sub.validation_error, match="Sample must be 0 or 1."):
        d.log_prob(0.5)


# -- regressions for defects of the reference library, relaxit ----------------------


def test_regression_gradient_is_sigmoid_adjusted_and_value_exact():
    """relaxit's rsample is b + p - stopgrad(p): the gradient w.r.t.
    logits is sigma'(logits) (not 1), and the value must be exactly 0/1 -
    which its left-to-right sum does not guarantee in float32."""
    logits = tf.constant(np.linspace(-3., 3., 61), tf.float32)

    def sample(lg):
        return StraightThroughBernoulli(logits=lg).sample(seed=(9, 9))

    (g,) = sub.gradients(lambda lg: tf.reduce_sum(sample(lg)), logits)
    g = np.asarray(g)
    p = special.expit(np.asarray(logits).astype(np.float64))
    np.testing.assert_allclose(g, p * (1 - p), rtol=1e-6)
    assert not np.allclose(g, 1.)
    assert set(np.unique(np.asarray(sample(logits)))) <= {0., 1.}


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
    assert sub.dtype_name(d.sample(seed=(1, 2)).dtype) == "float64"
    assert sub.dtype_name(d.mean().dtype) == "float64"


# -- discrete_law ---------------------------------------------------------------------


def test_discrete_law_is_the_forward_bernoulli():
    d = StraightThroughBernoulli(logits=LOGITS, validate_args=True)
    law = d.discrete_law()
    assert isinstance(law, tfd.Bernoulli)
    assert sub.dtype_name(law.dtype) == "float64" and law.validate_args
    np.testing.assert_array_equal(law.logits_parameter(), LOGITS)
    x = np.array([0., 1.])[:, np.newaxis] * np.ones_like(LOGITS)
    np.testing.assert_allclose(law.log_prob(x), d.log_prob(x), rtol=1e-12)
    probs = np.array([0., 0.3, 1.], np.float32)
    law = StraightThroughBernoulli(probs=probs).discrete_law()
    np.testing.assert_array_equal(law.probs_parameter(), probs)
    np.testing.assert_array_equal(np.asarray(law.log_prob([0., 0., 1.]))[[0, 2]], [0., 0.])


@substrates.tensorflow_only("the docstring example imports relaxtfp on TensorFlow")
def test_discrete_law_docstring_example_runs():
    """The method is inherited from the forward-law mixin, whose docstring
    example the per-class docstring test does not collect."""
    import inspect
    import re

    doc = inspect.getdoc(StraightThroughBernoulli.discrete_law)
    (code,) = re.findall(r"```python\n(.*?)```", doc, re.DOTALL)
    exec(compile(code, "<discrete_law example>", "exec"), {})
