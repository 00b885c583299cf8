"""Tests for relaxtfp.distributions.HardConcrete."""

import numpy as np
import pytest
from scipy import integrate
from scipy import special

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
HardConcrete = sub.rtd.HardConcrete

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6


def reference_log_prob(x, temperature, logits, low=-0.1, high=1.1):
    """Louizos et al.'s density written directly (float64, moderate params)."""
    x = np.asarray(x, np.float64)
    alpha = np.exp(logits)
    width = high - low
    s = (x - low) / width
    q = (temperature * alpha * s ** (-temperature - 1) * (1 - s) ** (-temperature - 1)
         / (alpha * s ** -temperature + (1 - s) ** -temperature) ** 2) / width

    def cdf_s(v):
        return special.expit(temperature * special.logit(v) - logits)

    p0 = cdf_s(-low / width)
    p1 = 1. - cdf_s((1. - low) / width)
    with np.errstate(divide="ignore"):
        return np.where(x == 0, np.log(p0), np.where(x == 1, np.log(p1), np.log(q)))


class TestHardConcreteContract(DistributionContract):

    def make(self, dtype):
        return HardConcrete(
            temperature=tf.constant([[0.5], [2.]], dtype),
            logits=tf.constant([-1., 0., 1.5], dtype),
            low=tf.constant(-0.2, dtype))

    def make_iid(self, n, dtype):
        return HardConcrete(temperature=tf.constant(0.7, dtype),
                            logits=tf.zeros([n], dtype))

    def extreme_cases(self, dtype):
        def build(temperature, logits):
            return HardConcrete(temperature, logits=logits)
        return [(build, [tf.constant(t, dtype),
                         tf.constant([-50., -5., 0., 5., 50.], dtype)])
                for t in (1e-3, 1e-2, 1., 1e2, 1e3)]

    def parameters(self, dtype):
        def build(t, lg, lo, hi):
            return HardConcrete(t, logits=lg, low=lo, high=hi)
        return build, [tf.constant([[0.5], [2.]], dtype),
                       tf.constant([-1., 0., 1.5], dtype),
                       tf.constant(-0.2, dtype),
                       tf.constant(1.3, dtype)]


# -- analytic values ----------------------------------------------------------


@pytest.mark.parametrize("temperature,logits", [(0.5, -1.), (0.7, 0.3), (2., 1.)])
def test_log_prob_matches_closed_form(temperature, logits):
    x = np.array([0., 1e-4, 0.05, 0.3, 0.5, 0.91, 0.9999, 1.])
    d = HardConcrete(tf.constant(temperature, tf.float64),
                     logits=tf.constant(logits, tf.float64))
    np.testing.assert_allclose(d.log_prob(x), reference_log_prob(x, temperature, logits),
                               rtol=1e-10)


def test_probs_and_logits_parameterizations_agree():
    x = tf.constant([0., 0.25, 1.], tf.float64)
    a = HardConcrete(0.5, logits=tf.constant(0.4, tf.float64))
    b = HardConcrete(0.5, probs=tf.constant(special.expit(0.4), tf.float64))
    np.testing.assert_allclose(a.log_prob(x), b.log_prob(x), rtol=1e-12)
    np.testing.assert_allclose(b.logits_parameter(), 0.4, rtol=1e-12)


@pytest.mark.parametrize("temperature,logits,low,high",
                         [(0.3, -1., -0.1, 1.1), (1.5, 2., -0.5, 1.2), (20., 0.5, -0.1, 1.1)])
def test_normalization_and_cdf(temperature, logits, low, high):
    """Atoms plus the integrated density sum to one; `cdf` is their integral."""
    d = HardConcrete(tf.constant(temperature, tf.float64),
                     logits=tf.constant(logits, tf.float64), low=low, high=high)
    p0, p1 = np.exp(np.asarray(d.log_prob([0., 1.])))
    interior, _ = integrate.quad(lambda x: np.exp(np.asarray(d.log_prob(x))), 0., 1.,
                                 epsabs=1e-12, limit=200)
    np.testing.assert_allclose(p0 + interior + p1, 1., atol=1e-9)
    for t in (0.1, 0.5, 0.9):
        part, _ = integrate.quad(lambda x: np.exp(np.asarray(d.log_prob(x))), 0., t,
                                 epsabs=1e-12, limit=200)
        np.testing.assert_allclose(d.cdf(t), p0 + part, atol=1e-9)
    np.testing.assert_allclose(d.cdf([-0.5, 0., 1., 2.]), [0., p0, 1., 1.], atol=1e-12)


