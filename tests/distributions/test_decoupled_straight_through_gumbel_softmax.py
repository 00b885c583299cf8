"""Tests for relaxtfp.distributions.DecoupledStraightThroughGumbelSoftmax."""

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
DecoupledStraightThroughGumbelSoftmax = sub.rtd.DecoupledStraightThroughGumbelSoftmax
StraightThroughGumbelSoftmax = sub.rtd.StraightThroughGumbelSoftmax
noise = importlib.import_module(f"{sub.rtfp.__name__}.internal.noise")

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6

K = 4
LOGITS = np.array([0.3, -1.2, 1., 0.1])


def dstgs(tau_f, tau_b, logits=LOGITS, **kwargs):
    return DecoupledStraightThroughGumbelSoftmax(
        tf.constant(tau_f, tf.float64), tf.constant(tau_b, tf.float64),
        logits=tf.convert_to_tensor(logits, tf.float64), **kwargs)


class TestDecoupledStraightThroughGumbelSoftmaxContract(DistributionContract):

    EVENT_SHAPE = (K,)
    REPARAMETERIZED = True

    def make(self, dtype):
        return DecoupledStraightThroughGumbelSoftmax(
            forward_temperature=tf.constant([[0.5], [2.]], dtype),
            backward_temperature=tf.constant([0.3, 1., 3.], dtype),
            logits=tf.constant([1., 0., -1., 0.5], dtype))

    def make_iid(self, n, dtype):
        return DecoupledStraightThroughGumbelSoftmax(
            forward_temperature=tf.constant(1.5, dtype),
            backward_temperature=tf.fill([n], tf.constant(0.7, dtype)),
            logits=tf.constant([0.3, 0., -0.2, 0.1], dtype))

    def extreme_cases(self, dtype):
        # log_prob does not depend on the backward temperature (None
        # gradient), so the contract gets [forward_temperature, logits]; the
        # backward temperature's sample gradient at the extremes is checked
        # in test_gradients_finite_at_extremes.
        cases = []
        for tau_f in (1e-3, 1., 1e3):
            for tau_b in (1e-3, 1., 1e3):
                def build(f, lg, b=tf.constant(tau_b, dtype)):
                    return DecoupledStraightThroughGumbelSoftmax(f, b, logits=lg)
                cases.append((build, [
                    tf.constant(tau_f, dtype),
                    tf.constant([[50., -50., 0., 5.], [-50., -5., 0., 50.]], dtype)]))
        return cases

    def parameters(self, dtype):
        # Without the backward temperature, as in `extreme_cases`; its sample
        # gradient is checked in test_pathwise_gradient_closed_form_with_same_noise.
        backward = tf.constant([0.3, 1., 3.], dtype)

        def build(f, lg):
            return DecoupledStraightThroughGumbelSoftmax(f, backward, logits=lg)
        return build, [tf.constant([[0.5], [2.]], dtype),
                       tf.constant([1., 0., -1., 0.5], dtype)]


def chi_square_test_with_power(counts, p, p_wrong, false_fail_rate):
    """Pearson chi-square goodness of fit of `counts` to `p`, rejecting above
    the (1 - false_fail_rate) quantile of chi2(K - 1) (asymptotic; expected
    counts here are above 1000). Power: the probability, under the
    non-central chi2(K - 1, n * sum((p_wrong - p)^2 / p)) approximation, of
    rejecting `p_wrong` is asserted to be at least 1 - false_fail_rate."""
    counts = np.asarray(counts, np.float64)
    n = counts.sum()
    dof = counts.size - 1
    critical = stats.chi2.isf(false_fail_rate, dof)
    statistic = np.sum((counts - n * p) ** 2 / (n * p))
    assert statistic <= critical, (statistic, critical, counts / n, p)
    ncp = n * np.sum((np.asarray(p_wrong) - p) ** 2 / p)
    assert stats.ncx2.sf(critical, dof, ncp) >= 1. - false_fail_rate, ncp


