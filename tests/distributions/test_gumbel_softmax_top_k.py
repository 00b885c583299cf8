"""Tests for relaxtfp.distributions.GumbelSoftmaxTopK."""

import inspect
import itertools
import math

import numpy as np
import pytest
from scipy import integrate
from scipy import special

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp, tfd = sub.tf, sub.tfp, sub.tfd
GumbelSoftmaxTopK = sub.rtd.GumbelSoftmaxTopK

NUM_SAMPLES = 100_000
FALSE_FAIL_RATE = 1e-6

K = 5
SUBSET = 2
EXTREME_LOGITS = [-50., -5., 0., 5., 50.]
EXTREME_TEMPERATURES = (1e-3, 1e-2, 0.3, 1., 1e2, 1e3)


def plackett_luce_set_probability(logits, subset):
    """P(set) as the plain sum over the k! orders (float64, reference)."""
    w = np.exp(np.asarray(logits, np.float64) - np.max(logits))
    total = 0.
    for order in itertools.permutations(subset):
        p = 1.
        for j, i in enumerate(order):
            # The remaining weight summed afresh: no cancellation.
            remaining = math.fsum(np.delete(w, list(order[:j])))
            p *= w[i] / remaining
        total += p
    return total


def kool_integral_set_probability(logits, subset):
    """P(set) = int_0^1 prod_{i in S} (1 - v^(w_i / w_out)) dv (Kool et al.)."""
    w = np.exp(np.asarray(logits, np.float64) - np.max(logits))
    inside = np.zeros(len(w), bool)
    inside[list(subset)] = True
    ratios = w[inside] / w[~inside].sum()
    value, _ = integrate.quad(lambda v: np.prod(1. - v ** ratios), 0., 1.,
                              epsabs=1e-14, epsrel=1e-12, limit=200)
    return value


def all_k_hot(num_categories, k):
    subsets = list(itertools.combinations(range(num_categories), k))
    x = np.zeros((len(subsets), num_categories))
    for row, subset in enumerate(subsets):
        x[row, list(subset)] = 1.
    return subsets, x


def set_index(x):
    """Integer code of each k-hot row of x (bit i for category i)."""
    return (np.asarray(x) * (1 << np.arange(x.shape[-1]))).sum(-1).astype(np.int64)


class TestGumbelSoftmaxTopKContract(DistributionContract):
    """The contract for `hard=True`, whose samples are in the support of
    `log_prob`; gradients flow through the samples (straight-through)."""

    EVENT_SHAPE = (K,)
    REPARAMETERIZED = True

    def make(self, dtype):
        return GumbelSoftmaxTopK(
            SUBSET, temperature=tf.constant([[0.5], [2.]], dtype),
            logits=tf.constant([[-1., 0., 1.5, 0.3, -0.2],
                                [0., 0., 0., 0., 0.],
                                [2., -2., 1., 0.5, 0.]], dtype),
            hard=True)

    def make_iid(self, n, dtype):
        return GumbelSoftmaxTopK(SUBSET, temperature=tf.constant(0.7, dtype),
                                 logits=tf.zeros([n, K], dtype), hard=True)

    def extreme_cases(self, dtype):
        # log_prob does not depend on the temperature (it scores the hard
        # law), so its gradient there is absent: only the logits are
        # parameters. Gradients of samples w.r.t. the temperature at these
        # extremes are checked in `test_finite_at_extremes_both_modes`.
        def case(t):
            def build(logits):
                return GumbelSoftmaxTopK(SUBSET, tf.constant(t, dtype), logits=logits,
                                         hard=True)
            return build, [tf.constant(EXTREME_LOGITS, dtype)]
        return [case(t) for t in EXTREME_TEMPERATURES]

    def parameters(self, dtype):
        def build(logits):
            return GumbelSoftmaxTopK(SUBSET, tf.constant([[0.5], [2.]], dtype),
                                     logits=logits, hard=True)
        return build, [tf.constant([-1., 0., 1.5, 0.3, -0.2], dtype)]


# -- the relaxation (hard=False) ------------------------------------------------


@pytest.mark.parametrize("sample_shape", [(), (5,), (4, 2)])
def test_relaxed_shapes(sample_shape):
    """Any sample_shape, for the relaxation too."""
    d = GumbelSoftmaxTopK(SUBSET, tf.constant([[0.5], [2.]]),
                          logits=tf.zeros([3, K]))
    x = d.sample(sample_shape, seed=(1, 2))
    assert tuple(x.shape) == sample_shape + (2, 3, K)
    np.testing.assert_allclose(tf.reduce_sum(x, -1), SUBSET, atol=1e-5)


@pytest.mark.parametrize("dtype,atol", [(tf.float32, 1e-5), (tf.float64, 1e-12)])
def test_relaxed_entries_in_unit_interval_and_sum_to_k(dtype, atol):
    """The constraint sum = k is solved to `atol` over temperatures 1e-3..1e3
    and logits +-50, and no entry leaves [0, 1] (relaxit's successive
    softmax gave an entry of 1.06)."""
    logits = tf.constant([EXTREME_LOGITS, [0.] * K, [50., 50., 50., -50., -50.],
                          [0.1, 0.2, 0.3, 0.4, 0.5]], dtype)
    temperature = tf.constant(EXTREME_TEMPERATURES, dtype)[:, tf.newaxis]
    for k in (1, 2, 4):
        d = GumbelSoftmaxTopK(k, temperature, logits=logits)
        x = np.asarray(d.sample(500, seed=(3, 4)))
        assert x.shape == (500, len(EXTREME_TEMPERATURES), 4, K)
        assert x.min() >= 0. and x.max() <= 1., k
        np.testing.assert_allclose(x.sum(-1), k, rtol=0., atol=atol, err_msg=str(k))
    # Other sizes, including K = 2 (where the level sits exactly between the
    # two keys) and a larger K, with random logits of scale 0.1 to 50.
    rng = np.random.default_rng(1)
    for num_categories, k in ((2, 1), (50, 1), (50, 10), (50, 49)):
        logits = tf.constant(rng.normal(size=(3, 1, 1, num_categories))
                             * np.array([0.1, 3., 50.])[:, None, None, None], dtype)
        d = GumbelSoftmaxTopK(k, temperature, logits=logits)
        x = np.asarray(d.sample(100, seed=(3, 4)))
        assert x.min() >= 0. and x.max() <= 1., (num_categories, k)
        np.testing.assert_allclose(x.sum(-1), k, rtol=0., atol=k * atol,
                                   err_msg=f"{num_categories} {k}")


