"""Tests for relaxtfp.laplace_bridge: the two bridge maps and the registered
closed-form KL(Dirichlet || LogisticNormalSoftmax)."""

import sys

import numpy as np
import pytest
from scipy import special

from tests import substrates
from tests import utils

sub = substrates.current()
tf, tfp, tfd = sub.tf, sub.tfp, sub.tfd
laplace_bridge = sub.rtfp.laplace_bridge
LogisticNormalSoftmax = sub.rtd.LogisticNormalSoftmax

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6

ALPHA = np.array([2., 3., 6.])


def f64(x):
    return tf.constant(x, tf.float64)


def bridge_covariance(alpha):
    """Hobbhahn et al.'s covariance, entry by entry."""
    k = len(alpha)
    s = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            s[i, j] = ((i == j) / alpha[i]
                       - (1. / k) * (1. / alpha[i] + 1. / alpha[j]
                                     - (1. / k) * np.sum(1. / alpha)))
    return s


def dirichlet_log_ratio_covariance(alpha):
    """Cov(log x_i - log x_K) under Dirichlet(alpha): trigamma terms."""
    t = special.polygamma(1, alpha)
    return np.diag(t[:-1]) + t[-1]


def random_alphas(n, k, rng):
    return np.exp(rng.uniform(np.log(0.3), np.log(50.), size=(n, k)))


# -- the maps --------------------------------------------------------------------


@pytest.mark.parametrize("diagonal", [False, True])
def test_bridge_parameters_match_the_formulas(diagonal, rng):
    alpha = random_alphas(4, 5, rng)
    q = laplace_bridge.dirichlet_to_logistic_normal(tfd.Dirichlet(f64(alpha)), diagonal)
    assert isinstance(q, LogisticNormalSoftmax)
    assert tuple(q.batch_shape) == (4,) and tuple(q.event_shape) == (5,)
    np.testing.assert_allclose(
        q.loc, np.log(alpha) - np.log(alpha).mean(-1, keepdims=True), rtol=1e-13, atol=1e-14)
    covs = np.stack([bridge_covariance(a) for a in alpha])
    if diagonal:
        assert q.covariance_matrix is None
        np.testing.assert_allclose(q.scale, np.sqrt(np.diagonal(covs, axis1=-2, axis2=-1)),
                                   rtol=1e-13)
    else:
        assert q.scale is None
        np.testing.assert_allclose(q.covariance_matrix, covs, rtol=1e-12, atol=1e-15)
        # Singular along the all-ones direction, which the softmax ignores.
        np.testing.assert_allclose(np.asarray(q.covariance_matrix).sum(-1), 0., atol=1e-14)


@pytest.mark.parametrize("diagonal", [False, True])
def test_round_trip_is_exact(diagonal, rng):
    alpha = random_alphas(6, 4, rng)
    for dtype, rtol in ((tf.float64, 1e-12), (tf.float32, 2e-5)):
        d = tfd.Dirichlet(tf.constant(alpha, dtype))
        back = laplace_bridge.logistic_normal_to_dirichlet(
            laplace_bridge.dirichlet_to_logistic_normal(d, diagonal=diagonal))
        assert isinstance(back, tfd.Dirichlet) and back.dtype == dtype
        np.testing.assert_allclose(back.concentration, alpha, rtol=rtol)


def test_inverse_map_formula_and_shift_invariance():
    loc, scale = np.array([1., 0., -1.5]), np.array([0.5, 0.8, 1.1])
    q = LogisticNormalSoftmax(f64(loc), scale=f64(scale))
    k = 3
    expected = (1. - 2. / k + np.exp(loc) / k ** 2 * np.exp(-loc).sum()) / scale ** 2
    np.testing.assert_allclose(
        laplace_bridge.logistic_normal_to_dirichlet(q).concentration, expected, rtol=1e-13)
    shifted = LogisticNormalSoftmax(f64(loc + 40.), scale=f64(scale))
    np.testing.assert_allclose(
        laplace_bridge.logistic_normal_to_dirichlet(shifted).concentration, expected,
        rtol=1e-12)


