"""Tests for relaxtfp.distributions.LogisticNormalSoftmax."""

import numpy as np
import pytest
from scipy import integrate
from scipy import special
from scipy import stats

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp, tfd = sub.tf, sub.tfp, sub.tfd
LogisticNormalSoftmax = sub.rtd.LogisticNormalSoftmax
SoftmaxCenteredLebesgue = sub.module("internal.simplex").SoftmaxCenteredLebesgue

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6

LOC = np.array([0.5, 0., -1.])
SCALE = np.array([1., 0.7, 1.3])
COV = np.array([[1., 0.3, 0.1], [0.3, 0.8, -0.2], [0.1, -0.2, 1.5]])
# The Laplace Bridge's covariance for alpha = (2, 3, 6): singular along ones.
_INV = 1. / np.array([2., 3., 6.])
BRIDGE_COV = (np.diag(_INV) - (_INV[:, None] + _INV[None, :]) / 3. + _INV.mean() / 3.)
A = np.array([[1., 0., -1.], [0., 1., -1.]])   # (A g)_i = g_i - g_K.


def reference_log_prob(x, loc, cov):
    """Gaussian log density of the log-ratios minus sum(log x) (scipy)."""
    x = np.asarray(x, np.float64)
    k = x.shape[-1]
    a = np.concatenate([np.eye(k - 1), -np.ones((k - 1, 1))], axis=1)
    d = np.log(x[..., :-1]) - np.log(x[..., -1:])
    return (stats.multivariate_normal(a @ loc, a @ cov @ a.T).logpdf(d)
            - np.log(x).sum(-1))


def f64(x):
    return tf.constant(x, tf.float64)


def make_diag(loc=LOC, scale=SCALE):
    return LogisticNormalSoftmax(f64(loc), scale=f64(scale))


def make_full(loc=LOC, cov=COV):
    return LogisticNormalSoftmax(f64(loc), covariance_matrix=f64(cov))


class TestLogisticNormalSoftmaxScaleContract(DistributionContract):
    EVENT_SHAPE = (3,)

    def make(self, dtype):
        return LogisticNormalSoftmax(
            loc=tf.constant([[0.5, 0., -1.], [0., 0., 0.], [-1., 2., 0.3]], dtype),
            scale=tf.constant([[[1., 0.5, 0.8]], [[0.3, 2., 1.]]], dtype))

    def make_iid(self, n, dtype):
        return LogisticNormalSoftmax(loc=tf.zeros([n, 3], dtype),
                                     scale=tf.constant([1., 0.5, 0.8], dtype))

    def extreme_cases(self, dtype):
        # The law depends on differences of `loc` only; float32 represents a
        # coordinate down to exp(-87), so the spread of the log-ratios (loc
        # differences plus several standard deviations) stays below that.
        def build(loc, scale):
            return LogisticNormalSoftmax(loc, scale=scale)
        return [(build, [tf.constant(loc, dtype), tf.constant([s, s, s], dtype)])
                for loc, s in (([[50., 0., 10.], [-50., -10., 0.]], 1e-3),
                               ([[50., 0., 10.], [-50., -10., 0.]], 0.1),
                               ([[50., 0., 10.], [-50., -10., 0.]], 1.),
                               ([[1., 0., -1.], [0., 0., 0.]], 10.))]

    def parameters(self, dtype):
        def build(loc, scale):
            return LogisticNormalSoftmax(loc, scale=scale)
        return build, [tf.constant([[0.5, 0., -1.]], dtype),
                       tf.constant([1., 0.5, 0.8], dtype)]


class TestLogisticNormalSoftmaxCovarianceContract(DistributionContract):
    EVENT_SHAPE = (3,)

    def make(self, dtype):
        return LogisticNormalSoftmax(
            loc=tf.constant([[0.5, 0., -1.], [0., 0., 0.], [-1., 2., 0.3]], dtype),
            covariance_matrix=tf.constant(np.array([[COV], [BRIDGE_COV]]), dtype))

    def make_iid(self, n, dtype):
        return LogisticNormalSoftmax(loc=tf.zeros([n, 3], dtype),
                                     covariance_matrix=tf.constant(COV, dtype))

    def extreme_cases(self, dtype):
        def build(loc, cov):
            return LogisticNormalSoftmax(loc, covariance_matrix=cov)
        return [(build, [tf.constant(loc, dtype), tf.constant(s ** 2 * base, dtype)])
                for loc, s in (([[50., 0., 10.], [-50., -10., 0.]], 1e-3),
                               ([[50., 0., 10.], [-50., -10., 0.]], 1.),
                               ([[1., 0., -1.], [0., 0., 0.]], 10.))
                for base in (np.eye(3), BRIDGE_COV * 3.)]

    def parameters(self, dtype):
        def build(loc, cov):
            return LogisticNormalSoftmax(loc, covariance_matrix=cov)
        return build, [tf.constant([[0.5, 0., -1.]], dtype), tf.constant(COV, dtype)]


