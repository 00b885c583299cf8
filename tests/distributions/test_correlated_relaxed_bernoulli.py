"""Tests for relaxtfp.distributions.CorrelatedRelaxedBernoulli."""

import importlib

import numpy as np
import pytest
from scipy import special
from scipy import stats

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp, tfd = sub.tf, sub.tfp, sub.tfd
tfb = tfp.bijectors
CorrelatedRelaxedBernoulli = sub.rtd.CorrelatedRelaxedBernoulli
crb = importlib.import_module(
    sub.rtfp.__name__ + ".distributions.correlated_relaxed_bernoulli")

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6

R_A = np.array([[1., 0.5, 0.2], [0.5, 1., -0.3], [0.2, -0.3, 1.]])
R_B = np.array([[1., -0.6, 0.], [-0.6, 1., 0.4], [0., 0.4, 1.]])


def rho2(rho):
    return np.array([[1., rho], [rho, 1.]])


def reference_log_prob(z, temperature, logits, corr):
    """The change-of-variables density written with scipy (float64, moderate
    values): Gaussian copula density times binary Concrete marginals."""
    z = np.asarray(z, np.float64)
    a = temperature * special.logit(z) - logits
    v = special.ndtri(special.expit(a))
    copula = (stats.multivariate_normal(np.zeros(len(corr)), corr).logpdf(v)
              - stats.norm.logpdf(v).sum(-1))
    marginal = (np.log(temperature) + np.log(special.expit(a))
                + np.log(special.expit(-a)) - np.log(z) - np.log1p(-z)).sum(-1)
    return copula + marginal


def f64(x):
    return tf.constant(x, tf.float64)


class TestCorrelatedRelaxedBernoulliContract(DistributionContract):

    EVENT_SHAPE = (3,)

    def make(self, dtype):
        # temperature [2, 1], logits batch [3], correlation batch [2, 1].
        return CorrelatedRelaxedBernoulli(
            temperature=tf.constant([[0.5], [2.]], dtype),
            logits=tf.constant([[-1., 0., 1.5], [0.5, -0.5, 0.], [2., 1., -2.]],
                               dtype),
            correlation=tf.constant(np.stack([R_A, R_B])[:, np.newaxis], dtype))

    def make_iid(self, n, dtype):
        return CorrelatedRelaxedBernoulli(
            temperature=tf.constant(0.7, dtype), logits=tf.zeros([n, 3], dtype),
            correlation_cholesky=tf.constant(np.linalg.cholesky(R_A), dtype))

    def extreme_cases(self, dtype):
        cases = []
        chol = np.linalg.cholesky(np.array(
            [[1., 0.9, -0.9], [0.9, 1., -0.85], [-0.9, -0.85, 1.]]))
        for t in (1e-3, 1e-2, 1., 1e2, 1e3):
            cases.append((self._build, [
                tf.constant(t, dtype),
                tf.constant([[-50., 50., 0.], [-5., 5., 50.], [0., -50., -5.]], dtype),
                tf.constant(chol, dtype)]))
        return cases

    @staticmethod
    def _build(temperature, logits, chol):
        return CorrelatedRelaxedBernoulli(temperature, logits=logits, correlation_cholesky=chol)

    def parameters(self, dtype):
        return self._build, [tf.constant([[0.5], [2.]], dtype),
                             tf.constant([-1., 0., 1.5], dtype),
                             tf.constant(np.linalg.cholesky(R_A), dtype)]


# -- analytic values ----------------------------------------------------------


def test_log_prob_matches_scipy_copula_formula():
    d = CorrelatedRelaxedBernoulli(f64(0.6), logits=f64([-1., 0.3, 2.]),
                                   correlation=f64(R_A))
    z = np.array([[0.1, 0.5, 0.9], [1e-4, 0.3, 0.9999], [0.7, 0.02, 0.6]])
    np.testing.assert_allclose(d.log_prob(z),
                               reference_log_prob(z, 0.6, [-1., 0.3, 2.], R_A),
                               rtol=1e-10)


@pytest.mark.parametrize("temperature", [1e-2, 0.3, 1., 7., 300.])
def test_identity_correlation_is_independent_relaxed_bernoulli(temperature):
    """With R = I, log_prob is the sum of `tfd.RelaxedBernoulli` log-probs."""
    logits = np.array([-3., 0., 2.5])
    d = CorrelatedRelaxedBernoulli(f64(temperature), logits=f64(logits),
                                   correlation=f64(np.eye(3)))
    z = np.array([[1e-12, 0.5, 1. - 1e-12], [0.2, 0.7, 0.999], [0.5, 1e-3, 0.4]])
    oracle = tfd.RelaxedBernoulli(f64(temperature), logits=f64(logits))
    np.testing.assert_allclose(d.log_prob(z),
                               tf.reduce_sum(oracle.log_prob(z), axis=-1),
                               rtol=1e-11)


