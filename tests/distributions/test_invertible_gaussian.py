"""Tests for relaxtfp.distributions.InvertibleGaussian."""

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
InvertibleGaussian = sub.rtd.InvertibleGaussian
noise = sub.module("internal.noise")
SoftmaxCenteredLebesgue = sub.module("internal.simplex").SoftmaxCenteredLebesgue

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6


def reference_log_prob(x, loc, scale, temperature, delta=1.):
    """Change of variables written directly in NumPy (float64).

    y = tau (log x_{1:K-1} - log x_K + log delta) and
    log q(x) = log N(y; loc, scale) - [-(K-1) log tau + sum_{i<=K} log x_i].
    """
    x = np.asarray(x, np.float64)
    k = x.shape[-1]
    log_x = np.log(x)
    y = temperature * (log_x[..., :-1] - log_x[..., -1:] + np.log(delta))
    log_normal = stats.norm.logpdf(y, loc, scale).sum(-1)
    return log_normal - (-(k - 1) * np.log(temperature) + log_x.sum(-1))


def relaxit_log_prob(x, loc, scale, temperature):
    """relaxit's IGR log_prob, delta = 1: inverse
    tau (log g - log(1 - last)) and the whole log-det subtracted from each of
    the K-1 coordinates, without reduction. Returns shape [..., K-1]."""
    x = np.asarray(x, np.float64)
    k = x.shape[-1]
    g, last = x[..., :-1], x[..., -1:]
    y = temperature * (np.log(g) - np.log(1. - last))
    log_det = (-(k - 1) * np.log(temperature) + np.log(g).sum(-1, keepdims=True)
               + np.log(last))
    return stats.norm.logpdf(y, loc, scale) - log_det


def softmax_plus_plus(y, temperature, delta):
    """softmax++ written as in the paper, for moderate arguments."""
    e = np.exp(y / temperature)
    denom = e.sum(-1, keepdims=True) + delta
    return np.concatenate([e / denom, delta / denom], axis=-1)


class TestInvertibleGaussianContract(DistributionContract):

    EVENT_SHAPE = (4,)

    def make(self, dtype):
        return InvertibleGaussian(
            loc=tf.constant([[0.5, -1., 0.], [1., 0.2, -0.3], [0., 0., 0.]], dtype),
            scale=tf.constant([[[0.7, 1., 1.3]], [[0.4, 0.9, 2.]]], dtype),
            temperature=tf.constant([[0.5], [2.]], dtype),
            delta=tf.constant([1., 0.5, 3.], dtype))

    def make_iid(self, n, dtype):
        return InvertibleGaussian(loc=tf.zeros([n, 3], dtype),
                                  scale=tf.constant([1., 1., 1.], dtype),
                                  temperature=tf.constant(0.7, dtype))

    def extreme_cases(self, dtype):
        """Temperatures 1e-3..1e3 with softmax arguments up to +-30 (float32)
        or +-50 (float64), deltas 1e-3..1e3, and loc = +-50 where the sample
        stays representable (see `test_underflow_corner_is_documented` for
        the rest: there coordinates underflow to exactly 0)."""
        spread = 30. if dtype == "float32" else 50.

        def case(loc, scale, t, delta):
            return InvertibleGaussian, [tf.constant(v, dtype) for v in (loc, scale, t, delta)]

        cases = []
        for t in (1e-3, 1e-2, 1., 1e2, 1e3):
            for delta in (1e-3, 1., 1e3):
                cases.append(case([-spread * t, 0., spread * t], [t, t, t], t, delta))
        raw_ok = (1e2, 1e3) if dtype == "float32" else (1., 1e2, 1e3)
        for t in raw_ok:
            cases.append(case([-50., 0., 50.], [1., 1., 1.], t, 1.))
        return cases

    def parameters(self, dtype):
        return InvertibleGaussian, [
            tf.constant([0.5, -1., 0.], dtype),
            tf.constant([[[0.7, 1., 1.3]], [[0.4, 0.9, 2.]]], dtype),
            tf.constant([[0.5], [2.]], dtype),
            tf.constant([1., 0.5, 3.], dtype)]


# -- analytic values ----------------------------------------------------------


