"""Tests for relaxtfp.distributions.RebarRelaxation."""

import importlib

import numpy as np
import pytest
from scipy import integrate
from scipy import special

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp, tfd = sub.tf, sub.tfp, sub.tfd
RebarRelaxation = sub.rtd.RebarRelaxation
noise = importlib.import_module(sub.rtfp.__name__ + ".internal.noise")

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6

GRID = np.linspace(1e-6, 1. - 1e-6, 401)


def cdf(x, temperature, logits):
    """P(X <= x) = sigmoid(temperature * logit(x) - logits), float64."""
    return special.expit(temperature * special.logit(x) - logits)


def conditional_cdf(x, temperature, logits, b):
    """P(X <= x | 1[X > 1/2] = b): the CDF restricted to one half and
    renormalized. P(X <= 1/2) = sigmoid(-logits)."""
    f, f_half = cdf(x, temperature, logits), special.expit(-logits)
    if b:
        return np.clip((f - f_half) / (1. - f_half), 0., 1.)
    return np.clip(f / f_half, 0., 1.)


class TestRebarRelaxationContract(DistributionContract):

    def make(self, dtype):
        return RebarRelaxation(
            temperature=tf.constant([[0.5], [2.]], dtype),
            logits=tf.constant([-1., 0., 1.5], dtype))

    def make_iid(self, n, dtype):
        return RebarRelaxation(temperature=tf.constant(0.7, dtype),
                               logits=tf.zeros([n], dtype))

    def extreme_cases(self, dtype):
        def build(temperature, logits):
            return RebarRelaxation(temperature, logits=logits)
        return [(build, [tf.constant(t, dtype),
                         tf.constant([-50., -5., 0., 5., 50.], dtype)])
                for t in (1e-3, 1e-2, 1., 1e2, 1e3)]

    def parameters(self, dtype):
        def build(t, lg):
            return RebarRelaxation(t, logits=lg)
        return build, [tf.constant([[0.5], [2.]], dtype),
                       tf.constant([-1., 0., 1.5], dtype)]


# -- analytic values ----------------------------------------------------------


@pytest.mark.parametrize("temperature,logits", [(0.3, -1.), (1., 0.4), (5., 2.)])
def test_log_prob_matches_closed_form_and_tfp(temperature, logits):
    x = np.array([1e-6, 0.05, 0.3, 0.5, 0.91, 1. - 1e-6])
    d = RebarRelaxation(tf.constant(temperature, tf.float64),
                        logits=tf.constant(logits, tf.float64))
    alpha = np.exp(logits)
    direct = (temperature * alpha * x ** (-temperature - 1)
              * (1 - x) ** (-temperature - 1)
              / (alpha * x ** -temperature + (1 - x) ** -temperature) ** 2)
    np.testing.assert_allclose(d.log_prob(x), np.log(direct), rtol=1e-10)
    ref = tfd.RelaxedBernoulli(tf.constant(temperature, tf.float64),
                               logits=tf.constant(logits, tf.float64))
    np.testing.assert_allclose(d.log_prob(x), ref.log_prob(x), rtol=1e-8)


@pytest.mark.parametrize("temperature,logits", [(0.3, -1.), (1.5, 2.), (20., 0.5)])
def test_normalization_cdf_and_quantile(temperature, logits):
    """exp(log_prob) integrated over logit(x) in [-36, 36] (trapezoid rule
    on 4e5 points; beyond 36, sigmoid rounds to 1 in float64) gives the mass
    that the closed-form CDF (scipy) puts there, and `cdf`; `quantile`
    inverts `cdf`. Atol 1e-6 covers the trapezoid error at temperature 20."""
    d = RebarRelaxation(tf.constant(temperature, tf.float64),
                        logits=tf.constant(logits, tf.float64))
    t = np.array([1e-4, 0.1, 0.5, 0.9, 0.9999])
    lo, hi = special.expit(-36.), special.expit(36.)
    integrated, mass = utils.cdf_from_density_on_unit_interval(
        lambda x: np.asarray(d.log_prob(x)), t, max_logit=36.)
    np.testing.assert_allclose(
        mass, cdf(hi, temperature, logits) - cdf(lo, temperature, logits), atol=1e-6)
    np.testing.assert_allclose(d.cdf(t) - cdf(lo, temperature, logits), integrated,
                               atol=1e-6)
    np.testing.assert_allclose(d.cdf(t), cdf(t, temperature, logits), rtol=1e-10)
    np.testing.assert_allclose(d.cdf([-0.5, 0., 1., 2.]), [0., 0., 1., 1.])
    q = np.array([1e-3, 0.2, 0.5, 0.77, 0.999])
    np.testing.assert_allclose(d.cdf(d.quantile(q)), q, rtol=1e-10)
    # X exceeds 1/2 with probability sigmoid(logits).
    np.testing.assert_allclose(1. - d.cdf(0.5), special.expit(logits), rtol=1e-12)