def test_probs_logits_and_both_correlation_forms_agree():
    z = tf.constant([[0.2, 0.5, 0.9]], tf.float64)
    forms = [
        CorrelatedRelaxedBernoulli(0.5, logits=f64([0.4, -1., 2.]),
                                   correlation=f64(R_A)),
        CorrelatedRelaxedBernoulli(0.5, probs=f64(special.expit([0.4, -1., 2.])),
                                   correlation=f64(R_A)),
        CorrelatedRelaxedBernoulli(0.5, logits=f64([0.4, -1., 2.]),
                                   correlation_cholesky=f64(np.linalg.cholesky(R_A))),
    ]
    ref_lp, ref_x = forms[0].log_prob(z), forms[0].sample(20, seed=(1, 2))
    for d in forms[1:]:
        np.testing.assert_allclose(d.log_prob(z), ref_lp, rtol=1e-12)
        np.testing.assert_allclose(d.sample(20, seed=(1, 2)), ref_x, rtol=1e-12)
    np.testing.assert_allclose(forms[2].correlation_parameter(), R_A, atol=1e-15)
    np.testing.assert_allclose(forms[0].correlation_cholesky_parameter(),
                               np.linalg.cholesky(R_A), atol=1e-15)


def test_logits_broadcast_over_event_axis():
    a = CorrelatedRelaxedBernoulli(0.5, logits=f64([0.3]), correlation=f64(R_A))
    b = CorrelatedRelaxedBernoulli(0.5, logits=f64([0.3] * 3), correlation=f64(R_A))
    assert tuple(a.event_shape) == (3,)
    z = f64([[0.2, 0.5, 0.9]])
    np.testing.assert_allclose(a.log_prob(z), b.log_prob(z), rtol=1e-14)


def test_inverse_normal_cdf_of_logit_is_exact_in_both_tails():
    """v = Phi^{-1}(sigmoid(x)) satisfies log Phi(-|v|) = log_sigmoid(-|x|) to
    float64 rounding for |x| up to 1e300, and float32 agrees with float64."""
    x = np.array([-1e300, -1e8, -1e4, -800., -708.5, -703.5, -702.5, -700.,
                  -87.34, -82.5, -81.5, -50., -5., -1e-3, 0., 1e-3, 3., 40.,
                  800., 1e5, 1e300])
    v = np.asarray(crb._ndtri_of_logit(f64(x)))
    assert np.all(np.isfinite(v))
    assert np.all(np.sign(v[x != 0.]) == np.sign(x[x != 0.]))
    assert abs(v[x == 0.][0]) < 1e-15   # absolute accuracy ~eps near v = 0
    log_sig = -np.logaddexp(0., np.abs(x))
    rel = np.abs(special.log_ndtr(-np.abs(v)) - log_sig) / np.abs(log_sig)
    assert rel.max() < 1e-15, rel   # measured 5.3e-16 (2.4 ulps)
    x32 = x[np.abs(x) < 1e30]
    v32 = np.asarray(crb._ndtri_of_logit(tf.constant(x32, tf.float32)))
    v64 = v[np.abs(x) < 1e30]
    np.testing.assert_allclose(v32, v64, rtol=2e-7, atol=2e-7)
    # d v / d x = sigmoid(x) sigmoid(-x) / phi(v), in log space.
    xg = tf.constant([-1e4, -50., -1., 0., 1e-3, 30., 1e3], tf.float64)
    g = np.asarray(sub.gradients_of_sum(crb._ndtri_of_logit, xg)[0])
    xn, vn = np.asarray(xg), np.asarray(crb._ndtri_of_logit(xg))
    expected = np.exp(-np.logaddexp(0., xn) - np.logaddexp(0., -xn)
                      - stats.norm.logpdf(vn))
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_logistic_noise_from_normal_never_saturates():
    """logit(Phi(v)) is finite and exact where Phi(v) rounds to 0 or 1."""
    v = np.array([-40., -9., -1., 0., 1e-3, 8.5, 9., 40.])
    expected = special.log_ndtr(v) - special.log_ndtr(-v)
    np.testing.assert_allclose(crb._logit_ndtr(f64(v)), expected, rtol=1e-13,
                               atol=1e-15)
    np.testing.assert_allclose(crb._logit_ndtr(tf.constant(v, tf.float32)),
                               expected, rtol=1e-6, atol=2e-7)
    # The naive form saturates: Phi(v) rounds to 1 from v > 5.4 in float32.
    naive = special.logit(special.ndtr(np.float32(v)).astype(np.float32))
    assert not np.all(np.isfinite(naive))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_prob_finite_everywhere_in_representable_support(dtype):
    """Not only at samples: at the representable ends of (0, 1) as well."""
    np_dtype = np.dtype(dtype).type
    tiny = np.finfo(np_dtype).tiny
    top = np.nextafter(np_dtype(1), np_dtype(0))
    chol = np.linalg.cholesky(rho2(0.95))
    points = np.array([[tiny, top], [top, tiny], [tiny, tiny], [top, top],
                       [0.5, 1e-30], [1e-7, 0.5]], np_dtype)
    for t in (1e-3, 1., 1e3):
        for lg in (-50., 0., 50.):
            def outputs(temperature, logits, c):
                return dict(log_prob=CorrelatedRelaxedBernoulli(
                    temperature, logits=logits, correlation_cholesky=c).log_prob(points))
            params = [tf.constant(t, dtype), tf.constant([lg, -lg], dtype),
                      tf.constant(chol, dtype)]
            lp = outputs(*params)["log_prob"]
            assert np.all(np.isfinite(lp)), (t, lg, lp)
            for g in sub.gradients_of_outputs(outputs, *params)["log_prob"]:
                assert np.all(np.isfinite(g)), (t, lg)