@pytest.mark.parametrize("temperature,delta", [(0.3, 1.), (1., 2.5), (4., 0.2)])
def test_log_prob_matches_change_of_variables(temperature, delta):
    loc = np.array([0.3, -0.5, 1.1])
    scale = np.array([0.7, 1.2, 0.5])
    x = np.array([[0.25, 0.25, 0.25, 0.25],
                  [0.7, 0.1, 0.15, 0.05],
                  [1e-6, 0.3, 0.4, 0.3 - 1e-6],
                  [0.2, 0.3, 0.5 - 1e-9, 1e-9]])
    d = InvertibleGaussian(loc, scale, tf.constant(temperature, tf.float64), delta)
    np.testing.assert_allclose(d.log_prob(x), reference_log_prob(x, loc, scale, temperature, delta),
                               rtol=1e-12)


def test_log_prob_matches_transformed_distribution():
    """Same density as the bijector chain MVNDiag -> Scale(1/tau) ->
    Shift(-log delta) -> SoftmaxCenteredLebesgue built from TFP parts."""
    loc, scale, t, delta = [0.3, -0.5, 1.], [0.7, 1.2, 0.5], 0.4, 2.
    chain = tfd.TransformedDistribution(
        tfd.MultivariateNormalDiag(tf.constant(loc, tf.float64), tf.constant(scale, tf.float64)),
        tfb.Chain([SoftmaxCenteredLebesgue(), tfb.Shift(np.float64(-np.log(delta))),
                   tfb.Scale(np.float64(1. / t))]))
    d = InvertibleGaussian(loc, scale, tf.constant(t, tf.float64), delta)
    x = d.sample(100, seed=(3, 4))
    np.testing.assert_allclose(d.log_prob(x), chain.log_prob(x), rtol=1e-10)


@pytest.mark.parametrize("temperature,delta", [(0.5, 1.), (2., 3.)])
def test_two_categories_is_logit_normal(temperature, delta):
    """K = 2: x_1 = sigmoid(y / tau - log delta), a logit-normal variable with
    location loc / tau - log delta and scale scale / tau."""
    loc, scale = 0.4, 0.8
    x1 = np.array([1e-4, 0.1, 0.5, 0.77, 0.999])
    d = InvertibleGaussian(tf.constant([loc], tf.float64), [scale], temperature, delta)
    mu, sigma = loc / temperature - np.log(delta), scale / temperature
    expected = (stats.norm.logpdf(special.logit(x1), mu, sigma) - np.log(x1) - np.log1p(-x1))
    np.testing.assert_allclose(d.log_prob(np.stack([x1, 1. - x1], -1)), expected, rtol=1e-9)


def test_sampler_is_softmax_plus_plus_of_gaussian():
    """The sample is softmax++(loc + scale * eps) with eps the full-shape
    Philox normal noise of `relaxtfp.internal.noise`."""
    loc = np.array([[0.3, -0.5, 1.], [0., 2., -1.]])
    scale = np.array([0.7, 1.2, 0.5])
    temperature, delta = np.array([0.6, 1.7]), np.array([1., 2.5])
    d = InvertibleGaussian(loc, scale, temperature, delta)
    x = np.asarray(d.sample(50, seed=(5, 6)))
    eps = np.asarray(noise.normal([50, 2, 3], seed=(5, 6), dtype=tf.float64))
    y = loc + scale * eps
    expected = softmax_plus_plus(y, temperature[:, None], delta[:, None])
    np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_samples_lie_on_the_simplex(dtype):
    d = InvertibleGaussian(
        loc=tf.constant([[0., 1., -2.], [5., -5., 0.], [20., 20., -20.]], dtype),
        scale=tf.constant([0.5, 1., 3.], dtype),
        temperature=tf.constant([[0.01], [0.5], [10.]], dtype),
        delta=tf.constant(2., dtype))
    x = np.asarray(d.sample(1000, seed=(1, 2)))
    assert x.shape == (1000, 3, 3, 4)
    assert np.all(np.isfinite(x)) and x.min() >= 0. and x.max() <= 1.
    eps = np.finfo(x.dtype).eps
    np.testing.assert_allclose(x.sum(-1), 1., atol=4 * eps)


# -- statistics ------------------------------------------------------------------