# -- analytic values ----------------------------------------------------------


def _points(k=3, n=7, seed=0):
    return np.random.default_rng(seed).dirichlet(np.full(k, 1.5), size=n)


def test_log_prob_matches_scipy_diagonal():
    x = _points()
    np.testing.assert_allclose(make_diag().log_prob(x),
                               reference_log_prob(x, LOC, np.diag(SCALE ** 2)),
                               rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("cov", [COV, BRIDGE_COV])
def test_log_prob_matches_scipy_full(cov):
    x = _points()
    np.testing.assert_allclose(make_full(cov=cov).log_prob(x),
                               reference_log_prob(x, LOC, cov), rtol=1e-11, atol=1e-11)


def test_log_prob_matches_transformed_mvn():
    """Same density as MVN(A loc, A Sigma A^T) under SoftmaxCenteredLebesgue."""
    x = _points(k=4)
    loc = np.array([0.3, -0.2, 1., 0.])
    cov = np.array([[1., .2, .1, 0.], [.2, .9, 0., .3], [.1, 0., 1.2, -.2], [0., .3, -.2, .7]])
    a = np.concatenate([np.eye(3), -np.ones((3, 1))], axis=1)
    ref = tfd.TransformedDistribution(
        tfd.MultivariateNormalTriL(f64(a @ loc), tf.linalg.cholesky(f64(a @ cov @ a.T))),
        SoftmaxCenteredLebesgue())
    np.testing.assert_allclose(make_full(loc, cov).log_prob(x), ref.log_prob(x), rtol=1e-11)


def test_scale_and_diagonal_covariance_agree():
    x = _points(k=5, n=11)
    loc = np.array([0.3, -0.2, 1., 0., 2.])
    scale = np.array([1e-2, 0.5, 3., 1., 0.2])
    np.testing.assert_allclose(make_diag(loc, scale).log_prob(x),
                               make_full(loc, np.diag(scale ** 2)).log_prob(x), rtol=1e-10)
    np.testing.assert_allclose(make_diag(loc, scale).log_ratio_covariance(),
                               make_full(loc, np.diag(scale ** 2)).log_ratio_covariance(),
                               rtol=1e-14)


def test_law_depends_only_on_differences():
    """Adding c to loc, or c * ones to the covariance, changes nothing."""
    x = _points()
    base = make_full().log_prob(x)
    np.testing.assert_allclose(make_full(loc=LOC + 7.).log_prob(x), base, rtol=1e-11)
    np.testing.assert_allclose(make_full(cov=COV + 2.).log_prob(x), base, rtol=1e-11)
    np.testing.assert_allclose(make_diag(loc=LOC - 3.).log_prob(x), make_diag().log_prob(x),
                               rtol=1e-11)


def test_log_ratio_moments():
    np.testing.assert_allclose(make_full().log_ratio_loc(), A @ LOC, rtol=1e-14)
    np.testing.assert_allclose(make_full().log_ratio_covariance(), A @ COV @ A.T, rtol=1e-14)
    np.testing.assert_allclose(make_diag().log_ratio_covariance(),
                               A @ np.diag(SCALE ** 2) @ A.T, rtol=1e-14)


def test_log_prob_is_minus_inf_on_the_boundary_without_nan_gradients():
    x = f64([[0., 0.4, 0.6], [0.2, 0.3, 0.5]])
    for d in (make_diag(), make_full()):
        def log_prob(loc, d=d):
            dist = (LogisticNormalSoftmax(loc, scale=d.scale) if d.scale is not None
                    else LogisticNormalSoftmax(loc, covariance_matrix=d.covariance_matrix))
            return dist.log_prob(x)

        lp = np.asarray(log_prob(f64(LOC)))
        assert lp[0] == -np.inf and np.isfinite(lp[1])
        (g,) = sub.gradients(lambda loc, log_prob=log_prob: log_prob(loc)[1], f64(LOC))
        assert np.all(np.isfinite(np.asarray(g)))


def test_samples_lie_on_the_simplex():
    for d in (make_diag(), make_full()):
        x = np.asarray(d.sample(1000, seed=(1, 2)))
        assert np.all(x >= 0.)
        np.testing.assert_allclose(x.sum(-1), 1., rtol=1e-14)


def test_event_space_bijector_maps_onto_the_simplex():
    bij = make_full().experimental_default_event_space_bijector()
    y = np.asarray(bij(f64([[0.3, -2.], [40., -40.]])))
    assert y.shape == (2, 3) and np.all(y >= 0.)
    np.testing.assert_allclose(y.sum(-1), 1., rtol=1e-14)


# -- mean ---------------------------------------------------------------------


def test_mean_is_not_implemented_and_estimate_mean_is_unbiased(seed):
    """K = 2: x_1 = sigmoid(d), d ~ Normal(m, s), so E[x_1] is a 1-D integral.
    Each x_k lies in [0, 1]; Hoeffding's bound at FALSE_FAIL_RATE applies.
    Power: shifting loc by 0.15 moves the mean by more than twice the bound."""
    loc, scale = np.array([0.8, -0.3]), np.array([1.2, 0.5])
    d = make_diag(loc, scale)
    with pytest.raises(NotImplementedError, match="estimate_mean"):
        d.mean()
    m, s = loc[0] - loc[1], np.hypot(*scale)

    def exact(m):
        return integrate.quad(lambda t: special.expit(t) * stats.norm.pdf(t, m, s),
                              -np.inf, np.inf, epsabs=1e-13)[0]

    est = np.asarray(d.estimate_mean(NUM_SAMPLES, seed=seed))
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE)
    assert abs(est[0] - exact(m)) <= eps
    np.testing.assert_allclose(est.sum(), 1., rtol=1e-12)
    assert abs(exact(m + 0.15) - exact(m)) > 2. * eps
    np.testing.assert_array_equal(est, d.estimate_mean(NUM_SAMPLES, seed=seed))