@pytest.mark.parametrize("temperature,logits", [(0.01, 3.), (0.3, -1.), (1., 0.),
                                                (1.5, 2.), (20., -0.5), (300., 1.)])
def test_mean_and_variance_against_quadrature(temperature, logits):
    d = HardConcrete(tf.constant(temperature, tf.float64),
                     logits=tf.constant(logits, tf.float64))
    p1 = np.exp(np.asarray(d.log_prob(1.)))

    def moment(k):
        val, _ = integrate.quad(lambda x: x ** k * np.exp(np.asarray(d.log_prob(x))),
                                0., 1., epsabs=1e-13, limit=500)
        return val + p1

    m1, m2 = moment(1), moment(2)
    np.testing.assert_allclose(d.mean(), m1, atol=1e-9)
    np.testing.assert_allclose(d.variance(), m2 - m1 ** 2, atol=1e-9)


def test_prob_nonzero_closed_form():
    temperature, logits, low, high = 2. / 3., np.array([-3., 0., 2.]), -0.1, 1.1
    d = HardConcrete(tf.constant(temperature, tf.float64), logits=logits)
    expected = special.expit(logits - temperature * np.log(-low / high))
    np.testing.assert_allclose(d.prob_nonzero(), expected, rtol=1e-12)
    np.testing.assert_allclose(d.prob_nonzero(), 1. - np.exp(d.log_prob(np.zeros(3))),
                               rtol=1e-12)


def test_zero_temperature_limit_is_bernoulli():
    logits = np.array([-2., 0., 1.])
    d = HardConcrete(tf.constant(1e-3, tf.float64), logits=logits)
    np.testing.assert_allclose(np.exp(d.log_prob(np.ones(3))), special.expit(logits),
                               atol=2e-3)
    np.testing.assert_allclose(d.mean(), special.expit(logits), atol=2e-3)


def test_log_prob_outside_support_is_minus_inf():
    d = HardConcrete(0.5, logits=0.)
    assert np.all(np.asarray(d.log_prob([-0.1, 1.01, -1e-7])) == -np.inf)


# -- gradients -------------------------------------------------------------------


def test_pathwise_gradients_match_finite_differences():
    """d sample / d parameter with the noise held fixed (same seed)."""
    params = dict(temperature=0.6, logits=0.3, low=-0.15, high=1.2)
    seed = (11, 12)

    def total(**kw):
        p = {k: tf.constant(v, tf.float64) for k, v in {**params, **kw}.items()}
        return tf.reduce_sum(HardConcrete(**p).sample(500, seed=seed))

    names = list(params)
    grads = sub.gradients(
        lambda *p: tf.reduce_sum(HardConcrete(**dict(zip(names, p))).sample(500, seed=seed)),
        *[tf.constant(params[k], tf.float64) for k in names])
    h = 1e-6
    for k, g in zip(names, grads):
        v = params[k]
        fd = (total(**{k: v + h}) - total(**{k: v - h})) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-5, err_msg=k)


def test_gradient_of_mean_matches_finite_differences():
    g_t, g_l = sub.gradients(lambda t, lg: HardConcrete(t, logits=lg).mean(),
                             tf.constant(0.8, tf.float64), tf.constant(-0.4, tf.float64))
    h = 1e-6

    def mean(tt, ll):
        return HardConcrete(tf.constant(tt, tf.float64),
                            logits=tf.constant(ll, tf.float64)).mean()
    np.testing.assert_allclose(g_t, (mean(0.8 + h, -0.4) - mean(0.8 - h, -0.4)) / (2 * h),
                               rtol=1e-6)
    np.testing.assert_allclose(g_l, (mean(0.8, -0.4 + h) - mean(0.8, -0.4 - h)) / (2 * h),
                               rtol=1e-6)