def test_inverse_map_does_not_overflow_for_a_far_shifted_loc():
    """exp(mu_k) and sum(exp(-mu_l)) overflow separately in float32 for
    mu ~ 100; their product, a ratio sum, does not."""
    scale = tf.constant([0.5, 0.8, 1.1])
    near = LogisticNormalSoftmax(tf.constant([0., 0.5, -0.5]), scale=scale)
    far = LogisticNormalSoftmax(tf.constant([100., 100.5, 99.5]), scale=scale)
    np.testing.assert_allclose(
        laplace_bridge.logistic_normal_to_dirichlet(far).concentration,
        laplace_bridge.logistic_normal_to_dirichlet(near).concentration, rtol=1e-5)


def test_validation_flags_are_carried():
    d = tfd.Dirichlet([1., 2.], validate_args=True, allow_nan_stats=False)
    q = laplace_bridge.dirichlet_to_logistic_normal(d)
    assert q.validate_args and not q.allow_nan_stats
    back = laplace_bridge.logistic_normal_to_dirichlet(q)
    assert back.validate_args and not back.allow_nan_stats


def test_only_full_covariance_matches_the_dirichlet_log_ratio_covariance():
    """As alpha grows, trigamma(a) ~ 1/a and the full bridge's log-ratio
    covariance diag(1/alpha) + 1/alpha_K becomes the Dirichlet's; the
    diagonal bridge stays about 30% off (exactly 1/3 for equal alphas,
    K = 3)."""
    def rel_err(alpha, diagonal):
        q = laplace_bridge.dirichlet_to_logistic_normal(tfd.Dirichlet(f64(alpha)), diagonal)
        s = np.asarray(q.log_ratio_covariance())
        c = dirichlet_log_ratio_covariance(alpha)
        return np.linalg.norm(s - c) / np.linalg.norm(c)

    full = [rel_err(ALPHA * c, False) for c in (1., 10., 100., 1000.)]
    diag = [rel_err(ALPHA * c, True) for c in (1., 10., 100., 1000.)]
    assert np.all(np.diff(full) < 0.) and full[-1] < 1e-3
    assert min(diag) > 0.25
    np.testing.assert_allclose(rel_err(np.full(3, 1e4), True), 1. / 3., rtol=1e-3)


def test_regression_diagonal_bridge_scale_is_a_standard_deviation(seed):
    """relaxit passed the variance Sigma_kk as the Normal's scale. For
    alpha = (2, 3, 6) the review measured component variances of x of
    (0.0086, 0.0123, 0.0162) with scale = sqrt(Sigma_kk) and
    (0.0021, 0.0027, 0.0035) with scale = Sigma_kk. The sample variances
    here must match the first within the CLT half-width (FALSE_FAIL_RATE,
    per component) plus the review's rounding (5e-5); that band excludes the
    second by far."""
    q = laplace_bridge.dirichlet_to_logistic_normal(tfd.Dirichlet(f64(ALPHA)), diagonal=True)
    sigma_kk = 1. / (3. * ALPHA) + 1. / 9.
    np.testing.assert_allclose(q.scale, np.sqrt(sigma_kk), rtol=1e-14)
    x = np.asarray(q.sample(NUM_SAMPLES, seed=seed))
    sq = (x - x.mean(0)) ** 2
    half = utils.clt_halfwidth(sq.std(0, ddof=1), NUM_SAMPLES, FALSE_FAIL_RATE / 3)
    review = np.array([0.0086, 0.0123, 0.0162])
    assert np.all(np.abs(sq.mean(0) - review) <= half + 5e-5), (sq.mean(0), half)
    relaxit = np.array([0.0021, 0.0027, 0.0035])
    assert np.all(np.abs(relaxit - review) > 2. * (half + 5e-5))


