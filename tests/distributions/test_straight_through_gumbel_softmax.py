"""Tests for relaxtfp.distributions.StraightThroughGumbelSoftmax."""

import importlib

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
StraightThroughGumbelSoftmax = sub.rtd.StraightThroughGumbelSoftmax
noise = importlib.import_module(f"{sub.rtfp.__name__}.internal.noise")

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6

K = 4


class TestStraightThroughGumbelSoftmaxContract(DistributionContract):

    EVENT_SHAPE = (K,)
    REPARAMETERIZED = True

    def make(self, dtype):
        return StraightThroughGumbelSoftmax(
            temperature=tf.constant([[0.5], [2.]], dtype),
            logits=tf.constant([[1., 0., -1., 0.5]] * 3, dtype))

    def make_iid(self, n, dtype):
        # Logits shared through broadcasting; only the temperature has the
        # batch shape, so noise must not be drawn at the logits' shape.
        return StraightThroughGumbelSoftmax(
            temperature=tf.fill([n], tf.constant(0.7, dtype)),
            logits=tf.constant([0.3, 0., -0.2, 0.1], dtype))

    def extreme_cases(self, dtype):
        # Only `logits`: the contract also differentiates log_prob, which
        # does not depend on the temperature (None gradient). Gradients
        # w.r.t. the temperature at the extremes are checked in
        # test_statistics_and_gradients_finite_at_extremes.
        return [(lambda lg, t=t: StraightThroughGumbelSoftmax(tf.constant(t, dtype), logits=lg),
                 [tf.constant([[50., -50., 0., 5.], [-50., -5., 0., 50.]], dtype)])
                for t in (1e-3, 1e-2, 1., 1e2, 1e3)]

    def parameters(self, dtype):
        # Only `logits`, as in `extreme_cases`; the temperature gradient of
        # samples is checked in
        # test_pathwise_gradient_is_relaxed_sample_gradient_with_same_noise.
        temperature = tf.constant([[0.5], [2.]], dtype)
        return (lambda lg: StraightThroughGumbelSoftmax(temperature, logits=lg),
                [tf.constant([[1., 0., -1., 0.5]] * 3, dtype)])


def chi_square_test_with_power(counts, p, p_wrong, false_fail_rate):
    """Pearson chi-square goodness of fit of `counts` to `p`.

    Rejects when the statistic exceeds the (1 - false_fail_rate) quantile of
    chi2(K - 1): the false-failure rate is `false_fail_rate` (asymptotically;
    every expected count here is above 1000). Power: under `p_wrong` the
    statistic is approximately non-central chi2(K - 1, lambda) with
    lambda = n * sum((p_wrong - p)^2 / p); the test asserts that the
    probability of rejecting `p_wrong` is at least 1 - false_fail_rate.
    """
    counts = np.asarray(counts, np.float64)
    n = counts.sum()
    dof = counts.size - 1
    critical = stats.chi2.isf(false_fail_rate, dof)
    expected = n * p
    statistic = np.sum((counts - expected) ** 2 / expected)
    assert statistic <= critical, (statistic, critical, counts / n, p)
    ncp = n * np.sum((np.asarray(p_wrong) - p) ** 2 / p)
    power = stats.ncx2.sf(critical, dof, ncp)
    assert power >= 1. - false_fail_rate, (power, ncp)


# -- forward values -------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["eager", "function", "xla"])
def test_forward_values_are_exactly_one_hot(dtype, mode):
    temperature = tf.constant([1e-3, 0.3, 1., 7., 1e3], dtype)[:, tf.newaxis]
    logits = tf.constant([[0.3, -1.2, 2., 0.1], [50., -50., 0., 1.]], dtype)

    def run():
        d = StraightThroughGumbelSoftmax(temperature, logits=logits)
        return d.sample(300, seed=(3, 4))

    fn = {"eager": run, "function": sub.function(run), "xla": sub.xla(run)}[mode]
    x = np.asarray(fn())
    assert x.shape == (300, 5, 2, K)
    assert np.all((x == 0.) | (x == 1.))
    assert np.all(x.sum(-1) == 1.)