def test_reparameterized_gradient_is_unbiased_for_d_mean():
    """Per-sample pathwise gradients of z average to d E[z] / d parameter."""
    n = 20_000
    t = tf.constant(0.8, tf.float64)
    lg = tf.constant(-0.4, tf.float64) * tf.ones([n], tf.float64)
    # dz_i / dlogits_i
    per_sample = np.asarray(sub.gradients_of_sum(
        lambda lg: HardConcrete(t, logits=lg).sample(seed=(21, 22)), lg)[0])
    exact = np.asarray(sub.gradients(
        lambda lg: HardConcrete(t, logits=lg[0]).mean(), lg)[0])[0]
    utils.assert_mean_within_clt(per_sample, exact, FALSE_FAIL_RATE)


def test_prob_nonzero_gradient_closed_form():
    lg = tf.constant([-1., 0.5], tf.float64)

    def prob_nonzero(lg):
        return HardConcrete(tf.constant(0.5, tf.float64), logits=lg).prob_nonzero()
    p = np.asarray(prob_nonzero(lg))
    g, = sub.gradients_of_sum(prob_nonzero, lg)
    np.testing.assert_allclose(g, p * (1. - p), rtol=1e-12)


# -- statistics ------------------------------------------------------------------


@pytest.mark.parametrize("temperature,logits", [(0.5, -0.5), (2. / 3., 1.), (3., 0.)])
def test_samples_agree_with_log_prob(temperature, logits, seed):
    """DKWM test of the sampler against the CDF obtained from `log_prob`.

    False-failure rate FALSE_FAIL_RATE per test. Power: with NUM_SAMPLES
    samples the test rejects a 10% error in the temperature (and separately
    an error of 0.1 in the logits), shown by `assert_detectable`.
    """
    def cdf_of(t, lg):
        d = HardConcrete(tf.constant(t, tf.float64), logits=tf.constant(lg, tf.float64))
        grid = np.concatenate([[0.], np.linspace(1e-6, 1. - 1e-6, 399)])
        p0 = np.exp(np.asarray(d.log_prob(0.)))
        cdf, mass = utils.cdf_from_density_on_unit_interval(
            lambda x: np.asarray(d.log_prob(x)), grid, atom_at_zero=p0)
        # Interior mass plus both atoms integrates to one.
        np.testing.assert_allclose(mass + p0 + np.exp(np.asarray(d.log_prob(1.))), 1.,
                                   atol=1e-7)
        return d, grid, cdf

    d, grid, cdf = cdf_of(temperature, logits)
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    utils.assert_cdf_matches(x, grid, cdf, FALSE_FAIL_RATE, atol=1e-6)
    for wrong in (cdf_of(1.1 * temperature, logits)[2], cdf_of(temperature, logits + 0.1)[2]):
        utils.assert_detectable(cdf, wrong, NUM_SAMPLES, FALSE_FAIL_RATE, atol=1e-6)


def test_atoms_against_frequencies(seed):
    d = HardConcrete(tf.constant(0.5, tf.float64),
                     logits=tf.constant([-1., 0., 1.], tf.float64))
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    p0 = np.exp(np.asarray(d.log_prob(np.zeros(3))))
    p1 = np.exp(np.asarray(d.log_prob(np.ones(3))))
    for j in range(3):
        utils.assert_proportion_matches((x[:, j] == 0).sum(), NUM_SAMPLES, p0[j],
                                        FALSE_FAIL_RATE, num_tests=6)
        utils.assert_proportion_matches((x[:, j] == 1).sum(), NUM_SAMPLES, p1[j],
                                        FALSE_FAIL_RATE, num_tests=6)


def test_sample_moments_match_mean_and_variance(seed):
    d = HardConcrete(tf.constant([0.2, 1., 5.], tf.float64),
                     logits=tf.constant([0.5, -1., 2.], tf.float64))
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    mean = np.asarray(d.mean())
    utils.assert_mean_within_clt(x, mean, FALSE_FAIL_RATE)
    utils.assert_mean_within_clt((x - mean) ** 2, np.asarray(d.variance()), FALSE_FAIL_RATE)


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    (dict(temperature=0., logits=0.), "Argument `temperature` must be positive."),
    (dict(temperature=-1., logits=0.), "Argument `temperature` must be positive."),
    (dict(temperature=1., probs=1.5), "Argument `probs` must be in [0, 1]"),
    (dict(temperature=1., probs=-0.1), "Argument `probs` must be in [0, 1]"),
    (dict(temperature=1., logits=0., low=0.), "Argument `low` must be negative."),
    (dict(temperature=1., logits=0., high=1.), "Argument `high` must be greater than 1."),
])
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(sub.validation_error, match=message.replace("[", r"\[")
                       .replace("]", r"\]")):
        HardConcrete(validate_args=True, **kwargs)