# -- KL ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["full", "diagonal", "other"])
def test_kl_matches_monte_carlo(case, seed):
    """Closed-form KL against E_{x ~ Dirichlet}[log p(x) - log q(x)], within
    the CLT half-width at FALSE_FAIL_RATE. Power: the half-width is below
    0.025, less than a third of the KL's change (> 0.08) between the full
    and diagonal bridges of the same Dirichlet."""
    p = tfd.Dirichlet(f64(ALPHA))
    if case == "other":
        q = LogisticNormalSoftmax(f64([0.3, -0.2, 0.5]),
                                  covariance_matrix=f64([[1., .2, 0.], [.2, .6, .1], [0., .1, .9]]))
    else:
        q = laplace_bridge.dirichlet_to_logistic_normal(p, diagonal=(case == "diagonal"))
    kl = np.asarray(tfd.kl_divergence(p, q))
    x = p.sample(NUM_SAMPLES, seed=sub.seed(*seed))
    values = np.asarray((p.log_prob(x) - q.log_prob(x)))
    utils.assert_mean_within_clt(values, kl, FALSE_FAIL_RATE)
    assert utils.clt_halfwidth(values.std(), NUM_SAMPLES, FALSE_FAIL_RATE) < 0.025
    gap = (tfd.kl_divergence(p, laplace_bridge.dirichlet_to_logistic_normal(p, True))
           - tfd.kl_divergence(p, laplace_bridge.dirichlet_to_logistic_normal(p)))
    assert np.asarray(gap) > 0.08


def test_kl_is_non_negative_and_batched(rng):
    alpha = random_alphas(20, 4, rng)
    p = tfd.Dirichlet(f64(alpha))
    loc = rng.normal(size=(20, 4))
    scale = np.exp(rng.normal(size=(20, 4)) * 0.7)
    for q in (LogisticNormalSoftmax(f64(loc), scale=f64(scale)),
              laplace_bridge.dirichlet_to_logistic_normal(p),
              laplace_bridge.dirichlet_to_logistic_normal(p, diagonal=True)):
        kl = np.asarray(tfd.kl_divergence(p, q))
        assert kl.shape == (20,) and np.all(kl >= 0.), kl
    # Broadcasting: one Dirichlet against a batch of logistic normals.
    q = LogisticNormalSoftmax(f64(loc[:3]), scale=f64(scale[:3]))
    kl = np.asarray(tfd.kl_divergence(tfd.Dirichlet(f64(alpha[0])), q))
    assert kl.shape == (3,)
    for i in range(3):
        np.testing.assert_allclose(
            kl[i], tfd.kl_divergence(tfd.Dirichlet(f64(alpha[0])), q[i]), rtol=1e-12)


def test_kl_is_minimal_at_the_moment_matched_logistic_normal():
    """Among logistic normals, -E_Dir[log q] is minimized by matching the
    log-ratio mean (digamma) and covariance (trigamma), so that q's KL is
    the smallest: below the bridge's and below small perturbations of it."""
    p = tfd.Dirichlet(f64(ALPHA))
    dg, tg = special.digamma(ALPHA), special.polygamma(1, ALPHA)
    loc = np.append(dg[:-1] - dg[-1], 0.)
    cov = np.zeros((3, 3))
    cov[:2, :2] = dirichlet_log_ratio_covariance(ALPHA)
    best = np.asarray(tfd.kl_divergence(
        p, LogisticNormalSoftmax(f64(loc), covariance_matrix=f64(cov))))
    assert best < np.asarray(tfd.kl_divergence(p, laplace_bridge.dirichlet_to_logistic_normal(p)))
    for dl, dc in (([0.05, 0., 0.], 1.), ([0., -0.05, 0.], 1.), ([0.] * 3, 1.05),
                   ([0.] * 3, 0.95)):
        other = LogisticNormalSoftmax(f64(loc + dl), covariance_matrix=f64(cov * dc))
        assert best < np.asarray(tfd.kl_divergence(p, other))
    assert tg.min() > 0.


