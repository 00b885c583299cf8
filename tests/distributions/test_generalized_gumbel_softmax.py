"""Tests for relaxtfp.distributions.GeneralizedGumbelSoftmax."""

import numpy as np
import pytest
from scipy import special
from scipy import stats

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp, tfd = sub.tf, sub.tfp, sub.tfd
GeneralizedGumbelSoftmax = sub.rtd.GeneralizedGumbelSoftmax

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6

VALUES = [-1., 0.5, 2., 7.]
LOGITS = [0.3, -1.2, 1.1, 0.]


def f64(x):
    return tf.constant(x, tf.float64)


class TestGeneralizedGumbelSoftmaxContract(DistributionContract):

    EVENT_SHAPE = (4,)
    REPARAMETERIZED = True
    HARD = False

    def make(self, dtype):
        # values [2, 1, 4], temperature [3], logits [4]: batch (2, 3).
        return GeneralizedGumbelSoftmax(
            values=tf.constant([[VALUES], [[0., 1., 2., 3.]]], dtype),
            temperature=tf.constant([0.4, 1., 2.5], dtype),
            logits=tf.constant(LOGITS, dtype), hard=self.HARD)

    def make_iid(self, n, dtype):
        return GeneralizedGumbelSoftmax(
            values=tf.constant(VALUES, dtype), temperature=tf.constant(0.7, dtype),
            logits=tf.zeros([n, 4], dtype), hard=self.HARD)

    def extreme_cases(self, dtype):
        def build_logits(t, lg):
            return GeneralizedGumbelSoftmax(tf.constant(VALUES, dtype), t, logits=lg,
                                            hard=self.HARD)

        def build_probs(t, p):
            return GeneralizedGumbelSoftmax(tf.constant(VALUES, dtype), t, probs=p,
                                            hard=self.HARD)

        logits = tf.constant([[-50., -5., 0., 50.], [-50., 0., 5., 50.]], dtype)
        cases = [(build_logits, [tf.constant(t, dtype), logits])
                 for t in (1e-3, 1e-2, 1., 1e2, 1e3)]
        # A zero probability drops a category; gradients stay finite.
        probs = tf.constant([0.5, 0., 0.3, 0.2], dtype)
        cases += [(build_probs, [tf.constant(t, dtype), probs]) for t in (1e-3, 1e3)]
        return cases

    def parameters(self, dtype):
        # `values` enter neither the weights nor their density, only
        # `weights_to_values`, so they are no parameter of the sample here.
        def build(t, lg):
            return GeneralizedGumbelSoftmax(tf.constant(VALUES, dtype), t, logits=lg,
                                            hard=self.HARD)
        return build, [tf.constant([[0.5], [2.]], dtype),
                       tf.constant([LOGITS, LOGITS[::-1], VALUES], dtype)]


class TestGeneralizedGumbelSoftmaxHardContract(TestGeneralizedGumbelSoftmaxContract):
    """The hard `log_prob` (the categorical pmf) depends on neither the
    temperature nor the values, so their gradients there are absent by
    design: the contract's gradient checks hold them fixed, and
    `test_hard_sample_gradient_wrt_temperature_at_extremes` checks the
    sample's temperature gradient."""

    HARD = True

    def extreme_cases(self, dtype):
        return [(_fix_first(build, params[0]), params[1:])
                for build, params in super().extreme_cases(dtype)]

    def parameters(self, dtype):
        build, params = super().parameters(dtype)
        return _fix_first(build, params[0]), params[1:]

    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    def test_hard_sample_gradient_wrt_temperature_at_extremes(self, dtype):
        soft = TestGeneralizedGumbelSoftmaxContract.extreme_cases(self, dtype)
        for build, params in soft:
            (g,) = sub.gradients(
                lambda t, build=build, params=params: tf.reduce_sum(
                    build(t, *params[1:]).sample(200, seed=(1, 2))),
                params[0])
            assert g is not None and np.all(np.isfinite(np.asarray(g)))


def _fix_first(build, first):
    return lambda *rest: build(first, *rest)


# -- analytic values: log_prob ---------------------------------------------------


@pytest.mark.parametrize("temperature", [0.05, 0.5, 1., 3.])
def test_log_prob_matches_relaxed_one_hot_categorical(temperature, rng):
    """hard=False: log_prob is the Concrete density, as in TFP (float64)."""
    logits = np.array([[0.3, -1.2, 1.1, 0.], [2., 0., -3., 0.5]])
    x = rng.dirichlet([0.7, 1., 2., 0.5], size=(50, 2))
    d = GeneralizedGumbelSoftmax(f64(VALUES), f64(temperature), logits=f64(logits))
    oracle = tfd.RelaxedOneHotCategorical(f64(temperature), logits=f64(logits))
    np.testing.assert_allclose(d.log_prob(x), oracle.log_prob(x), rtol=1e-10)
    p = special.softmax(logits, axis=-1)
    d_probs = GeneralizedGumbelSoftmax(f64(VALUES), f64(temperature), probs=f64(p))
    np.testing.assert_allclose(d_probs.log_prob(x), oracle.log_prob(x), rtol=1e-10)


def test_log_prob_on_face_is_lower_dimensional_concrete(rng):
    """A dropped category (-inf logit) leaves the Concrete law of the others."""
    logits = np.array([0.3, -np.inf, 1.1, -0.5])
    d = GeneralizedGumbelSoftmax(f64(VALUES), f64(0.6), logits=f64(logits))
    oracle = tfd.RelaxedOneHotCategorical(f64(0.6), logits=f64(logits[[0, 2, 3]]))
    y = rng.dirichlet([1., 2., 0.8], size=40)
    x = np.insert(y, 1, 0., axis=-1)
    np.testing.assert_allclose(d.log_prob(x), oracle.log_prob(y), rtol=1e-10)
    # Mass on the dropped category is outside the support.
    bad = np.array([0.3, 0.1, 0.3, 0.3])
    assert np.asarray(d.log_prob(bad)) == -np.inf
    # Same through probs with a zero.
    p = special.softmax(logits)
    d_probs = GeneralizedGumbelSoftmax(f64(VALUES), f64(0.6), probs=f64(p))
    np.testing.assert_allclose(d_probs.log_prob(x), oracle.log_prob(y), rtol=1e-10)