# -- forward law -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_forward_values_are_exactly_one_hot(dtype, mode):
    tau_f = tf.constant([1e-3, 0.3, 1., 1e3], dtype)[:, tf.newaxis, tf.newaxis]
    tau_b = tf.constant([1e-3, 0.7, 1e3], dtype)[:, tf.newaxis]
    logits = tf.constant([[0.3, -1.2, 2., 0.1], [50., -50., 0., 1.]], dtype)

    def run():
        return DecoupledStraightThroughGumbelSoftmax(tau_f, tau_b, logits=logits).sample(
            100, seed=(3, 4))

    x = np.asarray(run() if mode == "eager" else sub.xla(run)())
    assert x.shape == (100, 4, 3, 2, K)
    assert np.all((x == 0.) | (x == 1.))
    assert np.all(x.sum(-1) == 1.)


@pytest.mark.parametrize("tau_f", [0.25, 1., 3.])
def test_forward_frequencies_match_tempered_softmax(tau_f, seed):
    """Chi-square test of the counts against softmax(logits / tau_f), for two
    backward temperatures (2 tests at FALSE_FAIL_RATE / 2 each). Power: each
    rejects softmax(logits) (relaxit's no-op forward temperature) and
    softmax(logits / (1.25 tau_f)) with probability >= 1 - FALSE_FAIL_RATE / 2
    (for tau_f = 1 only the second alternative differs)."""
    d = dstgs(tau_f, [[0.2], [5.]])
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    p = special.softmax(LOGITS / tau_f)
    for i in range(2):
        chi_square_test_with_power(x[:, i].sum(0), p, special.softmax(LOGITS / (1.25 * tau_f)),
                                   FALSE_FAIL_RATE / 2)
        if tau_f != 1.:
            chi_square_test_with_power(x[:, i].sum(0), p, special.softmax(LOGITS),
                                       FALSE_FAIL_RATE / 2)


def test_backward_temperature_does_not_change_forward_samples():
    a = dstgs(2., 0.1).sample(500, seed=(5, 6))
    b = dstgs(2., 10.).sample(500, seed=(5, 6))
    np.testing.assert_array_equal(a, b)


def test_unit_forward_temperature_is_straight_through_gumbel_softmax():
    """tau_f = 1: same samples and same gradients as the single-temperature
    class at temperature tau_b, with the same seed."""
    logits = tf.constant(LOGITS)
    w = tf.constant([0.7, -1.3, 2.1, 0.4], tf.float64)

    def x_of(lg):
        return dstgs(1., 0.4, logits=lg).sample(300, seed=(7, 8))

    def y_of(lg):
        return StraightThroughGumbelSoftmax(tf.constant(0.4, tf.float64), logits=lg).sample(
            300, seed=(7, 8))

    np.testing.assert_array_equal(x_of(logits), y_of(logits))
    (gx,) = sub.gradients(lambda lg: tf.reduce_sum(x_of(lg) * w), logits)
    (gy,) = sub.gradients(lambda lg: tf.reduce_sum(y_of(lg) * w), logits)
    np.testing.assert_allclose(gx, gy, rtol=1e-12)


# -- analytic values ------------------------------------------------------------------


def test_log_prob_is_pmf_of_forward_law():
    tau_f = np.array([0.3, 1., 4.])
    d = dstgs(tau_f, 0.5)
    support = d.enumerate_support()
    assert tuple(support.shape) == (K, 3, K)
    expected = special.log_softmax(LOGITS / tau_f[:, None], -1)      # [3, K]
    np.testing.assert_allclose(np.asarray(d.log_prob(support)).T, expected, rtol=1e-12)
    np.testing.assert_allclose(
        d.log_prob(support),
        tfd.OneHotCategorical(logits=tf.constant(LOGITS / tau_f[:, None], tf.float64)).log_prob(
            support),
        rtol=1e-12)


def test_probs_parameterization_is_tempered_power():
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    d = DecoupledStraightThroughGumbelSoftmax(
        tf.constant(2., tf.float64), 0.5, probs=probs)
    expected = probs ** 0.5 / np.sum(probs ** 0.5)
    np.testing.assert_allclose(d.mean(), expected, rtol=1e-12)
    np.testing.assert_allclose(d.probs_parameter(), probs, rtol=1e-12)
    a = dstgs(2., 0.5, logits=np.log(probs)).sample(200, seed=(1, 2))
    np.testing.assert_array_equal(d.sample(200, seed=(1, 2)), a)


