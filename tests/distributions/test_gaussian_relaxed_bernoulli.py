"""Tests for relaxtfp.distributions.GaussianRelaxedBernoulli."""

import numpy as np
import pytest
from scipy import integrate
from scipy import special
from scipy import stats

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
GaussianRelaxedBernoulli = sub.rtd.GaussianRelaxedBernoulli

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6


def _f64(v):
    return tf.constant(v, tf.float64)


def reference_log_prob(x, loc, scale):
    """The mixed law written with scipy (float64)."""
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore"):
        inside = np.where((x > 0) & (x < 1), stats.norm.logpdf(x, loc, scale), -np.inf)
    return np.where(x == 0, special.log_ndtr(-loc / scale),
                    np.where(x == 1, special.log_ndtr((loc - 1.) / scale), inside))


def quadrature_moments(loc, scale):
    """E[z] and Var[z] from E[z^k] = integral_0^1 k t^(k-1) P(X > t) dt."""
    points = [p for p in (loc - scale, loc, loc + scale) if 0. < p < 1.]

    def survival(t):
        return special.ndtr((loc - t) / scale)

    kw = dict(epsabs=1e-15, epsrel=1e-13, limit=500, points=points or None)
    m1, _ = integrate.quad(survival, 0., 1., **kw)
    m2, _ = integrate.quad(lambda t: 2. * t * survival(t), 0., 1., **kw)
    return m1, m2 - m1 ** 2


class TestGaussianRelaxedBernoulliContract(DistributionContract):

    def make(self, dtype):
        return GaussianRelaxedBernoulli(
            loc=tf.constant([-0.3, 0.4, 1.2], dtype),
            scale=tf.constant([[0.5], [2.]], dtype))

    def make_iid(self, n, dtype):
        # Scalar scale next to a vector loc: the reference library drew one
        # noise value for the whole batch in exactly this case.
        return GaussianRelaxedBernoulli(loc=tf.fill([n], tf.constant(0.4, dtype)),
                                        scale=tf.constant(0.5, dtype))

    def extreme_cases(self, dtype):
        return [(GaussianRelaxedBernoulli,
                 [tf.constant([-50., -5., 0., 0.5, 1., 5., 50.], dtype), tf.constant(s, dtype)])
                for s in (1e-3, 1e-2, 1., 1e2, 1e3)]

    def parameters(self, dtype):
        return GaussianRelaxedBernoulli, [tf.constant([-0.3, 0.4, 1.2], dtype),
                                          tf.constant([[0.5], [2.]], dtype)]


# -- analytic values ----------------------------------------------------------


@pytest.mark.parametrize("loc,scale", [(0.3, 0.2), (-0.4, 1.), (1.5, 0.7), (0.5, 30.)])
def test_log_prob_matches_closed_form(loc, scale):
    x = np.array([-0.2, 0., 1e-9, 0.05, 0.3, 0.5, 0.91, 1. - 1e-9, 1., 1.5])
    d = GaussianRelaxedBernoulli(_f64(loc), _f64(scale))
    np.testing.assert_allclose(d.log_prob(x), reference_log_prob(x, loc, scale),
                               rtol=1e-12)


def integrate_density(d, lo, hi, loc, scale):
    """integral_lo^hi exp(log_prob(x)) dx by a composite 20-point
    Gauss-Legendre rule on pieces no wider than scale / 4, split at loc: on
    such pieces the Gaussian density is integrated to machine precision."""
    pieces = int(np.ceil((hi - lo) / (0.25 * scale)))
    edges = np.linspace(lo, hi, pieces + 1)
    if lo < loc < hi:
        edges = np.sort(np.append(edges, loc))
    nodes, weights = np.polynomial.legendre.leggauss(20)
    half = np.diff(edges)[:, None] / 2.
    x = (edges[:-1, None] + edges[1:, None]) / 2. + half * nodes
    return float(np.sum(np.exp(np.asarray(d.log_prob(x.ravel()))).reshape(x.shape)
                        * weights * half))


@pytest.mark.parametrize("loc,scale", [(0.3, 0.2), (-0.4, 1.), (1.2, 0.1), (0.5, 30.),
                                       (0.4, 1e-3)])