def test_density_integrates_to_one_in_dirichlet_measure():
    """Importance identity E_{x ~ Dirichlet(1, 1, 1, 1)}[q(x) / p(x)] = 1.

    CLT half-width at false-failure rate FALSE_FAIL_RATE. Power: with TFP's
    SoftmaxCentered measure the mean would be 1 / sqrt(4) = 0.5, and the
    half-width is asserted to be well below that gap.
    """
    q = InvertibleGaussian(tf.constant([0.3, -0.4, 0.1], tf.float64), [0.9, 1.1, 1.3],
                           temperature=1.2, delta=1.5)
    p = tfd.Dirichlet(tf.ones([4], tf.float64))
    x = p.sample(NUM_SAMPLES, seed=sub.seed(7, 8))
    ratio = np.asarray(tf.exp(q.log_prob(x) - p.log_prob(x)))
    utils.assert_mean_within_clt(ratio, 1., FALSE_FAIL_RATE)
    half = utils.clt_halfwidth(ratio.std(), ratio.size, FALSE_FAIL_RATE)
    assert half < 0.25 * (1. - 0.5), half


# Cells for the goodness-of-fit test on the 2-simplex: (u, v) in
# [0, 1]^2 with u = x_1 and v = x_2 / (x_2 + x_3), a bijection of the open
# simplex onto the open square with x = (u, (1 - u) v, (1 - u)(1 - v)).
_U_EDGES = np.array([0., 0.15, 0.3, 0.5, 1.])
_V_EDGES = np.array([0., 0.25, 0.5, 0.75, 1.])
_GOF = dict(loc=[0.5, -0.3], scale=[0.8, 1.1], temperature=0.7, delta=1.5)
_NODES = 48


def _cell_probabilities(log_density):
    """Integral of exp(log_density(x)) dx_1 dx_2 over each cell, by a
    48 x 48-point Gauss-Legendre rule per cell in (u, v), dx_1 dx_2 =
    (1 - u) du dv."""
    nodes, weights = np.polynomial.legendre.leggauss(_NODES)
    probs = np.zeros((len(_U_EDGES) - 1, len(_V_EDGES) - 1))
    for i in range(len(_U_EDGES) - 1):
        a, b = _U_EDGES[i], _U_EDGES[i + 1]
        u = (a + b) / 2 + (b - a) / 2 * nodes
        wu = (b - a) / 2 * weights
        for j in range(len(_V_EDGES) - 1):
            c, e = _V_EDGES[j], _V_EDGES[j + 1]
            v = (c + e) / 2 + (e - c) / 2 * nodes
            wv = (e - c) / 2 * weights
            uu, vv = np.meshgrid(u, v, indexing="ij")
            x = np.stack([uu, (1 - uu) * vv, (1 - uu) * (1 - vv)], -1)
            dens = np.exp(log_density(x)) * (1 - uu)
            probs[i, j] = np.sum(wu[:, None] * wv[None, :] * dens)
    return probs


def test_goodness_of_fit_on_cells_of_the_2_simplex(seed):
    """Sample frequencies of 16 cells of the 2-simplex against the integral of
    exp(log_prob) over each cell.

    Hoeffding bound union-bounded over the 16 cells, false-failure rate
    FALSE_FAIL_RATE in all. The quadrature error is below 1e-7 (the cells sum
    to one to that accuracy). Power: every alternative below differs from
    the right cell probabilities by at least twice the bound in some cell,
    so a sampler or log_prob with that error is rejected with probability
    >= 1 - FALSE_FAIL_RATE: relaxit's log_prob (wrong inverse, unreduced
    log-det), TFP's SoftmaxCentered measure (off by 0.5 log 3), and the
    right density at a 10% different temperature.
    """
    d = InvertibleGaussian(tf.constant(_GOF["loc"], tf.float64), _GOF["scale"],
                           _GOF["temperature"], _GOF["delta"])
    probs = _cell_probabilities(lambda x: np.asarray(d.log_prob(x)))
    np.testing.assert_allclose(probs.sum(), 1., atol=1e-7)

    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    u = x[:, 0]
    v = x[:, 1] / (x[:, 1] + x[:, 2])
    counts, _, _ = np.histogram2d(u, v, bins=[_U_EDGES, _V_EDGES])
    num_cells = probs.size
    for count, p in zip(counts.ravel(), probs.ravel()):
        utils.assert_proportion_matches(count, NUM_SAMPLES, p, FALSE_FAIL_RATE,
                                        num_tests=num_cells)

    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, num_cells)
    loc, scale, t = np.array(_GOF["loc"]), np.array(_GOF["scale"]), _GOF["temperature"]
    hotter = InvertibleGaussian(tf.constant(_GOF["loc"], tf.float64), _GOF["scale"],
                                1.1 * t, _GOF["delta"])
    alternatives = {
        "relaxit": lambda x: relaxit_log_prob(x, loc, scale, t).sum(-1),
        "surface measure": lambda x: np.asarray(d.log_prob(x)) - 0.5 * np.log(3.),
        "temperature x 1.1": lambda x: np.asarray(hotter.log_prob(x)),
    }
    for name, log_density in alternatives.items():
        gap = np.max(np.abs(_cell_probabilities(log_density) - probs))
        assert gap >= 2. * eps + 2e-7, (name, gap, eps)