def test_hard_log_prob_is_categorical_pmf():
    logits = np.array([[0.3, -1.2, 1.1, 0.], [-np.inf, 0., 2., 1.]])
    d = GeneralizedGumbelSoftmax(f64(VALUES), f64(0.5), logits=f64(logits), hard=True)
    eye = np.eye(4)[:, np.newaxis, :] * np.ones([1, 2, 1])
    lp = np.asarray(d.log_prob(eye))
    finite_logits = np.where(np.isfinite(logits), logits, -1e300)
    oracle = tfd.OneHotCategorical(logits=f64(logits[0])).log_prob(np.eye(4))
    np.testing.assert_allclose(lp[:, 0], oracle, rtol=1e-12)
    np.testing.assert_allclose(lp[1:, 1], special.log_softmax(finite_logits[1])[1:],
                               rtol=1e-12)
    assert lp[0, 1] == -np.inf       # The dropped category has probability 0.
    np.testing.assert_allclose(np.exp(lp[:, 0]).sum(), 1., rtol=1e-12)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_log_prob_of_underflowed_samples_is_finite(dtype):
    """At temperature 1e-3 the softmax underflows to exact zeros; those
    components are read as the smallest normal number."""
    d = GeneralizedGumbelSoftmax(tf.constant(VALUES, dtype), tf.constant(1e-3, dtype),
                                 logits=tf.constant(LOGITS, dtype))
    x = np.asarray(d.sample(1000, seed=(1, 2)))
    assert np.mean(np.any(x == 0., axis=-1)) > 0.9   # Underflow happens.
    assert np.all(np.isfinite(np.asarray(d.log_prob(x))))
    assert np.all(np.isfinite(np.asarray(d.log_prob(np.eye(4, dtype=x.dtype)))))


def test_log_prob_negative_component_is_minus_inf():
    d = GeneralizedGumbelSoftmax(VALUES, 0.5, logits=LOGITS)
    assert np.asarray(d.log_prob([-0.1, 0.5, 0.3, 0.3])) == -np.inf
    h = GeneralizedGumbelSoftmax(VALUES, 0.5, logits=LOGITS, hard=True)
    assert np.asarray(h.log_prob([-1., 1., 0., 1.])) == -np.inf


# -- analytic values: statistics and the value map ---------------------------------


def test_value_mean_and_variance_closed_form():
    values = np.array([[-1., 0.5, 2., 7.], [0., 1., 2., 3.]])
    logits = np.array([0.3, -1.2, 1.1, 0.])
    d = GeneralizedGumbelSoftmax(f64(values), f64([[0.5], [2.]]), logits=f64(logits))
    p = special.softmax(logits)
    mean = (p * values).sum(-1)
    var = (p * (values - mean[:, None]) ** 2).sum(-1)
    assert d.value_mean().shape == (2, 2)
    # Batch (2, 2): the values' batch axis is the last one.
    np.testing.assert_allclose(d.value_mean(), np.broadcast_to(mean, (2, 2)),
                               rtol=1e-12)
    np.testing.assert_allclose(d.value_variance(), np.broadcast_to(var, (2, 2)),
                               rtol=1e-12)


def test_event_mean_and_variance():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    h = GeneralizedGumbelSoftmax(f64(VALUES), f64([0.5, 1.]), probs=f64(p), hard=True)
    np.testing.assert_allclose(h.mean(), np.broadcast_to(p, (2, 4)), rtol=1e-12)
    np.testing.assert_allclose(h.variance(), np.broadcast_to(p * (1 - p), (2, 4)),
                               rtol=1e-12)
    d = GeneralizedGumbelSoftmax(f64(VALUES), f64(0.5), probs=f64(p))
    with pytest.raises(NotImplementedError, match="value_mean"):
        d.mean()