def test_probs_and_logits_parameterizations_agree():
    x = tf.constant([0.1, 0.25, 0.9], tf.float64)
    a = RebarRelaxation(0.5, logits=tf.constant(0.4, tf.float64))
    b = RebarRelaxation(0.5, probs=tf.constant(special.expit(0.4), tf.float64))
    np.testing.assert_allclose(a.log_prob(x), b.log_prob(x), rtol=1e-12)
    np.testing.assert_allclose(b.logits_parameter(), 0.4, rtol=1e-12)


def test_log_prob_outside_open_interval_is_minus_inf():
    d = RebarRelaxation(0.5, logits=0.)
    assert np.all(np.asarray(d.log_prob([-0.1, 0., 1., 1.01])) == -np.inf)


def test_conditional_logistic_matches_the_uniform_form():
    """z_tilde = logits + logit(u') with u' = (1 - p) + v p (b = 1) or
    u' = v (1 - p) (b = 0), against the stable form, at moderate values."""
    logits = np.array([-3., -0.2, 0.4, 2.5, 6.])[:, None]
    v = np.array([1e-4, 0.1, 0.5, 0.93, 1. - 1e-6])[None, :]
    p = special.expit(logits)
    for b, u in ((1., (1. - p) + v * p), (0., v * (1. - p))):
        got = np.asarray(noise.conditional_logistic(
            tf.constant(logits), tf.constant(b, tf.float64), tf.constant(v)))
        np.testing.assert_allclose(got, logits + special.logit(u), rtol=1e-9,
                                   atol=1e-12)
        assert np.all(got > 0.) if b else np.all(got < 0.)


# -- gradients -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["sample", "conditional"])
def test_pathwise_gradients_match_finite_differences(method):
    """d sample / d parameter with the noise held fixed (same seed)."""
    params = dict(temperature=0.6, logits=0.3)
    seed = (11, 12)
    b = tf.constant(np.tile([0., 1.], 250), tf.float64)

    def total(**p):
        d = RebarRelaxation(**p)
        x = (d.sample(500, seed=seed) if method == "sample"
             else d.conditional_sample(b, seed=seed))
        return tf.reduce_sum(x)

    names = list(params)
    grads = dict(zip(names, sub.gradients(
        lambda *p: total(**dict(zip(names, p))),
        *[tf.constant(params[k], tf.float64) for k in names])))
    h = 1e-6
    for k, v in params.items():
        plus = {**params, k: v + h}
        minus = {**params, k: v - h}
        fd = (total(**{a: tf.constant(c, tf.float64) for a, c in plus.items()})
              - total(**{a: tf.constant(c, tf.float64) for a, c in minus.items()})
              ) / (2 * h)
        np.testing.assert_allclose(grads[k], fd, rtol=1e-6, err_msg=k)


def test_reparameterized_gradient_is_unbiased_for_d_cdf():
    """Per-sample pathwise gradients of 1 - x average to d E[1 - X]/d logits,
    where E[X] = integral of P(X > x) dx (quadrature in float64)."""
    n = 50_000
    lg = tf.constant(-0.4, tf.float64) * tf.ones([n], tf.float64)
    per_sample = np.asarray(sub.gradients_of_sum(
        lambda lg: RebarRelaxation(tf.constant(0.8, tf.float64), logits=lg).sample(
            seed=(21, 22)), lg)[0])

    def mean(logits):
        return integrate.quad(lambda t: 1. - cdf(t, 0.8, logits), 0., 1.,
                              epsabs=1e-13)[0]
    h = 1e-5
    exact = (mean(-0.4 + h) - mean(-0.4 - h)) / (2 * h)
    utils.assert_mean_within_clt(per_sample, exact, FALSE_FAIL_RATE)