# -- gradients -------------------------------------------------------------------


_GRAD_PARAMS = dict(loc=[0.3, -0.5, 1.], scale=[0.7, 1.2, 0.5], temperature=0.6, delta=1.4)
_WEIGHTS = np.array([1., -2., 0.5, 3.])   # sum(x) = 1 would have zero gradient.


def _perturbed(name, index, h):
    params = {k: np.array(v, np.float64) for k, v in _GRAD_PARAMS.items()}
    params[name] = params[name].copy()
    if params[name].ndim:
        params[name][index] += h
    else:
        params[name] = params[name] + h
    return {k: tf.constant(v) for k, v in params.items()}


def _finite_difference(fn, name, size, h=1e-6):
    return np.array([(fn(**_perturbed(name, i, h)) - fn(**_perturbed(name, i, -h))) / (2 * h)
                     for i in range(size)]).reshape(np.shape(_GRAD_PARAMS[name]))


def _gradients(value):
    """Autodiff gradients of `value(**params)` at `_GRAD_PARAMS`, by name."""
    names = list(_GRAD_PARAMS)
    grads = sub.gradients(lambda *v: value(**dict(zip(names, v))),
                          *[tf.constant(_GRAD_PARAMS[k], tf.float64) for k in names])
    return dict(zip(names, grads))


def test_pathwise_gradients_match_finite_differences():
    """d sample / d parameter with the noise held fixed (same seed)."""
    seed = (11, 12)

    def value(**params):
        return tf.reduce_sum(InvertibleGaussian(**params).sample(500, seed=seed) * _WEIGHTS)

    def total(**params):
        return np.asarray(value(**params))

    grads = _gradients(value)
    for name, v in _GRAD_PARAMS.items():
        fd = _finite_difference(total, name, np.size(v))
        np.testing.assert_allclose(grads[name], fd, rtol=1e-6, atol=1e-8, err_msg=name)


def test_log_prob_gradients_match_finite_differences():
    x = tf.constant([[0.1, 0.2, 0.3, 0.4], [0.6, 0.05, 0.3, 0.05]], tf.float64)

    def value(**params):
        return tf.reduce_sum(InvertibleGaussian(**params).log_prob(x))

    def total(**params):
        return np.asarray(value(**params))

    grads = _gradients(value)
    for name, v in _GRAD_PARAMS.items():
        fd = _finite_difference(total, name, np.size(v))
        np.testing.assert_allclose(grads[name], fd, rtol=1e-6, atol=1e-8, err_msg=name)


# -- KL divergence ---------------------------------------------------------------


def _kl_pair(temperature_q=0.5, delta_q=2.):
    p = InvertibleGaussian(tf.constant([[0.3, -0.4, 1.], [0., 0., 0.]], tf.float64),
                           [0.6, 1.2, 0.9], temperature=0.5, delta=2.)
    q = InvertibleGaussian(tf.constant([-0.2, 0.5, 0.4], tf.float64),
                           [1., 0.8, 1.5], temperature=temperature_q, delta=delta_q)
    return p, q


def test_kl_is_gaussian_kl_summed_over_event():
    p, q = _kl_pair()
    kl = np.asarray(tfd.kl_divergence(p, q))
    lp, sp = np.array([[0.3, -0.4, 1.], [0., 0., 0.]]), np.array([0.6, 1.2, 0.9])
    lq, sq = np.array([-0.2, 0.5, 0.4]), np.array([1., 0.8, 1.5])
    expected = np.sum(np.log(sq / sp) + (sp ** 2 + (lp - lq) ** 2) / (2 * sq ** 2) - 0.5, -1)
    assert kl.shape == (2,)
    np.testing.assert_allclose(kl, expected, rtol=1e-12)
    np.testing.assert_allclose(tfd.kl_divergence(p, p), [0., 0.], atol=1e-15)