def test_normalization_and_cdf(loc, scale):
    """Atoms plus the integrated density sum to one; `cdf` is their integral."""
    d = GaussianRelaxedBernoulli(_f64(loc), _f64(scale))
    p0, p1 = np.exp(np.asarray(d.log_prob([0., 1.])))
    interior = integrate_density(d, 0., 1., loc, scale)
    np.testing.assert_allclose(p0 + interior + p1, 1., atol=1e-13)
    for t in (0.1, 0.5, 0.9):
        part = integrate_density(d, 0., t, loc, scale)
        np.testing.assert_allclose(d.cdf(t), p0 + part, atol=1e-13)
        np.testing.assert_allclose(d.survival_function(t), 1. - p0 - part, atol=1e-13)
        if p0 + part > 1e-290:   # Beyond that, log_cdf is checked in the tails test.
            np.testing.assert_allclose(d.log_cdf(t), np.log(p0 + part), rtol=1e-9,
                                       atol=1e-13)
    np.testing.assert_allclose(d.cdf([-0.5, 0., 1., 2.]), [0., p0, 1., 1.], atol=1e-15)
    np.testing.assert_allclose(d.survival_function([-0.5, 0., 1., 2.]),
                               [1., 1. - p0, 0., 0.], atol=1e-15)


def test_log_cdf_and_log_survival_in_the_tails():
    """Far tails in log space, against scipy's log_ndtr (float64)."""
    loc, scale = 0.5, 1e-3
    x = np.array([0., 0.2, 0.45, 0.55, 0.8])
    d = GaussianRelaxedBernoulli(_f64(loc), _f64(scale))
    np.testing.assert_allclose(d.log_cdf(x), special.log_ndtr((x - loc) / scale),
                               rtol=1e-12)
    np.testing.assert_allclose(d.log_survival_function(x),
                               special.log_ndtr((loc - x) / scale), rtol=1e-12)
    assert np.all(np.isfinite(np.asarray(d.log_cdf(x))))


@pytest.mark.parametrize("scale", [1e-3, 0.05, 0.3, 1., 1.999, 2., 7., 1e3])
@pytest.mark.parametrize("loc", [-50., -2., -0.3, 0., 0.25, 0.5, 0.9, 1., 1.4, 3., 50.])
def test_mean_and_variance_against_quadrature(loc, scale):
    """Closed form (scale < 2) and series (scale >= 2) against scipy, float64.

    The docstring promises an absolute error of a few eps; measured against
    50-digit quadrature it is below 6e-16. scipy's quadrature is itself good to
    about 1e-14 here.
    """
    d = GaussianRelaxedBernoulli(_f64(loc), _f64(scale))
    m, v = quadrature_moments(loc, scale)
    np.testing.assert_allclose(d.mean(), m, atol=1e-13)
    np.testing.assert_allclose(d.variance(), v, atol=1e-13)


def test_float32_moments_agree_with_float64():
    loc = np.array([-50., -2., -0.3, 0., 0.25, 0.5, 0.9, 1., 1.4, 3., 50.])
    for scale in (1e-3, 0.05, 1., 1.99, 2., 7., 1e3):
        d32 = GaussianRelaxedBernoulli(tf.constant(loc, tf.float32),
                                       tf.constant(scale, tf.float32))
        d64 = GaussianRelaxedBernoulli(_f64(loc), _f64(scale))
        np.testing.assert_allclose(d32.mean(), d64.mean(), atol=5e-7, err_msg=scale)
        np.testing.assert_allclose(d32.variance(), d64.variance(), atol=5e-7,
                                   err_msg=scale)


def test_mean_and_variance_limits():
    """scale -> 0: z -> clip(loc, 0, 1), and inside (0, 1) Var = scale^2
    up to tails of size Phi(-0.2 / 1e-3) = 0."""
    loc = np.array([-1., 0.2, 0.5, 0.8, 2.])
    d = GaussianRelaxedBernoulli(_f64(loc), _f64(1e-3))
    np.testing.assert_allclose(d.mean(), np.clip(loc, 0., 1.), atol=1e-15)
    np.testing.assert_allclose(d.variance(), [0., 1e-6, 1e-6, 1e-6, 0.], rtol=1e-12,
                               atol=1e-300)
    # scale -> infinity: a fair coin on {0, 1}, mean 1/2 and variance 1/4.
    d = GaussianRelaxedBernoulli(_f64(0.5), _f64(1e8))
    np.testing.assert_allclose([d.mean(), d.variance()], [0.5, 0.25], atol=1e-15)