def test_conditional_sample_gradients_finite_at_extremes():
    b = tf.broadcast_to(tf.constant([[0.] * 5, [1.] * 5])[:, None], [2, 100, 5])

    def outputs(temperature, logits):
        return dict(x=RebarRelaxation(temperature, logits=logits).conditional_sample(
            b, seed=(3, 4)))
    for t in (1e-3, 1., 1e3):
        params = [tf.constant(t, tf.float32), tf.constant([-50., -5., 0., 5., 50.])]
        x = np.asarray(outputs(*params)["x"])
        assert np.all(np.isfinite(x))
        assert np.all((x > 0.) & (x < 1.))
        # x > 1/2 exactly where b = 1 (ties at 1/2 only by saturation: none).
        np.testing.assert_array_equal(x[0] <= 0.5, True)
        np.testing.assert_array_equal(x[1] >= 0.5, True)
        for g in sub.gradients_of_outputs(outputs, *params)["x"]:
            assert np.all(np.isfinite(g))


# -- statistics ----------------------------------------------------------------


def _dkwm_against(samples, cdf_values, wrong_cdfs):
    utils.assert_cdf_matches(samples, GRID, cdf_values, FALSE_FAIL_RATE)
    for wrong in wrong_cdfs:
        utils.assert_detectable(cdf_values, wrong, samples.size, FALSE_FAIL_RATE)


@pytest.mark.parametrize("temperature,logits", [(0.5, -0.85), (2. / 3., 1.), (3., 0.)])
def test_samples_agree_with_log_prob(temperature, logits, seed):
    """DKWM test of the sampler against the CDF obtained by integrating
    `exp(log_prob)`; false-failure rate FALSE_FAIL_RATE. Power: the test
    rejects a 10% error in the temperature and an error of 0.1 in the
    logits, shown by `assert_detectable`."""
    d = RebarRelaxation(tf.constant(temperature, tf.float64),
                        logits=tf.constant(logits, tf.float64))
    from_density, mass = utils.cdf_from_density_on_unit_interval(
        lambda x: np.asarray(d.log_prob(x)), GRID)
    np.testing.assert_allclose(mass, 1., atol=1e-7)
    np.testing.assert_allclose(from_density, cdf(GRID, temperature, logits), atol=1e-7)
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    _dkwm_against(x, from_density, [cdf(GRID, 1.1 * temperature, logits),
                                    cdf(GRID, temperature, logits + 0.1)])


@pytest.mark.parametrize("temperature,logits", [(0.5, -0.85), (1., 1.5), (4., -3.)])
@pytest.mark.parametrize("b", [0., 1.])
def test_conditional_sample_has_the_conditional_law(temperature, logits, b, seed):
    """DKWM: x_tilde | b against P(X <= x | 1[X > 1/2] = b), false-failure
    rate FALSE_FAIL_RATE. Power: rejects the conditional law at a temperature
    20% off (a logits error is a weaker alternative deep in a tail, where the
    conditional law of a logistic barely depends on its location)."""
    d = RebarRelaxation(tf.constant(temperature, tf.float64),
                        logits=tf.constant(logits, tf.float64))
    x = np.asarray(d.conditional_sample(
        tf.fill([NUM_SAMPLES], tf.constant(b, tf.float64)), seed=seed))
    assert np.all(x > 0.5) if b else np.all(x < 0.5)
    want = conditional_cdf(GRID, temperature, logits, b)
    _dkwm_against(x, want, [conditional_cdf(GRID, 1.2 * temperature, logits, b)])


def test_conditional_after_bernoulli_is_the_marginal(seed):
    """b ~ Bernoulli(sigmoid(logits)), then x_tilde | b, has the law of X
    (DKWM at FALSE_FAIL_RATE; power against a 10% temperature error)."""
    temperature, logits = 0.4, 0.7
    d = RebarRelaxation(tf.constant(temperature, tf.float64),
                        logits=tf.constant(logits, tf.float64))
    u = np.random.default_rng(seed[0]).uniform(size=NUM_SAMPLES)
    b = (u < special.expit(logits)).astype(np.float64)
    x = np.asarray(d.conditional_sample(b, seed=seed))
    _dkwm_against(x, cdf(GRID, temperature, logits),
                  [cdf(GRID, 1.1 * temperature, logits)])


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    (dict(temperature=0., logits=0.), "Argument `temperature` must be positive."),
    (dict(temperature=-1., logits=0.), "Argument `temperature` must be positive."),
    (dict(temperature=1., probs=1.5), r"Argument `probs` must be in \[0, 1\]"),
    (dict(temperature=1., probs=-0.1), r"Argument `probs` must be in \[0, 1\]"),
])
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(sub.validation_error, match=message):
        RebarRelaxation(validate_args=True, **kwargs)