def test_sample_value_is_weights_to_values_of_sample():
    d = GeneralizedGumbelSoftmax(f64([[VALUES], [[0., 1., 2., 3.]]]),
                                 f64([0.4, 1., 2.]), logits=f64(LOGITS))
    w = d.sample((5, 2), seed=(3, 4))
    v = d.sample_value((5, 2), seed=(3, 4))
    assert v.shape == (5, 2, 2, 3)
    values = np.array([[VALUES], [[0., 1., 2., 3.]]])
    np.testing.assert_allclose(v, (np.asarray(w) * values).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(d.weights_to_values(np.eye(4)[2]),
                               np.broadcast_to(values[..., 2], (2, 3)))


def test_probs_and_logits_parameters():
    d = GeneralizedGumbelSoftmax(f64(VALUES), 1., logits=f64(LOGITS))
    np.testing.assert_allclose(d.probs_parameter(), special.softmax(LOGITS), rtol=1e-12)
    h = GeneralizedGumbelSoftmax(f64(VALUES), 1., probs=f64([0.5, 0., 0.25, 0.25]))
    np.testing.assert_allclose(h.logits_parameter(),
                               [np.log(0.5), -np.inf, np.log(0.25), np.log(0.25)])


# -- statistics ------------------------------------------------------------------


def _cdf_of_first_weight(temperature, logits, face):
    """CDF of w_0 for a two-category law (or three with the middle one
    dropped), integrated from exp(log_prob) in u = logit(w_0) by the
    trapezoid rule: w_0 = expit(u) and 1 - w_0 = expit(-u) are both computed
    to full relative precision, and dw_0 = w_0 (1 - w_0) du."""
    full = np.array([logits[0], -np.inf, logits[1]]) if face else np.array(logits)
    d = GeneralizedGumbelSoftmax(f64(VALUES[:len(full)]), f64(temperature),
                                 logits=f64(full))
    u = np.linspace(-40., 40., 400_001)
    x, rest = special.expit(u), special.expit(-u)
    pts = (np.stack([x, np.zeros_like(x), rest], -1) if face
           else np.stack([x, rest], -1))
    dens = np.exp(np.asarray(d.log_prob(pts))) * x * rest
    cum = np.concatenate([[0.], np.cumsum((dens[1:] + dens[:-1]) / 2. * np.diff(u))])
    np.testing.assert_allclose(cum[-1], 1., atol=1e-7)
    grid = np.linspace(1e-6, 1. - 1e-6, 399)
    return d, grid, np.interp(special.logit(grid), u, cum)


@pytest.mark.parametrize("temperature,logits,face", [
    (0.5, (0.4, -0.3), False), (2., (1., 0.), False), (0.7, (0.2, -0.6), True)])
def test_relaxed_samples_agree_with_log_prob(temperature, logits, face, seed):
    """DKWM test of the sampler against the CDF obtained from `log_prob`
    (two categories, or three with one dropped: the face of the simplex),
    and of `sample_value` against the same law mapped through the values.

    False-failure rate FALSE_FAIL_RATE per check (two checks, union bound).
    Power: NUM_SAMPLES samples reject a 10% error in the temperature and,
    separately, an error of 0.1 in the logits (`assert_detectable`).
    """
    d, grid, cdf = _cdf_of_first_weight(temperature, logits, face)
    w = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    if face:
        assert np.all(w[:, 1] == 0.)
    utils.assert_cdf_matches(w[:, 0], grid, cdf, FALSE_FAIL_RATE / 2, atol=1e-6)
    # value = v0 w0 + v_last (1 - w0) is decreasing in w0 (v0 < v_last).
    v0, v1 = VALUES[0], VALUES[2 if face else 1]
    value = np.asarray(d.sample_value(NUM_SAMPLES, seed=seed))
    value_grid = v0 * grid[::-1] + v1 * (1. - grid[::-1])
    utils.assert_cdf_matches(value, value_grid, 1. - cdf[::-1], FALSE_FAIL_RATE / 2,
                             atol=1e-6)
    for wrong in (_cdf_of_first_weight(1.1 * temperature, logits, face)[2],
                  _cdf_of_first_weight(temperature, (logits[0] + 0.1, logits[1]),
                                       face)[2]):
        utils.assert_detectable(cdf, wrong, NUM_SAMPLES, FALSE_FAIL_RATE / 2, atol=1e-6)


def test_density_is_in_the_dirichlet_measure():
    """E_{x ~ Dirichlet(1, 1, 1)}[q(x) / p_Dir(x)] = 1: the relaxed density
    integrates to one w.r.t. Lebesgue measure on the first K-1 coordinates,
    the measure of `tfd.Dirichlet` (issue: one measure on the simplex). CLT
    half-width at FALSE_FAIL_RATE; with TFP's surface-measure convention the
    mean would be 1/sqrt(3) = 0.577, which the half-width (< 0.1) excludes."""
    q = GeneralizedGumbelSoftmax(tf.constant([0., 1., 2.], tf.float64),
                                 tf.constant(1.5, tf.float64),
                                 logits=tf.constant([0.3, -0.2, 0.1], tf.float64))
    p = tfp.distributions.Dirichlet(tf.ones([3], tf.float64))
    x = p.sample(NUM_SAMPLES, seed=sub.seed(5, 7))
    ratio = np.asarray(tf.exp(q.log_prob(x) - p.log_prob(x)))
    utils.assert_mean_within_clt(ratio, 1., FALSE_FAIL_RATE)
    assert utils.clt_halfwidth(ratio.std(), ratio.size, FALSE_FAIL_RATE) < 0.1


def test_log_ratios_are_logistic(seed):
    """log(w_k / w_0) = ((l_k + g_k) - (l_0 + g_0)) / temperature is logistic
    with location (l_k - l_0) / temperature and scale 1 / temperature; a
    shared or correlated noise across categories would break this.

    DKWM for k = 1, 2, 3 at FALSE_FAIL_RATE / 3 each. Power: a 10% error in
    the temperature or 0.1 in a logit moves the CDF by more than 2 eps.
    """
    temperature = 0.5
    d = GeneralizedGumbelSoftmax(f64(VALUES), f64(temperature), logits=f64(LOGITS))
    logw = np.log(np.asarray(d.sample(NUM_SAMPLES, seed=seed)))
    for k in (1, 2, 3):
        def cdf(t, shift=0., tt=temperature):
            return special.expit(tt * t - (LOGITS[k] - LOGITS[0] + shift))
        ratio = logw[:, k] - logw[:, 0]
        grid = np.linspace(np.quantile(ratio, 0.001), np.quantile(ratio, 0.999), 401)
        utils.assert_cdf_matches(ratio, grid, cdf(grid), FALSE_FAIL_RATE / 3)
        utils.assert_detectable(cdf(grid), cdf(grid, tt=1.1 * temperature), NUM_SAMPLES,
                                FALSE_FAIL_RATE / 3)
        utils.assert_detectable(cdf(grid), cdf(grid, shift=0.1), NUM_SAMPLES,
                                FALSE_FAIL_RATE / 3)


@pytest.mark.parametrize("hard", [True, False])
def test_argmax_frequencies_equal_probs(hard, seed):
    """Gumbel-max: argmax of w is Categorical(probs) at any temperature; for
    hard=True the sample is exactly that one-hot vector.

    Hoeffding, union-bounded over the 4 categories, false-failure rate
    FALSE_FAIL_RATE. Power: the half-width is below 0.009, so an error of
    0.02 in any probability is rejected with probability >= 1 - 1e-6.
    """
    p = np.array([0.1, 0.2, 0.3, 0.4])
    d = GeneralizedGumbelSoftmax(f64(VALUES), f64(2.), probs=f64(p), hard=hard)
    w = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    if hard:
        assert set(np.unique(w)) == {0., 1.}
        np.testing.assert_array_equal(w.sum(-1), 1.)
    counts = np.bincount(np.argmax(w, -1), minlength=4)
    for k in range(4):
        utils.assert_proportion_matches(counts[k], NUM_SAMPLES, p[k], FALSE_FAIL_RATE,
                                        num_tests=4)
    assert 2 * utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, 4) < 0.02