@substrates.tensorflow_only("tf.Variable assignment; JAX has no variables")
def test_invalid_variable_assignment_is_caught():
    t = tf.Variable(1.)
    d = HardConcrete(t, logits=0., validate_args=True)
    d.sample(seed=(1, 2))
    t.assign(-1.)
    with pytest.raises(sub.validation_error, match="`temperature` must be positive"):
        d.sample(seed=(1, 2))


def test_logits_and_probs_are_exclusive():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        HardConcrete(1., logits=0., probs=0.5)
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        HardConcrete(1.)


def test_log_prob_validates_support():
    d = HardConcrete(1., logits=0., validate_args=True)
    with pytest.raises(sub.validation_error, match="Sample must be in"):
        d.log_prob(1.5)


# -- boundary probabilities: probs exactly 0 or 1 -----------------------------

BOUNDARY_PROBS = [[0.], [1.], [0., 0.3, 1.]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("probs", BOUNDARY_PROBS)
@pytest.mark.parametrize("temperature", [0.5, 2.])
def test_boundary_probs_give_finite_gradients_and_log_probs(dtype, probs, temperature):
    def outputs(p, t):
        d = HardConcrete(t, probs=p)
        x = d.sample(200, seed=(1, 2))
        return dict(
            sample=x, log_prob=d.log_prob(x),
            log_prob_fixed=d.log_prob(tf.stop_gradient(x)),
            mean=d.mean(), variance=d.variance(), prob_nonzero=d.prob_nonzero(),
            cdf=d.cdf(0.4), log_cdf=d.log_cdf(0.4))
    params = [tf.constant(probs, dtype), tf.constant(temperature, dtype)]
    lp = outputs(*params)["log_prob"]
    assert np.all(np.isfinite(lp)), lp
    for name, grads in sub.gradients_of_outputs(outputs, *params).items():
        for g in grads:
            assert np.all(np.isfinite(g)), (name, g)


@pytest.mark.parametrize("side", [0., 1.])
def test_boundary_values_are_the_degenerate_law(side):
    d = HardConcrete(0.7, probs=[side])
    x = np.asarray(d.sample(100, seed=(3, 4)))
    np.testing.assert_array_equal(x, side)
    lp = d.log_prob([[0.], [0.4], [1.]])[:, 0]
    expected = [0., -np.inf, -np.inf] if side == 0. else [-np.inf, -np.inf, 0.]
    np.testing.assert_array_equal(lp, expected)
    np.testing.assert_array_equal(d.mean(), [side])
    np.testing.assert_array_equal(d.variance(), [0.])
    np.testing.assert_array_equal(d.prob_nonzero(), [side])
    np.testing.assert_array_equal(d.cdf([[0.], [0.4], [1.]])[:, 0], [1. - side, 1. - side, 1.])
    # Infinite logits are the same laws, with zero gradients (the limits).
    def total(logits):
        e = HardConcrete(0.7, logits=logits)
        return (tf.reduce_sum(e.sample(10, seed=(3, 4))) + e.log_prob(side)[0]
                + e.mean()[0] + e.variance()[0] + e.prob_nonzero()[0])
    logits = tf.constant([-np.inf if side == 0. else np.inf])
    np.testing.assert_array_equal(sub.gradients(total, logits)[0], [0.])
    np.testing.assert_array_equal(HardConcrete(0.7, logits=logits).sample(100, seed=(3, 4)), x)


@pytest.mark.parametrize("temperature", [0.3, 1., 3.])
@pytest.mark.parametrize("side", [0., 1.])
def test_boundary_gradients_are_one_sided_limits(temperature, side):
    """The derivative at p = 0 (1) matches the one-sided difference quotient
    from p = 1e-9 (1 - 1e-9), in float64: the statistics are smooth in p up
    to the boundary, so the quotient is the limit to about 1e-8 relative,
    plus its rounding error, eps * |f| / h < 1e-6 for |f| <= 1."""
    h = 1e-9 if side == 0. else -1e-9
    atom = tf.constant([side], tf.float64)

    def outputs(d):
        out = dict(log_prob=d.log_prob(atom), prob_nonzero=d.prob_nonzero(),
                   mean=d.mean(), variance=d.variance(), cdf=d.cdf(0.4))
        if side == 0.:    # At p = 1, log P(z <= 0.4) = -inf.
            out["log_cdf"] = d.log_cdf(0.4)
        return out

    p = tf.constant([side], tf.float64)
    t = tf.constant(temperature, tf.float64)
    at = outputs(HardConcrete(t, probs=p))
    grads = sub.gradients_of_outputs(lambda p: outputs(HardConcrete(t, probs=p)), p)
    near = outputs(HardConcrete(t, probs=tf.constant([side + h], tf.float64)))
    for name in at:
        grad, = grads[name]
        quotient = (np.asarray(near[name]) - np.asarray(at[name])) / h
        np.testing.assert_allclose(grad, quotient, rtol=2e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("temperature", [1e-30, 1e-6, 1e6, 1e30])
def test_extreme_logits_and_temperatures_are_finite(dtype, temperature):
    """Logits of +-1e30 and +-inf with temperatures far outside 1e-3..1e3:
    samples, log-probs, statistics and their gradients stay finite. In float32
    the temperature gradient of a saturated sample, -(logits + L) /
    temperature**2 times a zero derivative, was NaN from temperature 1e-6 (and
    that of the mean's unused large-temperature quadrature branch at 1e-30);
    at temperature 1e30 the variance's boundary slope was inf * 0."""
    def outputs(t, logits):
        d = HardConcrete(t, logits=logits)
        x = d.sample(64, seed=(1, 2))
        return dict(sample=x, log_prob=d.log_prob(x), mean=d.mean(), variance=d.variance(),
                    prob_nonzero=d.prob_nonzero())
    params = [tf.constant(temperature, dtype),
              tf.constant([-np.inf, -1e30, -50., 0., 50., 1e30, np.inf], dtype)]
    for name, out in outputs(*params).items():
        assert np.all(np.isfinite(out)), name
    for name, grads in sub.gradients_of_outputs(outputs, *params).items():
        for g in grads:
            assert np.all(np.isfinite(g)), name


def test_integer_boundary_probs_are_converted():
    d = HardConcrete(1, probs=np.array([0, 1]))
    assert d.dtype == tf.float32
    x = d.sample(5, seed=(1, 2))
    assert np.all(np.isfinite(d.log_prob(x)))
    np.testing.assert_array_equal(d.log_prob(x), 0.)


# -- regressions for defects of the reference library, relaxit --------------------


def test_regression_no_shared_noise_across_batch():
    """relaxit drew one uniform of shape sample_shape + (1,) for the
    whole batch, so every gate of a (3, 4) batch took the same value."""
    d = HardConcrete(0.5, logits=tf.zeros([3, 4]))
    x = np.asarray(d.sample(5, seed=(1, 2)))
    assert x.shape == (5, 3, 4)
    interior = x[(x > 0) & (x < 1)]
    assert len(np.unique(interior)) == interior.size > 20


def test_regression_log_prob_finite_at_high_temperature():
    """the raw-power density gave log_prob(1) = -inf at beta = 20 and NaN
    inside (0, 1) at beta = 60."""
    for t in (20., 60., 1000.):
        lp = HardConcrete(t, logits=0.).log_prob([0., 0.25, 0.5, 1.])
        assert np.all(np.isfinite(lp)), (t, lp)


def test_regression_float64_is_kept():
    """relaxit cast parameters to float32 with `.float()`."""
    d = HardConcrete(tf.constant(0.5, tf.float64), logits=0.)
    assert d.sample(seed=(1, 2)).dtype == tf.float64
    assert d.mean().dtype == tf.float64


def test_regression_mean_exists_and_support_is_unit_interval():
    """relaxit declared support `real` and had no `mean`."""
    d = HardConcrete(0.5, logits=[-1., 1.])
    x = np.asarray(d.sample(1000, seed=(1, 2)))
    assert x.min() >= 0. and x.max() <= 1.
    assert np.all(np.isfinite(d.mean()))
    bij = d.experimental_default_event_space_bijector()
    y = np.asarray(bij(tf.constant([-30., 30.])))
    assert np.all((y >= 0.) & (y <= 1.))


# -- discrete_law: the open/closed law of the gate ----------------------------------


def test_discrete_law_is_the_bernoulli_of_the_open_gate():
    logits = np.array([-30., -2., 0., 0.7, 3., 40.])
    temperature, low, high = 0.4, -0.2, 1.3
    for dtype in (np.float32, np.float64):
        gate = HardConcrete(dtype(temperature), logits=logits.astype(dtype),
                            low=dtype(low), high=dtype(high), validate_args=True)
        law = gate.discrete_law()
        assert isinstance(law, tfp.distributions.Bernoulli)
        assert law.dtype == dtype and law.validate_args
        assert law.batch_shape == gate.batch_shape
        expected = logits - temperature * np.log(-low / high)
        rtol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(law.logits_parameter(), expected, rtol=rtol)
        np.testing.assert_allclose(law.probs_parameter(), gate.prob_nonzero(),
                                   rtol=rtol, atol=0.)


def test_discrete_law_takes_the_batch_shape_of_the_temperature():
    gate = HardConcrete(np.array([[0.5], [2.]], np.float32), logits=[-1., 0., 1.])
    law = gate.discrete_law()
    assert law.batch_shape == [2, 3]
    np.testing.assert_allclose(law.probs_parameter(), gate.prob_nonzero(), rtol=1e-6)


def test_discrete_law_at_boundary_probabilities_is_exact_with_the_documented_slope():
    temperature, low, high = 0.5, -0.1, 1.1
    probs = tf.constant([0., 0.3, 1.])

    def open_probs(probs):
        return HardConcrete(temperature, probs=probs).discrete_law().probs_parameter()
    np.testing.assert_array_equal(np.asarray(open_probs(probs))[[0, 2]], [0., 1.])
    grad = np.asarray(sub.gradients_of_sum(open_probs, probs)[0])
    assert np.all(np.isfinite(grad))
    # d P(z != 0) / d probs is (high / -low)**T at 0 and (-low / high)**T at 1.
    np.testing.assert_allclose(grad[[0, 2]], [(high / -low) ** temperature,
                                              (-low / high) ** temperature], rtol=1e-5)
    infinite = HardConcrete(temperature, logits=[-np.inf, np.inf]).discrete_law()
    np.testing.assert_array_equal(infinite.logits_parameter(), [-np.inf, np.inf])
    np.testing.assert_array_equal(infinite.log_prob([0., 1.]), [0., 0.])


def test_discrete_law_gradients_flow_to_every_parameter():
    def kl(t, logits, low, high):
        law = HardConcrete(t, logits=logits, low=low, high=high).discrete_law()
        return tf.reduce_sum(tfp.distributions.kl_divergence(
            law, tfp.distributions.Bernoulli(probs=0.3)))
    grads = sub.gradients(kl, *[tf.constant(v) for v in (0.6, [-1., 0.5], -0.1, 1.1)])
    assert all(g is not None and np.all(np.isfinite(g)) for g in grads)


def test_frequency_of_open_gates_matches_the_discrete_law():
    """Hoeffding, union-bounded over the 3 gates, false-failure rate 1e-6. The
    error that matters, the Bernoulli(sigmoid(logits)) of the unstretched
    variable, is at least 0.09 away: far beyond twice the band."""
    logits = np.array([-1., 0., 1.5], np.float32)
    gate = HardConcrete(0.5, logits=logits)
    p = np.asarray(gate.discrete_law().probs_parameter()).astype(np.float64)
    n = NUM_SAMPLES
    eps = utils.hoeffding_epsilon(n, FALSE_FAIL_RATE, num_tests=3)
    assert np.min(np.abs(p - special.expit(logits))) >= 2. * eps
    counts = np.sum(np.asarray(gate.sample(n, seed=(14, 2))) != 0., axis=0)
    for count, prob in zip(counts, p):
        utils.assert_proportion_matches(count, n, prob, FALSE_FAIL_RATE, num_tests=3)