def test_float32_log_prob_agrees_with_float64():
    d64 = CorrelatedRelaxedBernoulli(f64(0.6), logits=f64([-1., 0.3, 2.]),
                                     correlation=f64(R_A))
    z = np.asarray(d64.sample(2000, seed=(5, 6))).astype(np.float32)
    d32 = CorrelatedRelaxedBernoulli(0.6, logits=[-1., 0.3, 2.],
                                     correlation=R_A.astype(np.float32))
    lp32 = np.asarray(d32.log_prob(z))
    lp64 = np.asarray(d64.log_prob(z.astype(np.float64)))
    # Same float32 points in both; float32 arithmetic. Measured max 2.8e-6.
    np.testing.assert_allclose(lp32, lp64, rtol=0., atol=2e-5)


def test_log_prob_outside_support_is_minus_inf():
    d = CorrelatedRelaxedBernoulli(0.5, logits=[0., 0.], correlation=rho2(0.3))
    lp = np.asarray(d.log_prob([[0., 0.5], [0.5, 1.], [-0.1, 0.5], [0.5, 0.5]]))
    assert np.all(lp[:3] == -np.inf) and np.isfinite(lp[3])


def test_default_event_space_bijector_maps_onto_open_cube():
    d = CorrelatedRelaxedBernoulli(0.5, logits=[0., 1.], correlation=rho2(0.3))
    bij = d.experimental_default_event_space_bijector()
    y = np.asarray(bij(tf.constant([[-30., 15.], [0., 2.]])))
    assert np.all((y > 0.) & (y < 1.))
    assert np.all(np.isfinite(np.asarray(d.log_prob(y))))


def test_default_constraining_bijectors_give_valid_parameters():
    props = CorrelatedRelaxedBernoulli.parameter_properties(tf.float64)
    x = tf.constant([0.7, -1.3, 2.1, 0.4, -0.2, 1.], tf.float64)   # D = 4
    corr = props["correlation"].default_constraining_bijector_fn()(x)
    chol = props["correlation_cholesky"].default_constraining_bijector_fn()(x)
    CorrelatedRelaxedBernoulli(1., logits=tf.zeros([4], tf.float64),
                               correlation=corr, validate_args=True)
    CorrelatedRelaxedBernoulli(1., logits=tf.zeros([4], tf.float64),
                               correlation_cholesky=chol, validate_args=True)


# -- gradients -------------------------------------------------------------------


def _with_theta(theta, use_correlation=False, **kw):
    chol = tfb.CorrelationCholesky()(theta)
    if use_correlation:
        return CorrelatedRelaxedBernoulli(
            correlation=tf.linalg.matmul(chol, chol, adjoint_b=True), **kw)
    return CorrelatedRelaxedBernoulli(correlation_cholesky=chol, **kw)


PARAMS = dict(temperature=0.6, logits=[0.3, -0.8, 1.2], theta=[0.9, -0.4, 0.6])


def test_pathwise_gradients_match_finite_differences():
    """d sample / d (temperature, logits, Cholesky parameters) with the noise
    held fixed (same seed); the Cholesky factor is CorrelationCholesky(theta)
    so that every perturbation stays a valid correlation matrix."""
    seed = (11, 12)
    weights = np.linspace(0.5, 1.5, 3)

    def loss(temperature, logits, theta):
        d = _with_theta(theta, temperature=temperature, logits=logits)
        return tf.reduce_sum(d.sample(300, seed=seed) * weights)

    grads = dict(zip(PARAMS, sub.gradients(
        lambda *p: loss(*p), *[f64(v) for v in PARAMS.values()])))
    h = 1e-6
    for k, v in PARAMS.items():
        v = np.asarray(v, np.float64)
        for idx in np.ndindex(v.shape):
            e = np.zeros_like(v)
            e[idx] = h
            plus = {**PARAMS, k: v + e}
            minus = {**PARAMS, k: v - e}
            fd = (loss(**{a: f64(b) for a, b in plus.items()})
                  - loss(**{a: f64(b) for a, b in minus.items()})) / (2 * h)
            np.testing.assert_allclose(np.asarray(grads[k])[idx], fd, rtol=1e-6,
                                       err_msg=f"{k}{idx}")