def test_prob_nonzero_closed_form():
    loc, scale = np.array([-3., 0., 0.4, 2.]), np.array([0.5, 1., 0.1, 3.])
    d = GaussianRelaxedBernoulli(_f64(loc), _f64(scale))
    np.testing.assert_allclose(d.prob_nonzero(), special.ndtr(loc / scale), rtol=1e-14)
    np.testing.assert_allclose(d.prob_nonzero(), -np.expm1(d.log_prob(np.zeros(4))),
                               rtol=1e-12)


def test_log_prob_outside_support_is_minus_inf():
    d = GaussianRelaxedBernoulli(0.5, 1.)
    assert np.all(np.asarray(d.log_prob([-0.1, 1.01, -1e-7, 7.])) == -np.inf)


# -- gradients -------------------------------------------------------------------


def test_pathwise_gradients_match_finite_differences():
    """d sample / d parameter with the noise held fixed (same seed)."""
    params = dict(loc=0.3, scale=0.4)
    seed = (11, 12)

    def total(**kw):
        p = {k: _f64(v) for k, v in {**params, **kw}.items()}
        return tf.reduce_sum(GaussianRelaxedBernoulli(**p).sample(500, seed=seed))

    names = list(params)
    grads = dict(zip(names, sub.gradients(
        lambda *p: tf.reduce_sum(
            GaussianRelaxedBernoulli(**dict(zip(names, p))).sample(500, seed=seed)),
        *[_f64(params[k]) for k in names])))
    h = 1e-7
    for k, v in params.items():
        fd = (total(**{k: v + h}) - total(**{k: v - h})) / (2 * h)
        np.testing.assert_allclose(grads[k], fd, rtol=1e-6, err_msg=k)
    # The pathwise gradient is exact: d z / d loc = 1 and d z / d scale = eps
    # for the samples inside (0, 1), and 0 for the clipped ones.
    z = np.asarray(GaussianRelaxedBernoulli(_f64(0.3), _f64(0.4)).sample(500, seed=seed))
    inside = (z > 0) & (z < 1)
    np.testing.assert_allclose(grads["loc"], inside.sum(), rtol=1e-14)
    np.testing.assert_allclose(grads["scale"], ((z - 0.3) / 0.4)[inside].sum(),
                               rtol=1e-12)


@pytest.mark.parametrize("loc,scale", [(-0.4, 0.8), (0.3, 0.2), (0.7, 1.5), (2., 1.),
                                       (0.2, 5.), (0.5, 0.01)])