def test_relaxed_sum_is_k_under_xla():
    def run():
        d = GumbelSoftmaxTopK(3, tf.constant([0.05, 0.3, 4.]),
                              logits=tf.constant([[2., -1., 0.5, 0., 1., -3.]]))
        return d.sample(200, seed=(5, 6))

    eager = run()
    xla = sub.xla(run)()
    np.testing.assert_allclose(tf.reduce_sum(xla, -1), 3., atol=1e-5)
    np.testing.assert_allclose(xla, eager, atol=1e-5)


def test_relaxed_limits():
    """temperature -> 0 gives the hard top-k set; temperature -> inf gives
    the constant k / K."""
    logits = tf.constant([1., -0.5, 0.3, 2., 0.], tf.float64)
    cold = GumbelSoftmaxTopK(SUBSET, tf.constant(1e-4, tf.float64), logits=logits)
    hard = GumbelSoftmaxTopK(SUBSET, tf.constant(1e-4, tf.float64), logits=logits,
                             hard=True)
    soft = np.asarray(cold.sample(2000, seed=(7, 8)))
    exact = np.asarray(hard.sample(2000, seed=(7, 8)))
    # Rows where the k-th and (k+1)-th keys are 1e-4 apart or closer are rare;
    # elsewhere the relaxation equals the hard sample to within 1e-6.
    close = np.abs(soft - exact).max(-1) < 1e-6
    assert close.mean() > 0.99
    warm = GumbelSoftmaxTopK(SUBSET, tf.constant(1e6, tf.float64), logits=logits)
    np.testing.assert_allclose(warm.sample(100, seed=(7, 8)), SUBSET / K, atol=1e-4)


def test_hard_sample_is_the_top_k_of_the_relaxation():
    """Same seed: the hard sample is exactly k-hot, and marks the k largest
    entries of the relaxed sample (the relaxation preserves the keys' order)."""
    kw = dict(temperature=tf.constant(0.7, tf.float64),
              logits=tf.constant([[1., -0.5, 0.3, 2., 0.], [0.] * 5], tf.float64))
    soft = np.asarray(GumbelSoftmaxTopK(3, **kw).sample(1000, seed=(9, 10)))
    hard = np.asarray(GumbelSoftmaxTopK(3, hard=True, **kw).sample(1000, seed=(9, 10)))
    assert set(np.unique(hard)) == {0., 1.}
    np.testing.assert_array_equal(hard.sum(-1), 3.)
    top = np.argsort(-soft, axis=-1)[..., :3]
    expected = np.zeros_like(soft)
    np.put_along_axis(expected, top, 1., axis=-1)
    np.testing.assert_array_equal(hard, expected)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
@pytest.mark.parametrize("hard", [False, True])
def test_finite_at_extremes_both_modes(dtype, hard):
    """Samples and their gradients with respect to both parameters are
    finite for temperatures 1e-3..1e3 and logits +-50."""
    def sample(temperature, logits):
        return GumbelSoftmaxTopK(SUBSET, temperature, logits=logits,
                                 hard=hard).sample(200, seed=(1, 2))

    for t in EXTREME_TEMPERATURES:
        params = [tf.constant(t, dtype), tf.constant(EXTREME_LOGITS, dtype)]
        assert np.all(np.isfinite(np.asarray(sample(*params))))
        grads = sub.gradients(
            lambda *p: tf.reduce_sum(sample(*p) * tf.range(1., K + 1., dtype=dtype)), *params)
        for g in grads:
            assert g is not None and np.all(np.isfinite(np.asarray(g))), t


# -- gradients ---------------------------------------------------------------------


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
@pytest.mark.parametrize("base_t", [0.05, 0.6, 20.])
def test_pathwise_gradients_match_finite_differences(base_t):
    """d sample / d parameter with the noise held fixed (same seed), against
    central differences, float64. The gradient is the implicit-function one;
    agreement to 1e-6 relative shows it is exact."""
    weights = tf.constant([0.3, -1., 2., 0.7, 1.5], tf.float64)
    seed = (11, 12)
    base_logits = np.array([0.2, -0.4, 1., 0.1, -0.3])

    def objective(temperature, logits):
        d = GumbelSoftmaxTopK(SUBSET, temperature, logits=logits)
        return tf.reduce_sum(d.sample(300, seed=seed) * weights)

    t = tf.Variable(tf.constant(base_t, tf.float64))
    lg = tf.Variable(tf.constant(base_logits, tf.float64))
    with tf.GradientTape() as tape:
        value = objective(t, lg)
    g_t, g_l = tape.gradient(value, [t, lg])
    h = 1e-6

    def f(tt, ll):
        return np.asarray(objective(tf.constant(tt, tf.float64),
                         tf.constant(ll, tf.float64)))

    fd_t = (f(base_t + h, base_logits) - f(base_t - h, base_logits)) / (2 * h)
    np.testing.assert_allclose(g_t, fd_t, rtol=1e-6, atol=5e-7)
    for j in range(K):
        e = np.eye(K)[j] * h
        fd = (f(base_t, base_logits + e) - f(base_t, base_logits - e)) / (2 * h)
        np.testing.assert_allclose(g_l[j], fd, rtol=1e-6, atol=5e-7, err_msg=str(j))


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
def test_jacobian_matches_implicit_function_formula():
    """d soft_i / d logits_j = s'_i (delta_ij - s'_j / sum s') / temperature."""
    temperature = 0.4
    lg = tf.Variable(tf.constant([[0.2, -0.4, 1., 0.1, -0.3]] * 64, tf.float64))
    with tf.GradientTape() as tape:
        x = GumbelSoftmaxTopK(3, tf.constant(temperature, tf.float64),
                              logits=lg).sample(seed=(13, 14))
    jac = np.asarray(tape.batch_jacobian(x, lg))
    xs = np.asarray(x)
    slope = xs * (1. - xs)
    expected = slope[:, :, None] * (np.eye(K)[None] - slope[:, None, :]
                                    / slope.sum(-1)[:, None, None]) / temperature
    np.testing.assert_allclose(jac, expected, rtol=1e-9, atol=1e-12)
    # Rows of the Jacobian sum to zero over i (the sum stays k).
    np.testing.assert_allclose(jac.sum(1), 0., atol=1e-12)


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
def test_hard_gradient_is_the_relaxation_gradient():
    """Straight-through: the hard sample's value is exactly k-hot and its
    gradient is the relaxed sample's gradient (same seed)."""
    weights = tf.constant([0.3, -1., 2., 0.7, 1.5])
    grads = []
    for hard in (False, True):
        t = tf.Variable(0.5)
        lg = tf.Variable([0.2, -0.4, 1., 0.1, -0.3])
        with tf.GradientTape() as tape:
            x = GumbelSoftmaxTopK(SUBSET, t, logits=lg, hard=hard).sample(
                100, seed=(15, 16))
            loss = tf.reduce_sum(x * weights)
        grads.append(tape.gradient(loss, [t, lg]))
        if hard:
            assert set(np.unique(np.asarray(x))) == {0., 1.}
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
def test_reparameterized_gradient_is_unbiased_for_expected_value():
    """Per-sample pathwise gradients of E[soft . v] w.r.t. one logit average
    to the derivative of the expectation, estimated by common-noise finite
    differences of the sample mean (float64, CLT bound)."""
    n = 20_000
    v = tf.constant([0.3, -1., 2., 0.7, 1.5], tf.float64)
    base = np.array([0.2, -0.4, 1., 0.1, -0.3])
    lg = tf.Variable(tf.constant(np.tile(base, (n, 1)), tf.float64))
    d = GumbelSoftmaxTopK(SUBSET, tf.constant(0.8, tf.float64), logits=lg)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(d.sample(seed=(17, 18)) * v, -1)
    per_sample = np.asarray(tape.gradient(y, lg))[:, 2]
    h = 1e-6
    e = np.eye(K)[2] * h
    plus = GumbelSoftmaxTopK(SUBSET, tf.constant(0.8, tf.float64),
                             logits=np.tile(base + e, (n, 1))).sample(seed=(17, 18))
    minus = GumbelSoftmaxTopK(SUBSET, tf.constant(0.8, tf.float64),
                              logits=np.tile(base - e, (n, 1))).sample(seed=(17, 18))
    fd = np.asarray((tf.reduce_sum((plus - minus) * v, -1) / (2 * h)))
    np.testing.assert_allclose(per_sample, fd, rtol=1e-5, atol=1e-8)
    utils.assert_mean_within_clt(per_sample, fd.mean(), FALSE_FAIL_RATE)