@pytest.mark.parametrize("use_correlation", [False, True])
def test_log_prob_gradients_match_finite_differences(use_correlation):
    # Includes z = 1/2 with logits 0 for the first coordinate at temperature
    # 1 (l = 0 exactly), where a |l|-based inverse would have a zero gradient.
    z = f64([[0.5, 0.3, 0.8], [0.1, 0.95, 0.4], [0.5, 0.5, 0.5]])
    params = dict(PARAMS, temperature=1., logits=[0., -0.8, 1.2])

    def loss(temperature, logits, theta):
        d = _with_theta(theta, use_correlation, temperature=temperature,
                        logits=logits)
        return tf.reduce_sum(d.log_prob(z) * f64([1., 0.7, 1.3]))

    grads = dict(zip(params, sub.gradients(
        lambda *p: loss(*p), *[f64(v) for v in params.values()])))
    h = 1e-6
    for k, v in params.items():
        v = np.asarray(v, np.float64)
        for idx in np.ndindex(v.shape):
            e = np.zeros_like(v)
            e[idx] = h
            fd = (loss(**{a: f64(b) for a, b in {**params, k: v + e}.items()})
                  - loss(**{a: f64(b) for a, b in {**params, k: v - e}.items()})
                  ) / (2 * h)
            np.testing.assert_allclose(np.asarray(grads[k])[idx], fd, rtol=1e-6,
                                       atol=1e-8, err_msg=f"{k}{idx}")


# -- statistics ------------------------------------------------------------------


def test_marginals_are_binary_concrete(seed):
    """DKWM test of each coordinate against the closed-form binary Concrete
    CDF sigmoid(t * logit(x) - logits_k), union-bounded over the 3
    coordinates (total false-failure rate FALSE_FAIL_RATE). Power: a 10%
    error in the temperature is detected in every coordinate."""
    t, logits = 0.6, np.array([-1., 0.3, 2.])
    d = CorrelatedRelaxedBernoulli(f64(t), logits=f64(logits), correlation=f64(R_A))
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    assert x.shape == (NUM_SAMPLES, 3)
    grid = np.linspace(1e-6, 1. - 1e-6, 999)
    for k in range(3):
        cdf = special.expit(t * special.logit(grid) - logits[k])
        utils.assert_cdf_matches(x[:, k], grid, cdf, FALSE_FAIL_RATE / 3)
        wrong = special.expit(1.1 * t * special.logit(grid) - logits[k])
        utils.assert_detectable(cdf, wrong, NUM_SAMPLES, FALSE_FAIL_RATE / 3)


def _logit_quadrature(breaks, nodes_per_segment=32):
    """Gauss-Legendre nodes and weights on [breaks[0], breaks[-1]], piecewise
    between the breakpoints (so that sums up to a breakpoint are exact)."""
    x, w = np.polynomial.legendre.leggauss(nodes_per_segment)
    nodes, weights = [], []
    for a, b in zip(breaks[:-1], breaks[1:]):
        nodes.append((b - a) / 2. * x + (a + b) / 2.)
        weights.append((b - a) / 2. * w)
    return np.concatenate(nodes), np.concatenate(weights)


# Corners of the rectangles, in logit coordinates w = logit(z).
CORNERS = np.array([-1.5, 0., 1.5])
BREAKS = np.array([-80., -40., -20., -10., -5., -3., -1.5, 0., 1.5, 3., 5., 10.,
                   20., 40., 80.])


def _rectangle_probabilities(temperature, logits, rho):
    """P(logit z1 <= a, logit z2 <= b) for a, b in CORNERS, by 2-D
    Gauss-Legendre quadrature of exp(log_prob) in logit coordinates, where
    dz = sigmoid(w) sigmoid(-w) dw makes the integrand smooth. The marginal
    tail beyond |w| = 80 is below exp(-80 t + |logits|) < 1e-20 for the
    parameters used. Returns the 3x3 probabilities and the total mass."""
    d = CorrelatedRelaxedBernoulli(f64(temperature), logits=f64(logits),
                                   correlation=f64(rho2(rho)))
    w, wt = _logit_quadrature(BREAKS)
    w1, w2 = np.meshgrid(w, w, indexing="ij")
    z = special.expit(np.stack([w1, w2], axis=-1))
    log_jac = (-np.logaddexp(0., -w) - np.logaddexp(0., w))
    lp = np.asarray(d.log_prob(z)) + log_jac[:, None] + log_jac[None, :]
    mass = np.exp(lp) * wt[:, None] * wt[None, :]
    probs = np.array([[mass[(w <= a)][:, (w <= b)].sum() for b in CORNERS]
                      for a in CORNERS])
    return probs, mass.sum()


@pytest.mark.parametrize("temperature,logits,rho", [(0.7, [0.3, -0.5], 0.5),
                                                    (2., [1., 0.], -0.7)])