def test_zero_temperature_limit_is_the_discrete_law(seed):
    """hard=False at temperature 1e-3: the relaxed value snaps to the values
    with the discrete law's frequencies.

    A sample sits farther than 1e-3 from every value only if the two largest
    perturbed logits are within 1e-3 * log(7000) = 0.009 of each other
    (the spread of values is 8), which has probability below 0.009 (the
    density of that gap is below 1); we require 95% snapped. Frequencies of
    the nearest value: Hoeffding at FALSE_FAIL_RATE, union over 4 values;
    the half-width (< 0.009) rejects an error of 0.02 in any probability.
    """
    p = np.array([0.1, 0.2, 0.3, 0.4])
    d = GeneralizedGumbelSoftmax(f64(VALUES), f64(1e-3), probs=f64(p))
    v = np.asarray(d.sample_value(NUM_SAMPLES, seed=seed))
    dist = np.abs(v[:, None] - np.array(VALUES))
    assert np.mean(dist.min(-1) < 1e-3) > 0.95
    counts = np.bincount(dist.argmin(-1), minlength=4)
    for k in range(4):
        utils.assert_proportion_matches(counts[k], NUM_SAMPLES, p[k], FALSE_FAIL_RATE,
                                        num_tests=4)


def test_hard_sample_value_mean_matches_value_mean(seed):
    d = GeneralizedGumbelSoftmax(f64([VALUES, [0., 1., 2., 3.]]), f64(0.5),
                                 logits=f64(LOGITS), hard=True)
    v = np.asarray(d.sample_value(NUM_SAMPLES, seed=seed))
    assert set(np.unique(v[:, 0])) <= set(VALUES)
    utils.assert_mean_within_clt(v, np.asarray(d.value_mean()), FALSE_FAIL_RATE)
    centered = (v - np.asarray(d.value_mean())) ** 2
    utils.assert_mean_within_clt(centered, np.asarray(d.value_variance()), FALSE_FAIL_RATE)


def test_truncated_poisson_hard_frequencies(seed):
    """Hard samples of the truncated Poisson(3) follow the folded law.

    Hoeffding at FALSE_FAIL_RATE, union over the 9 kept values.
    """
    d = GeneralizedGumbelSoftmax.from_distribution(
        tfd.Poisson(f64(3.)), tf.range(30.), f64(0.5), truncation=0.99, hard=True)
    v = np.asarray(d.sample_value(NUM_SAMPLES, seed=seed))
    assert v.min() >= 0. and v.max() <= 8.
    np.testing.assert_array_equal(v, np.round(v))
    expected = np.append(stats.poisson.pmf(np.arange(8), 3.), stats.poisson.sf(7, 3.))
    counts = np.bincount(v.astype(int), minlength=9)
    for k in range(9):
        utils.assert_proportion_matches(counts[k], NUM_SAMPLES, expected[k],
                                        FALSE_FAIL_RATE, num_tests=9)


# -- gradients -------------------------------------------------------------------


@pytest.mark.parametrize("hard", [False, True])
def test_pathwise_gradients_match_finite_differences(hard):
    """d/d(logits, temperature) of a smooth function of the relaxed sample,
    noise held fixed (same seed). For hard=True the straight-through gradient
    is the relaxed one, so the finite differences are taken on hard=False."""
    seed = (11, 12)
    rng = np.random.default_rng(5)
    c = rng.normal(size=(300, 4))
    logits0, t0 = np.array(LOGITS), 0.7

    def loss(d):
        w = d.sample(300, seed=seed)
        # Linear in w, so that the straight-through gradient of the hard
        # sample is exactly the relaxed sample's gradient.
        return tf.reduce_sum(d.weights_to_values(w)) + tf.reduce_sum(c * w)

    def value(lg, t):
        d = GeneralizedGumbelSoftmax(f64(VALUES), f64(t), logits=f64(lg))
        return np.asarray(loss(d))

    g_lg, g_t = sub.gradients(
        lambda lg, t: loss(GeneralizedGumbelSoftmax(f64(VALUES), t, logits=lg, hard=hard)),
        f64(logits0), f64(t0))
    h = 1e-6
    for k in range(4):
        e = np.eye(4)[k] * h
        fd = (value(logits0 + e, t0) - value(logits0 - e, t0)) / (2 * h)
        np.testing.assert_allclose(g_lg[k], fd, rtol=1e-5, atol=1e-8)
    fd = (value(logits0, t0 + h) - value(logits0, t0 - h)) / (2 * h)
    np.testing.assert_allclose(g_t, fd, rtol=1e-5)
    assert np.all(np.abs(np.asarray(g_lg)) > 0.)


@pytest.mark.parametrize("truncation", [None, 0.99])
def test_from_distribution_gradient_wrt_poisson_rate(truncation):
    """Pathwise d/d rate of the relaxed Poisson value vs finite differences
    (same seed; at rate 3 the truncation cut does not move within +-h)."""
    seed = (21, 22)

    def total(rate):
        d = GeneralizedGumbelSoftmax.from_distribution(
            tfd.Poisson(rate), tf.range(25.), f64(0.4), truncation=truncation)
        return tf.reduce_sum(d.sample_value(400, seed=seed))

    (g,) = sub.gradients(total, f64(3.))
    h = 1e-6
    fd = (total(f64(3. + h)) - total(f64(3. - h))) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-5)
    assert np.asarray(g) > 0.   # A larger rate moves the relaxed count up.