@substrates.tensorflow_only("tf.Variable assignment; JAX has no variables")
def test_invalid_variable_assignment_is_caught():
    t = tf.Variable(1.)
    d = RebarRelaxation(t, logits=0., validate_args=True)
    d.sample(seed=(1, 2))
    t.assign(-1.)
    with pytest.raises(sub.validation_error,
                       match="`temperature` must be positive"):
        d.sample(seed=(1, 2))


def test_logits_and_probs_are_exclusive():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        RebarRelaxation(1., logits=0., probs=0.5)
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        RebarRelaxation(1.)


def test_log_prob_and_conditional_validate_their_inputs():
    d = RebarRelaxation(1., logits=0., validate_args=True)
    with pytest.raises(sub.validation_error, match=r"Sample must be in \(0, 1\)"):
        d.log_prob(1.)
    with pytest.raises(sub.validation_error, match=r"Sample must be in \(0, 1\)"):
        d.log_prob(0.)
    with pytest.raises(sub.validation_error,
                       match="Argument `b` must be 0 or 1."):
        d.conditional_sample([0., 0.5], seed=(1, 2))


def test_conditional_sample_shapes_and_dtypes():
    d = RebarRelaxation(tf.constant([[0.5], [2.]], tf.float64),
                        logits=tf.constant([-1., 0., 1.5], tf.float64))
    x = d.conditional_sample(tf.ones([4, 2, 3], tf.float64), seed=(1, 2))
    assert x.shape == (4, 2, 3) and x.dtype == tf.float64
    # b broadcasts against the batch shape.
    assert d.conditional_sample(1., seed=(1, 2)).shape == (2, 3)


def test_conditional_sample_eager_function_and_xla_agree():
    d = RebarRelaxation(tf.constant([[0.5], [2.]]), logits=tf.constant([-1., 0., 1.5]))
    b = tf.constant([[[0.], [1.]]] * 5)
    def run():
        return d.conditional_sample(b, seed=(3, 4))
    eager = run()
    for mode in (sub.function(run), sub.xla(run)):
        np.testing.assert_allclose(mode(), eager, rtol=1e-5)


# -- boundary probabilities: probs exactly 0 or 1 -----------------------------