# -- statistics: sampler against log_prob --------------------------------------


@pytest.mark.parametrize("make", [make_diag, make_full], ids=["scale", "covariance_matrix"])
def test_regression_log_prob_exists_and_is_exact(make):
    """relaxit's log_prob raised NotImplementedError. The importance
    identity E_{x ~ Dirichlet(1,1,1)}[q(x) / p(x)] = 1 holds for a density in
    the Dirichlet's measure; CLT half-width at FALSE_FAIL_RATE. Power: TFP's
    SoftmaxCentered convention gives 1 / sqrt(3) = 0.577, and the half-width
    is below 0.1."""
    q = make()
    p = tfd.Dirichlet(f64([1., 1., 1.]))
    x = p.sample(NUM_SAMPLES, seed=sub.seed(5, 6))
    ratio = np.asarray(tf.exp(q.log_prob(x) - p.log_prob(x)))
    utils.assert_mean_within_clt(ratio, 1., FALSE_FAIL_RATE)
    assert utils.clt_halfwidth(ratio.std(), ratio.size, FALSE_FAIL_RATE) < 0.1


_CUTS = np.array([-1.5, -0.5, 0.3, 1.2])   # Cut points of each log-ratio.


def _region_probs(dist, num_nodes=24):
    """P(d in cell) for the 5 x 5 cells cut by _CUTS in (d1, d2), from
    exp(log_prob(x)) times the Jacobian prod(x) of d -> x (computed here, not
    by the library), by Gauss-Legendre in each cell. The outer cells are cut
    at 14 standard deviations, beyond which the mass is below 1e-40."""
    m = np.asarray(dist.log_ratio_loc())
    sd = np.sqrt(np.diag(np.asarray(dist.log_ratio_covariance())))
    nodes, weights = np.polynomial.legendre.leggauss(num_nodes)
    probs = np.zeros((5, 5))
    edges = [np.concatenate([[m[i] - 14 * sd[i]], _CUTS, [m[i] + 14 * sd[i]]])
             for i in range(2)]
    for i in range(5):
        a1, b1 = edges[0][i], edges[0][i + 1]
        t1 = (a1 + b1) / 2 + (b1 - a1) / 2 * nodes
        for j in range(5):
            a2, b2 = edges[1][j], edges[1][j + 1]
            t2 = (a2 + b2) / 2 + (b2 - a2) / 2 * nodes
            d1, d2 = np.meshgrid(t1, t2, indexing="ij")
            x = special.softmax(np.stack([d1, d2, np.zeros_like(d1)], -1), axis=-1)
            dens = np.exp(np.asarray(dist.log_prob(x))) * x.prod(-1)
            w = np.outer(weights, weights) * (b1 - a1) * (b2 - a2) / 4.
            probs[i, j] = (dens * w).sum()
    return probs


def _cell_counts(x):
    d = np.log(x[:, :2]) - np.log(x[:, 2:])
    i = np.searchsorted(_CUTS, d[:, 0])
    j = np.searchsorted(_CUTS, d[:, 1])
    return np.bincount(i * 5 + j, minlength=25).reshape(5, 5)