def test_value_mean_gradient_wrt_poisson_rate_closed_form():
    """Without truncation and with values covering the mass, d/d rate of the
    discrete mean is 1 (the Poisson mean is the rate)."""
    def value_mean(rate):
        return GeneralizedGumbelSoftmax.from_distribution(
            tfd.Poisson(rate), tf.range(40.), f64(0.5)).value_mean()

    m, (g,) = sub.value_and_gradient(value_mean, f64(3.))
    np.testing.assert_allclose(m, 3., rtol=1e-12)
    np.testing.assert_allclose(g, 1., rtol=1e-10)


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
def test_gradients_finite_with_dropped_categories():
    t = tf.Variable(f64(0.3))
    lg = tf.Variable(f64([0.3, -np.inf, 1.1, 0.]))
    rate = tf.Variable(f64(2.))
    with tf.GradientTape(persistent=True) as tape:
        d = GeneralizedGumbelSoftmax(f64(VALUES), t, logits=lg)
        w = d.sample(50, seed=(1, 2))
        lp = d.log_prob(tf.stop_gradient(w))
        trunc = GeneralizedGumbelSoftmax.from_distribution(
            tfd.Binomial(5., probs=rate / 4.), tf.range(10.), t, truncation=0.9)
        v = trunc.sample_value(50, seed=(1, 2))
    for source in (w, lp):
        g_t, g_lg = tape.gradient(source, [t, lg])
        assert np.all(np.isfinite(np.asarray(g_t))) and np.all(np.isfinite(np.asarray(g_lg)))
        assert np.asarray(g_lg)[1] == 0.
    g_rate, g_t = tape.gradient(v, [rate, t])
    assert np.isfinite(np.asarray(g_rate)) and np.isfinite(np.asarray(g_t))


# -- truncation ------------------------------------------------------------------


def test_truncation_poisson_keeps_shortest_prefix_and_folds_tail():
    """Poisson(3): P(X <= 7) = 0.9881 < 0.99 <= P(X <= 8) = 0.9962, so
    truncation 0.99 keeps 0..8 and the value 8 gets P(X >= 8); truncation
    0.985 keeps 0..7 and the value 7 gets P(X >= 7)."""
    for eta, last in ((0.99, 8), (0.985, 7)):
        d = GeneralizedGumbelSoftmax.from_distribution(
            tfd.Poisson(f64(3.)), tf.range(30.), f64(0.5), truncation=eta)
        p = np.asarray(d.probs_parameter())
        expected = np.zeros(30)
        expected[:last] = stats.poisson.pmf(np.arange(last), 3.)
        expected[last] = stats.poisson.sf(last - 1, 3.)
        np.testing.assert_allclose(p, expected, rtol=1e-12, atol=0.)
        np.testing.assert_allclose(p.sum(), 1., rtol=1e-14)
        assert np.all(np.asarray(d.logits_parameter())[last + 1:] == -np.inf)


def test_truncation_per_batch_member_matches_scipy():
    rates = np.array([0.5, 3., 10.])
    values = np.arange(40.)
    for eta in (0.5, 0.9, 0.999):
        d = GeneralizedGumbelSoftmax.from_distribution(
            tfd.Poisson(f64(rates)), values, f64(1.), truncation=eta)
        p = np.asarray(d.probs_parameter())
        for i, r in enumerate(rates):
            n = int(np.argmax(stats.poisson.cdf(values, r) >= eta))
            expected = np.append(stats.poisson.pmf(values[:n], r),
                                 stats.poisson.sf(n - 1, r))
            # TFP's Poisson log_prob (lgamma) is accurate to ~1e-10 relative.
            np.testing.assert_allclose(p[i, :n + 1], expected, rtol=1e-9)
            np.testing.assert_array_equal(p[i, n + 1:], 0.)
    # A Geometric (failures before the first success), and eta as a tensor.
    d = GeneralizedGumbelSoftmax.from_distribution(
        tfd.Geometric(probs=f64(0.3)), np.arange(100.), f64(1.),
        truncation=f64([0.9, 0.99]))
    for i, eta in enumerate((0.9, 0.99)):
        n = int(np.argmax(stats.geom.cdf(values + 1, 0.3) >= eta))
        np.testing.assert_allclose(d.probs_parameter()[i, n], stats.geom.sf(n, 0.3),
                                   rtol=1e-11)
        np.testing.assert_allclose(np.asarray(d.probs_parameter()[i]).sum(), 1., rtol=1e-14)


def test_truncation_one_and_none_keep_the_law():
    a = GeneralizedGumbelSoftmax.from_distribution(tfd.Poisson(f64(3.)), tf.range(40.),
                                                   f64(1.))
    b = GeneralizedGumbelSoftmax.from_distribution(tfd.Poisson(f64(3.)), tf.range(40.),
                                                   f64(1.), truncation=1.)
    expected = stats.poisson.pmf(np.arange(40), 3.)
    np.testing.assert_allclose(a.probs_parameter(), expected / expected.sum(),
                               rtol=1e-12)
    np.testing.assert_allclose(b.probs_parameter(), expected / expected.sum(),
                               rtol=1e-12, atol=1e-16)