def test_temperature_does_not_change_forward_samples():
    """Same seed, different temperatures: identical forward samples (the
    temperature only shapes the backward surrogate)."""
    logits = tf.constant([0.5, -1., 1., 0.], tf.float64)
    a = StraightThroughGumbelSoftmax(0.1, logits=logits).sample(500, seed=(5, 6))
    b = StraightThroughGumbelSoftmax(10., logits=logits).sample(500, seed=(5, 6))
    np.testing.assert_array_equal(a, b)


# -- analytic values --------------------------------------------------------------


def test_log_prob_is_categorical_pmf_of_forward_value():
    logits = np.array([[0.3, -1.2, 2., 0.1], [5., -3., 0., 1.]])
    d = StraightThroughGumbelSoftmax(tf.constant(0.4, tf.float64), logits=logits)
    support = d.enumerate_support()
    expected = tfd.OneHotCategorical(logits=tf.constant(logits, tf.float64)).log_prob(support)
    np.testing.assert_allclose(d.log_prob(support), expected, rtol=1e-12)
    np.testing.assert_allclose(
        np.asarray(d.log_prob(support)).T, special.log_softmax(logits, -1), rtol=1e-12)
    np.testing.assert_allclose(np.exp(d.log_prob(support)).sum(0), 1., rtol=1e-12)


def test_probs_and_logits_parameterizations_agree():
    logits = np.array([0.3, -1.2, 2., 0.1])
    probs = special.softmax(logits)
    a = StraightThroughGumbelSoftmax(tf.constant(0.5, tf.float64), logits=logits)
    b = StraightThroughGumbelSoftmax(tf.constant(0.5, tf.float64), probs=probs)
    x = a.enumerate_support()
    np.testing.assert_allclose(a.log_prob(x), b.log_prob(x), rtol=1e-12)
    np.testing.assert_allclose(b.probs_parameter(), probs, rtol=1e-12)
    np.testing.assert_allclose(a.probs_parameter(), probs, rtol=1e-12)
    np.testing.assert_allclose(b.logits_parameter(), np.log(probs), rtol=1e-12)
    # Same noise -> same samples from either parameterization.
    np.testing.assert_array_equal(a.sample(200, seed=(1, 2)), b.sample(200, seed=(1, 2)))