# -- log_prob of the hard law ----------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_set_probabilities_match_plackett_luce_and_sum_to_one(k):
    """Exact set probabilities: against the k!-term sum over orders and
    Kool et al.'s integral (scipy quad), and all C(K, k) of them sum to 1."""
    logits = np.array([0.3, -1., 2., 0.5, -0.2])
    subsets, x = all_k_hot(K, k)
    d = GumbelSoftmaxTopK(k, tf.constant(1., tf.float64), logits=logits, hard=True)
    p = np.exp(np.asarray(d.log_prob(x)))
    np.testing.assert_allclose(p.sum(), 1., rtol=0., atol=1e-13)
    pl = np.array([plackett_luce_set_probability(logits, s) for s in subsets])
    np.testing.assert_allclose(p, pl, rtol=1e-12)
    kool = np.array([kool_integral_set_probability(logits, s) for s in subsets])
    np.testing.assert_allclose(p, kool, rtol=1e-9)


def test_set_probabilities_at_extreme_logits():
    """Logits +-50: every set gets a finite log-probability (down to ~-150),
    matching the order sum in log space, and they still sum to 1 in float32
    and float64."""
    subsets, x = all_k_hot(K, SUBSET)
    ref = np.array([plackett_luce_set_probability(EXTREME_LOGITS, s) for s in subsets])
    for dtype, rtol, atol in ((tf.float32, 1e-5, 1e-6), (tf.float64, 1e-12, 1e-15)):
        d = GumbelSoftmaxTopK(SUBSET, tf.constant(1., dtype),
                              logits=tf.constant(EXTREME_LOGITS, dtype), hard=True)
        lp = np.asarray(d.log_prob(tf.constant(x, dtype)))
        assert np.all(np.isfinite(lp))
        np.testing.assert_allclose(np.exp(lp.astype(np.float64)).sum(), 1.,
                                   atol=10 * atol)
        np.testing.assert_allclose(lp, np.log(ref), rtol=rtol, atol=atol)


def test_k1_set_probability_is_softmax():
    logits = np.array([0.3, -1., 2., 0.5, -0.2])
    d = GumbelSoftmaxTopK(1, tf.constant(1., tf.float64), logits=logits, hard=True)
    np.testing.assert_allclose(d.log_prob(np.eye(K)), special.log_softmax(logits),
                               rtol=1e-13)


def test_log_prob_with_batch_and_larger_k():
    """A batch of (K=8, k=5) distributions against the 120-term order sum."""
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 8)) * 2.
    subsets = [(0, 2, 3, 5, 7), (1, 2, 4, 6, 7), (0, 1, 2, 3, 4)]
    x = np.zeros((3, 8))
    for row, s in enumerate(subsets):
        x[row, list(s)] = 1.
    d = GumbelSoftmaxTopK(5, tf.constant(0.5, tf.float64), logits=logits, hard=True)
    expected = [math.log(plackett_luce_set_probability(logits[r], s))
                for r, s in enumerate(subsets)]
    np.testing.assert_allclose(d.log_prob(x), expected, rtol=1e-12)


def test_probs_and_logits_parameterizations_agree():
    probs = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
    _, x = all_k_hot(K, SUBSET)
    a = GumbelSoftmaxTopK(SUBSET, tf.constant(1., tf.float64), probs=probs)
    b = GumbelSoftmaxTopK(SUBSET, tf.constant(1., tf.float64),
                          logits=np.log(probs) + 3.)
    np.testing.assert_allclose(a.copy(hard=True).log_prob(x),
                               b.copy(hard=True).log_prob(x), rtol=1e-12)
    np.testing.assert_allclose(a.logits_parameter(), np.log(probs), rtol=1e-12)
    np.testing.assert_allclose(b.probs_parameter(), probs, rtol=1e-12)
    np.testing.assert_allclose(a.sample(20, seed=(1, 2)), b.sample(20, seed=(1, 2)),
                               rtol=1e-10, atol=1e-12)


def test_relaxed_law_has_no_log_prob():
    """hard=False: the relaxed vector has no tractable density, so log_prob
    and prob raise NotImplementedError naming what to use (not NaN, and not
    a subset probability of another law), also for a k-hot value."""
    d = GumbelSoftmaxTopK(SUBSET, 0.5, logits=[0.] * K)
    relaxed = d.sample(10, seed=(1, 2))
    for value in (relaxed, [0., 1., 0., 1., 0.]):
        for method in (d.log_prob, d.prob):
            with pytest.raises(NotImplementedError, match=r"hard=True"):
                method(value)
    validated = GumbelSoftmaxTopK(SUBSET, 0.5, logits=[0.] * K, validate_args=True)
    with pytest.raises(NotImplementedError, match=r"copy\(hard=True\)"):
        validated.log_prob(relaxed)