def test_from_distribution_values_broadcast_against_batch():
    rates = np.array([1., 2., 4.])
    d = GeneralizedGumbelSoftmax.from_distribution(
        tfd.Poisson(f64(rates)), f64([[[0., 1., 2.]], [[3., 4., 5.]]]), f64(1.))
    assert tuple(d.batch_shape) == (2, 3) and tuple(d.event_shape) == (3,)
    for i in range(2):
        for j, r in enumerate(rates):
            pmf = stats.poisson.pmf(np.arange(3 * i, 3 * i + 3), r)
            np.testing.assert_allclose(d.probs_parameter()[i, j], pmf / pmf.sum(),
                                       rtol=1e-12)
    np.testing.assert_allclose(d.values[1, 2], [3., 4., 5.])


@substrates.tensorflow_only("a tf.Variable rate assigned between calls of one XLA program")
def test_truncation_under_xla_without_host_sync():
    """The cut depends on a Variable rate and is recomputed inside one XLA
    program: no retracing, no host round trip, same result as eagerly."""
    rate = tf.Variable(3.)

    def run():
        d = GeneralizedGumbelSoftmax.from_distribution(
            tfd.Poisson(rate), tf.range(30.), 0.5, truncation=0.99, hard=True)
        w = d.sample(64, seed=(1, 2))
        return d.probs_parameter(), d.sample_value(64, seed=(1, 2)), d.log_prob(w)

    xla = tf.function(run, jit_compile=True)
    for r, last in ((3., 8), (1., 4)):
        rate.assign(r)
        p, v, lp = xla()
        p0, v0, lp0 = run()
        kept = int(np.sum(np.asarray(p) > 0)) - 1
        scipy_last = int(np.argmax(stats.poisson.cdf(np.arange(30), r) >= 0.99))
        assert kept == last == scipy_last
        np.testing.assert_allclose(p, p0, rtol=1e-5)
        np.testing.assert_allclose(v, v0)
        np.testing.assert_allclose(lp, lp0, rtol=1e-5)
        assert np.asarray(v).max() <= last
    assert xla.experimental_get_tracing_count() == 1


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    (dict(temperature=0., logits=LOGITS), "Argument `temperature` must be positive."),
    (dict(temperature=-1., logits=LOGITS), "Argument `temperature` must be positive."),
    (dict(temperature=1., probs=[0.5, -0.1, 0.3, 0.3]),
     "Argument `probs` must be on the probability simplex; it has negative"),
    (dict(temperature=1., probs=[0.5, 0.1, 0.3, 0.3]),
     "Argument `probs` must be on the probability simplex; its last axis does not sum"),
    (dict(temperature=1., logits=LOGITS, values=[0., np.inf, 1., 2.]),
     "Argument `values` must be finite."),
])
def test_invalid_parameters_raise(kwargs, message):
    kwargs.setdefault("values", VALUES)
    with pytest.raises(sub.validation_error, match=message.replace("(", r"\(")
                       .replace(")", r"\)")):
        GeneralizedGumbelSoftmax(validate_args=True, **kwargs)


def test_static_shape_errors():
    with pytest.raises(ValueError, match="`values` must have the same last dimension "
                       "as `logits`.*3 values and 4 categories"):
        GeneralizedGumbelSoftmax([0., 1., 2.], 1., logits=LOGITS)
    with pytest.raises(ValueError, match="`values` must have rank at least 1"):
        GeneralizedGumbelSoftmax(1., 1., logits=LOGITS)
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        GeneralizedGumbelSoftmax(VALUES, 1.)
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        GeneralizedGumbelSoftmax(VALUES, 1., logits=LOGITS, probs=[0.25] * 4)


@pytest.mark.parametrize("eta", [0., -0.5, 1.5])
def test_invalid_truncation_raises(eta):
    with pytest.raises(ValueError, match=r"Argument `truncation` must be in \(0, 1\]"):
        GeneralizedGumbelSoftmax.from_distribution(tfd.Poisson(3.), tf.range(10.), 1.,
                                                   truncation=eta)
    with pytest.raises(sub.validation_error,
                       match=r"Argument `truncation` must be in \(0, 1\]"):
        GeneralizedGumbelSoftmax.from_distribution(
            tfd.Poisson(3.), tf.range(10.), 1., truncation=tf.constant(eta),
            validate_args=True)


def test_from_distribution_requires_scalar_events():
    with pytest.raises(ValueError, match="`distribution` must have scalar events"):
        GeneralizedGumbelSoftmax.from_distribution(
            tfd.Multinomial(3., probs=[0.5, 0.5]), tf.range(3.), 1.)


@substrates.tensorflow_only("assigns a tf.Variable after construction")
def test_invalid_variable_assignment_is_caught():
    t = tf.Variable(1.)
    d = GeneralizedGumbelSoftmax(VALUES, t, logits=LOGITS, validate_args=True)
    d.sample(seed=(1, 2))
    t.assign(-1.)
    with pytest.raises(sub.validation_error,
                       match="`temperature` must be positive"):
        d.sample(seed=(1, 2))


def test_log_prob_validates_support():
    d = GeneralizedGumbelSoftmax(VALUES, 1., logits=LOGITS, validate_args=True)
    with pytest.raises(sub.validation_error, match="probability simplex"):
        d.log_prob([0.5, 0.5, 0.5, 0.])
    h = GeneralizedGumbelSoftmax(VALUES, 1., logits=LOGITS, hard=True,
                                 validate_args=True)
    with pytest.raises(sub.validation_error,
                       match="must be a one-hot vector"):
        h.log_prob([0.25, 0.25, 0.25, 0.25])
    assert np.isfinite(np.asarray(h.log_prob([0., 0., 1., 0.])))


# -- boundaries: zero probabilities, a certain value, extreme parameters ----------