def test_statistics_of_forward_law():
    tau_f = np.array([0.5, 3.])
    d = dstgs(tau_f, [[0.2], [1.], [5.]])
    p = special.softmax(LOGITS / tau_f[:, None], -1)
    ref = tfd.OneHotCategorical(logits=tf.constant(LOGITS / tau_f[:, None], tf.float64),
                                dtype=tf.float64)
    assert tuple(d.batch_shape) == (3, 2)
    for b in range(3):
        np.testing.assert_allclose(d.mean()[b], p, rtol=1e-12)
        np.testing.assert_allclose(d.variance()[b], p * (1. - p), rtol=1e-12)
        np.testing.assert_allclose(d.covariance()[b], ref.covariance(), rtol=1e-12,
                                   atol=1e-15)
        np.testing.assert_allclose(d.entropy()[b], -np.sum(p * np.log(p), -1), rtol=1e-12)
        np.testing.assert_array_equal(d.mode()[b], ref.mode())


# -- gradients ---------------------------------------------------------------------------


@pytest.mark.parametrize("tau_f,tau_b", [(0.3, 0.5), (1., 2.), (4., 0.2)])
def test_pathwise_gradient_closed_form_with_same_noise(tau_f, tau_b):
    """z = logits + tau_f G; forward one_hot(argmax(z)) and, with
    s = softmax(z / tau_b) and J = (diag(s) - s s^T) / tau_b:
    dL/dlogits = J^T w, dL/dtau_f = (J^T w) . G, dL/dtau_b = -(J^T w) . z / tau_b."""
    n, seed = 400, (11, 12)
    w = np.array([0.7, -1.3, 2.1, 0.4])
    logits = tf.constant(LOGITS)
    f = tf.constant(tau_f, tf.float64)
    b = tf.constant(tau_b, tf.float64)

    def sample(lg, f, b):
        return DecoupledStraightThroughGumbelSoftmax(f, b, logits=lg).sample(n, seed=seed)

    x = sample(logits, f, b)
    g_l, g_f, g_b = sub.gradients(lambda *p: tf.reduce_sum(sample(*p) * w), logits, f, b)

    gumbel = np.asarray(noise.gumbel([n, K], seed=seed, dtype=tf.float64))
    np.testing.assert_array_equal(x, np.eye(K)[np.argmax(LOGITS / tau_f + gumbel, -1)])
    z = LOGITS + tau_f * gumbel
    s = special.softmax(z / tau_b, -1)
    np.testing.assert_array_equal(np.argmax(s, -1), np.argmax(x, -1))
    jtw = s * (w - np.sum(s * w, -1, keepdims=True)) / tau_b
    np.testing.assert_allclose(g_l, jtw.sum(0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g_f, np.sum(jtw * gumbel), rtol=1e-9)
    np.testing.assert_allclose(g_b, -np.sum(jtw * z) / tau_b, rtol=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_finite_at_extremes(dtype):
    """Both temperatures over 1e-3..1e3 with logits +-50: sample, log_prob,
    entropy, mean and their gradients w.r.t. all three parameters finite."""
    def outputs(f, b, logits):
        d = DecoupledStraightThroughGumbelSoftmax(f, b, logits=logits)
        x = d.sample(100, seed=(1, 2))
        return [tf.reduce_sum(x * tf.constant([1., 2., 3., 4.], dtype)),
                tf.reduce_sum(d.log_prob(tf.stop_gradient(x))),
                d.entropy(), tf.reduce_sum(d.variance())]

    for tau_f in (1e-3, 1e3):
        for tau_b in (1e-3, 1e3):
            params = [tf.constant(tau_f, dtype), tf.constant(tau_b, dtype),
                      tf.constant([50., -50., 0., 49.9], dtype)]
            for i, out in enumerate(outputs(*params)):
                assert np.all(np.isfinite(np.asarray(out)))
                grads = sub.gradients(lambda *p, i=i: outputs(*p)[i], *params)
                for g in grads:
                    if g is not None:
                        assert np.all(np.isfinite(np.asarray(g))), (tau_f, tau_b, i)
                if i == 0:
                    assert all(g is not None for g in grads)


# -- probabilities exactly 0, and KL divergences -------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("tau_f,tau_b", [(0.5, 0.2), (1., 1.), (3., 10.)])
def test_zero_probabilities_give_exact_values_and_finite_gradients(dtype, tau_f, tau_b):
    """A zero probability stays zero at every forward temperature (0 ** (1 /
    tau_f) = 0); samples, log_prob of samples, mean, entropy and KL have
    finite gradients w.r.t. probs and both temperatures (NaN before, through
    logits of -inf)."""
    params = [tf.constant([[0.25, 0.75, 0., 0.], [0., 1., 0., 0.]], dtype),
              tf.constant(tau_f, dtype), tf.constant(tau_b, dtype)]

    def quantities(probs, f, b):
        d = DecoupledStraightThroughGumbelSoftmax(f, b, probs=probs)
        x = d.sample(100, seed=(1, 2))
        return dict(
            x=x, lp_sample=d.log_prob(x), mean=d.mean(), entropy=d.entropy(),
            kl=tfd.kl_divergence(d, tfd.OneHotCategorical(logits=tf.zeros([K], dtype))))

    q = {k: np.asarray(v) for k, v in quantities(*params).items()}
    xs, mean = q["x"], q["mean"]
    assert np.all(xs[:, 0, 2:] == 0.) and np.all(xs[:, 1] == [0., 1., 0., 0.])
    assert np.all(np.isfinite(q["lp_sample"]))
    tempered = np.array([0.25, 0.75]) ** (1. / tau_f)
    np.testing.assert_allclose(mean[0, :2], tempered / tempered.sum(), rtol=1e-5)
    np.testing.assert_array_equal(mean[:, 2:], 0.)
    np.testing.assert_array_equal(mean[1], [0., 1., 0., 0.])
    np.testing.assert_array_equal(q["entropy"][1], 0.)
    np.testing.assert_allclose(q["kl"][1], np.log(K), rtol=1e-6)
    for name in q:
        grads = sub.gradients(
            lambda *p, name=name: tf.reduce_sum(quantities(*p)[name]), *params)
        for g in grads:
            # None (TensorFlow) where a quantity does not depend on a parameter.
            assert g is None or np.all(np.isfinite(np.asarray(g))), name


def test_kl_divergence_is_that_of_the_forward_laws():
    """KL between the forward laws softmax(logits / tau_f): against another
    decoupled class, a StraightThroughGumbelSoftmax and a
    tfd.OneHotCategorical; the backward temperatures play no part."""
    tau_f = np.array([0.5, 2.])
    a = dstgs(tau_f, 0.3)
    a_law = tfd.OneHotCategorical(logits=tf.constant(LOGITS / tau_f[:, None], tf.float64))
    other_logits = np.array([0., 1., -1., 2.])
    for b, b_logits in (
            (dstgs(3., 7., logits=other_logits), other_logits / 3.),
            (StraightThroughGumbelSoftmax(tf.constant(0.1, tf.float64),
                                          logits=tf.constant(other_logits, tf.float64)),
             other_logits),
            (tfd.OneHotCategorical(logits=tf.constant(other_logits, tf.float64)),
             other_logits)):
        b_law = tfd.OneHotCategorical(logits=tf.constant(b_logits, tf.float64))
        np.testing.assert_allclose(tfd.kl_divergence(a, b), tfd.kl_divergence(a_law, b_law),
                                   rtol=1e-12)
        np.testing.assert_allclose(tfd.kl_divergence(b, a), tfd.kl_divergence(b_law, a_law),
                                   rtol=1e-12)


# -- statistics --------------------------------------------------------------------------


def test_backward_surrogate_law(seed):
    """The surrogate softmax((logits + tau_f G) / tau_b) has the law of
    RelaxedOneHotCategorical(tau_b / tau_f, logits / tau_f). Seen through
    s_0 (1 - s_0) and s_0 s_1, recovered per sample from the Jacobian
    (d x_0 / d logits_j = s_0 (delta_0j - s_j) / tau_b); two-sample DKWM
    against TFP's sampler, FALSE_FAIL_RATE / 2 per statistic. Power: the
    surrogate with unscaled noise, RelaxedOneHotCategorical(tau_b, logits),
    is rejected with probability >= 1 - FALSE_FAIL_RATE (its estimated CDF
    gap, less the estimate's DKWM error, exceeds twice the threshold)."""
    tau_f, tau_b, n = 3., 1., NUM_SAMPLES
    logits = tf.constant(LOGITS * np.ones([n, 1]))
    (g,) = sub.gradients(lambda lg: tf.reduce_sum(
        dstgs(tau_f, tau_b, logits=lg).sample(seed=seed)[:, 0]), logits)
    g = np.asarray(g) * tau_b
    ours = (g[:, 0], -g[:, 1])

    def tfp_stats(t, lg, s):
        y = np.asarray(tfd.RelaxedOneHotCategorical(
            tf.constant(t, tf.float64), logits=tf.constant(lg, tf.float64)).sample(
                n, seed=sub.seed(*s)))
        return y[:, 0] * (1. - y[:, 0]), y[:, 0] * y[:, 1]

    ref = tfp_stats(tau_b / tau_f, LOGITS / tau_f, (7, 8))
    right = tfp_stats(tau_b / tau_f, LOGITS / tau_f, (9, 10))
    wrong = tfp_stats(tau_b, LOGITS, (11, 12))
    for a, r0, r1, w in zip(ours, ref, right, wrong):
        dev, threshold = _two_sample_dkwm(a, r0, FALSE_FAIL_RATE / 2.)
        assert dev <= threshold, (dev, threshold)
        gap, gap_err = _two_sample_dkwm(r1, w, FALSE_FAIL_RATE / 2.)
        assert gap - gap_err >= 2. * threshold, (gap, gap_err, threshold)


def _two_sample_dkwm(a, b, false_fail_rate):
    """sup |F_a - F_b| and its bound eps_a + eps_b (DKWM at rate / 2 each)."""
    grid = np.quantile(np.concatenate([a, b]), np.linspace(0., 1., 2001))
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return (float(np.max(np.abs(fa - fb))),
            utils.dkwm_epsilon(a.size, false_fail_rate / 2.)
            + utils.dkwm_epsilon(b.size, false_fail_rate / 2.))


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    (dict(forward_temperature=0., backward_temperature=1., logits=[0., 0.]),
     "Argument `forward_temperature` must be positive."),
    (dict(forward_temperature=[1., -2.], backward_temperature=1., logits=[0., 0.]),
     "Argument `forward_temperature` must be positive."),
    (dict(forward_temperature=1., backward_temperature=0., logits=[0., 0.]),
     "Argument `backward_temperature` must be positive."),
    (dict(forward_temperature=1., backward_temperature=-1., logits=[0., 0.]),
     "Argument `backward_temperature` must be positive."),
    (dict(forward_temperature=1., backward_temperature=1., probs=[0.5, -0.1, 0.6]),
     "Argument `probs` must be non-negative."),
    (dict(forward_temperature=1., backward_temperature=1., probs=[0.5, 0.6]),
     "Argument `probs` must sum to 1 over its last dimension."),
])
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(sub.validation_error, match=message):
        DecoupledStraightThroughGumbelSoftmax(validate_args=True, **kwargs)