@pytest.mark.parametrize("hard", [False, True])
def test_log_prob_in_tfp_wrappers_is_finite_or_raises(hard):
    """Inside tfd.Independent, tfd.Sample and a JointDistributionCoroutine-
    AutoBatched, log_prob of the distribution's own sample is finite
    (hard=True) or raises NotImplementedError (hard=False): never NaN."""
    logits = tf.constant([[0.5, -1., 2., 0., 0.3], [0., 0., 0., 0., 0.]])

    def make():
        return GumbelSoftmaxTopK(SUBSET, 0.5, logits=logits, hard=hard)

    @tfd.JointDistributionCoroutineAutoBatched
    def joint():
        yield make()

    wrapped = [tfd.Independent(make(), reinterpreted_batch_ndims=1),
               tfd.Sample(make(), 3), joint]
    for dist in wrapped:
        x = dist.sample(seed=sub.seed(1, 2))
        if hard:
            lp = np.asarray(dist.log_prob(x))
            assert np.all(np.isfinite(lp)), dist
        else:
            with pytest.raises(NotImplementedError, match="hard=True"):
                dist.log_prob(x)


def test_log_prob_off_the_support_is_the_extension():
    """hard=True without validate_args: a value that is not k-hot gets the
    extension log P(S(x)) + sum (x - 1[S(x)]) log softmax(logits), S(x) the
    k largest entries of x (a finite number, not NaN), as tfd.Bernoulli's
    log_prob(0.5)."""
    logits = np.array([0.3, -1., 2., 0.5, -0.2])
    d = GumbelSoftmaxTopK(SUBSET, tf.constant(0.5, tf.float64), logits=logits,
                          hard=True)
    values = np.array([[0.9, 0.1, 0.7, 0.2, 0.1],   # S(x) = {0, 2}
                       [1., 1., 1., 0., 0.],        # three-hot: S(x) = {0, 1}
                       [0.4, 0.4, 0.4, 0.4, 0.4]])  # ties: S(x) = {0, 1}
    sets = [(0, 2), (0, 1), (0, 1)]
    slope = special.log_softmax(logits)
    expected = []
    for x, subset in zip(values, sets):
        indicator = np.zeros(K)
        indicator[list(subset)] = 1.
        expected.append(math.log(plackett_luce_set_probability(logits, subset))
                        + np.dot(x - indicator, slope))
    np.testing.assert_allclose(d.log_prob(values), expected, rtol=1e-12)


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
def test_log_prob_gradient_matches_finite_differences():
    logits = np.array([0.3, -1., 2., 0.5, -0.2])
    x = tf.constant([[1., 0., 0., 1., 0.], [0., 1., 1., 0., 0.]], tf.float64)
    lg = tf.Variable(tf.constant(logits, tf.float64))
    with tf.GradientTape() as tape:
        lp = tf.reduce_sum(GumbelSoftmaxTopK(SUBSET, 1., logits=lg, hard=True).log_prob(x))
    grad = np.asarray(tape.gradient(lp, lg))
    h = 1e-6

    def f(ll):
        return np.asarray(tf.reduce_sum(GumbelSoftmaxTopK(
            SUBSET, 1., logits=tf.constant(ll, tf.float64), hard=True).log_prob(x)))
    fd = [(f(logits + h * e) - f(logits - h * e)) / (2 * h) for e in np.eye(K)]
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    # log P(S) is invariant to a common shift of the logits.
    np.testing.assert_allclose(grad.sum(), 0., atol=1e-12)


# -- statistics -------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3])
def test_sampled_set_frequencies_match_log_prob(k, seed):
    """Frequencies of the C(5, k) = 10 sets against exp(log_prob): Hoeffding,
    union bound over the 10 sets, false-failure rate FALSE_FAIL_RATE.

    Power: a sampler whose logits are off by 10% (scaled by 1.1), or one
    drawing from softmax(probs) as relaxit did, moves some set
    probability by more than twice the Hoeffding half-width, so it would be
    rejected with probability >= 1 - FALSE_FAIL_RATE.
    """
    probs = np.array([0.05, 0.1, 0.15, 0.3, 0.4])
    subsets, x = all_k_hot(K, k)
    d = GumbelSoftmaxTopK(k, tf.constant(0.5, tf.float64), probs=probs, hard=True)
    p = np.exp(np.asarray(d.log_prob(x)))
    samples = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    codes = set_index(samples)
    counts = {c: n for c, n in zip(*np.unique(codes, return_counts=True))}
    assert set(counts) <= set(set_index(x))
    for row, code in enumerate(set_index(x)):
        utils.assert_proportion_matches(counts.get(code, 0), NUM_SAMPLES, p[row],
                                        FALSE_FAIL_RATE, num_tests=len(subsets))
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, len(subsets))
    for wrong_logits in (1.1 * np.log(probs), probs):
        wrong = np.exp(
            np.asarray(GumbelSoftmaxTopK(k, 1., logits=wrong_logits, hard=True).log_prob(x)))
        assert np.max(np.abs(wrong - p)) > 2. * eps, wrong_logits


def test_first_draw_frequencies_are_softmax(seed):
    """The largest entry of the relaxed sample (the argmax of the keys, the
    first draw without replacement) falls on category i with probability
    softmax(logits)_i. Hoeffding, union bound over K categories. Power: a
    temperature-like error logits * 1.1 shifts some probability by more than
    twice the half-width."""
    logits = np.array([0.5, -1., 1.2, 0., 0.8])
    d = GumbelSoftmaxTopK(SUBSET, tf.constant(2., tf.float64), logits=logits)
    first = np.argmax(np.asarray(d.sample(NUM_SAMPLES, seed=seed)), -1)
    p = special.softmax(logits)
    for i in range(K):
        utils.assert_proportion_matches((first == i).sum(), NUM_SAMPLES, p[i],
                                        FALSE_FAIL_RATE, num_tests=K)
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, K)
    assert np.max(np.abs(special.softmax(1.1 * logits) - p)) > 2. * eps


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("k", [
    0, -1, K, K + 1, 2.5, 2., True, "2", None, np.int32(0), np.array([2]),
    np.array(2.), tf.constant(2.), tf.constant(0), tf.constant(K),
    tf.constant([1, 2]), tf.constant(True)])