def test_kl_matches_monte_carlo(seed):
    """E_{x ~ p}[log p(x) - log q(x)] by Monte Carlo on the simplex, within the
    CLT half-width at false-failure rate FALSE_FAIL_RATE. Power: the
    half-width is below a quarter of the smallest coordinate's share of the
    KL, so a KL that dropped a coordinate (not summing over the event axis)
    would be rejected."""
    p, q = _kl_pair()
    kl = np.asarray(tfd.kl_divergence(p, q))
    x = p.sample(NUM_SAMPLES, seed=seed)
    values = np.asarray((p.log_prob(x) - q.log_prob(x)))
    assert np.all(np.isfinite(values))
    utils.assert_mean_within_clt(values, kl, FALSE_FAIL_RATE)
    half = utils.clt_halfwidth(values.std(0), NUM_SAMPLES, FALSE_FAIL_RATE / 2)
    lp, sp = np.array([[0.3, -0.4, 1.], [0., 0., 0.]]), np.array([0.6, 1.2, 0.9])
    lq, sq = np.array([-0.2, 0.5, 0.4]), np.array([1., 0.8, 1.5])
    per_coord = np.log(sq / sp) + (sp ** 2 + (lp - lq) ** 2) / (2 * sq ** 2) - 0.5
    assert np.all(half < 0.25 * per_coord.min(-1)), (half, per_coord)


def _log_ratio_gaussian_kl(p, q):
    """KL between the laws of the log-ratios d = y / tau - log(delta),
    independent Normal(loc / tau - log(delta), scale / tau), in NumPy."""
    def moments(d):
        t = np.asarray(d.temperature)[..., None]
        mu = np.asarray(d.loc) / t - np.log(np.asarray(d.delta))[..., None]
        return mu, np.asarray(d.scale) / t
    mp, sp = moments(p)
    mq, sq = moments(q)
    return np.sum(np.log(sq / sp) + (sp ** 2 + (mp - mq) ** 2) / (2 * sq ** 2) - 0.5, -1)


@pytest.mark.parametrize("kwargs", [dict(temperature_q=0.25), dict(delta_q=1.),
                                    dict(temperature_q=2., delta_q=0.1)],
                         ids=["temperature", "delta", "both"])
def test_kl_with_different_temperature_or_delta_is_exact(kwargs, seed):
    """softmax++ factors through the one bijection d -> softmax([d, 0]) for
    every temperature and delta, so the KL is that of the log-ratio
    Gaussians: against NumPy, and against E_{x ~ p}[log p(x) - log q(x)]
    within the CLT half-width at FALSE_FAIL_RATE (per batch member). Power:
    the KL of the Gaussians of y, which ignores temperature and delta (the
    reference library's answer), is more than twice the half-width away."""
    p, q = _kl_pair(**kwargs)
    kl = np.asarray(tfd.kl_divergence(p, q))
    np.testing.assert_allclose(kl, _log_ratio_gaussian_kl(p, q), rtol=1e-12)
    x = p.sample(NUM_SAMPLES, seed=seed)
    values = np.asarray((p.log_prob(x) - q.log_prob(x)))
    assert np.all(np.isfinite(values))
    utils.assert_mean_within_clt(values, kl, FALSE_FAIL_RATE / 2)
    half = utils.clt_halfwidth(values.std(0), NUM_SAMPLES, FALSE_FAIL_RATE / 2)
    same_map = np.asarray(tfd.kl_divergence(*_kl_pair()))
    lp, sp = np.asarray(p.loc), np.asarray(p.scale)
    lq, sq = np.asarray(q.loc), np.asarray(q.scale)
    y_kl = np.sum(np.log(sq / sp) + (sp ** 2 + (lp - lq) ** 2) / (2 * sq ** 2) - 0.5, -1)
    np.testing.assert_allclose(same_map, y_kl, rtol=1e-12)
    assert np.all(np.abs(y_kl - kl) > 2. * half), (y_kl, kl, half)