@pytest.mark.parametrize("make,wrong", [
    (make_diag, lambda: make_diag(scale=SCALE * 1.25)),
    (make_full, lambda: make_full(cov=COV * 1.25 ** 2)),
    (lambda: make_full(cov=BRIDGE_COV), lambda: make_diag(
        scale=np.sqrt(np.diag(BRIDGE_COV)))),
], ids=["scale", "covariance_matrix", "bridge"])
def test_region_probabilities_agree_with_log_prob(make, wrong, seed):
    """K = 3 goodness of fit: sample frequencies of 25 cells of the simplex
    against the probabilities integrated from `log_prob`, Hoeffding bound
    union-bounded over the cells at FALSE_FAIL_RATE. Power: a 25% error in
    the scale (for the bridge: dropping its off-diagonal covariance) moves
    some cell probability by more than twice the bound."""
    d = make()
    probs = _region_probs(d)
    np.testing.assert_allclose(probs.sum(), 1., atol=1e-9)
    counts = _cell_counts(np.asarray(d.sample(NUM_SAMPLES, seed=seed)))
    for c, p in zip(counts.ravel(), probs.ravel()):
        utils.assert_proportion_matches(c, NUM_SAMPLES, p, FALSE_FAIL_RATE, num_tests=25)
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, num_tests=25)
    assert np.max(np.abs(_region_probs(wrong()) - probs)) > 2. * eps


# -- gradients -------------------------------------------------------------------


def _check_gradients_against_finite_differences(total, params, rtol):
    """Autodiff gradient of `total` against central differences, one
    parameter entry at a time; for the covariance, along the symmetric
    direction E_ij + E_ji (its lower triangle is what the Cholesky reads), so
    the matching autodiff quantity is g_ij + g_ji."""
    names = list(params)
    grads = dict(zip(names, sub.gradients(
        lambda *values: total(dict(zip(names, values))), *[f64(params[k]) for k in names])))
    h = 1e-6
    for k, v in params.items():
        g = np.asarray(grads[k])
        for idx in np.ndindex(v.shape):
            e = np.zeros_like(v)
            e[idx] = h
            expected = g[idx]
            if k == "covariance_matrix":
                if idx[0] > idx[1]:
                    continue
                e[idx[::-1]] = h
                if idx[0] != idx[1]:
                    expected = g[idx] + g[idx[::-1]]
            fd = (total({**params, k: v + e}) - total({**params, k: v - e})) / (2 * h)
            np.testing.assert_allclose(expected, fd, rtol=rtol, atol=1e-7,
                                       err_msg=f"{k}{idx}")


def _params(variant):
    if variant == "scale":
        return dict(loc=LOC, scale=SCALE)
    return dict(loc=LOC, covariance_matrix=COV)


def _dist(p):
    return LogisticNormalSoftmax(**{k: tf.convert_to_tensor(v, tf.float64)
                                    for k, v in p.items()})


@pytest.mark.parametrize("variant", ["scale", "covariance_matrix"])
def test_pathwise_gradients_match_finite_differences(variant):
    """d sum(sample * weights) / d parameter with the noise held fixed."""
    weights = f64([1., -2., 0.5])
    _check_gradients_against_finite_differences(
        lambda p: tf.reduce_sum(_dist(p).sample(300, seed=(11, 12)) * weights),
        _params(variant), rtol=1e-5)


@pytest.mark.parametrize("variant", ["scale", "covariance_matrix"])
def test_log_prob_gradients_match_finite_differences(variant):
    x = f64(_points(n=5))
    _check_gradients_against_finite_differences(
        lambda p: tf.reduce_sum(_dist(p).log_prob(x)), _params(variant), rtol=1e-6)


# -- extremes -----------------------------------------------------------------------


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_huge_scale_gives_vertices_without_nan(dtype):
    """At scale 1e3 nearly every sample is a vertex in floating point; samples
    stay on the simplex, log_prob is -inf exactly where a coordinate
    underflowed and finite elsewhere, never NaN; gradients stay finite."""
    scale = tf.Variable(tf.constant([1e3, 1e3, 1e3], dtype))
    for d in (LogisticNormalSoftmax(tf.zeros([3], dtype), scale=scale),
              LogisticNormalSoftmax(tf.zeros([3], dtype),
                                    covariance_matrix=tf.constant(1e6 * np.eye(3), dtype))):
        with tf.GradientTape() as tape:
            x = d.sample(500, seed=(1, 2))
            s = tf.reduce_sum(x * tf.constant([1., 2., 3.], dtype))
        x_, lp = np.asarray(x), np.asarray(d.log_prob(x))
        assert np.all(np.isfinite(x_)) and np.all(x_ >= 0.)
        np.testing.assert_allclose(x_.sum(-1), 1., rtol=1e-6)
        assert not np.any(np.isnan(lp))
        np.testing.assert_array_equal(np.isfinite(lp), np.all(x_ > 0., axis=-1))
        if d.scale is not None:
            assert np.all(np.isfinite(np.asarray(tape.gradient(s, scale))))


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_huge_loc_gives_no_nan_values_or_gradients(dtype):
    """loc = +-1e30 with scales 1e-3..1e3. Samples are vertices, where the
    density is 0 whatever the parameters: log_prob -inf with gradient 0. At
    an interior point the log density is about -1e60: finite in float64 (and
    equal to the reference), below the float32 range in float32, where
    log_prob is -inf and its gradient with respect to scale is +inf (the
    rounding of a positive number of order 1e60). Never NaN."""
    loc = tf.Variable(tf.constant([1e30, 0., -1e30], dtype))
    scale = tf.Variable(tf.constant([1e-3, 1., 1e3], dtype))
    d = LogisticNormalSoftmax(loc, scale=scale)
    point = tf.constant([0.2, 0.3, 0.5], dtype)
    with tf.GradientTape(persistent=True) as tape:
        x = d.sample(50, seed=(1, 2))
        lp_samples = d.log_prob(tf.stop_gradient(x))
        lp_point = d.log_prob(point)
    assert np.all(np.asarray(lp_samples) == -np.inf)
    for g in tape.gradient(lp_samples, [loc, scale]):
        np.testing.assert_array_equal(g, 0.)
    g_loc, g_scale = (np.asarray(g) for g in tape.gradient(lp_point, [loc, scale]))
    assert not np.any(np.isnan(g_loc)) and not np.any(np.isnan(g_scale))
    if dtype == tf.float64:
        np.testing.assert_allclose(
            lp_point, reference_log_prob(point, [1e30, 0., -1e30],
                                         np.diag([1e-6, 1., 1e6])), rtol=1e-9)
        assert np.all(np.isfinite(g_loc)) and np.all(np.isfinite(g_scale))
    else:
        assert np.asarray(lp_point) == -np.inf
        np.testing.assert_array_equal(g_scale, np.inf)