def test_gradient_of_mean_matches_finite_differences_and_closed_form(loc, scale):
    """d E[z] / d loc = Phi(b) - Phi(a) = P(0 < z < 1) and
    d E[z] / d scale = phi(b) - phi(a), with a = (loc - 1) / scale and
    b = loc / scale; the closed form is also differenced numerically."""
    grads = sub.gradients_of_outputs(
        lambda lv, sv: dict(mean=GaussianRelaxedBernoulli(lv, sv).mean(),
                            variance=GaussianRelaxedBernoulli(lv, sv).variance()),
        _f64(loc), _f64(scale))
    g_l, g_s = grads["mean"]
    gv_l, gv_s = grads["variance"]
    a, b = (loc - 1.) / scale, loc / scale
    np.testing.assert_allclose(g_l, special.ndtr(b) - special.ndtr(a), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(g_s, stats.norm.pdf(b) - stats.norm.pdf(a), rtol=1e-11,
                               atol=1e-15)

    def moments(ll, ss):
        dd = GaussianRelaxedBernoulli(_f64(ll), _f64(ss))
        return np.array([np.asarray(dd.mean()), np.asarray(dd.variance())])

    h = 1e-5 * min(scale, 1.)
    fd_l = (moments(loc + h, scale) - moments(loc - h, scale)) / (2 * h)
    fd_s = (moments(loc, scale + h) - moments(loc, scale - h)) / (2 * h)
    np.testing.assert_allclose([g_l, gv_l], fd_l, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose([g_s, gv_s], fd_s, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("loc,scale", [(0.3, 0.5), (-0.2, 1.5)])
def test_reparameterized_gradient_is_unbiased_for_d_mean(loc, scale):
    """Per-sample pathwise gradients of z average to d E[z] / d parameter
    (CLT z-test at FALSE_FAIL_RATE, both parameters)."""
    n = 20_000
    per_loc, per_scale = sub.gradients_of_sum(   # dz_i / d(param_i)
        lambda lv, sv: GaussianRelaxedBernoulli(lv, sv).sample(seed=(21, 22)),
        tf.fill([n], _f64(loc)), tf.fill([n], _f64(scale)))
    exact = [np.asarray(g) for g in sub.gradients(
        lambda l0, s0: GaussianRelaxedBernoulli(l0, s0).mean(), _f64(loc), _f64(scale))]
    per_sample = np.stack([np.asarray(per_loc), np.asarray(per_scale)], axis=1)
    utils.assert_mean_within_clt(per_sample, np.array(exact), FALSE_FAIL_RATE)


def test_prob_nonzero_gradient_closed_form():
    g_l, g_s = sub.gradients_of_sum(
        lambda lv, sv: GaussianRelaxedBernoulli(lv, sv).prob_nonzero(),
        _f64([-1., 0.5]), _f64([0.5, 2.]))
    b = np.array([-1., 0.5]) / np.array([0.5, 2.])
    np.testing.assert_allclose(g_l, stats.norm.pdf(b) / np.array([0.5, 2.]), rtol=1e-12)
    np.testing.assert_allclose(g_s, -stats.norm.pdf(b) * b / np.array([0.5, 2.]),
                               rtol=1e-12)


# -- statistics ------------------------------------------------------------------


def _cdf_from_log_prob(loc, scale, grid):
    """The CDF obtained by integrating exp(log_prob) inside plus the atom at 0."""
    d = GaussianRelaxedBernoulli(_f64(loc), _f64(scale))
    p0, p1 = np.exp(np.asarray(d.log_prob([0., 1.])))
    cdf, mass = utils.cdf_from_density_on_unit_interval(
        lambda x: np.asarray(d.log_prob(x)), grid, atom_at_zero=p0)
    np.testing.assert_allclose(mass + p0 + p1, 1., atol=1e-7)
    return d, cdf


@pytest.mark.parametrize("loc,scale", [(0.3, 0.4), (0.8, 0.2), (-0.1, 0.5)])
def test_samples_agree_with_log_prob(loc, scale, seed):
    """DKWM test of the sampler against the CDF obtained from `log_prob`.

    False-failure rate FALSE_FAIL_RATE per test. Power: with NUM_SAMPLES
    samples the test rejects a 10% error in the scale and (separately) an
    error of 0.05 in the loc, shown by `assert_detectable`.
    """
    grid = np.concatenate([[0.], np.linspace(1e-6, 1. - 1e-6, 399)])
    d, cdf = _cdf_from_log_prob(loc, scale, grid)
    # The integrated density agrees with the class's own `cdf`.
    np.testing.assert_allclose(cdf, d.cdf(grid), atol=1e-7)
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    utils.assert_cdf_matches(x, grid, cdf, FALSE_FAIL_RATE, atol=1e-6)
    for wrong in (_cdf_from_log_prob(loc, 1.1 * scale, grid)[1],
                  _cdf_from_log_prob(loc + 0.05, scale, grid)[1]):
        utils.assert_detectable(cdf, wrong, NUM_SAMPLES, FALSE_FAIL_RATE, atol=1e-6)


def test_atoms_against_frequencies(seed):
    """Hoeffding, union-bounded over the 6 proportions."""
    d = GaussianRelaxedBernoulli(_f64([-0.2, 0.5, 1.1]), _f64(0.5))
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    p0 = np.exp(np.asarray(d.log_prob(np.zeros(3))))
    p1 = np.exp(np.asarray(d.log_prob(np.ones(3))))
    for j in range(3):
        utils.assert_proportion_matches((x[:, j] == 0).sum(), NUM_SAMPLES, p0[j],
                                        FALSE_FAIL_RATE, num_tests=6)
        utils.assert_proportion_matches((x[:, j] == 1).sum(), NUM_SAMPLES, p1[j],
                                        FALSE_FAIL_RATE, num_tests=6)
    # Power: a 10% error in scale moves an atom by more than the Hoeffding
    # half-width, so it would be caught.
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, num_tests=6)
    wrong = GaussianRelaxedBernoulli(_f64([-0.2, 0.5, 1.1]), _f64(0.55))
    shift = np.abs(np.exp(np.asarray(wrong.log_prob(np.zeros(3)))) - p0)
    assert shift.max() >= 2. * eps, (shift, eps)


def test_sample_moments_match_mean_and_variance(seed):
    d = GaussianRelaxedBernoulli(_f64([0.5, -1., 0.2, 0.9]), _f64([0.2, 1., 5., 0.05]))
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    mean = np.asarray(d.mean())
    utils.assert_mean_within_clt(x, mean, FALSE_FAIL_RATE)
    utils.assert_mean_within_clt((x - mean) ** 2, np.asarray(d.variance()), FALSE_FAIL_RATE)


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0., -1.])
def test_invalid_scale_raises(scale):
    with pytest.raises(sub.validation_error,
                       match="Argument `scale` must be positive."):
        GaussianRelaxedBernoulli(0., scale, validate_args=True)