@substrates.tensorflow_only("assigns a tf.Variable after construction")
def test_kl_follows_a_variable_temperature_and_a_tensor_delta_in_graph():
    t = tf.Variable(0.5, dtype=tf.float64)
    p = InvertibleGaussian(tf.constant([0., 1.], tf.float64), [1., 1.], 0.5)
    q = InvertibleGaussian(tf.constant([1., 0.], tf.float64), [1., 2.], t)
    kl = tf.function(lambda: tfd.kl_divergence(p, q))
    np.testing.assert_allclose(kl(), _log_ratio_gaussian_kl(p, q), rtol=1e-12)
    t.assign(0.25)
    np.testing.assert_allclose(kl(), _log_ratio_gaussian_kl(p, q), rtol=1e-12)
    f = tf.function(
        lambda d1, d2: tfd.kl_divergence(
            InvertibleGaussian(tf.constant([0.], tf.float64), [1.], 1., d1),
            InvertibleGaussian(tf.constant([1.], tf.float64), [1.], 1., d2)),
        input_signature=[tf.TensorSpec([], tf.float64)] * 2)
    np.testing.assert_allclose(f(tf.constant(2., tf.float64), tf.constant(2., tf.float64)), 0.5)
    # mu_p - mu_q = (0 - log 2) - (1 - log 3) = log 1.5 - 1.
    np.testing.assert_allclose(f(tf.constant(2., tf.float64), tf.constant(3., tf.float64)),
                               0.5 * (np.log(1.5) - 1.) ** 2, rtol=1e-12)


def test_kl_rejects_different_event_sizes():
    with pytest.raises(ValueError, match="one event size K; got 3 and 4"):
        tfd.kl_divergence(InvertibleGaussian([0., 0.], [1., 1.], 1.),
                          InvertibleGaussian([0., 0., 0.], [1., 1., 1.], 1.))


# -- extremes ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_sampler_does_not_overflow(dtype):
    """loc = 1e3 at temperature 1e-3: softmax arguments of 1e6."""
    d = InvertibleGaussian(tf.constant([[1e3, 0., -1e3], [1e3, 1e3, 1e3]], dtype),
                           [1., 1., 1.], temperature=1e-3)
    x = np.asarray(d.sample(100, seed=(1, 2)))
    assert np.all(np.isfinite(x))
    # Exactly 1 on TensorFlow; JAX's softmax may round the sum by an ulp.
    np.testing.assert_allclose(x.sum(-1), 1., rtol=2 * np.finfo(x.dtype).eps)
    np.testing.assert_array_equal(x[:, 0, 0], 1.)


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_underflow_corner_is_documented(dtype):
    """Temperature 1e-3 with loc = +-50: softmax arguments of order 5e4, so
    all but the largest coordinate underflow to exactly 0 in float32 and in
    float64. Samples stay finite and on the simplex, with finite pathwise
    gradients; log_prob is -inf exactly at the samples with a zero coordinate
    (boundary points, where the density extended by continuity is 0) and
    finite at the others; never NaN."""
    variables = [tf.Variable(tf.constant(v, dtype))
                 for v in ([-50., 0., 50.], [1., 1., 1.], 1e-3, 1.)]
    d = InvertibleGaussian(*variables)
    with tf.GradientTape() as tape:
        x = d.sample(500, seed=(1, 2))
        weighted = tf.reduce_sum(x * tf.constant(_WEIGHTS, dtype))
    for g in tape.gradient(weighted, variables):
        assert np.all(np.isfinite(np.asarray(g)))
    x_np = np.asarray(x)
    assert np.all(np.isfinite(x_np)) and x_np.min() >= 0.
    np.testing.assert_allclose(x_np.sum(-1), 1., atol=4 * np.finfo(x_np.dtype).eps)
    lp = np.asarray(d.log_prob(x))
    assert not np.any(np.isnan(lp))
    boundary = np.any(x_np == 0., axis=-1)
    assert boundary.mean() > 0.99
    np.testing.assert_array_equal(lp[boundary], -np.inf)
    assert np.all(np.isfinite(lp[~boundary]))


def test_log_prob_finite_at_representable_points_near_vertices():
    """Coordinates down to the smallest normal number still give a finite
    log_prob equal to the reference (float64, temperature 1e-3)."""
    tiny = np.finfo(np.float64).tiny
    x = np.array([[1. - 2e-300, 1e-300, 1e-300, tiny],
                  [tiny, 1. - 2 * tiny, tiny, tiny]])
    loc, scale, t = np.array([0.5, 0.2, 0.1]), np.array([0.3, 0.3, 0.3]), 1e-3
    d = InvertibleGaussian(tf.constant(loc), scale, t)
    lp = np.asarray(d.log_prob(x))
    assert np.all(np.isfinite(lp))
    np.testing.assert_allclose(lp, reference_log_prob(x, loc, scale, t), rtol=1e-12)


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    (dict(scale=[1., 0.]), "Argument `scale` must be positive."),
    (dict(scale=[1., -1.]), "Argument `scale` must be positive."),
    (dict(temperature=0.), "Argument `temperature` must be positive."),
    (dict(temperature=-1.), "Argument `temperature` must be positive."),
    (dict(delta=0.), "Argument `delta` must be positive."),
    (dict(delta=-2.), "Argument `delta` must be positive."),
])
def test_invalid_parameters_raise(kwargs, message):
    params = dict(loc=[0., 1.], scale=[1., 1.], temperature=1., **{})
    params.update(kwargs)
    with pytest.raises(sub.validation_error, match=message):
        InvertibleGaussian(validate_args=True, **params)