def test_log_prob_finite_for_tiny_and_mixed_scales():
    scale = np.array([1e-3, 1., 1e3])
    d = make_diag(loc=[0., 0., 0.], scale=scale)
    x = _points()
    lp = np.asarray(d.log_prob(x))
    np.testing.assert_allclose(lp, reference_log_prob(x, np.zeros(3), np.diag(scale ** 2)),
                               rtol=1e-9)


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    (dict(loc=[0., 0., 0.], scale=[1., 0., 1.]), "Argument `scale` must be positive."),
    (dict(loc=[0., 0., 0.], scale=[1., -1., 1.]), "Argument `scale` must be positive."),
    (dict(loc=[0., 0.], covariance_matrix=[[1., 0.5], [0., 1.]]),
     "Argument `covariance_matrix` must be symmetric."),
    (dict(loc=[0., 0., 0.], covariance_matrix=np.diag([1., -0.5, 1.])),
     "Argument `covariance_matrix` must be positive semi-definite."),
    (dict(loc=[0., 0., 0.], covariance_matrix=[[1., 1., 0.], [1., 1., 0.], [0., 0., 1.]]),
     "Argument `covariance_matrix` must be positive definite on the differences"),
    (dict(loc=[0., 0.], covariance_matrix=np.ones((2, 2))),
     "Argument `covariance_matrix` must be positive definite on the differences"),
])
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(sub.validation_error, match=message):
        LogisticNormalSoftmax(validate_args=True, **kwargs)


def test_singular_bridge_covariance_is_valid():
    d = LogisticNormalSoftmax(f64([0., 0., 0.]), covariance_matrix=f64(BRIDGE_COV),
                              validate_args=True)
    assert np.isfinite(np.asarray(d.log_prob(f64([0.2, 0.3, 0.5]))))


@substrates.tensorflow_only("assigns a tf.Variable after construction")
def test_invalid_variable_assignment_is_caught():
    scale = tf.Variable([1., 1., 1.])
    d = LogisticNormalSoftmax([0., 0., 0.], scale=scale, validate_args=True)
    d.sample(seed=(1, 2))
    scale.assign([1., -1., 1.])
    with pytest.raises(sub.validation_error, match="`scale` must be positive"):
        d.sample(seed=(1, 2))
    cov = tf.Variable(np.eye(3))
    d = LogisticNormalSoftmax(f64([0., 0., 0.]), covariance_matrix=cov, validate_args=True)
    d.log_prob(f64([0.2, 0.3, 0.5]))
    cov.assign(np.diag([1., -1., 1.]))
    with pytest.raises(sub.validation_error,
                       match="`covariance_matrix` must be positive"):
        d.log_prob(f64([0.2, 0.3, 0.5]))


def test_scale_and_covariance_are_exclusive_and_event_size_at_least_two():
    with pytest.raises(ValueError, match="exactly one of `scale` or `covariance_matrix`"):
        LogisticNormalSoftmax([0., 0.], scale=[1., 1.], covariance_matrix=np.eye(2))
    with pytest.raises(ValueError, match="exactly one of `scale` or `covariance_matrix`"):
        LogisticNormalSoftmax([0., 0.])
    with pytest.raises(ValueError, match="at least 2"):
        LogisticNormalSoftmax([0.], scale=[1.])