def test_invalid_k_raises(k):
    with pytest.raises(ValueError, match=r"Argument `k` must be an integer "
                       r"with 1 <= k < K"):
        GumbelSoftmaxTopK(k, 1., logits=[0.] * K)


@pytest.mark.parametrize("k", [np.int64(2), np.int32(2), np.array(2),
                               tf.constant(2), tf.constant(2, tf.int64)])
def test_integer_k_of_any_kind_is_accepted(k):
    """NumPy integers and integer tensors of known value: k is stored as a
    Python int, also in the parameters, so that a copy, a slice and the
    composite tensor inside tf.function keep a static k."""
    d = GumbelSoftmaxTopK(k, 1., logits=tf.zeros([3, K]), hard=True)
    assert d.k == 2 and type(d.k) is int
    assert type(d.parameters["k"]) is int
    x = sub.function(lambda dist: dist.sample(seed=(1, 2)))(d)
    np.testing.assert_array_equal(tf.reduce_sum(x, -1), 2.)
    assert d[1:].k == 2 and d.copy().k == 2
    assert np.all(np.isfinite(np.asarray(sub.function(lambda dist: dist.log_prob(x))(d))))


@substrates.tensorflow_only("a k known only at run time: a tf.function input signature and an "
                             "integer tf.Variable")
def test_k_known_only_at_run_time_raises():
    """k sets the shapes of the top-k: a traced integer k (or a variable) is
    refused with an error naming k."""
    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def make(k):
        return GumbelSoftmaxTopK(k, 1., logits=tf.zeros([K])).sample(seed=(1, 2))

    with pytest.raises(ValueError, match=r"Argument `k` must be an integer with "
                       r"1 <= k < K.*only known at run time"):
        make(tf.constant(2))
    with pytest.raises(ValueError, match=r"only known at run time"):
        GumbelSoftmaxTopK(tf.Variable(2), 1., logits=tf.zeros([K]))


@substrates.tensorflow_only("shapes unknown until run time (a tf.function input signature); "
                             "JAX traces static shapes")
def test_k_checked_at_run_time_when_num_categories_is_dynamic():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def make_and_sample(logits):
        d = GumbelSoftmaxTopK(3, 1., logits=logits, validate_args=True)
        return d.sample(seed=(1, 2))

    assert make_and_sample(tf.zeros([4])).shape == (4,)
    with pytest.raises(sub.validation_error,
                       match=r"Argument `k` must be an integer with 1 <= k < K"):
        make_and_sample(tf.zeros([3]))


@pytest.mark.parametrize("kwargs,message", [
    (dict(temperature=0., logits=[0.] * K),
     "Argument `temperature` must be positive."),
    (dict(temperature=-1., logits=[0.] * K),
     "Argument `temperature` must be positive."),
    (dict(temperature=1., probs=[0.5, 0.6, -0.1, 0., 0.]),
     "Argument `probs` must be on the simplex; it has components less than 0."),
    (dict(temperature=1., probs=[0.2, 0.2, 0.2, 0.2, 0.3]),
     "Argument `probs` must be on the simplex; its last axis does not sum to 1."),
])
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(sub.validation_error, match=message):
        GumbelSoftmaxTopK(SUBSET, validate_args=True, **kwargs)


@substrates.tensorflow_only("assigns a tf.Variable after construction")
def test_invalid_variable_assignment_is_caught():
    t = tf.Variable(1.)
    d = GumbelSoftmaxTopK(SUBSET, t, logits=[0.] * K, validate_args=True)
    d.sample(seed=(1, 2))
    t.assign(-1.)
    with pytest.raises(sub.validation_error,
                       match="`temperature` must be positive"):
        d.sample(seed=(1, 2))


def test_logits_and_probs_are_exclusive():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        GumbelSoftmaxTopK(SUBSET, 1., logits=[0.] * K, probs=[0.2] * K)
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        GumbelSoftmaxTopK(SUBSET, 1.)


def test_log_prob_validates_k_hot_values():
    d = GumbelSoftmaxTopK(SUBSET, 0.5, logits=[0.] * K, hard=True, validate_args=True)
    with pytest.raises(sub.validation_error,
                       match="entries exactly 0 or 1"):
        d.log_prob([0.5, 0.5, 1., 0., 0.])
    with pytest.raises(sub.validation_error, match="must number k"):
        d.log_prob([1., 1., 1., 0., 0.])
    assert np.isfinite(np.asarray(d.log_prob([1., 0., 0., 0., 1.])))


# -- regressions for defects of the reference library, relaxit --------------------


def test_regression_probs_are_probabilities_not_logits(seed):
    """relaxit sampled from softmax(probs): with probs (0.1, 0.2, 0.7)
    and k = 1 its frequencies were (0.25, 0.28, 0.46). Ours are the probs.
    Hoeffding over 3 categories; softmax(probs) is 0.24 away in the last
    category, far beyond twice the half-width (0.018)."""
    probs = np.array([0.1, 0.2, 0.7])
    d = GumbelSoftmaxTopK(1, 0.5, probs=tf.constant(probs, tf.float64), hard=True)
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    for i in range(3):
        utils.assert_proportion_matches(x[:, i].sum(), NUM_SAMPLES, probs[i],
                                        FALSE_FAIL_RATE, num_tests=3)
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, 3)
    assert np.max(np.abs(special.softmax(probs) - probs)) > 2. * eps
    np.testing.assert_allclose(np.exp(np.asarray(d.log_prob(np.eye(3)))), probs, rtol=1e-12)


def test_regression_sample_shape_is_supported():
    """relaxit's rsample took no sample_shape."""
    d = GumbelSoftmaxTopK(SUBSET, 0.5, logits=tf.zeros([3, K]), hard=True)
    for sample_shape in [(), 7, (2, 4)]:
        x = d.sample(sample_shape, seed=(1, 2))
        expected = tuple(np.atleast_1d(sample_shape)) if sample_shape != () else ()
        assert tuple(x.shape) == expected + (3, K)


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
@pytest.mark.parametrize("temperature", [1e-3, 0.1, 0.3])
def test_regression_gradients_bounded_at_low_temperature(temperature):
    """relaxit's 1e10 masking gave |d/dlogits| ~ 1.5e9 with K = 2 at
    its default temperature 0.1. Here every Jacobian entry of the sample
    (hard or relaxed) is at most 1 / (4 temperature), checked on 2000 draws
    for K = 2 and K = 5, float32."""
    for num_categories, k in ((2, 1), (K, SUBSET)):
        for hard in (False, True):
            lg = tf.Variable(tf.zeros([2000, num_categories]))
            with tf.GradientTape(persistent=True) as tape:
                x = GumbelSoftmaxTopK(k, temperature, logits=lg, hard=hard).sample(
                    seed=(21, 22))
                rows = [x[:, i] for i in range(num_categories)]
            # Rows of the batch are independent: d x[:, i] / d lg is the i-th
            # row of each example's Jacobian.
            jac = np.stack([np.asarray(tape.gradient(r, lg)) for r in rows], axis=1)
            del tape
            assert np.all(np.isfinite(jac))
            assert np.abs(jac).max() <= (1. + 1e-5) / (4. * temperature)
            # The bound is attained in order of magnitude (not vacuous).
            assert np.abs(jac).max() > 0.01 / temperature