def test_joint_log_prob_normalizes_and_matches_sampler(temperature, logits, rho,
                                                       seed):
    """Rectangle probabilities P(z1 <= a, z2 <= b) from the density against
    sample frequencies, Hoeffding bound union-bounded over the 9 rectangles
    (false-failure rate FALSE_FAIL_RATE). Power: the same rectangles under a
    correlation 0.1 larger differ by more than twice the bound, so an error
    of 0.1 in the dependence would be detected."""
    n = 2 * NUM_SAMPLES
    probs, total = _rectangle_probabilities(temperature, logits, rho)
    np.testing.assert_allclose(total, 1., atol=1e-10)
    d = CorrelatedRelaxedBernoulli(f64(temperature), logits=f64(logits),
                                   correlation=f64(rho2(rho)))
    w = special.logit(np.asarray(d.sample(n, seed=seed)))
    for i, a in enumerate(CORNERS):
        for j, b in enumerate(CORNERS):
            count = np.sum((w[:, 0] <= a) & (w[:, 1] <= b))
            utils.assert_proportion_matches(count, n, probs[i, j],
                                            FALSE_FAIL_RATE, num_tests=9)
    eps = utils.hoeffding_epsilon(n, FALSE_FAIL_RATE, num_tests=9)
    other, _ = _rectangle_probabilities(temperature, logits, rho + 0.1)
    assert np.max(np.abs(other - probs)) > 2. * eps


def test_importance_weights_average_to_one(seed):
    """E_{z ~ q}[p(z) / q(z)] = 1 for another CorrelatedRelaxedBernoulli p,
    within the CLT half-width at FALSE_FAIL_RATE. The pair is chosen so that
    4 R_p^{-1} - 3 R_q^{-1} is positive definite: the weights have finite
    fourth moment, so the sample standard deviation is reliable. Power: had
    log_prob lost its -sum(log diag L) term, the mean would be
    sqrt(det R_p / det R_q) = 0.85, far outside the half-width."""
    r_q = np.array([[1., .3, 0.], [.3, 1., -.2], [0., -.2, 1.]])
    r_p = np.array([[1., .5, 0.], [.5, 1., -.35], [0., -.35, 1.]])
    assert np.all(np.linalg.eigvalsh(4 * np.linalg.inv(r_p) - 3 * np.linalg.inv(r_q)) > 0)
    q = CorrelatedRelaxedBernoulli(f64(0.8), logits=f64([-1., 0.3, 1.]),
                                   correlation=f64(r_q))
    p = CorrelatedRelaxedBernoulli(f64(0.8), logits=f64([-0.7, 0.1, 1.4]),
                                   correlation_cholesky=f64(np.linalg.cholesky(r_p)))
    z = q.sample(NUM_SAMPLES, seed=seed)
    ratio = np.exp(np.asarray(p.log_prob(z) - q.log_prob(z)))
    utils.assert_mean_within_clt(ratio, 1., FALSE_FAIL_RATE)
    half = utils.clt_halfwidth(ratio.std(ddof=1), NUM_SAMPLES, FALSE_FAIL_RATE)
    alternative = np.sqrt(np.linalg.det(r_p) / np.linalg.det(r_q))
    assert abs(alternative - 1.) > 2. * half, (alternative, half)


def test_hard_gates_follow_the_arcsine_law(seed):
    """[z_k > 1/2] = [logits_k + l_k > 0] does not depend on the temperature;
    with logits 0, P(both > 1/2) = 1/4 + arcsin(rho) / (2 pi), so the gates'
    correlation is (2 / pi) arcsin(rho) = 0.71 for rho = 0.9 (documented as
    weaker than rho). Hoeffding at FALSE_FAIL_RATE; power: the value if the
    gates had correlation rho, (1 + rho) / 4, is 0.047 away."""
    rho = 0.9
    d = CorrelatedRelaxedBernoulli(f64(0.3), logits=f64([0., 0.]),
                                   correlation=f64(rho2(rho)))
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    both = np.sum((x[:, 0] > 0.5) & (x[:, 1] > 0.5))
    expected = 0.25 + np.arcsin(rho) / (2. * np.pi)
    utils.assert_proportion_matches(both, NUM_SAMPLES, expected, FALSE_FAIL_RATE)
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE)
    assert abs((1. + rho) / 4. - expected) > 2. * eps


# -- validation ---------------------------------------------------------------------


def _escape(message):
    return message.replace("[", r"\[").replace("]", r"\]").replace(
        "(", r"\(").replace(")", r"\)")


COV = np.diag([4., 0.25])
NOT_SYMMETRIC = np.array([[1., 0.5], [0.2, 1.]])
NOT_PD = np.array([[1., 0.9, 0.9], [0.9, 1., -0.9], [0.9, -0.9, 1.]])