def test_statistics_match_one_hot_categorical():
    logits = np.array([[0.3, -1.2, 2., 0.1], [5., -3., 0., 1.]])
    temperature = tf.constant([[0.5], [1.], [3.]], tf.float64)
    d = StraightThroughGumbelSoftmax(temperature, logits=logits)
    ref = tfd.OneHotCategorical(logits=tf.constant(logits, tf.float64), dtype=tf.float64)
    p = special.softmax(logits, -1)
    assert tuple(d.mean().shape) == (3, 2, K)
    np.testing.assert_allclose(d.mean(), np.broadcast_to(p, (3, 2, K)), rtol=1e-12)
    np.testing.assert_allclose(d.variance(), np.broadcast_to(p * (1 - p), (3, 2, K)),
                               rtol=1e-12)
    np.testing.assert_allclose(d.stddev(), np.sqrt(p * (1 - p)) + np.zeros((3, 1, 1)),
                               rtol=1e-12)
    np.testing.assert_allclose(d.covariance()[0], ref.covariance(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d.entropy()[1], ref.entropy(), rtol=1e-12)
    np.testing.assert_allclose(d.entropy()[2], -np.sum(p * np.log(p), -1), rtol=1e-12)
    np.testing.assert_array_equal(d.mode()[0], ref.mode())


def test_entropy_with_zero_probability_category():
    d = StraightThroughGumbelSoftmax(1., probs=tf.constant([0.5, 0.5, 0., 0.], tf.float64))
    np.testing.assert_allclose(d.entropy(), np.log(2.), rtol=1e-12)
    assert float(d.log_prob([0., 1., 0., 0.])) == pytest.approx(np.log(0.5))


# -- probabilities exactly 0 -----------------------------------------------------------


BOUNDARY_PROBS = np.array([[0.5, 0.5, 0., 0.], [0., 1., 0., 0.], [0.1, 0.2, 0.3, 0.4]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("temperature", [0.1, 1., 10.])
def test_zero_probabilities_give_exact_values_and_finite_gradients(dtype, temperature):
    """A category of probability 0 is never drawn and scores -inf; every
    gradient (w.r.t. probs and temperature) of samples, log_prob of samples,
    mean, variance, entropy and KL is finite (NaN before for the
    temperature, through logits of -inf)."""
    probs = tf.constant(BOUNDARY_PROBS, dtype)
    t = tf.constant(temperature, dtype)

    def quantities(p, t):
        d = StraightThroughGumbelSoftmax(t, probs=p)
        x = d.sample(100, seed=(1, 2))
        return dict(
            x=x, lp_sample=d.log_prob(x), entropy=d.entropy(), mean=d.mean(),
            variance=d.variance(),
            kl=tfd.kl_divergence(d, tfd.OneHotCategorical(logits=tf.zeros([K], dtype))))

    q = quantities(probs, t)
    d = StraightThroughGumbelSoftmax(t, probs=probs)
    xs, lp_sample = np.asarray(q["x"]), np.asarray(q["lp_sample"])
    assert np.all(xs[..., 0, 2:] == 0.) and np.all(xs[..., 1, :] == [0., 1., 0., 0.])
    assert np.all(np.isfinite(lp_sample))
    np.testing.assert_array_equal(lp_sample[:, 1], 0.)
    np.testing.assert_array_equal(np.asarray(d.log_prob(tf.eye(K, dtype=dtype)[2]))[:2],
                                  [-np.inf, -np.inf])
    np.testing.assert_allclose(q["mean"], BOUNDARY_PROBS, rtol=1e-6)
    np.testing.assert_allclose(q["entropy"][:2], [np.log(2.), 0.], rtol=1e-6, atol=0.)
    np.testing.assert_allclose(q["kl"][:2], [np.log(K / 2.), np.log(K)], rtol=1e-6)
    for name in q:
        grads = sub.gradients(
            lambda p, t, name=name: tf.reduce_sum(quantities(p, t)[name]), probs, t)
        for g in grads:
            # None (TensorFlow) where a quantity does not depend on t.
            assert g is None or np.all(np.isfinite(np.asarray(g))), name


def test_mean_jacobian_at_zero_probability_is_the_one_sided_limit():
    """mean = probs / sum(probs), so d mean_j / d probs_k = delta_jk - p_j on
    the simplex, also in the column of a zero probability (0 before)."""
    probs = tf.constant([0.25, 0.75, 0.], tf.float64)
    jac = np.asarray(sub.jacobian(
        lambda q: StraightThroughGumbelSoftmax(1., probs=q).mean(), probs))
    p = np.asarray(probs)
    np.testing.assert_allclose(jac, np.eye(3) - p[:, None], rtol=1e-12, atol=1e-15)


def test_log_prob_is_linear_in_the_value():
    """sum_k x_k log p_k, also off the one-hot vectors, with gradient log p
    in x (finite where p_k > 0)."""
    logits = tf.constant([0.5, -1., 2.], tf.float64)
    x = tf.constant([[0.2, 0.3, 0.5], [1., 0., 0.]], tf.float64)
    d = StraightThroughGumbelSoftmax(1., logits=logits)
    lp = d.log_prob(x)
    (grad,) = sub.gradients(lambda v: tf.reduce_sum(d.log_prob(v)), x)
    log_p = special.log_softmax(np.asarray(logits))
    np.testing.assert_allclose(lp, np.asarray(x) @ log_p, rtol=1e-12)
    np.testing.assert_allclose(grad, np.tile(log_p, (2, 1)), rtol=1e-12)


# -- KL divergence -------------------------------------------------------------------


def _categorical_kl_exact(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(p == 0., 0., p * (np.log(p) - np.log(q))), axis=-1)


KL_PROBS_A = np.array([[0.2, 0.3, 0.5], [0.5, 0.5, 0.], [0., 0., 1.], [0.2, 0.3, 0.5]])
KL_PROBS_B = np.array([[0.6, 0.1, 0.3], [0.5, 0., 0.5], [0.3, 0.3, 0.4], [0.3, 0.3, 0.4]])


@pytest.mark.parametrize("pair", ["self", "st_vs_categorical", "categorical_vs_st"])
def test_kl_divergence_is_the_categorical_one(pair):
    """Against the exact sum (zero probabilities included: +inf where b
    excludes a category that a allows) and against tfd.OneHotCategorical's
    closed form where no probability is zero. The temperatures play no
    part: they do not change the forward law."""
    def st(p, t):
        return StraightThroughGumbelSoftmax(tf.constant(t, tf.float64),
                                            probs=tf.constant(p, tf.float64))

    def cat(p, t):
        del t
        return tfd.OneHotCategorical(probs=tf.constant(p, tf.float64))

    make_a, make_b = {"self": (st, st), "st_vs_categorical": (st, cat),
                      "categorical_vs_st": (cat, st)}[pair]
    kl = np.asarray(tfd.kl_divergence(make_a(KL_PROBS_A, 0.2), make_b(KL_PROBS_B, 3.)))
    np.testing.assert_allclose(kl, _categorical_kl_exact(KL_PROBS_A, KL_PROBS_B),
                               rtol=1e-12, atol=1e-15)
    assert kl[1] == np.inf
    interior = [0, 3]
    np.testing.assert_allclose(
        kl[interior], tfd.kl_divergence(cat(KL_PROBS_A[interior], None),
                                        cat(KL_PROBS_B[interior], None)), rtol=1e-12)


def test_kl_divergence_from_logits_broadcasts_and_has_finite_gradients():
    a_logits = tf.constant([[50., -50., 0.], [1., 2., 3.]], tf.float32)
    b_logits = tf.constant([0., 1., -1.], tf.float32)

    def kl_of(a, b):
        return tfd.kl_divergence(
            StraightThroughGumbelSoftmax(tf.constant([0.5, 2.]), logits=a),
            StraightThroughGumbelSoftmax(1., logits=b))

    expected = tfd.kl_divergence(tfd.OneHotCategorical(logits=a_logits),
                                 tfd.OneHotCategorical(logits=b_logits))
    np.testing.assert_allclose(kl_of(a_logits, b_logits), expected, rtol=1e-5)
    for g in sub.gradients(lambda a, b: tf.reduce_sum(kl_of(a, b)), a_logits, b_logits):
        assert np.all(np.isfinite(np.asarray(g)))


def test_kl_divergence_matches_monte_carlo(seed):
    """E_a[log a(x) - log b(x)] within the CLT band at FALSE_FAIL_RATE.
    Power: the band is narrower than half the gap to KL(b || a)."""
    n = 100_000
    a = StraightThroughGumbelSoftmax(0.5, logits=tf.constant([1., 0., -1.], tf.float64))
    b = StraightThroughGumbelSoftmax(2., probs=tf.constant([0.1, 0.1, 0.8], tf.float64))
    x = a.sample(n, seed=seed)
    log_ratio = np.asarray(a.log_prob(x) - b.log_prob(x))
    kl = np.asarray(tfd.kl_divergence(a, b))
    half = utils.clt_halfwidth(log_ratio.std(ddof=1), n, FALSE_FAIL_RATE)
    assert 2. * half < abs(kl - np.asarray(tfd.kl_divergence(b, a)))
    utils.assert_mean_within_clt(log_ratio, kl, FALSE_FAIL_RATE)


def test_enumerate_support_layout():
    d = StraightThroughGumbelSoftmax(tf.ones([5]), logits=tf.zeros([3, 1, K]))
    s = d.enumerate_support()
    assert tuple(s.shape) == (K, 3, 5, K)
    np.testing.assert_array_equal(s[:, 1, 2], np.eye(K))
    assert tuple(d.enumerate_support(expand=False).shape) == (K, 1, 1, K)
    assert tuple(d.log_prob(s).shape) == (K, 3, 5)


# -- gradients ----------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.1, 0.7, 4.])
def test_pathwise_gradient_is_relaxed_sample_gradient_with_same_noise(temperature):
    """With the seed fixed, the gradient of sum(w * x) equals the gradient of
    the relaxed sample softmax((logits + G) / temperature) at the same G, in
    closed form: J^T w with J = (diag(s) - s s^T) / temperature and
    dsoft/dtemperature = -J z / temperature (z = logits + G)."""
    n, seed = 400, (11, 12)
    logits0 = np.array([[0.3, -1.2, 2., 0.1], [5., -3., 0., 1.]])
    w = np.array([0.7, -1.3, 2.1, 0.4])
    logits = tf.constant(logits0)
    t = tf.constant(temperature, tf.float64)

    def sample(lg, t):
        return StraightThroughGumbelSoftmax(t, logits=lg).sample(n, seed=seed)

    x = sample(logits, t)
    g_logits, g_t = sub.gradients(lambda lg, t: tf.reduce_sum(sample(lg, t) * w), logits, t)

    gumbel = np.asarray(noise.gumbel([n, 2, K], seed=seed, dtype=tf.float64))
    z = logits0 + gumbel
    np.testing.assert_array_equal(x, np.eye(K)[np.argmax(z, -1)])
    s = special.softmax(z / temperature, -1)
    jtw = s * (w - np.sum(s * w, -1, keepdims=True)) / temperature   # J^T w
    np.testing.assert_allclose(g_logits, jtw.sum(0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g_t, -np.sum(jtw * z) / temperature, rtol=1e-9)


def test_pathwise_gradient_matches_finite_differences_of_relaxation():
    """The same gradient against central differences of the relaxed sample
    recomputed from the noise (independent of the closed form)."""
    n, seed, temperature = 50, (13, 14), 0.6
    logits0 = np.array([0.3, -1.2, 2., 0.1])
    w = np.array([0.7, -1.3, 2.1, 0.4])
    gumbel = np.asarray(noise.gumbel([n, K], seed=seed, dtype=tf.float64))

    def relaxed_loss(lg):
        return np.sum(special.softmax((lg + gumbel) / temperature, -1) * w)

    (g,) = sub.gradients(lambda lg: tf.reduce_sum(StraightThroughGumbelSoftmax(
        tf.constant(temperature, tf.float64), logits=lg).sample(n, seed=seed) * w),
        tf.constant(logits0))
    g = np.asarray(g)
    h = 1e-6
    fd = [(relaxed_loss(logits0 + h * e) - relaxed_loss(logits0 - h * e)) / (2 * h)
          for e in np.eye(K)]
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_log_prob_gradient_closed_form():
    logits0 = np.array([0.3, -1.2, 2., 0.1])
    x = tf.constant([0., 0., 1., 0.], tf.float64)
    (grad,) = sub.gradients(lambda lg: StraightThroughGumbelSoftmax(
        tf.constant(1., tf.float64), logits=lg).log_prob(x), tf.constant(logits0))
    np.testing.assert_allclose(grad, x - special.softmax(logits0), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_statistics_and_gradients_finite_at_extremes(dtype):
    """Temperature 1e-3 with logits 50: the scaled logits are 5e4, softmax is
    one-hot and its Jacobian must be 0, not NaN."""
    def outputs(temperature, logits):
        d = StraightThroughGumbelSoftmax(temperature, logits=logits)
        x = d.sample(100, seed=(1, 2))
        return [tf.reduce_sum(x * tf.constant([1., 2., 3., 4.], dtype)), d.entropy(),
                tf.reduce_sum(d.mean()), tf.reduce_sum(d.variance())]

    for t in (1e-3, 1e3):
        temperature = tf.constant(t, dtype)
        logits = tf.constant([50., -50., 0., 49.9], dtype)
        for i, out in enumerate(outputs(temperature, logits)):
            assert np.all(np.isfinite(np.asarray(out)))
            grads = sub.gradients(lambda t, lg, i=i: outputs(t, lg)[i], temperature, logits)
            for g in grads:
                if g is not None:
                    assert np.all(np.isfinite(np.asarray(g))), (t, i)


# -- statistics ------------------------------------------------------------------------


def test_forward_frequencies_match_softmax_logits(seed):
    """Chi-square test of the one-hot counts against softmax(logits) for two
    batch members and two temperatures (4 tests, each at false-failure rate
    FALSE_FAIL_RATE / 4). Power: each test rejects, with probability at least
    1 - FALSE_FAIL_RATE / 4, the forward law softmax(logits / 1.1) (a 10%
    error in the effective temperature of the forward law)."""
    logits = np.array([[0.3, -1.2, 2., 0.1], [0., 0.5, -0.5, 1.]])
    temperature = tf.constant([[0.2], [5.]], tf.float64)
    d = StraightThroughGumbelSoftmax(temperature, logits=logits)
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    for i in range(2):
        for j in range(2):
            chi_square_test_with_power(
                x[:, i, j].sum(0), special.softmax(logits[j]),
                special.softmax(logits[j] / 1.1), FALSE_FAIL_RATE / 4)


def test_forward_frequencies_hoeffding(seed):
    """Per-category Hoeffding bounds (union over K categories): distribution
    free, no asymptotics. Power: the bound eps is below half the largest
    per-category gap to softmax(probs) (relaxit's top-K confusion of probs and
    logits), so that alternative is rejected with probability at least
    1 - FALSE_FAIL_RATE."""
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    d = StraightThroughGumbelSoftmax(tf.constant(0.5, tf.float64), probs=probs)
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    for k in range(K):
        utils.assert_proportion_matches(x[:, k].sum(), NUM_SAMPLES, probs[k],
                                        FALSE_FAIL_RATE, num_tests=K)
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, K)
    assert np.max(np.abs(special.softmax(probs) - probs)) >= 2. * eps


def _per_sample_statistics(dist_fn, n, seed):
    """s_0 (1 - s_0) and s_0 s_1 of the backward surrogate s of each sample,
    read off the straight-through Jacobian: with per-sample logits,
    d x_0 / d logits_j = s_0 (delta_0j - s_j) / temperature."""
    logits = tf.constant(dist_fn.logits0 * np.ones([n, 1]))
    (g,) = sub.gradients(lambda lg: tf.reduce_sum(dist_fn(lg).sample(seed=seed)[:, 0]), logits)
    g = np.asarray(g) * dist_fn.temperature
    return g[:, 0], -g[:, 1]


def _two_sample_dkwm(a, b, false_fail_rate):
    """sup |F_a - F_b| <= eps_a + eps_b, each DKWM band at rate / 2."""
    grid = np.quantile(np.concatenate([a, b]), np.linspace(0., 1., 2001))
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return (float(np.max(np.abs(fa - fb))),
            utils.dkwm_epsilon(a.size, false_fail_rate / 2.)
            + utils.dkwm_epsilon(b.size, false_fail_rate / 2.))


def test_backward_surrogate_law_is_relaxed_one_hot_categorical(seed):
    """The law of the surrogate equals tfd.RelaxedOneHotCategorical's, seen
    through two statistics of it, s_0 (1 - s_0) and s_0 s_1, recovered from
    the per-sample Jacobian. Two-sample DKWM test against TFP's sampler, two
    statistics at FALSE_FAIL_RATE / 2 each. Power: a surrogate at
    temperature 1.5 * temperature (e.g. a temperature applied twice or
    dropped) is shown to be rejected with probability >= 1 - FALSE_FAIL_RATE
    (its CDF gap, estimated from independent TFP samples minus their DKWM
    error, exceeds twice the test's threshold)."""
    temperature = 0.5
    logits0 = np.array([0.3, -1.2, 1., 0.1])
    n = NUM_SAMPLES

    def dist_fn(logits):
        return StraightThroughGumbelSoftmax(tf.constant(temperature, tf.float64),
                                            logits=logits)
    dist_fn.logits0, dist_fn.temperature = logits0, temperature
    ours = _per_sample_statistics(dist_fn, n, seed)

    def tfp_stats(t, s):
        y = np.asarray(tfd.RelaxedOneHotCategorical(
            tf.constant(t, tf.float64), logits=logits0).sample(n, seed=sub.seed(*s)))
        return y[:, 0] * (1. - y[:, 0]), y[:, 0] * y[:, 1]

    ref = tfp_stats(temperature, (7, 8))
    right = tfp_stats(temperature, (9, 10))
    wrong = tfp_stats(1.5 * temperature, (11, 12))
    for a, b, r, w in zip(ours, ref, right, wrong):
        dev, threshold = _two_sample_dkwm(a, b, FALSE_FAIL_RATE / 2.)
        assert dev <= threshold, (dev, threshold)
        gap, gap_err = _two_sample_dkwm(r, w, FALSE_FAIL_RATE / 2.)
        assert gap - gap_err >= 2. * threshold, (gap, gap_err, threshold)


def test_sample_mean_matches_mean(seed):
    d = StraightThroughGumbelSoftmax(tf.constant(0.3, tf.float64),
                                     logits=tf.constant([0.3, -1.2, 2., 0.1], tf.float64))
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    utils.assert_mean_within_clt(x, np.asarray(d.mean()), FALSE_FAIL_RATE)


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    (dict(temperature=0., logits=[0., 0.]), "Argument `temperature` must be positive."),
    (dict(temperature=[1., -1.], logits=[0., 0.]), "Argument `temperature` must be positive."),
    (dict(temperature=1., probs=[0.5, -0.1, 0.6]), "Argument `probs` must be non-negative."),
    (dict(temperature=1., probs=[0.5, 0.6]), "Argument `probs` must sum to 1 over its last"),
    (dict(temperature=1., probs=[0.2, 0.2]), "Argument `probs` must sum to 1 over its last"),
])
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(sub.validation_error, match=message):
        StraightThroughGumbelSoftmax(validate_args=True, **kwargs)


def test_probs_within_tolerance_are_accepted():
    p = tf.nn.softmax(tf.constant(np.random.default_rng(1).normal(size=[64, 1000]), tf.float32))
    d = StraightThroughGumbelSoftmax(1., probs=p, validate_args=True)
    assert tuple(d.sample(seed=(1, 2)).shape) == (64, 1000)


@substrates.tensorflow_only("assigns to a tf.Variable parameter")
def test_invalid_variable_assignment_is_caught():
    t = tf.Variable(1.)
    d = StraightThroughGumbelSoftmax(t, logits=[0., 1.], validate_args=True)
    d.sample(seed=(1, 2))
    t.assign(-1.)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Argument `temperature` must be positive"):
        d.sample(seed=(1, 2))


def test_logits_and_probs_are_exclusive_and_vectors():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        StraightThroughGumbelSoftmax(1., logits=[0., 0.], probs=[0.5, 0.5])
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        StraightThroughGumbelSoftmax(1.)
    with pytest.raises(ValueError, match="Argument `logits` must have rank at least 1."):
        StraightThroughGumbelSoftmax(1., logits=0.)


@pytest.mark.parametrize("value,message", [
    ([0.5, 0.5, 0., 0.], "Sample must be one-hot: every component must be 0 or 1."),
    ([1., 1., 0., 0.], "Sample must be one-hot: its last dimension must sum to 1."),
    ([0., 0., 0., 0.], "Sample must be one-hot: its last dimension must sum to 1."),
])
def test_log_prob_validates_one_hot(value, message):
    d = StraightThroughGumbelSoftmax(1., logits=tf.zeros([K]), validate_args=True)
    with pytest.raises(sub.validation_error, match=message):
        d.log_prob(value)
    d.log_prob([0., 0., 1., 0.])  # A one-hot value passes.


# -- regressions for defects of the reference library, relaxit --------------------------


def test_regression_mean_and_variance_exist():
    """relaxit's DSTGS `mean`/`variance` raised AttributeError; the
    straight-through classes here return p and p (1 - p)."""
    logits = np.array([0.3, -1.2, 2., 0.1])
    d = StraightThroughGumbelSoftmax(tf.constant(0.5, tf.float64), logits=logits)
    p = special.softmax(logits)
    np.testing.assert_allclose(d.mean(), p, rtol=1e-12)
    np.testing.assert_allclose(d.variance(), p * (1. - p), rtol=1e-12)


def test_regression_enumerate_support_leading_axis():
    """relaxit laid the support out as batch + (K, K) ((5, 4, 4) for
    batch (5,)); here it is [K] + batch + [K]."""
    d = StraightThroughGumbelSoftmax(1., logits=tf.zeros([5, K]))
    assert tuple(d.enumerate_support().shape) == (K, 5, K)


def test_regression_support_is_one_hot_vertices():
    """relaxit declared the support of its one-hot straight-through
    class `real`. Every sample here is one of the K vertices listed by
    `enumerate_support`, and there is no continuous event-space bijector
    (as for tfd.OneHotCategorical)."""
    d = StraightThroughGumbelSoftmax(0.3, logits=[1., 0., -1., 2.])
    x = np.asarray(d.sample(2000, seed=(1, 2)))
    vertices = np.asarray(d.enumerate_support())
    assert all(any(np.array_equal(v, row) for v in vertices) for row in np.unique(x, axis=0))
    assert d.experimental_default_event_space_bijector() is None


def test_regression_float64_is_kept():
    """relaxit forced float32 on temperatures."""
    d = StraightThroughGumbelSoftmax(tf.constant(0.5, tf.float64), logits=[0., 1.])
    assert sub.dtype_name(d.sample(seed=(1, 2)).dtype) == "float64"
    assert sub.dtype_name(d.mean().dtype) == "float64"


# -- discrete_law ---------------------------------------------------------------------


def test_discrete_law_is_the_one_hot_forward_law():
    logits = np.array([[0.3, -1.2, 1., 0.1], [5., 0., 0., -5.]], np.float32)
    d = StraightThroughGumbelSoftmax(np.float32([[0.5], [2.], [9.]]), logits=logits,
                                     validate_args=True)
    law = d.discrete_law()
    assert isinstance(law, tfd.OneHotCategorical)
    assert tuple(law.batch_shape) == tuple(d.batch_shape) == (3, 2)
    assert tuple(law.event_shape) == (K,)
    assert law.dtype == d.dtype and law.validate_args
    np.testing.assert_allclose(law.probs_parameter(),
                               np.broadcast_to(special.softmax(logits, -1), [3, 2, K]),
                               rtol=1e-6)
    law = StraightThroughGumbelSoftmax(0.5, probs=BOUNDARY_PROBS).discrete_law()
    np.testing.assert_array_equal(np.asarray(law.probs_parameter()) == 0., BOUNDARY_PROBS == 0.)


@substrates.tensorflow_only("the docstring example imports relaxtfp on TensorFlow")
def test_discrete_law_docstring_example_runs():
    """Inherited from the forward-law mixin, so not collected per class."""
    import inspect
    import re

    doc = inspect.getdoc(StraightThroughGumbelSoftmax.discrete_law)
    (code,) = re.findall(r"```python\n(.*?)```", doc, re.DOTALL)
    exec(compile(code, "<discrete_law example>", "exec"), {})