def test_log_prob_validates_support():
    d = LogisticNormalSoftmax([0., 0., 0.], scale=[1., 1., 1.], validate_args=True)
    with pytest.raises(sub.validation_error, match="must sum to 1"):
        d.log_prob([0.2, 0.3, 0.6])
    with pytest.raises(sub.validation_error, match="negative components"):
        d.log_prob([-0.1, 0.5, 0.6])


# -- TFP's interfaces ----------------------------------------------------------------


def test_covariance_is_the_moment_method_and_covariance_matrix_the_parameter():
    """`covariance()` means on every TFP distribution the covariance of the
    sample x, which has no closed form here: NotImplementedError, as for
    `variance()` and `stddev()`; the Gaussian's covariance is the property
    `covariance_matrix` (TFP's name, as in MultivariateNormalFullCovariance)."""
    for d in (make_diag(), make_full()):
        for method in (d.covariance, d.variance, d.stddev):
            with pytest.raises(NotImplementedError, match="no closed-form variance or covariance"):
                method()
    np.testing.assert_array_equal(make_full().covariance_matrix, COV)
    assert make_diag().covariance_matrix is None
    assert make_full().parameters["covariance_matrix"] is not None


@substrates.tensorflow_only("tfp.experimental.util.make_trainable builds tf.Variables")
def test_make_trainable_builds_a_working_distribution():
    """`covariance_matrix` is the non-preferred alternative to `scale`, so
    `make_trainable` builds `loc` and `scale` only."""
    d = tfp.experimental.util.make_trainable(
        LogisticNormalSoftmax, batch_and_event_shape=[2, 4], seed=(1, 2))
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (4,)
    assert d.covariance_matrix is None
    shapes = {v.name.split(":")[0]: tuple(v.shape) for v in d.trainable_variables}
    assert shapes == {"loc": (2, 4), "scale": (2, 4)}
    with tf.GradientTape() as tape:
        x = d.sample(5, seed=(3, 4))
        lp = d.log_prob(tf.stop_gradient(x))
        total = tf.reduce_sum(lp) + tf.reduce_sum(x * tf.constant([1., 2., 3., 4.]))
    assert x.shape == (5, 2, 4) and np.all(np.isfinite(np.asarray(lp)))
    for g in tape.gradient(total, d.trainable_variables):
        assert g is not None and np.all(np.isfinite(np.asarray(g)))


# -- shapes ---------------------------------------------------------------------------


def test_scalar_scale_or_loc_broadcasts_over_the_event():
    x = _points()
    full = make_diag(scale=[0.7, 0.7, 0.7])
    for d in (LogisticNormalSoftmax(f64(LOC), scale=f64(0.7)),
              LogisticNormalSoftmax(f64(LOC), scale=f64([0.7]))):
        assert tuple(d.event_shape) == (3,) and tuple(d.batch_shape) == ()
        np.testing.assert_allclose(d.log_prob(x), full.log_prob(x), rtol=1e-13)
        np.testing.assert_array_equal(d.sample(4, seed=(1, 2)), full.sample(4, seed=(1, 2)))
    d = LogisticNormalSoftmax(f64(0.), scale=f64(SCALE))
    np.testing.assert_allclose(d.log_prob(x), make_diag(loc=np.zeros(3)).log_prob(x),
                               rtol=1e-13)
    d = LogisticNormalSoftmax(f64(0.), covariance_matrix=f64(COV))
    np.testing.assert_allclose(d.log_prob(x), make_full(loc=np.zeros(3)).log_prob(x),
                               rtol=1e-13)


@pytest.mark.parametrize("kwargs,message", [
    (dict(loc=[0., 0., 0.], covariance_matrix=np.ones((3, 2))),
     "`covariance_matrix` must be square, of shape \\[..., K, K\\]; got shape \\(3, 2\\)"),
    (dict(loc=[0., 0., 0.], covariance_matrix=np.ones(3)),
     "`covariance_matrix` must have shape \\[..., K, K\\]"),
    (dict(loc=[0., 0., 0.], covariance_matrix=np.eye(4)),
     "`loc` \\(size 3\\) must have the size K of `covariance_matrix`.*K = 4"),
    (dict(loc=[0., 0., 0.], scale=[1., 1.]),
     "`loc` \\(size 3\\) and `scale` \\(size 2\\) must have the same size K, or size 1"),
    (dict(loc=0., scale=1.), "both are scalars"),
    (dict(loc=[0.], covariance_matrix=np.eye(1)), "at least 2"),
])
@pytest.mark.parametrize("validate_args", [False, True])
def test_shapes_that_fit_no_event_size_raise(kwargs, message, validate_args):
    with pytest.raises(ValueError, match=message):
        LogisticNormalSoftmax(validate_args=validate_args, **kwargs)


@substrates.tensorflow_only("shapes unknown until run time (a tf.function input signature); "
                             "JAX traces static shapes")