BOUNDARY_PROBS = [[0.], [1.], [0., 0.3, 1.]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("probs", BOUNDARY_PROBS)
@pytest.mark.parametrize("temperature", [0.5, 2.])
def test_boundary_probs_give_finite_gradients_and_log_probs(dtype, probs, temperature):
    def outputs(p, t):
        d = RebarRelaxation(t, probs=p)
        x = d.sample(200, seed=(1, 2))
        b = tf.cast(x > 0.5, dtype)
        return dict(
            sample=x, log_prob=d.log_prob(x),
            log_prob_fixed=d.log_prob(tf.stop_gradient(x)),
            conditional=d.conditional_sample(b, seed=(3, 4)),
            cdf=d.cdf(0.4), log_cdf=d.log_cdf(0.4), quantile=d.quantile(0.3))
    params = [tf.constant(probs, dtype), tf.constant(temperature, dtype)]
    lp = outputs(*params)["log_prob"]
    assert np.all(np.isfinite(lp)), lp
    for name, grads in sub.gradients_of_outputs(outputs, *params).items():
        for g in grads:
            assert np.all(np.isfinite(g)), (name, g)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("side", [0., 1.])
def test_boundary_values_are_the_point_mass(dtype, side):
    np_dtype = np.dtype(dtype).type
    end = np.finfo(np_dtype).tiny if side == 0. else np.nextafter(np_dtype(1), np_dtype(0))
    d = RebarRelaxation(tf.constant(0.7, dtype), probs=tf.constant([side], dtype))
    x = d.sample(100, seed=(3, 4))
    np.testing.assert_array_equal(x, end)
    np.testing.assert_array_equal(d.conditional_sample([[0.], [1.]], seed=(3, 4)), end)
    np.testing.assert_array_equal(
        d.log_prob(tf.constant([[end], [0.3]], dtype))[:, 0], [0., -np.inf])
    np.testing.assert_array_equal(d.cdf(tf.constant([[0.4]], dtype)), 1. - side)
    np.testing.assert_array_equal(d.quantile(tf.constant([[0.3]], dtype)), side)
    # Infinite logits are the same laws, with zero gradients (the limits).
    def total(logits):
        e = RebarRelaxation(tf.constant(0.7, dtype), logits=logits)
        sample = e.sample(10, seed=(3, 4))
        return tf.reduce_sum(sample) + tf.reduce_sum(e.log_prob(sample)) + e.cdf(0.4)[0]
    logits = tf.constant([-np.inf if side == 0. else np.inf], dtype)
    np.testing.assert_array_equal(sub.gradients(total, logits)[0], [0.])
    np.testing.assert_array_equal(
        RebarRelaxation(tf.constant(0.7, dtype), logits=logits).sample(10, seed=(3, 4)), end)


@pytest.mark.parametrize("temperature", [0.3, 1., 3.])
@pytest.mark.parametrize("side", [0., 1.])
def test_boundary_cdf_gradients_are_one_sided_limits(temperature, side):
    """As for HardConcrete: the derivative at p = 0 (1) against the
    one-sided difference quotient from 1e-9 away, in float64 (limit to about
    1e-8 relative, rounding below 1e-6 absolute)."""
    h = 1e-9 if side == 0. else -1e-9
    x = tf.constant([0.2, 0.4, 0.9], tf.float64)

    def outputs(d):
        out = dict(cdf=d.cdf(x))
        if side == 0.:    # At p = 1, log P(X <= x) = -inf.
            out["log_cdf"] = d.log_cdf(x)
        return out

    p = tf.constant(side, tf.float64)
    t = tf.constant(temperature, tf.float64)
    at = outputs(RebarRelaxation(t, probs=p))
    near = outputs(RebarRelaxation(t, probs=tf.constant(side + h, tf.float64)))
    for name in at:
        # The derivative of each of the 3 outputs (a Jacobian of shape [3]).
        grad = [sub.gradients(lambda p, i=i: outputs(RebarRelaxation(t, probs=p))[name][i],
                              p)[0] for i in range(3)]
        quotient = (np.asarray(near[name]) - np.asarray(at[name])) / h
        np.testing.assert_allclose(grad, quotient, rtol=2e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("temperature", [1e-30, 1e-6, 1e6, 1e30])
def test_extreme_logits_and_temperatures_are_finite(dtype, temperature):
    """Logits of +-1e30 and +-inf with temperatures far outside 1e-3..1e3:
    samples, log-probs and their gradients stay finite. In float32
    the temperature gradient of a saturated sample, -(logits + L) /
    temperature**2 times a zero derivative, was NaN from temperature 1e-6."""
    def outputs(t, logits):
        d = RebarRelaxation(t, logits=logits)
        x = d.sample(64, seed=(1, 2))
        return dict(sample=x, log_prob=d.log_prob(x), conditional=d.conditional_sample(
            tf.cast(x > 0.5, dtype), seed=(3, 4)))
    params = [tf.constant(temperature, dtype),
              tf.constant([-np.inf, -1e30, -50., 0., 50., 1e30, np.inf], dtype)]
    for name, out in outputs(*params).items():
        assert np.all(np.isfinite(out)), name
    for name, grads in sub.gradients_of_outputs(outputs, *params).items():
        for g in grads:
            assert np.all(np.isfinite(g)), name


def test_integer_boundary_probs_are_converted():
    d = RebarRelaxation(1, probs=np.array([0, 1]))
    assert d.dtype == tf.float32
    x = d.sample(5, seed=(1, 2))
    assert np.all(np.isfinite(d.log_prob(x)))
    np.testing.assert_array_equal(d.log_prob(x), 0.)


# -- regressions for defects of the reference library, relaxit --------------------


def test_regression_log_prob_matches_sampler_not_the_muprop_mixture(seed):
    """relaxit sampled sigmoid((c logit(theta) + logit(u)) / lambda),
    c = (lambda^2 + lambda + 1) / (lambda + 1), but scored the density
    without c. Our sampler and log_prob agree (DKWM, false-failure rate
    FALSE_FAIL_RATE), and the test has power against relaxit's pair: the
    law of relaxit's sampler is detectably far from the density it scored
    (the numbers of the review: theta = 0.3, lambda = 0.5)."""
    temperature, logits = 0.5, special.logit(0.3)
    d = RebarRelaxation(tf.constant(temperature, tf.float64),
                        probs=tf.constant(0.3, tf.float64))
    ours, _ = utils.cdf_from_density_on_unit_interval(
        lambda x: np.asarray(d.log_prob(x)), GRID)
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    c = (temperature ** 2 + temperature + 1.) / (temperature + 1.)
    relaxit_sampler_law = cdf(GRID, temperature, c * logits)
    _dkwm_against(x, ours, [relaxit_sampler_law])
    # The review measured P(z <= 0.1) = 0.474 for relaxit's sampler; the
    # density it scored (ours) gives 0.4375.
    np.testing.assert_allclose(cdf(0.1, temperature, c * logits), 0.474, atol=2e-3)
    np.testing.assert_allclose(d.cdf(0.1), 0.4375, atol=1e-4)


def test_regression_no_shared_noise_across_batch():
    """relaxit drew one uniform for the whole batch when
    sample_shape = (), so every element took the same value."""
    d = RebarRelaxation(0.5, logits=tf.zeros([3, 4]))
    for x in (d.sample(seed=(1, 2)), d.conditional_sample(tf.ones([3, 4]), seed=(1, 2))):
        assert len(np.unique(np.asarray(x))) == 12


def test_regression_float64_is_kept_and_python_float_temperature_works():
    """relaxit forced float32 and failed on a Python float
    temperature."""
    d = RebarRelaxation(0.5, logits=tf.constant([0.1, 0.2], tf.float64))
    assert d.sample(seed=(1, 2)).dtype == tf.float64
    assert d.conditional_sample([1., 0.], seed=(1, 2)).dtype == tf.float64
    assert d.log_prob(0.3).dtype == tf.float64


def test_regression_support_is_the_unit_interval():
    """relaxit declared support `real`."""
    d = RebarRelaxation(1e-3, logits=[-50., 0., 50.])
    x = np.asarray(d.sample(1000, seed=(1, 2)))
    assert x.min() > 0. and x.max() < 1.
    y = np.asarray(d.experimental_default_event_space_bijector()(
        tf.constant([-30., 0., 30.], tf.float64)))
    assert np.all((y > 0.) & (y < 1.))


# -- discrete_law: the law of b = 1[x > 1/2] ---------------------------------------


def test_discrete_law_is_the_bernoulli_of_the_hard_value():
    logits = np.array([-30., -1., 0., 2.5, 40.])
    for dtype in (np.float32, np.float64):
        d = RebarRelaxation(dtype(0.3), logits=logits.astype(dtype), validate_args=True)
        law = d.discrete_law()
        assert isinstance(law, tfd.Bernoulli)
        assert law.dtype == dtype and law.validate_args
        np.testing.assert_array_equal(law.logits_parameter(), logits.astype(dtype))
    law = RebarRelaxation(0.3, probs=[0., 0.4, 1.]).discrete_law()
    np.testing.assert_array_equal(law.probs_parameter(), np.float32([0., 0.4, 1.]))
    law = RebarRelaxation(np.float32([[0.1], [2.]]), logits=[0., 1., 2.]).discrete_law()
    assert law.batch_shape == [2, 3]


def test_frequency_of_hard_values_matches_the_discrete_law():
    """Hoeffding, union-bounded over 3 units, false-failure rate 1e-6; the
    error that matters, the MuProp pairing of the logits with c * logits
    (c = 1.09 at temperature 0.3), or any probability off by 0.02, exceeds
    twice the band (0.017)."""
    logits = np.array([-1., 0.2, 1.5], np.float32)
    d = RebarRelaxation(0.3, logits=logits)
    p = np.asarray(d.discrete_law().probs_parameter()).astype(np.float64)
    n = NUM_SAMPLES
    eps = utils.hoeffding_epsilon(n, FALSE_FAIL_RATE, num_tests=3)
    assert 2. * eps <= 0.02
    counts = np.sum(np.asarray(d.sample(n, seed=(5, 12))) > 0.5, axis=0)
    for count, prob in zip(counts, p):
        utils.assert_proportion_matches(count, n, prob, FALSE_FAIL_RATE, num_tests=3)