@pytest.mark.parametrize("kwargs,message", [
    (dict(temperature=0., logits=[0., 0.], correlation=np.eye(2)),
     "Argument `temperature` must be positive."),
    (dict(temperature=1., probs=[0.5, 1.5], correlation=np.eye(2)),
     "Argument `probs` must be in [0, 1]"),
    (dict(temperature=1., logits=[0., 0.], correlation=COV),
     "Argument `correlation` must be a correlation matrix: its diagonal must "
     "be all ones"),
    (dict(temperature=1., logits=[0., 0.], correlation=NOT_SYMMETRIC),
     "Argument `correlation` must be a correlation matrix: it must be "
     "symmetric."),
    (dict(temperature=1., logits=[0., 0.],
          correlation_cholesky=[[0.8, 0.6], [0., 1.]]),
     "Argument `correlation_cholesky` must be the Cholesky factor of a "
     "correlation matrix: it must be lower triangular."),
    (dict(temperature=1., logits=[0., 0.],
          correlation_cholesky=[[1., 0.], [0.6, -0.8]]),
     "Argument `correlation_cholesky` must be the Cholesky factor of a "
     "correlation matrix: its diagonal must be positive."),
    (dict(temperature=1., logits=[0., 0.],
          correlation_cholesky=[[1., 0.], [0.5, 0.5]]),
     "Argument `correlation_cholesky` must be the Cholesky factor of a "
     "correlation matrix: its rows must have unit Euclidean norm."),
    (dict(temperature=1., logits=[0., 0.],
          correlation_cholesky=np.linalg.cholesky(COV)),
     "its rows must have unit Euclidean norm."),
])
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(sub.validation_error, match=_escape(message)):
        CorrelatedRelaxedBernoulli(validate_args=True, **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_valid_parameters_pass_validation(dtype):
    """Rounding in a product L L^T (D = 12) stays within the tolerance."""
    theta = tf.constant(np.random.default_rng(1).standard_normal(66), dtype)
    chol = tfb.CorrelationCholesky()(theta)
    corr = tf.linalg.matmul(chol, chol, adjoint_b=True)
    for kw in (dict(correlation=corr), dict(correlation_cholesky=chol)):
        d = CorrelatedRelaxedBernoulli(tf.constant(0.5, dtype),
                                       logits=tf.zeros([12], dtype),
                                       validate_args=True, **kw)
        assert np.all(np.isfinite(np.asarray(d.log_prob(d.sample(3, seed=(3, 4))))))


@substrates.tensorflow_only("tf.Variable assignment; JAX has no variables")
def test_invalid_variable_assignment_is_caught():
    corr = tf.Variable(rho2(0.5).astype(np.float32))
    d = CorrelatedRelaxedBernoulli(1., logits=[0., 0.], correlation=corr,
                                   validate_args=True)
    d.sample(seed=(1, 2))
    corr.assign(COV.astype(np.float32))
    with pytest.raises(sub.validation_error,
                       match="diagonal must be all ones"):
        d.sample(seed=(1, 2))


def test_exactly_one_and_static_shapes():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        CorrelatedRelaxedBernoulli(1., logits=[0.], probs=[0.5], correlation=[[1.]])
    with pytest.raises(ValueError, match="exactly one of `correlation` or "
                       "`correlation_cholesky`"):
        CorrelatedRelaxedBernoulli(1., logits=[0.])
    with pytest.raises(ValueError, match="exactly one of `correlation` or "
                       "`correlation_cholesky`"):
        CorrelatedRelaxedBernoulli(1., logits=[0.], correlation=[[1.]],
                                   correlation_cholesky=[[1.]])
    with pytest.raises(ValueError, match="same event size D"):
        CorrelatedRelaxedBernoulli(1., logits=[0., 0., 0.], correlation=np.eye(2))
    with pytest.raises(ValueError, match="must be square"):
        CorrelatedRelaxedBernoulli(1., logits=[0., 0.], correlation=np.ones([2, 3]))
    with pytest.raises(ValueError, match="rank at least 1"):
        CorrelatedRelaxedBernoulli(1., logits=0., correlation=np.eye(2))


def test_log_prob_validates_support():
    d = CorrelatedRelaxedBernoulli(1., logits=[0., 0.], correlation=np.eye(2),
                                   validate_args=True)
    with pytest.raises(sub.validation_error, match=_escape(
            "Sample must be in (0, 1)")):
        d.log_prob([0.5, 1.])


# -- regressions for defects of the reference library, relaxit --------------------


def test_regression_log_prob_is_the_sampler_density_reduced_over_event(seed):
    """relaxit's log_prob was a clipped Normal(pi, tau) density per
    coordinate, unrelated to the copula sampler and not summed over the
    event axis. Its case pi = 0.3, tau = 0.5: the sampler gives
    P(z1 <= 1/2) = 0.70; integrating our log_prob gives the same (Hoeffding
    at FALSE_FAIL_RATE), while relaxit's density gives 0.38, which the same
    samples reject."""
    logits = special.logit([0.3, 0.3])
    d = CorrelatedRelaxedBernoulli(f64(0.5), logits=f64(logits),
                                   correlation=f64(rho2(0.5)))
    x = d.sample(NUM_SAMPLES, seed=seed)
    assert tuple(d.log_prob(x).shape) == (NUM_SAMPLES,)
    # P(z1 <= 1/2) = P(w1 <= 0) by quadrature of the joint density.
    w, wt = _logit_quadrature(BREAKS)
    w1, w2 = np.meshgrid(w, w, indexing="ij")
    log_jac = (-np.logaddexp(0., -w) - np.logaddexp(0., w))
    lp = (np.asarray(d.log_prob(special.expit(np.stack([w1, w2], -1))))
          + log_jac[:, None] + log_jac[None, :])
    mass = np.exp(lp) * wt[:, None] * wt[None, :]
    ours = mass[w <= 0.].sum()
    freq = np.sum(np.asarray(x)[:, 0] <= 0.5)
    utils.assert_proportion_matches(freq, NUM_SAMPLES, ours, FALSE_FAIL_RATE)
    relaxit = stats.norm.cdf(0.5, 0.3, 0.5) - stats.norm.cdf(0., 0.3, 0.5)
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE)
    assert abs(freq / NUM_SAMPLES - relaxit) > 2. * eps, relaxit