@substrates.tensorflow_only("assigns a tf.Variable after construction")
def test_invalid_variable_assignment_is_caught():
    t = tf.Variable(1.)
    d = InvertibleGaussian([0., 1.], [1., 1.], t, validate_args=True)
    d.sample(seed=(1, 2))
    t.assign(-1.)
    with pytest.raises(sub.validation_error, match="`temperature` must be positive"):
        d.sample(seed=(1, 2))


@pytest.mark.parametrize("x,message", [([0.5, 0.6, -0.1], "components less than 0"),
                                       ([0.5, 0.3, 0.3], "do not sum to 1")])
def test_log_prob_validates_support(x, message):
    d = InvertibleGaussian([0., 1.], [1., 1.], 1., validate_args=True)
    with pytest.raises(sub.validation_error, match=message):
        d.log_prob(x)


@substrates.tensorflow_only("tfp.experimental.util.make_trainable builds tf.Variables")
def test_make_trainable_builds_a_working_distribution():
    """`tfp.experimental.util.make_trainable` reads the parameters' shapes
    from `_parameter_properties`: loc and scale are one shorter than the
    event, temperature and delta have batch shape."""
    d = tfp.experimental.util.make_trainable(
        InvertibleGaussian, batch_and_event_shape=[2, 4], seed=(1, 2))
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (4,)
    shapes = {v.name.split(":")[0]: tuple(v.shape) for v in d.trainable_variables}
    assert shapes == {"loc": (2, 3), "scale": (2, 3), "temperature": (2,), "delta": (2,)}
    with tf.GradientTape() as tape:
        x = d.sample(5, seed=(3, 4))
        lp = d.log_prob(tf.stop_gradient(x))
        total = tf.reduce_sum(lp) + tf.reduce_sum(x * tf.constant([1., 2., 3., 4.]))
    assert x.shape == (5, 2, 4) and np.all(np.isfinite(np.asarray(lp)))
    for g in tape.gradient(total, d.trainable_variables):
        assert g is not None and np.all(np.isfinite(np.asarray(g)))


def test_scalar_scale_and_loc_broadcast_over_the_event():
    """A scalar `scale` (or `loc`) is shared by the K - 1 coordinates."""
    x = tf.constant([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]], tf.float64)
    for loc, scale in (([0.3, -0.2], 0.8), (0.3, [0.8, 0.8])):
        d = InvertibleGaussian(tf.constant(loc, tf.float64), scale, 0.5)
        full = InvertibleGaussian(
            tf.constant(np.broadcast_to(loc, [2]), tf.float64), [0.8, 0.8], 0.5)
        assert tuple(d.batch_shape) == () and tuple(d.event_shape) == (3,)
        np.testing.assert_array_equal(d.sample(4, seed=(1, 2)), full.sample(4, seed=(1, 2)))
        np.testing.assert_allclose(d.log_prob(x), full.log_prob(x), rtol=1e-14)


@pytest.mark.parametrize("loc,scale,message", [
    ([0., 0., 0.], [1., 1.], "`loc` \\(size 3\\) and `scale` \\(size 2\\) must have the same size"),
    (0., 1., "both are scalars"),
    (np.zeros([2, 0]), 1., "size K - 1 >= 1"),
])
def test_shapes_that_fit_no_event_size_raise(loc, scale, message):
    with pytest.raises(ValueError, match=message):
        InvertibleGaussian(loc, scale, 1.)


def test_integer_parameters_are_converted():
    d = InvertibleGaussian(np.array([1, 0]), np.array([1, 2]), 1, delta=2)
    ref = InvertibleGaussian([1., 0.], [1., 2.], 1., delta=2.)
    assert d.dtype == tf.float32
    np.testing.assert_array_equal(d.sample(3, seed=(1, 2)), ref.sample(3, seed=(1, 2)))


# -- regressions for defects of the reference library, relaxit --------------------