def test_dynamic_covariance_shapes_are_checked_with_validate_args():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float64),
                                  tf.TensorSpec([None, None], tf.float64)])
    def log_prob(loc, cov):
        d = LogisticNormalSoftmax(loc, covariance_matrix=cov, validate_args=True)
        return d.log_prob(tf.fill(tf.shape(cov)[-1:], tf.constant(1., tf.float64))
                          / tf.cast(tf.shape(cov)[-1], tf.float64))

    np.testing.assert_allclose(log_prob(f64(LOC), f64(COV)),
                               make_full().log_prob(np.full(3, 1. / 3.)), rtol=1e-13)
    with pytest.raises(sub.validation_error, match="must be square"):
        log_prob(f64(LOC), f64(np.ones((3, 2))))
    with pytest.raises(sub.validation_error,
                       match="last axis of `loc` must have the size K"):
        log_prob(f64(LOC), f64(np.eye(4)))


def test_integer_parameters_are_converted():
    d = LogisticNormalSoftmax(np.array([1, 0, -1]), scale=np.array([1, 2, 1]))
    ref = LogisticNormalSoftmax([1., 0., -1.], scale=[1., 2., 1.])
    assert d.dtype == tf.float32
    np.testing.assert_array_equal(d.sample(3, seed=(1, 2)), ref.sample(3, seed=(1, 2)))
    d = LogisticNormalSoftmax(np.array([1, 0, -1]), covariance_matrix=2 * np.eye(3, dtype=int))
    ref = LogisticNormalSoftmax([1., 0., -1.], covariance_matrix=2. * np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(d.log_prob([0.2, 0.3, 0.5]), ref.log_prob([0.2, 0.3, 0.5]))


# -- KL divergence ----------------------------------------------------------------------


_KL_Q = dict(loc=np.array([[0.1, 0.4, -0.3], [1., -1., 0.5]]),
             scale=np.array([0.9, 0.6, 1.4]),
             covariance_matrix=np.array([[0.9, 0.2, -0.1], [0.2, 0.7, 0.1], [-0.1, 0.1, 1.2]]))


def _lns(loc, variant, scale=SCALE, cov=COV):
    if variant == "scale":
        return LogisticNormalSoftmax(f64(loc), scale=f64(scale))
    return LogisticNormalSoftmax(f64(loc), covariance_matrix=f64(cov))


def _log_ratio_mvn(d):
    return tfd.MultivariateNormalTriL(
        d.log_ratio_loc(), tf.linalg.cholesky(d.log_ratio_covariance()))


@pytest.mark.parametrize("variant_p", ["scale", "covariance_matrix"])
@pytest.mark.parametrize("variant_q", ["scale", "covariance_matrix"])
def test_kl_is_the_gaussian_kl_of_the_log_ratios(variant_p, variant_q):
    p = _lns(LOC, variant_p)
    q = _lns(_KL_Q["loc"], variant_q, _KL_Q["scale"], _KL_Q["covariance_matrix"])
    kl = np.asarray(tfd.kl_divergence(p, q))
    assert kl.shape == (2,) and np.all(kl > 0.)
    np.testing.assert_allclose(
        kl, tfd.kl_divergence(_log_ratio_mvn(p), _log_ratio_mvn(q)), rtol=1e-11)
    # The law depends on differences only: shifting loc changes nothing.
    shifted = _lns(LOC + 5., variant_p)
    np.testing.assert_allclose(tfd.kl_divergence(shifted, q), kl, rtol=1e-11)
    np.testing.assert_allclose(tfd.kl_divergence(p, p), 0., atol=1e-14)


def test_kl_of_scale_and_diagonal_covariance_agree_at_extreme_scales():
    """The O(K) form (both `scale`) against the Cholesky form (diagonal
    `covariance_matrix`) in float64, for scales from 1e-3 to 1e3; in float32
    the O(K) form keeps 1e-5 relative accuracy."""
    loc_p, scale_p = np.array([0.3, -2., 1., 0.]), np.array([1e-3, 1., 1e3, 0.5])
    loc_q, scale_q = np.array([0., 1., -1., 2.]), np.array([2e-3, 3., 1e2, 1e-3])
    kl_diag = tfd.kl_divergence(LogisticNormalSoftmax(f64(loc_p), scale=f64(scale_p)),
                                LogisticNormalSoftmax(f64(loc_q), scale=f64(scale_q)))
    kl_full = tfd.kl_divergence(
        LogisticNormalSoftmax(f64(loc_p), covariance_matrix=f64(np.diag(scale_p ** 2))),
        LogisticNormalSoftmax(f64(loc_q), covariance_matrix=f64(np.diag(scale_q ** 2))))
    np.testing.assert_allclose(kl_diag, kl_full, rtol=1e-9)
    kl32 = tfd.kl_divergence(
        LogisticNormalSoftmax(loc_p.astype(np.float32), scale=scale_p.astype(np.float32)),
        LogisticNormalSoftmax(loc_q.astype(np.float32), scale=scale_q.astype(np.float32)))
    np.testing.assert_allclose(kl32, kl_diag, rtol=1e-5)


@pytest.mark.parametrize("variant", ["scale", "covariance_matrix"])
def test_kl_matches_monte_carlo(variant, seed):
    """E_{x ~ p}[log p(x) - log q(x)] within the CLT half-width at
    FALSE_FAIL_RATE (per batch member). Power: the KL between the
    K-dimensional Gaussians of g (what one gets by ignoring that the softmax
    sees only differences) is more than twice the half-width away."""
    p = _lns(LOC, variant)
    q = _lns(_KL_Q["loc"], variant, _KL_Q["scale"], _KL_Q["covariance_matrix"])
    kl = np.asarray(tfd.kl_divergence(p, q))
    # One sample of p for both batch members of q.
    x = p.sample(NUM_SAMPLES, seed=seed)[:, tf.newaxis]
    values = np.asarray((p.log_prob(x) - q.log_prob(x)))
    utils.assert_mean_within_clt(values, kl, FALSE_FAIL_RATE / 2)
    half = utils.clt_halfwidth(values.std(0), NUM_SAMPLES, FALSE_FAIL_RATE / 2)
    if variant == "scale":
        g_p = tfd.MultivariateNormalDiag(f64(LOC), f64(SCALE))
        g_q = tfd.MultivariateNormalDiag(f64(_KL_Q["loc"]), f64(_KL_Q["scale"]))
    else:
        g_p = tfd.MultivariateNormalFullCovariance(f64(LOC), f64(COV))
        g_q = tfd.MultivariateNormalFullCovariance(f64(_KL_Q["loc"]),
                                                   f64(_KL_Q["covariance_matrix"]))
    naive = np.asarray(tfd.kl_divergence(g_p, g_q))
    assert np.all(np.abs(naive - kl) > 2. * half), (naive, kl, half)


def test_kl_gradients_are_finite_and_match_finite_differences():
    def kl(loc, scale):
        return tfd.kl_divergence(LogisticNormalSoftmax(loc, scale=scale),
                                 LogisticNormalSoftmax(f64(_KL_Q["loc"][0]),
                                                       scale=f64(_KL_Q["scale"])))
    grads = sub.gradients(kl, f64(LOC), f64(SCALE))
    h = 1e-6
    for n, base in enumerate((LOC, SCALE)):
        for i in range(3):
            e = np.zeros(3)
            e[i] = h
            args = [f64(LOC), f64(SCALE)]
            args[n] = f64(base + e)
            plus = kl(*args)
            args[n] = f64(base - e)
            fd = (plus - kl(*args)) / (2 * h)
            np.testing.assert_allclose(grads[n][i], fd, rtol=1e-6, atol=1e-9)


def test_kl_rejects_different_event_sizes():
    with pytest.raises(ValueError, match="one event size K; got 3 and 4"):
        tfd.kl_divergence(make_diag(), make_diag(loc=np.zeros(4), scale=np.ones(4)))


# -- regressions for defects of the reference library, relaxit --------------------


def test_regression_log_prob_in_dirichlet_measure():
    """The density is in the Dirichlet's measure (the 0.5 log K trap of
    tfb.SoftmaxCentered gives the surface measure instead): with loc = 0 and
    Sigma = diag(1/alpha) projected, the density at the simplex centre
    matches the closed form, not the surface-measure one."""
    d = make_diag(loc=[0., 0., 0.], scale=[1., 1., 1.])
    x = np.full(3, 1. / 3.)
    # d = 0 = m, S = I + ones (det 3): log N = -log(2 pi) - 0.5 log 3.
    expected = -np.log(2. * np.pi) - 0.5 * np.log(3.) + 3. * np.log(3.)
    np.testing.assert_allclose(d.log_prob(x), expected, rtol=1e-13)


def test_regression_no_degenerate_scalar_simplex():
    """relaxit expanded scalar loc/scale to a 1-simplex whose samples
    were always 1. Here a length-1 event is rejected, and a scalar scale
    broadcasts against a length-K loc."""
    d = LogisticNormalSoftmax(tf.zeros([4]), scale=1.)
    assert tuple(d.event_shape) == (4,) and tuple(d.batch_shape) == ()
    x = np.asarray(d.sample(3, seed=(1, 2)))
    assert x.shape == (3, 4) and len(np.unique(x)) == 12


def test_regression_float64_is_kept():
    """relaxit forced float32."""
    d = make_full()
    assert d.sample(seed=(1, 2)).dtype == tf.float64
    assert d.log_prob(d.sample(seed=(1, 2))).dtype == tf.float64


def test_discrete_law_raises():
    d = LogisticNormalSoftmax([0., 1., 0.5], [1., 1., 1.])
    with pytest.raises(NotImplementedError, match="argmax.*no closed form"):
        d.discrete_law()