def test_kl_to_the_bridge_shrinks_as_concentration_grows():
    """Full bridge: KL decreases to 0 (about 1/c for alpha = c * alpha_0).
    Diagonal bridge: KL tends to the Gaussian KL between the limiting
    log-ratio covariances, a positive constant (its covariance stays off)."""
    scales = [1., 3., 10., 100., 1000., 1e4]

    def kls(diagonal):
        return np.array([np.asarray(tfd.kl_divergence(
            tfd.Dirichlet(f64(ALPHA * c)),
            laplace_bridge.dirichlet_to_logistic_normal(
                tfd.Dirichlet(f64(ALPHA * c)), diagonal))) for c in scales])

    full, diag = kls(False), kls(True)
    assert np.all(np.diff(full) < 0.) and full[-1] < 1e-5
    assert np.all(diag > full)
    # Limit of the diagonal KL: 0.5 (tr(S_d^-1 C) - (K-1) + log det S_d / det C).
    c = dirichlet_log_ratio_covariance(ALPHA * 1e7)
    a = np.array([[1., 0., -1.], [0., 1., -1.]])
    sd = a @ np.diag(np.diag(bridge_covariance(ALPHA * 1e7))) @ a.T
    limit = 0.5 * (np.trace(np.linalg.solve(sd, c)) - 2.
                   + np.log(np.linalg.det(sd) / np.linalg.det(c)))
    assert limit > 0.05
    np.testing.assert_allclose(diag[-1], limit, rtol=1e-3)


def test_kl_gradient_matches_finite_differences():
    def kl(a, m, s):
        return tfd.kl_divergence(tfd.Dirichlet(a), LogisticNormalSoftmax(m, scale=s))

    base = [ALPHA, np.array([0.2, -0.1, 0.]), np.array([0.6, 0.5, 0.4])]
    grads = sub.gradients(kl, *[f64(b) for b in base])
    h = 1e-6
    for n, g in enumerate(grads):
        for i in range(3):
            plus = [f64(b) for b in base]
            minus = [f64(b) for b in base]
            e = np.zeros(3)
            e[i] = h
            plus[n] = f64(base[n] + e)
            minus[n] = f64(base[n] - e)
            fd = (kl(*plus) - kl(*minus)) / (2 * h)
            np.testing.assert_allclose(g[i], fd, rtol=1e-6, atol=1e-9)


def test_full_bridge_is_the_law_with_scale_rsqrt_alpha(rng):
    """Sigma = P diag(1/alpha) P and diag(1/alpha) differ by u 1^T + 1 u^T,
    which the difference matrix removes: same log-ratio law, so the same
    log_prob and KL."""
    alpha = random_alphas(3, 4, rng)
    p = tfd.Dirichlet(f64(alpha))
    full = laplace_bridge.dirichlet_to_logistic_normal(p)
    same = LogisticNormalSoftmax(full.loc, scale=f64(1. / np.sqrt(alpha)))
    x = p.sample(5, seed=sub.seed(1, 2))
    np.testing.assert_allclose(full.log_prob(x), same.log_prob(x), rtol=1e-11)
    np.testing.assert_allclose(tfd.kl_divergence(p, full), tfd.kl_divergence(p, same),
                               rtol=1e-11)


def test_kl_to_a_scale_law_is_stable_over_many_orders_of_magnitude():
    """KL(Dirichlet || LogisticNormalSoftmax(scale)) through the O(K)
    symmetric forms: in float64 equal to the Cholesky form (the same law
    given by a diagonal covariance_matrix); in float32 within 1e-5 of the
    float64 value for concentrations 1e-3..1e3, where the Cholesky of the
    log-ratio covariance (reference coordinate with variance 1e3) loses
    about 1e-3."""
    alpha = np.array([1e3, 1e3, 1e-3])
    loc = np.log(alpha) - np.log(alpha).mean()

    def kl(dtype, scale_form=True):
        p = tfd.Dirichlet(tf.constant(alpha, dtype))
        if scale_form:
            q = LogisticNormalSoftmax(tf.constant(loc, dtype),
                                      scale=tf.constant(alpha ** -0.5, dtype))
        else:
            q = LogisticNormalSoftmax(tf.constant(loc, dtype),
                                      covariance_matrix=tf.constant(np.diag(1. / alpha), dtype))
        return np.asarray(tfd.kl_divergence(p, q))

    exact = kl(tf.float64)
    np.testing.assert_allclose(exact, kl(tf.float64, scale_form=False), rtol=1e-10)
    np.testing.assert_allclose(kl(tf.float32), exact, rtol=1e-5)
    assert abs(kl(tf.float32, scale_form=False) - exact) > 1e-5 * exact