def test_regression_batch_shape_excludes_category_axis():
    """relaxit's batch_shape was probs.shape, category axis included."""
    d = GumbelSoftmaxTopK(SUBSET, tf.ones([4, 1]), logits=tf.zeros([3, K]))
    assert tuple(d.batch_shape) == (4, 3)
    assert tuple(d.event_shape) == (K,)
    np.testing.assert_array_equal(d.batch_shape_tensor(), [4, 3])


def test_regression_relaxed_entries_never_exceed_one():
    """relaxit's soft mode gave an entry of 1.06 (successive softmax can
    put more than one unit of mass on an element; with log(1 - a) masking it
    reached ~2 at temperature 0.3). Check many draws where the mass is
    concentrated: entries stay in [0, 1] and rows sum to k."""
    logits = np.array([3., 2.5, 0., -1., -2., 0.5])
    rng = np.random.default_rng(0)
    for t in (0.05, 0.3, 1.):
        d = GumbelSoftmaxTopK(3, tf.constant(t), logits=tf.constant(logits, tf.float32))
        x = np.asarray(d.sample(20_000, seed=(31, 32)))
        assert x.max() <= 1. and x.min() >= 0., t
        np.testing.assert_allclose(x.sum(-1), 3., atol=1e-5)
        # Power: the successive-softmax relaxation with log(1 - a) masking,
        # on the same law of keys, fails this check (entries near 2).
        keys = logits - np.log(-np.log(rng.uniform(size=(20_000, 6))))
        successive = np.zeros_like(keys)
        for _ in range(3):
            a = special.softmax(keys / t, axis=-1)
            successive += a
            keys = keys + np.log1p(-np.minimum(a, 1. - 1e-12))
        assert successive.max() > 1.5, t


@substrates.tensorflow_only("the example is written for TensorFlow (`import tensorflow`)")
def test_docstring_example_runs(monkeypatch):
    """The `#### Examples` block, run against the public path."""
    import relaxtfp
    monkeypatch.setattr(relaxtfp.distributions, "GumbelSoftmaxTopK", GumbelSoftmaxTopK,
                        raising=False)
    code = inspect.getdoc(GumbelSoftmaxTopK).split("```python\n")[1].split("```")[0]
    exec(compile(code, "<example>", "exec"), {"relaxtfp": relaxtfp})


def test_slices_and_copies_keep_k_and_hard():
    d = GumbelSoftmaxTopK(3, tf.ones([2, 1]), logits=tf.zeros([4, 6]), hard=True)
    for part in (d[0], d[:, 1:], d.copy()):
        assert part.k == 3 and part.hard
        x = np.asarray(part.sample(2, seed=(1, 2)))
        np.testing.assert_array_equal(x.sum(-1), 3.)


def test_log_prob_limited_to_moderate_k_with_clear_error():
    """The subset program costs k * 2**(k - 1); beyond k = 20 log_prob says so
    (sampling still works)."""
    d = GumbelSoftmaxTopK(21, 1., logits=tf.zeros([24]), hard=True)
    x = d.sample(seed=(1, 2))
    np.testing.assert_allclose(tf.reduce_sum(x), 21., rtol=1e-6)
    with pytest.raises(NotImplementedError, match="limited to k <= 20"):
        d.log_prob(x)


def test_zero_probabilities_are_never_chosen():
    """Categories with probability 0 get relaxed weight exactly 0, also when
    only k categories have positive probability (the relaxation is then the
    hard sample)."""
    for probs in ([0.5, 0.3, 0.2, 0., 0.], [0.6, 0., 0.4, 0., 0.]):
        d = GumbelSoftmaxTopK(SUBSET, tf.constant(0.5, tf.float64), probs=probs)
        x = np.asarray(d.sample(1000, seed=(1, 2)))
        assert np.all(np.isfinite(x))
        np.testing.assert_array_equal(x[:, np.array(probs) == 0.], 0.)
        np.testing.assert_allclose(x.sum(-1), SUBSET, atol=1e-12)


# -- extremes, boundary probabilities and the value gradient ------------------------


def plackett_luce_log_set_probability(logits, subset):
    """log P(set) as the sum over the k! orders, in log space (float64,
    reference): each factor w_i / (remaining weight) is formed as
    -logsumexp(logits[remaining] - logits[i]), so that logits of 1e30 keep
    their differences (1e30 + log 2 rounds to 1e30)."""
    logits = np.asarray(logits, np.float64)
    if np.any(np.isneginf(logits[list(subset)])):
        return -np.inf
    orders = []
    for order in itertools.permutations(subset):
        total = 0.
        for j, i in enumerate(order):
            remaining = np.delete(logits, list(order[:j]))
            total -= special.logsumexp(remaining - logits[i])
        orders.append(total)
    return special.logsumexp(orders)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_tied_huge_logits_share_the_probability(dtype):
    """logits = [1e30, 1e30, 0] with k = 1: each of the first two has
    probability 1/2 (the set probability relative to the largest logit; in
    float32 1e30 + log 2 rounds to 1e30, which gave probability 1 to each).
    With three tied logits and k = 2 each pair has probability 1/3."""
    d = GumbelSoftmaxTopK(1, tf.constant(1., dtype),
                          logits=tf.constant([1e30, 1e30, 0.], dtype), hard=True)
    np.testing.assert_allclose(np.exp(np.asarray(d.log_prob(np.eye(3)))), [0.5, 0.5, 0.],
                               rtol=1e-6, atol=0.)
    subsets, x = all_k_hot(4, 2)
    d = GumbelSoftmaxTopK(2, tf.constant(1., dtype),
                          logits=tf.constant([1e30, 1e30, 1e30, 0.], dtype), hard=True)
    expected = [1. / 3. if 3 not in s else 0. for s in subsets]
    np.testing.assert_allclose(np.exp(np.asarray(d.log_prob(tf.constant(x, dtype)))),
                               expected, rtol=1e-6, atol=0.)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_tied_huge_logits_are_sampled_evenly(dtype, seed):
    """The sampler also works relative to the largest logit: with logits
    [1e30, 1e30, 0] the first two categories are drawn with probability 1/2
    each. Hoeffding, union bound over the 3 categories, false-failure rate
    FALSE_FAIL_RATE. Power: keys 1e30 + G round to 1e30 in float32 (and in
    float64), so a sampler that adds the noise to the raw logits always
    breaks the tie to category 0, 0.5 away from 1/2, far beyond twice the
    half-width (0.011 for 100 000 draws)."""
    n = NUM_SAMPLES
    d = GumbelSoftmaxTopK(1, tf.constant(0.5, dtype),
                          logits=tf.constant([1e30, 1e30, 0.], dtype), hard=True)
    x = np.asarray(d.sample(n, seed=seed))
    for i, p in enumerate((0.5, 0.5, 0.)):
        utils.assert_proportion_matches(x[:, i].sum(), n, p, FALSE_FAIL_RATE,
                                        num_tests=3)
    assert 0.5 > 2. * utils.hoeffding_epsilon(n, FALSE_FAIL_RATE, 3)