@substrates.tensorflow_only("tf.Variable assignment; JAX has no variables")
def test_invalid_variable_assignment_is_caught():
    s = tf.Variable(1.)
    d = GaussianRelaxedBernoulli(0., s, validate_args=True)
    d.sample(seed=(1, 2))
    s.assign(-1.)
    with pytest.raises(sub.validation_error,
                       match="`scale` must be positive"):
        d.sample(seed=(1, 2))


def test_log_prob_validates_support():
    d = GaussianRelaxedBernoulli(0., 1., validate_args=True)
    with pytest.raises(sub.validation_error, match="Sample must be in"):
        d.log_prob(1.5)
    with pytest.raises(sub.validation_error, match="Sample must be in"):
        d.log_prob(-0.5)


def test_parameter_properties_and_reparameterization():
    props = GaussianRelaxedBernoulli.parameter_properties(tf.float32)
    scale_bij = props["scale"].default_constraining_bijector_fn()
    assert np.all(np.asarray(scale_bij(tf.constant([-100., 0., 3.]))) > 0.)
    loc_bij = props["loc"].default_constraining_bijector_fn()
    np.testing.assert_array_equal(loc_bij(tf.constant([-7., 0., 7.])), [-7., 0., 7.])
    d = GaussianRelaxedBernoulli(0., 1.)
    assert d.reparameterization_type == tfp.distributions.FULLY_REPARAMETERIZED


# -- extreme and infinite parameters ---------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scale", [1e-30, 1e-6, 1e-3, 0.5, 1e3, 1e6, 1e30])
def test_extreme_loc_and_scale_are_finite(dtype, scale):
    """loc from -inf to +inf (+-1e30 included) with scales far outside
    1e-3..1e3: samples, log-probs of the samples, statistics and their
    gradients stay finite. Before, mean and variance were NaN for loc 1e30
    at scale >= 2 (He_16(c) overflowed against phi(c) = 0, also in
    float64), and gradients were NaN wherever loc / scale overflowed against
    a saturated Phi."""
    def outputs(loc, sc):
        d = GaussianRelaxedBernoulli(loc, sc)
        x = d.sample(64, seed=(1, 2))
        return dict(sample=x, log_prob=d.log_prob(x), mean=d.mean(), variance=d.variance(),
                    prob_nonzero=d.prob_nonzero(), cdf=d.cdf(0.3),
                    survival_function=d.survival_function(0.3))
    params = [tf.constant([-np.inf, -1e30, -50., 0.5, 50., 1e30, np.inf], dtype),
              tf.constant(scale, dtype)]
    for name, out in outputs(*params).items():
        assert np.all(np.isfinite(out)), (name, out)
    for name, grads in sub.gradients_of_outputs(outputs, *params).items():
        for g in grads:
            assert np.all(np.isfinite(g)), (name, g)