# -- a correlation that is not positive definite --------------------------------

NOT_PD_MESSAGE = "Argument `correlation` must be a correlation matrix: it must be positive definite"


@pytest.mark.parametrize("validate_args", [False, True])
def test_static_correlation_not_positive_definite_raises(validate_args):
    with pytest.raises(ValueError, match=NOT_PD_MESSAGE):
        CorrelatedRelaxedBernoulli(1., logits=[0., 0., 0.], correlation=NOT_PD,
                                   validate_args=validate_args)
    with pytest.raises(ValueError, match=NOT_PD_MESSAGE):
        CorrelatedRelaxedBernoulli(1., logits=[0., 0.], correlation=[[1., np.nan], [np.nan, 1.]])


@substrates.tensorflow_only("a tf.Variable correlation, checked at run time; on JAX, "
                           "a concrete correlation is checked at construction (above)")
@pytest.mark.parametrize("validate_args", [False, True])
@pytest.mark.parametrize("mode", ["eager", "function"])
def test_variable_correlation_not_positive_definite_raises(validate_args, mode):
    """Without validate_args, the Cholesky factor of a matrix that is not
    positive definite is NaN on CPU (not an error); the class raises
    instead of returning NaN samples. (XLA compiles run-time assertions
    away, as for every TFP check.)"""
    corr = tf.Variable(NOT_PD.astype(np.float32))
    d = CorrelatedRelaxedBernoulli(1., logits=[0., 0., 0.], correlation=corr,
                                   validate_args=validate_args)
    run = (lambda f: f) if mode == "eager" else tf.function
    with pytest.raises(sub.validation_error, match=NOT_PD_MESSAGE):
        run(lambda: d.sample(seed=(1, 2)))()
    with pytest.raises(sub.validation_error, match=NOT_PD_MESSAGE):
        run(lambda: d.log_prob([0.5, 0.5, 0.5]))()


def test_integer_correlation_is_converted():
    d = CorrelatedRelaxedBernoulli(1, probs=[0.5, 0.5], correlation=np.eye(2, dtype=np.int32))
    assert d.dtype == tf.float32
    x = d.sample(4, seed=(1, 2))
    assert np.all(np.isfinite(np.asarray(d.log_prob(x))))


# -- boundary probabilities: probs exactly 0 or 1 -----------------------------