@substrates.tensorflow_only("assigns to a tf.Variable parameter")
def test_invalid_variable_assignment_is_caught():
    b = tf.Variable(1.)
    d = DecoupledStraightThroughGumbelSoftmax(1., b, logits=[0., 1.], validate_args=True)
    d.sample(seed=(1, 2))
    b.assign(0.)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Argument `backward_temperature` must be positive"):
        d.sample(seed=(1, 2))


def test_logits_and_probs_are_exclusive():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        DecoupledStraightThroughGumbelSoftmax(1., 1., logits=[0., 0.], probs=[0.5, 0.5])
    with pytest.raises(ValueError, match="Argument `probs` must have rank at least 1."):
        DecoupledStraightThroughGumbelSoftmax(1., 1., probs=1.)


def test_log_prob_validates_one_hot():
    d = DecoupledStraightThroughGumbelSoftmax(1., 1., logits=tf.zeros([K]),
                                              validate_args=True)
    with pytest.raises(sub.validation_error, match="Sample must be one-hot"):
        d.log_prob([0.5, 0.5, 0., 0.])


# -- regressions for defects of the reference library, relaxit --------------------------


def test_regression_forward_temperature_changes_forward_law(seed):
    """in relaxit the forward temperature was a no-op (argmax of
    (logits + G) / tau_f does not depend on tau_f). Here, with the same seed,
    tau_f = 0.5 and tau_f = 2 give different samples, and their frequencies
    of category 2 differ beyond two Hoeffding bands. False-failure rate: the
    true gap is at least twice the sum of the bands (asserted), so a correct
    sampler fails only if one of the two frequencies leaves its band, with
    probability <= FALSE_FAIL_RATE."""
    a = np.asarray(dstgs(0.5, 1.).sample(NUM_SAMPLES, seed=seed))
    b = np.asarray(dstgs(2., 1.).sample(NUM_SAMPLES, seed=seed))
    assert not np.array_equal(a, b)
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, num_tests=2)
    gap = special.softmax(LOGITS / 0.5)[2] - special.softmax(LOGITS / 2.)[2]
    assert gap >= 4. * eps
    assert a[:, 2].mean() - b[:, 2].mean() > 2. * eps