@pytest.mark.parametrize("side", [-np.inf, np.inf])
def test_infinite_loc_is_the_constant_gate(side):
    gate = 0. if side < 0 else 1.
    loc = tf.constant([side])
    d = GaussianRelaxedBernoulli(loc, 0.5)
    x = d.sample(100, seed=(1, 2))
    lp = d.log_prob(x)

    def total(loc):
        d = GaussianRelaxedBernoulli(loc, 0.5)
        return (tf.reduce_sum(d.log_prob(d.sample(100, seed=(1, 2)))) + d.mean()[0]
                + d.variance()[0] + d.prob_nonzero()[0] + d.cdf(0.3)[0])
    np.testing.assert_array_equal(x, gate)
    np.testing.assert_array_equal(lp, 0.)
    np.testing.assert_array_equal(d.log_prob([[0.], [0.3], [1.]])[:, 0],
                                  [0., -np.inf, -np.inf] if gate == 0. else
                                  [-np.inf, -np.inf, 0.])
    np.testing.assert_array_equal([d.mean()[0], d.variance()[0], d.prob_nonzero()[0]],
                                  [gate, 0., gate])
    np.testing.assert_array_equal(d.cdf([[0.], [0.3], [1.]])[:, 0],
                                  [1. - gate, 1. - gate, 1.])
    np.testing.assert_array_equal(sub.gradients(total, loc)[0], [0.])


# -- regressions for defects of the reference library, relaxit --------------------


@pytest.mark.parametrize("scale", [0.5, [0.5]])
def test_regression_no_shared_noise_with_small_scale(scale):
    """relaxit drew the noise with the shape of `scale`, so with a
    scalar or shape-(1,) scale and a (3, 4) loc every gate took the same
    value (and sample_shape failed to broadcast)."""
    d = GaussianRelaxedBernoulli(tf.fill([3, 4], 0.5), tf.constant(scale))
    x = np.asarray(d.sample(5, seed=(1, 2)))
    assert x.shape == (5, 3, 4)
    interior = x[(x > 0) & (x < 1)]
    assert len(np.unique(interior)) == interior.size > 20


def test_regression_gradient_reaches_scale():
    """relaxit sampled Normal(0, scale) without reparameterization, so
    `scale` got no gradient. Here d z / d scale = (z - loc) / scale inside
    (0, 1)."""
    g, = sub.gradients_of_sum(
        lambda s: GaussianRelaxedBernoulli(tf.constant(0.5), s).sample(1000, seed=(3, 4)),
        tf.constant(0.3))
    assert g is not None
    zn = np.asarray(GaussianRelaxedBernoulli(0.5, 0.3).sample(1000, seed=(3, 4)))
    inside = (zn > 0) & (zn < 1)
    np.testing.assert_allclose(g, ((zn[inside] - 0.5) / 0.3).sum(), rtol=1e-4,
                               atol=1e-3)
    assert abs(np.asarray(g)) > 1.


def test_regression_float64_is_kept():
    """relaxit cast both parameters to float32 with `.float()`."""
    d = GaussianRelaxedBernoulli(_f64(0.5), _f64(1e-3))
    x = d.sample(seed=(1, 2))
    for t in (x, d.log_prob(x), d.mean(), d.variance(), d.prob_nonzero(), d.cdf(0.3)):
        assert t.dtype == tf.float64
    # A difference of 1e-12 in loc, invisible in float32, shows in float64.
    other = GaussianRelaxedBernoulli(_f64(0.5 + 1e-12), _f64(1e-3))
    assert np.asarray(d.mean()) != np.asarray(other.mean())