def test_regression_log_prob_inverse_and_event_reduction():
    """relaxit inverted softmax++ as tau (log g - log sum g) instead of
    tau (log g - log x_K + log delta), and subtracted the whole log-det from
    each of the K-1 coordinates without summing over the event axis."""
    loc, scale, t = np.array([0.2, 0.1, 0.1, 0.5]), np.array([0.5, 0.6, 0.7, 0.8]), 0.8
    d = InvertibleGaussian(tf.constant(loc), scale, t)
    x = np.asarray(d.sample(20, seed=(9, 10)))
    lp = np.asarray(d.log_prob(x))
    assert lp.shape == (20,)                       # reduced over the event axis
    np.testing.assert_allclose(lp, reference_log_prob(x, loc, scale, t), rtol=1e-12)
    wrong = relaxit_log_prob(x, loc, scale, t)
    assert wrong.shape == (20, 4)
    assert np.all(np.abs(wrong.sum(-1) - lp) > 1.)
    # The inverse map recovers the Gaussian variable exactly.
    eps = np.asarray(noise.normal([20, 4], seed=(9, 10), dtype=tf.float64))
    y = t * (np.log(x[:, :-1]) - np.log(x[:, -1:]))
    np.testing.assert_allclose(y, loc + scale * eps, rtol=1e-10)


def test_regression_kl_checks_temperature():
    """relaxit's KL ignored the temperature: IGRs with tau = 1 and
    tau = 0.01 and equal Gaussians had KL 0. Their log-ratios are Normal(0, 1)
    and Normal(0, 100), with KL log(100) + 1 / (2 * 100**2) - 1/2 per
    coordinate."""
    a = InvertibleGaussian([0., 0.], [1., 1.], temperature=1.)
    b = InvertibleGaussian([0., 0.], [1., 1.], temperature=0.01)
    np.testing.assert_allclose(tfd.kl_divergence(a, b),
                               2. * (np.log(100.) + 0.5e-4 - 0.5), rtol=1e-6)
    np.testing.assert_allclose(tfd.kl_divergence(a, a), 0.)


def test_regression_softmax_plus_plus_stable():
    """relaxit's softmax++ returned NaN at loc = 10, tau = 0.1 (no
    max-subtraction) and computed the last coordinate as 1 - sum, giving
    exactly 0.0 at loc = 30 for a true value of 4.68e-14."""
    x = InvertibleGaussian([10., 10., 10.], [1., 1., 1.], 0.1).sample(100, seed=(1, 2))
    assert np.all(np.isfinite(np.asarray(x)))
    d = InvertibleGaussian([30., 30.], [1e-6, 1e-6], 1.)     # float32
    x = np.asarray(d.sample(10, seed=(1, 2)))
    expected = 1. / (2. * np.exp(30.) + 1.)                 # 4.678e-14
    np.testing.assert_allclose(x[:, -1], expected, rtol=1e-4)
    assert np.all(np.isfinite(np.asarray(d.log_prob(x))))


def test_regression_event_shape():
    """relaxit reported batch_shape = loc.shape and event_shape = ()
    although samples have K = (K - 1) + 1 coordinates."""
    d = InvertibleGaussian(tf.zeros([2, 3]), tf.ones([2, 3]), 0.5)
    assert tuple(d.batch_shape) == (2,)
    assert tuple(d.event_shape) == (4,)
    assert d.sample(5, seed=(1, 2)).shape == (5, 2, 4)


def test_regression_support_is_simplex():
    """relaxit declared the support `real`. The default event-space
    bijector maps R^(K-1) onto the simplex, and points outside the open
    simplex have log_prob -inf."""
    d = InvertibleGaussian([0., 1.], [1., 1.], 0.5)
    bij = d.experimental_default_event_space_bijector()
    y = np.asarray(bij(tf.constant([[-30., 30.], [0.3, -2.]])))
    assert y.shape == (2, 3) and y.min() >= 0.
    np.testing.assert_allclose(y.sum(-1), 1., rtol=1e-6)
    lp = np.asarray(d.log_prob([[0.5, 0.6, -0.1], [0., 0.5, 0.5]]))
    np.testing.assert_array_equal(lp, -np.inf)


def test_discrete_law_raises():
    d = InvertibleGaussian([0., 1.], [1., 1.], 0.5)
    with pytest.raises(NotImplementedError, match="argmax.*no closed form"):
        d.discrete_law()