def test_regression_mean_and_variance_exist():
    """relaxit's mean and variance read an unset attribute and raised
    AttributeError."""
    d = dstgs(2., 0.5)
    p = special.softmax(LOGITS / 2.)
    np.testing.assert_allclose(d.mean(), p, rtol=1e-12)
    np.testing.assert_allclose(d.variance(), p * (1. - p), rtol=1e-12)


def test_regression_enumerate_support_layout():
    """relaxit returned batch + (K, K) ((5, 4, 4) for batch (5,));
    here [K] + batch + [K], with exp(log_prob) summing to 1 over axis 0."""
    d = DecoupledStraightThroughGumbelSoftmax(
        tf.constant(2., tf.float64), 1., logits=tf.zeros([5, K], tf.float64) + LOGITS)
    s = d.enumerate_support()
    assert tuple(s.shape) == (K, 5, K)
    np.testing.assert_array_equal(s[:, 3], np.eye(K))
    assert tuple(d.enumerate_support(expand=False).shape) == (K, 1, K)
    np.testing.assert_allclose(np.exp(d.log_prob(s)).sum(0), np.ones(5), rtol=1e-12)


def test_regression_support_is_one_hot_vertices():
    """relaxit declared the support `real`. Every sample is one of the
    vertices listed by `enumerate_support`; there is no continuous
    event-space bijector."""
    d = dstgs(1.5, 0.3)
    x = np.asarray(d.sample(2000, seed=(1, 2)))
    vertices = np.asarray(d.enumerate_support())
    assert all(any(np.array_equal(v, row) for v in vertices) for row in np.unique(x, axis=0))
    assert d.experimental_default_event_space_bijector() is None