VALUES3 = [5., 1., 2.5]


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("probs", [[0., 0.3, 0.7], [0., 1., 0.]])
def test_zero_probabilities_give_finite_gradients_and_log_probs(dtype, hard, probs):
    def outputs(p, t, values):
        d = GeneralizedGumbelSoftmax(values, t, probs=p, hard=hard)
        w = d.sample(200, seed=(1, 2))
        lp = d.log_prob(w)
        out = dict(sample=tf.reduce_sum(w), log_prob=tf.reduce_sum(lp),
                   log_prob_fixed=tf.reduce_sum(d.log_prob(tf.stop_gradient(w))),
                   value=tf.reduce_sum(d.weights_to_values(w)),
                   value_mean=d.value_mean(), value_variance=d.value_variance())
        if hard:
            out["mean"] = tf.reduce_sum(d.mean() * tf.constant([1., 2., 3.], dtype))
        return w, lp, out

    params = [tf.constant(probs, dtype), tf.constant(0.5, dtype), tf.constant(VALUES3, dtype)]
    w, lp, names = outputs(*params)
    assert np.all(np.isfinite(np.asarray(lp))), lp
    np.testing.assert_array_equal(np.asarray(w)[..., np.equal(probs, 0.)], 0.)
    if max(probs) == 1.:
        # A certain value: every sample is its vertex, with log-mass 0 (to a
        # few ulps: exactly 0 on TensorFlow, 4 ulps of 1 in float32 on JAX).
        np.testing.assert_array_equal(w, np.broadcast_to(probs, w.shape))
        np.testing.assert_allclose(lp, 0., atol=4 * np.finfo(sub.dtype_name(dtype)).eps)
    for name in names:
        for g in sub.gradients(lambda *q, name=name: outputs(*q)[2][name], *params):
            assert g is None or np.all(np.isfinite(np.asarray(g))), (name, g)


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
def test_gradients_at_a_zero_probability_are_one_sided_limits():
    """value_mean = sum_k p_k v_k / sum(p), so d / dp_0 = v_0 - value_mean at
    p_0 = 0 (and likewise for the others); a guard on log(0) that blocks the
    gradient gives 0 instead. Checked against the difference quotient from
    p_0 = 1e-8 in float64."""
    p = tf.Variable(tf.constant([0., 0.3, 0.7], tf.float64))
    values = tf.constant(VALUES3, tf.float64)
    onehot = tf.constant([0., 1., 0.], tf.float64)

    def outputs(d):
        return dict(value_mean=d.value_mean(), value_variance=d.value_variance(),
                    mean=tf.reduce_sum(d.mean() * [1., 2., 3.]), log_prob=d.log_prob(onehot))

    with tf.GradientTape(persistent=True) as tape:
        at = outputs(GeneralizedGumbelSoftmax(values, 0.5, probs=p, hard=True))
    near = outputs(GeneralizedGumbelSoftmax(
        values, 0.5, probs=tf.constant([1e-8, 0.3, 0.7], tf.float64), hard=True))
    np.testing.assert_allclose(tape.gradient(at["value_mean"], p)[0], 5. - 0.3 - 0.7 * 2.5)
    for name in at:
        quotient = np.asarray((near[name] - at[name])) / 1e-8
        np.testing.assert_allclose(tape.gradient(at[name], p)[0], quotient, rtol=1e-6,
                                   err_msg=name)


@substrates.tensorflow_only("assigns a tf.Variable after construction")
def test_plus_infinite_logits_raise():
    with pytest.raises(ValueError, match="Argument `logits` must be less than \\+inf"):
        GeneralizedGumbelSoftmax(VALUES3, 0.5, logits=[np.inf, 0., 0.])
    logits = tf.Variable([0., 0., 0.])
    d = GeneralizedGumbelSoftmax(VALUES3, 0.5, logits=logits, validate_args=True)
    logits.assign([np.inf, 0., 0.])
    with pytest.raises(sub.validation_error,
                       match="Argument `logits` must be less than \\+inf"):
        d.sample(seed=(1, 2))


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("temperature", [1e-30, 1e-6, 1e6, 1e30])
def test_extreme_logits_and_temperatures_are_finite(dtype, hard, temperature):
    """Logits of +-1e30 and -inf (a dropped value) with temperatures far
    outside 1e-3..1e3: samples, log-probs and gradients stay finite. In
    float32, (logits + g) / temperature overflowed at temperature 1e-30 and
    made the softmax NaN; its temperature gradient overflowed already at
    1e-6. On JAX the quotient's own derivative rule (through t**-2) would
    overflow at 1e-30 too; `backend.divide` keeps TensorFlow's."""

    def outputs(t, logits, values):
        d = GeneralizedGumbelSoftmax(values, t, logits=logits, hard=hard)
        w = d.sample(64, seed=(1, 2))
        return w, d.log_prob(tf.stop_gradient(w)), d.weights_to_values(w)

    params = [tf.constant(temperature, dtype),
              tf.constant([[-1e30, 0., 1e30], [-50., 50., 0.], [-np.inf, 0., 1.]], dtype),
              tf.constant(VALUES3, dtype)]
    w, lp, _ = outputs(*params)
    assert np.all(np.isfinite(np.asarray(w))) and np.all(np.isfinite(np.asarray(lp)))
    np.testing.assert_allclose(tf.reduce_sum(w, axis=-1), 1., rtol=1e-6)
    # The largest logit wins wherever the temperature makes it certain.
    if temperature <= 1e-6:
        np.testing.assert_array_equal(tf.argmax(w, axis=-1)[:, 0], 2)
    for i in range(3):
        grads = sub.gradients(lambda *q, i=i: tf.reduce_sum(outputs(*q)[i]), *params)
        for g in grads:
            assert g is None or np.all(np.isfinite(np.asarray(g)))
    assert grads[2] is not None  # The value's gradient in `values`.