def test_full_bridge_that_float32_cannot_hold_raises():
    """Concentrations 1e-8..1e8: the centered covariance has entries of
    order 1e7 whose differences, of order 1, are lost in float32 (rounded,
    it is not positive definite on the differences, and sampling and the KL
    gave NaN). float64 holds it; the diagonal bridge and the scale form of
    the same law are finite in float32."""
    alpha = [1e-8, 1., 1e8]
    with pytest.raises(ValueError, match="float32 .* not positive definite on the differences"):
        laplace_bridge.dirichlet_to_logistic_normal(tfd.Dirichlet(alpha))
    p64 = tfd.Dirichlet(f64(alpha))
    full64 = laplace_bridge.dirichlet_to_logistic_normal(p64)
    assert np.all(np.isfinite(np.asarray(full64.sample(100, seed=(1, 2)))))
    kl64 = np.asarray(tfd.kl_divergence(p64, full64))
    p32 = tfd.Dirichlet(alpha)
    same32 = LogisticNormalSoftmax(np.asarray(full64.loc).astype(np.float32),
                                   scale=np.float32(np.array(alpha) ** -0.5))
    assert np.all(np.isfinite(np.asarray(same32.sample(100, seed=(1, 2)))))
    np.testing.assert_allclose(tfd.kl_divergence(p32, same32), kl64, rtol=1e-6)
    diag32 = laplace_bridge.dirichlet_to_logistic_normal(p32, diagonal=True)
    assert np.all(np.isfinite(np.asarray(diag32.sample(100, seed=(1, 2)))))
    np.testing.assert_allclose(
        tfd.kl_divergence(p32, diag32),
        tfd.kl_divergence(p64, laplace_bridge.dirichlet_to_logistic_normal(p64, True)),
        rtol=1e-6)


@substrates.tensorflow_only("a run-time assertion inside a compiled function raises only on "
                             "TensorFlow (JAX has no run-time errors under jax.jit)")
def test_graph_mode_bridge_that_float32_cannot_hold_raises_with_validate_args():
    f = tf.function(lambda a: laplace_bridge.dirichlet_to_logistic_normal(
        tfd.Dirichlet(a, validate_args=True)).sample(seed=(1, 2)))
    assert np.all(np.isfinite(np.asarray(f(tf.constant([2., 3., 6.])))))
    with pytest.raises(sub.validation_error, match="positive definite on"):
        f(tf.constant([1e-8, 1., 1e8]))


def test_integer_concentration_and_parameters_are_converted():
    """`tfd.Dirichlet([2, 3, 6])` is float32 (TFP rejects an integer array
    itself); the bridge keeps its dtype, and integer logistic-normal
    parameters are converted."""
    q = laplace_bridge.dirichlet_to_logistic_normal(tfd.Dirichlet([2, 3, 6]))
    ref = laplace_bridge.dirichlet_to_logistic_normal(tfd.Dirichlet([2., 3., 6.]))
    assert q.dtype == tf.float32
    np.testing.assert_array_equal(q.covariance_matrix, ref.covariance_matrix)
    back = laplace_bridge.logistic_normal_to_dirichlet(
        LogisticNormalSoftmax(np.array([1, 0, -1]), scale=np.array([1, 2, 1])))
    np.testing.assert_allclose(
        back.concentration,
        laplace_bridge.logistic_normal_to_dirichlet(
            LogisticNormalSoftmax([1., 0., -1.], scale=[1., 2., 1.])).concentration)


def test_kl_from_logistic_normal_to_dirichlet_is_not_registered():
    """It has no closed form (E[logsumexp] of a Gaussian); no approximation
    is registered in its place."""
    with pytest.raises(NotImplementedError, match="No KL"):
        tfd.kl_divergence(LogisticNormalSoftmax([0., 0., 0.], scale=[1., 1., 1.]),
                          tfd.Dirichlet([1., 1., 1.]))


def test_kl_is_registered_at_import():
    kullback_leibler = sys.modules[tfd.kl_divergence.__module__]
    fn = kullback_leibler._registered_kl(tfd.Dirichlet, LogisticNormalSoftmax)
    assert fn is laplace_bridge._kl_dirichlet_logistic_normal_softmax