RANDOM_AND_EXTREME_LOGITS = (
    [np.random.default_rng(3).normal(size=6) * scale for scale in (0.1, 3., 30.)]
    + [[1e30, 1e30, 0., -1e30, 5., 5.], [1e30] * 6, [-1e30, 0., 0., 1., 2., -3.],
       [50., -50., 50., -50., 0., 10.]])


@pytest.mark.parametrize("dtype,atol", [(tf.float32, 2e-6), (tf.float64, 1e-13)])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_subset_probabilities_sum_to_one_for_random_and_extreme_logits(dtype, atol, k):
    """All C(6, k) subsets, for random logits of scale 0.1 to 30 and for
    logits of +-1e30 (ties among them included): every probability is at
    most 1, they sum to 1, and each matches the order sum in log space."""
    subsets, x = all_k_hot(6, k)
    for logits in RANDOM_AND_EXTREME_LOGITS:
        d = GumbelSoftmaxTopK(k, tf.constant(1., dtype),
                              logits=tf.constant(logits, dtype), hard=True)
        lp = np.asarray(d.log_prob(tf.constant(x, dtype))).astype(np.float64)
        assert not np.any(np.isnan(lp)), logits
        p = np.exp(lp)
        assert p.max() <= 1. + atol, logits
        np.testing.assert_allclose(p.sum(), 1., rtol=0., atol=atol * len(subsets),
                                   err_msg=str(logits))
        expected = np.exp([plackett_luce_log_set_probability(
            np.asarray(logits, sub.dtype_name(dtype)), s) for s in subsets])
        np.testing.assert_allclose(p, expected, rtol=0., atol=atol, err_msg=str(logits))


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
def test_zero_probabilities_give_minus_infinity_and_finite_gradients():
    """probs with exact zeros: a set containing a category of probability 0
    has log_prob -inf (not NaN); the others are finite, equal those of the
    law on the positive categories alone, and have the same finite gradients
    with respect to the positive probs; every gradient is finite."""
    probs = tf.Variable(tf.constant([0.5, 0.3, 0.2, 0., 0.], tf.float64))
    subsets, x = all_k_hot(K, SUBSET)
    x = tf.constant(x, tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        lp = GumbelSoftmaxTopK(SUBSET, 1., probs=probs, hard=True).log_prob(x)
    jac = np.asarray(tape.jacobian(lp, probs))
    value_grad = np.asarray(tape.gradient(lp, x))
    possible = np.array([max(s) < 3 for s in subsets])
    lp = np.asarray(lp)
    assert np.all(np.isneginf(lp[~possible]))
    assert np.all(np.isfinite(jac)) and np.all(np.isfinite(value_grad))
    np.testing.assert_allclose(np.exp(lp).sum(), 1., atol=1e-14)

    reduced = tf.Variable(tf.constant([0.5, 0.3, 0.2], tf.float64))
    with tf.GradientTape() as tape:
        lp_reduced = GumbelSoftmaxTopK(SUBSET, 1., probs=reduced, hard=True).log_prob(
            x[possible][:, :3])
    np.testing.assert_allclose(lp[possible], lp_reduced, rtol=1e-13)
    np.testing.assert_allclose(jac[possible][:, :3], tape.jacobian(lp_reduced, reduced),
                               rtol=1e-12)
    np.testing.assert_array_equal(jac[~possible], 0.)

    # Exactly k positive probabilities: their set has probability 1.
    d = GumbelSoftmaxTopK(SUBSET, 1., probs=tf.constant([0.6, 0., 0.4, 0., 0.], tf.float64),
                          hard=True)
    lp = np.asarray(d.log_prob(x))
    only = [s == (0, 2) for s in subsets]
    np.testing.assert_array_equal(lp[only], 0.)
    assert np.all(np.isneginf(lp[np.logical_not(only)]))


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_straight_through_log_prob_gradients_are_finite_at_zero_probabilities(dtype):
    """The straight-through path: log_prob of the distribution's own sample,
    differentiated through the sample and the parameters, is finite when
    probs contain zeros (two zeros, and three: exactly k = 2 positive)."""
    for values in ([0.5, 0.3, 0.2, 0., 0.], [0.6, 0., 0.4, 0., 0.]):
        probs = tf.Variable(tf.constant(values, dtype))
        with tf.GradientTape() as tape:
            d = GumbelSoftmaxTopK(SUBSET, tf.constant(0.5, dtype), probs=probs, hard=True)
            lp = d.log_prob(d.sample(200, seed=(5, 6)))
            loss = tf.reduce_sum(lp)
        assert np.all(np.isfinite(np.asarray(lp))), values
        grad = np.asarray(tape.gradient(loss, probs))
        assert np.all(np.isfinite(grad)), (values, grad)


@substrates.tensorflow_only("tf.Variable parameters under a GradientTape; the contract "
                             "checks gradients on JAX")
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_log_prob_is_differentiable_in_the_value(dtype):
    """On every k-hot x, log_prob equals the set's log-probability and its
    gradient in x is log softmax(logits), floored at log(tiny) where a
    probability is 0: finite, and the same for every x."""
    logits = np.array([0.3, -1., 2., 0.5, -np.inf])
    floor = np.log(np.finfo(dtype.as_numpy_dtype).tiny)
    slope = np.maximum(special.log_softmax(logits), floor)
    for k in (1, 2, 3):
        subsets, x = all_k_hot(K, k)
        x = tf.constant(x, dtype)
        d = GumbelSoftmaxTopK(k, tf.constant(1., dtype), logits=tf.constant(logits, dtype),
                              hard=True)
        with tf.GradientTape() as tape:
            tape.watch(x)
            lp = d.log_prob(x)
        grad = tape.gradient(lp, x)
        assert grad is not None, k
        np.testing.assert_allclose(grad, np.broadcast_to(slope, x.shape), rtol=1e-6)
        expected = [plackett_luce_log_set_probability(logits, s) for s in subsets]
        np.testing.assert_allclose(lp, expected, rtol=1e-5 if dtype == tf.float32 else 1e-12)


def test_k1_and_two_categories_match_one_hot_categorical_and_bernoulli():
    """k = 1: log_prob is tfd.OneHotCategorical's sum_i x_i log p_i, on the
    one-hot vectors and off them (its gradient in x, log p, is checked in
    `test_log_prob_is_differentiable_in_the_value`). K = 2, k = 1 and
    x = (1 - b, b): log_prob is tfd.Bernoulli(logits=l_1 - l_0)'s,
    b * logit - softplus(logit), and its gradient in b is logit. (The
    gradient is compared with the closed form: TFP's Bernoulli on JAX
    differentiates its log_prob in a fractional b to other values.)"""
    logits = tf.constant([[0.3, -1., 2., 0.5, -0.2]], tf.float64)
    x = np.concatenate([np.eye(K), [[0.2, 0.1, 0.4, 0.2, 0.1]]])
    np.testing.assert_allclose(
        GumbelSoftmaxTopK(1, 0.7, logits=logits, hard=True).log_prob(x),
        tfd.OneHotCategorical(logits=logits, dtype=tf.float64).log_prob(x), rtol=1e-12)

    pair = tf.constant([0.4, -1.1], tf.float64)
    b = tf.constant([0., 1., 0.3], tf.float64)

    def log_prob(b):
        return GumbelSoftmaxTopK(1, 0.7, logits=pair, hard=True).log_prob(
            tf.stack([1. - b, b], axis=-1))

    np.testing.assert_allclose(
        log_prob(b), tfd.Bernoulli(logits=pair[1] - pair[0], dtype=tf.float64).log_prob(b),
        rtol=1e-12)
    # Each entry depends on its own b only: the gradient of the sum is the
    # elementwise derivative.
    (grad,) = sub.gradients(lambda b: tf.reduce_sum(log_prob(b)), b)
    np.testing.assert_allclose(grad, np.full(3, -1.1 - 0.4), rtol=1e-12)


@substrates.tensorflow_only("tfp.vi.fit_surrogate_posterior trains a tf.Variable with a Keras "
                             "optimizer")
def test_variational_inference_with_straight_through_samples_reaches_the_target():
    """tfp.vi.fit_surrogate_posterior: a GumbelSoftmaxTopK(hard=True)
    surrogate with trainable logits, fitted to a GumbelSoftmaxTopK(hard=True)
    target by the reverse KL of straight-through samples. The ELBO's
    gradient comes through log q(z) and log p(z) at the sample, so the logits
    (centred: the law ignores a common shift) move at least halfway to the
    target's in 200 SGD steps (they reach about 5% of the initial distance
    with these seeds). Without a gradient of log_prob in the value only the
    score of q remains, whose mean is zero: the logits wander near 0."""
    import keras

    target = np.array([1.5, 0.5, 0., -0.5, -1.5])
    logits = tf.Variable(tf.zeros(K, tf.float64))
    temperature = tf.constant(0.5, tf.float64)
    surrogate = GumbelSoftmaxTopK(SUBSET, temperature, logits=logits, hard=True)
    posterior = GumbelSoftmaxTopK(SUBSET, temperature, logits=tf.constant(target),
                                  hard=True)
    tfp.vi.fit_surrogate_posterior(posterior.log_prob, surrogate,
                                   optimizer=keras.optimizers.SGD(0.1), num_steps=200,
                                   sample_size=16, seed=(1, 2))

    def centred(v):
        return np.asarray(v) - np.mean(v)

    start = np.linalg.norm(centred(target))
    end = np.linalg.norm(centred(np.asarray(logits)) - centred(target))
    assert end <= 0.5 * start, (np.asarray(logits), end / start)


@substrates.tensorflow_only("shapes unknown until run time (a tf.function input signature); "
                             "JAX traces static shapes")
def test_value_with_the_wrong_event_size_raises():
    """A value whose last axis is not K raises ValueError naming the rule
    (statically), or InvalidArgumentError under validate_args (at run time),
    instead of broadcasting a last axis of 1 or failing inside the program."""
    d = GumbelSoftmaxTopK(SUBSET, 0.5, logits=tf.zeros([2, K]), hard=True)
    for value in (tf.ones([2, K - 1]), tf.ones([2, 1]), tf.ones([K + 1])):
        with pytest.raises(ValueError, match=r"Argument `value` of `log_prob` must "
                           r"have K = 5 entries on its last axis"):
            d.log_prob(value)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def log_prob(value):
        return GumbelSoftmaxTopK(SUBSET, 0.5, logits=tf.zeros([2, K]), hard=True,
                                 validate_args=True).log_prob(value)

    assert log_prob(tf.constant([[1., 1., 0., 0., 0.]] * 2)).shape == (2,)
    with pytest.raises(sub.validation_error,
                       match=r"Argument `value` of `log_prob` must have K entries"):
        log_prob(tf.ones([2, 1]))


# -- discrete_law ---------------------------------------------------------------------


def test_discrete_law_is_the_hard_subset_law():
    logits = np.array([0.3, -1.2, 1., 0.1, 2.])
    d = GumbelSoftmaxTopK(2, 0.5, logits=logits, validate_args=True)
    law = d.discrete_law()
    assert isinstance(law, GumbelSoftmaxTopK) and law.hard and not d.hard
    assert law.k == 2 and law.validate_args and law.dtype == d.dtype
    np.testing.assert_array_equal(law.logits, logits)
    subsets = np.array([[float(i in s) for i in range(5)]
                        for s in itertools.combinations(range(5), 2)])
    np.testing.assert_allclose(np.exp(law.log_prob(subsets)).sum(), 1., rtol=1e-12)