def test_integer_values_and_probs_are_converted():
    d = GeneralizedGumbelSoftmax(np.array([0, 1, 3]), 1, probs=np.array([0, 1, 0]), hard=True)
    assert d.dtype == tf.float32
    np.testing.assert_array_equal(d.sample_value(5, seed=(1, 2)), 1.)
    np.testing.assert_array_equal(d.value_mean(), 1.)
    d = GeneralizedGumbelSoftmax(np.array([0, 1, 3]), 0.5, logits=np.array([0, 1, 2]))
    w = d.sample(5, seed=(1, 2))
    assert w.dtype == tf.float32 and np.all(np.isfinite(np.asarray(d.log_prob(w))))


# -- regressions for defects of the reference library, relaxit --------------------


def test_regression_sample_shape_is_supported():
    """relaxit's rsample()/sample_value() took no sample_shape."""
    d = GeneralizedGumbelSoftmax(VALUES, 0.5, logits=tf.zeros([3, 4]))
    assert d.sample((4, 2), seed=(1, 2)).shape == (4, 2, 3, 4)
    assert d.sample_value((4, 2), seed=(1, 2)).shape == (4, 2, 3)
    h = GeneralizedGumbelSoftmax(VALUES, 0.5, logits=tf.zeros([3, 4]), hard=True)
    assert h.sample_value(7, seed=(1, 2)).shape == (7, 3)


def test_regression_event_shape_is_the_category_axis():
    """relaxit declared event shape () although rsample returned
    (..., K), so log_prob did not reduce over the categories."""
    d = GeneralizedGumbelSoftmax(VALUES, 0.5, logits=tf.zeros([3, 4]))
    assert tuple(d.event_shape) == (4,) and tuple(d.batch_shape) == (3,)
    x = d.sample(5, seed=(1, 2))
    assert d.log_prob(x).shape == (5, 3)


def test_regression_support_is_the_simplex():
    """relaxit declared no support for GenGS."""
    d = GeneralizedGumbelSoftmax(f64(VALUES), f64(0.5), logits=f64(LOGITS))
    bijector = d.experimental_default_event_space_bijector()
    y = bijector(f64([[-30., 0., 30.], [1., 2., 3.]]))
    assert np.all(np.asarray(y) > 0.)
    np.testing.assert_allclose(np.asarray(y).sum(-1), 1., rtol=1e-12)
    x = np.asarray(d.sample(100, seed=(1, 2)))
    assert np.all(x >= 0.) and np.allclose(x.sum(-1), 1., rtol=1e-12)
    h = GeneralizedGumbelSoftmax(VALUES, 0.5, logits=LOGITS, hard=True)
    assert h.experimental_default_event_space_bijector() is None


def test_regression_truncation_folds_tail_and_reaches_the_level():
    """relaxit kept the values with cumulative mass <= eta (0..7 for
    Poisson(3), eta = 0.99: only 0.9881 of the mass), dropped the tail and
    renormalized, with a host `.item()` sync. Here the kept prefix reaches
    eta and the tail is folded into its last value, so the probabilities of
    0..7 are the Poisson's own."""
    d = GeneralizedGumbelSoftmax.from_distribution(
        tfd.Poisson(f64(3.)), tf.range(30.), f64(0.5), truncation=0.99)
    p = np.asarray(d.probs_parameter())
    relaxit_kept = stats.poisson.cdf(7, 3.)
    assert relaxit_kept < 0.99 <= stats.poisson.cdf(8, 3.)
    np.testing.assert_allclose(p[:8], stats.poisson.pmf(np.arange(8), 3.), rtol=1e-12)
    np.testing.assert_allclose(p[:9].sum(), 1., rtol=1e-14)
    # relaxit's renormalized probabilities would be pmf / 0.9881, 1.2% too big.
    assert not np.allclose(p[:8], stats.poisson.pmf(np.arange(8), 3.) / relaxit_kept,
                           rtol=1e-3)


def test_regression_float64_is_kept():
    """relaxit cast parameters to float32."""
    d = GeneralizedGumbelSoftmax.from_distribution(tfd.Poisson(f64(2.)), tf.range(10),
                                                   0.5, truncation=0.9)
    assert d.dtype == tf.float64
    assert d.sample_value(seed=(1, 2)).dtype == tf.float64
    assert d.value_mean().dtype == tf.float64


def test_regression_hard_sample_is_exactly_one_hot_in_every_mode():
    """The straight-through sample is exactly 0/1 in the forward pass
    (w - stop_gradient(w) is added as a unit), eagerly, in tf.function and
    under XLA, so the value is exactly one of `values`."""
    def run():
        d = GeneralizedGumbelSoftmax(tf.constant([0.1, 0.7, 1.3, 1e6]), 0.3,
                                     logits=tf.zeros([50, 4]), hard=True)
        return d.sample(20, seed=(4, 5)), d.sample_value(20, seed=(4, 5))

    for fn in (run, tf.function(run), tf.function(run, jit_compile=True)):
        w, v = fn()
        assert set(np.unique(np.asarray(w))) == {0., 1.}
        allowed = {np.float32(x) for x in (0.1, 0.7, 1.3, 1e6)}
        assert set(np.unique(np.asarray(v))) <= allowed


# -- discrete_law ---------------------------------------------------------------------


def test_discrete_law_is_the_one_hot_law_of_the_values():
    d = GeneralizedGumbelSoftmax(VALUES, 0.5, logits=LOGITS, validate_args=True)
    law = d.discrete_law()
    assert isinstance(law, tfd.OneHotCategorical)
    assert law.event_shape == [4] and law.validate_args
    np.testing.assert_allclose(law.probs_parameter(), special.softmax(LOGITS), rtol=1e-6)
    np.testing.assert_allclose(d.weights_to_values(law.mean()), d.value_mean(), rtol=1e-5)
    probs = [0., 0.5, 0.5, 0.]
    law = GeneralizedGumbelSoftmax(VALUES, 0.5, probs=probs).discrete_law()
    np.testing.assert_array_equal(law.probs_parameter(), np.float32(probs))