def test_regression_float64_is_kept():
    """relaxit cast both temperatures to float32."""
    d = dstgs(2., 0.5)
    assert sub.dtype_name(d.sample(seed=(1, 2)).dtype) == "float64"
    assert sub.dtype_name(d.forward_temperature.dtype) == "float64"
    assert sub.dtype_name(d.mean().dtype) == "float64"


# -- discrete_law ---------------------------------------------------------------------


def test_discrete_law_is_the_forward_law_at_the_forward_temperature():
    d = DecoupledStraightThroughGumbelSoftmax(
        np.float32([0.5, 3.]), np.float32(0.2), logits=LOGITS.astype(np.float32))
    law = d.discrete_law()
    assert isinstance(law, tfd.OneHotCategorical)
    assert tuple(law.batch_shape) == (2,) and tuple(law.event_shape) == (K,)
    expected = special.softmax(LOGITS / np.array([[0.5], [3.]]), axis=-1)
    np.testing.assert_allclose(law.probs_parameter(), expected, rtol=1e-5)
    probs = np.array([0., 0.2, 0.3, 0.5])
    law = DecoupledStraightThroughGumbelSoftmax(2., 1., probs=probs).discrete_law()
    powered = np.sqrt(probs) / np.sum(np.sqrt(probs))
    np.testing.assert_allclose(law.probs_parameter(), powered, rtol=1e-12)
    assert np.asarray(law.probs_parameter())[0] == 0.


def test_frequency_of_forward_samples_matches_the_discrete_law():
    """Hoeffding, union-bounded over the K categories, false-failure rate
    1e-6; softmax(logits), the law without the forward temperature, is at
    least 0.04 away in some category, beyond twice the band (0.018)."""
    d = DecoupledStraightThroughGumbelSoftmax(2., 0.5, logits=LOGITS.astype(np.float32))
    p = np.asarray(d.discrete_law().probs_parameter()).astype(np.float64)
    n = NUM_SAMPLES
    eps = utils.hoeffding_epsilon(n, FALSE_FAIL_RATE, num_tests=K)
    assert np.max(np.abs(p - special.softmax(LOGITS))) >= 2. * eps
    counts = np.asarray(d.sample(n, seed=(2, 21))).sum(axis=0)
    for count, prob in zip(counts, p):
        utils.assert_proportion_matches(count, n, prob, FALSE_FAIL_RATE, num_tests=K)