def test_regression_support_is_unit_interval():
    """relaxit declared support `real`; samples live in [0, 1], the
    density is -inf outside, and the event-space bijector maps into (0, 1)."""
    d = GaussianRelaxedBernoulli([-0.5, 0.5, 1.5], 2.)
    x = np.asarray(d.sample(1000, seed=(1, 2)))
    assert x.min() == 0. and x.max() == 1.
    assert np.all(np.asarray(d.log_prob([-0.01, 1.01, 2.])) == -np.inf)
    bij = d.experimental_default_event_space_bijector()
    y = np.asarray(bij(tf.constant([-30., 0., 30.])))
    assert np.all((y >= 0.) & (y <= 1.))
    np.testing.assert_allclose(bij.inverse(tf.constant(0.25)), special.logit(0.25),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_regression_atom_log_probs_finite_in_the_tails(dtype):
    """relaxit scored z = 1 with log(1 - Phi((1 - loc) / scale)), -inf from
    about 5.4 standard deviations in float32 (8.3 in float64). log_ndtr keeps
    the atoms finite and accurate."""
    loc = np.array([-50., -2., 0.5, 3., 50.])
    scale = 1e-2
    d = GaussianRelaxedBernoulli(tf.constant(loc, dtype), tf.constant(scale, dtype))
    got = np.stack([np.asarray(d.log_prob(tf.zeros(5, dtype))),
                    np.asarray(d.log_prob(tf.ones(5, dtype)))])
    want = np.stack([special.log_ndtr(-loc / scale),
                     special.log_ndtr((loc - 1.) / scale)])
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12)
    with np.errstate(divide="ignore"):
        relaxit_style = np.log(1. - special.ndtr((1. - loc) / scale))
    assert np.isneginf(relaxit_style[1])


# -- discrete_law: the open/closed law of the gate ----------------------------------


def test_discrete_law_logit_is_exact_in_both_tails():
    """logit(Phi(x)) = log Phi(x) - log Phi(-x): finite and accurate where
    log(p) - log1p(-p) of a float32 Phi is infinite (|x| above about 5.4).
    Beyond |x| = 40, where Phi is exactly 0 or 1, the argument is clipped."""
    loc = np.array([-60., -10., -3., -0.2, 0., 0.4, 2., 10., 60.])
    scale = 1.
    for dtype in (np.float32, np.float64):
        gate = GaussianRelaxedBernoulli(loc.astype(dtype), dtype(scale), validate_args=True)
        law = gate.discrete_law()
        assert isinstance(law, tfp.distributions.Bernoulli)
        assert law.dtype == dtype and law.validate_args
        assert law.batch_shape == gate.batch_shape
        x = np.clip(loc / scale, -40., 40.)
        expected = special.log_ndtr(x) - special.log_ndtr(-x)
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(law.logits_parameter(), expected, rtol=rtol)
        np.testing.assert_allclose(law.probs_parameter(), gate.prob_nonzero(),
                                   rtol=rtol, atol=1e-7 if dtype == np.float32 else 1e-15)


def test_discrete_law_of_infinite_loc_is_the_constant_gate():
    law = GaussianRelaxedBernoulli([-np.inf, np.inf], 0.5).discrete_law()
    np.testing.assert_array_equal(law.logits_parameter(), [-np.inf, np.inf])
    np.testing.assert_array_equal(law.log_prob([0., 1.]), [0., 0.])


def test_discrete_law_gradients_are_finite_for_extreme_parameters():
    def kl(loc, scale):
        return tf.reduce_sum(tfp.distributions.kl_divergence(
            GaussianRelaxedBernoulli(loc, scale).discrete_law(),
            tfp.distributions.Bernoulli(probs=0.5)))
    value, grads = sub.value_and_gradient(
        kl, tf.constant([-1e30, -30., 0.3, 30., 1e30]), tf.constant(1e-3))
    assert np.isfinite(value)
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_frequency_of_open_gates_matches_the_discrete_law():
    """Hoeffding, union-bounded over 3 gates, false-failure rate 1e-6; a law
    with the wrong sign, Phi(-loc / scale), is at least 0.38 away."""
    loc = np.array([-0.3, 0.1, 0.8], np.float32)
    gate = GaussianRelaxedBernoulli(loc, 0.5)
    p = np.asarray(gate.discrete_law().probs_parameter()).astype(np.float64)
    n = NUM_SAMPLES
    eps = utils.hoeffding_epsilon(n, FALSE_FAIL_RATE, num_tests=3)
    assert np.min(np.abs(p - special.ndtr(-loc / 0.5))) >= 2. * eps
    counts = np.sum(np.asarray(gate.sample(n, seed=(3, 9))) > 0., axis=0)
    for count, prob in zip(counts, p):
        utils.assert_proportion_matches(count, n, prob, FALSE_FAIL_RATE, num_tests=3)