R_4 = np.array([[1., 0.5, 0.2, -0.4], [0.5, 1., -0.3, 0.3],
                [0.2, -0.3, 1., 0.1], [-0.4, 0.3, 0.1, 1.]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("probs", [[0., 0.3, 0.6, 1.], [0., 0., 0., 0.], [1., 1., 1., 1.]])
@pytest.mark.parametrize("temperature", [0.5, 2.])
@pytest.mark.parametrize("use_correlation", [False, True])
def test_boundary_probs_give_finite_gradients_and_log_probs(dtype, probs, temperature,
                                                            use_correlation):
    def outputs(p, t, m):
        kw = dict(correlation=m) if use_correlation else dict(correlation_cholesky=m)
        d = CorrelatedRelaxedBernoulli(t, probs=p, **kw)
        x = d.sample(100, seed=(1, 2))
        return dict(sample=x, log_prob=d.log_prob(x),
                    log_prob_fixed=d.log_prob(tf.stop_gradient(x)))
    params = [tf.constant(probs, dtype), tf.constant(temperature, dtype),
              tf.constant(R_4 if use_correlation else np.linalg.cholesky(R_4), dtype)]
    lp = outputs(*params)["log_prob"]
    assert np.all(np.isfinite(lp)), lp
    for name, grads in sub.gradients_of_outputs(outputs, *params).items():
        for g in grads:
            assert np.all(np.isfinite(g)), (name, g)


@pytest.mark.parametrize("use_correlation", [False, True])
def test_boundary_coordinates_are_constant_and_marginalized(use_correlation):
    """Coordinates at probability 0 or 1 are the constants tiny and
    1 - eps / 2 (log-mass 0); the others have the copula law of their own
    sub-correlation matrix, so log_prob equals that of the two-coordinate
    distribution, and the gradients with respect to the other parameters
    agree too."""
    tiny = np.finfo(np.float64).tiny
    top = np.nextafter(1., 0.)
    kw = (dict(correlation=f64(R_4)) if use_correlation
          else dict(correlation_cholesky=f64(np.linalg.cholesky(R_4))))
    logits = f64([-np.inf, 0.4, -1.2, np.inf])
    t = f64(0.7)
    d = CorrelatedRelaxedBernoulli(t, logits=logits, **kw)
    x = d.sample(500, seed=(5, 6))
    np.testing.assert_array_equal(x[:, 0], tiny)
    np.testing.assert_array_equal(x[:, 3], top)
    sub_logits = f64([0.4, -1.2])

    def marginal(t, sub_logits):
        return CorrelatedRelaxedBernoulli(t, logits=sub_logits, correlation=f64(R_4[1:3, 1:3]))
    lp = d.log_prob(x)
    lp_sub = marginal(t, sub_logits).log_prob(x[:, 1:3])
    np.testing.assert_allclose(lp, lp_sub, rtol=1e-12)
    g_t, g = sub.gradients_of_sum(
        lambda t, logits: CorrelatedRelaxedBernoulli(t, logits=logits, **kw).log_prob(x),
        t, logits)
    g_t_sub, g_sub = sub.gradients_of_sum(
        lambda t, sub_logits: marginal(t, sub_logits).log_prob(x[:, 1:3]), t, sub_logits)
    np.testing.assert_allclose(g_t, g_t_sub, rtol=1e-10)
    g = np.asarray(g)
    np.testing.assert_allclose(g[1:3], g_sub, rtol=1e-10)
    np.testing.assert_array_equal(g[[0, 3]], 0.)
    # A constant coordinate anywhere else: impossible.
    moved = tf.concat([tf.fill([500, 1], f64(0.25)), x[:, 1:]], axis=-1)
    np.testing.assert_array_equal(d.log_prob(moved), -np.inf)


@substrates.tensorflow_only("a tf.Variable `probs`, assigned between tf.function calls")
def test_boundary_probs_under_function_and_xla():
    """With `probs` a Variable, whether a coordinate is at the boundary is
    known only at run time; log_prob then selects its computation in the
    graph, and eager, tf.function and XLA agree."""
    p = tf.Variable([0., 0.3, 0.6, 1.])
    d = CorrelatedRelaxedBernoulli(0.5, probs=p, correlation=tf.constant(R_4, tf.float32))
    x = d.sample(7, seed=(1, 2))
    eager = d.log_prob(x)
    assert np.all(np.isfinite(eager.numpy()))
    for jit in (False, True):
        np.testing.assert_allclose(tf.function(d.log_prob, jit_compile=jit)(x), eager,
                                   rtol=1e-5)
    p.assign([0.2, 0.3, 0.6, 0.9])
    np.testing.assert_allclose(tf.function(d.log_prob)(x[:, :]), d.log_prob(x), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("temperature", [1e-30, 1e-6, 1e6, 1e30])
def test_extreme_logits_and_temperatures_are_finite(dtype, temperature):
    """Logits of +-1e30 and +-inf with temperatures far outside 1e-3..1e3:
    samples, log-probs and their gradients stay finite. In float32
    the temperature gradient of a saturated sample, -(logits + L) /
    temperature**2 times a zero derivative, was NaN from temperature 1e-6. (log_prob is
    taken at fixed samples: in float32, temperature 1e30 with logits 1e30
    meets the documented cancellation in temperature * logit(z) - logits)."""
    def outputs(t, logits):
        d = CorrelatedRelaxedBernoulli(t, logits=logits, correlation=tf.constant(R_A, dtype))
        x = d.sample(64, seed=(1, 2))
        return dict(sample=x, log_prob=d.log_prob(tf.stop_gradient(x)))
    params = [tf.constant(temperature, dtype),
              tf.constant([[-np.inf, -1e30, -50.], [0., 50., 1e30], [np.inf, 0., 1.]], dtype)]
    for name, out in outputs(*params).items():
        assert np.all(np.isfinite(out)), name
    for name, grads in sub.gradients_of_outputs(outputs, *params).items():
        for g in grads:
            assert np.all(np.isfinite(g)), name


def test_regression_validate_args_true_works():
    """relaxit's constructor with validate_args=True raised TypeError
    ("'bool' object is not callable")."""
    for kw in (dict(correlation=R_A), dict(correlation_cholesky=np.linalg.cholesky(R_A))):
        d = CorrelatedRelaxedBernoulli(0.5, logits=[0., 1., -1.],
                                       validate_args=True, **kw)
        x = d.sample(10, seed=(1, 2))
        assert np.all(np.isfinite(np.asarray(d.log_prob(x))))


def test_regression_covariance_is_refused():
    """relaxit accepted a covariance matrix such as diag(4, 0.25) and
    silently changed the marginals (P(z > 1/2) = 0.39 and 0.15 instead of
    0.30); it also formed Phi(v) directly, which saturates."""
    with pytest.raises(sub.validation_error,
                       match="diagonal must be all ones"):
        CorrelatedRelaxedBernoulli(0.05, probs=[0.3, 0.3], correlation=COV,
                                   validate_args=True)
    # No saturation: logistic noise from v = +-40 is finite in float32.
    assert np.all(np.isfinite(np.asarray(crb._logit_ndtr(tf.constant([-40., 40.])))))


# -- discrete_law ---------------------------------------------------------------------


def test_discrete_law_raises_naming_the_dependent_marginals():
    d = CorrelatedRelaxedBernoulli(0.5, logits=[0.3, -0.8, 1.2], correlation=R_A)
    with pytest.raises(NotImplementedError,
                       match=r"dependent.*tfd\.Bernoulli\(probs=d\.probs_parameter\(\)\)"):
        d.discrete_law()
