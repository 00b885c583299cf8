"""Tests for relaxtfp.distributions.StraightThroughRelaxedBernoulli."""

import importlib

import numpy as np
import pytest
from scipy import special

from tests import substrates
from tests import utils
from tests.distributions.contract import DistributionContract

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
tfd = sub.tfd
StraightThroughBernoulli = sub.rtd.StraightThroughBernoulli
StraightThroughRelaxedBernoulli = sub.rtd.StraightThroughRelaxedBernoulli
noise = importlib.import_module(f"{sub.rtfp.__name__}.internal.noise")

NUM_SAMPLES = 400_000
FALSE_FAIL_RATE = 1e-6
# The frequency tests must detect an error of this size in a probability.
DETECTABLE_ERROR = 0.01

TEMPERATURES = (1e-3, 1e-2, 1., 1e2, 1e3)


class TestStraightThroughRelaxedBernoulliContract(DistributionContract):

    def make(self, dtype):
        return StraightThroughRelaxedBernoulli(
            temperature=tf.constant([[0.5], [2.]], dtype),
            logits=tf.constant([-1., 0., 1.5], dtype))

    def make_iid(self, n, dtype):
        return StraightThroughRelaxedBernoulli(
            temperature=tf.constant(0.7, dtype), logits=tf.zeros([n], dtype))

    def extreme_cases(self, dtype):
        # `log_prob` does not depend on `temperature`, so its gradient there
        # is None by design; the temperature gradient of samples at these
        # extremes is checked in `test_temperature_gradient_finite_at_extremes`.
        return [(lambda lg, t=t: StraightThroughRelaxedBernoulli(t, logits=lg),
                 [tf.constant([-50., -5., 0., 5., 50.], dtype)])
                for t in TEMPERATURES]

    def parameters(self, dtype):
        # As in `extreme_cases`, only the logits: the contract also takes the
        # gradient of `log_prob`, which has none with respect to the
        # temperature. The temperature gradient of samples is checked in
        # `test_pathwise_gradients_are_binary_concrete`.
        temperature = tf.constant([[0.5], [2.]], dtype)
        return (lambda lg: StraightThroughRelaxedBernoulli(temperature, logits=lg),
                [tf.constant([-1., 0., 1.5], dtype)])


# -- analytic values ----------------------------------------------------------


LOGITS = np.array([-30., -4., -0.5, 0., 0.3, 2., 17., 40.])


@pytest.mark.parametrize("temperature", [0.1, 1., 10.])
def test_log_prob_is_bernoulli_of_forward_value(temperature):
    """`log_prob` scores the hard value under Bernoulli(sigmoid(logits)),
    whatever the temperature; relaxed values are off its support."""
    d = StraightThroughRelaxedBernoulli(tf.constant(temperature, tf.float64),
                                        logits=tf.constant(LOGITS, tf.float64))
    np.testing.assert_allclose(d.log_prob(np.ones(8)), special.log_expit(LOGITS),
                               rtol=1e-12)
    np.testing.assert_allclose(d.log_prob(np.zeros(8)), special.log_expit(-LOGITS),
                               rtol=1e-12)
    p = special.expit(LOGITS)
    np.testing.assert_allclose(d.mean(), p, rtol=1e-12)
    np.testing.assert_allclose(d.variance(), p * special.expit(-LOGITS), rtol=1e-12)
    log_p1, log_p0 = special.log_expit(LOGITS), special.log_expit(-LOGITS)
    np.testing.assert_allclose(d.entropy(), -(np.exp(log_p1) * log_p1
                                              + np.exp(log_p0) * log_p0), rtol=1e-10)
    np.testing.assert_array_equal(d.mode(), (LOGITS > 0).astype(np.float64))
    # Off {0, 1}, the Bernoulli log-pmf extended linearly in the value (as
    # tfd.Bernoulli does), not the density of the relaxed value, which is
    # tfd.RelaxedBernoulli's.
    np.testing.assert_allclose(d.log_prob(np.full(8, 0.3)), 0.3 * log_p1 + 0.7 * log_p0,
                               rtol=1e-12)
    relaxed = tfd.RelaxedBernoulli(tf.constant(temperature, tf.float64),
                                   logits=tf.constant(LOGITS, tf.float64))
    assert not np.allclose(relaxed.log_prob(np.full(8, 0.3)), d.log_prob(np.full(8, 0.3)))


def test_probs_and_logits_parameterizations_agree():
    a = StraightThroughRelaxedBernoulli(0.5, logits=tf.constant(0.4, tf.float64))
    b = StraightThroughRelaxedBernoulli(
        0.5, probs=tf.constant(special.expit(0.4), tf.float64))
    np.testing.assert_allclose(a.log_prob([0., 1.]), b.log_prob([0., 1.]), rtol=1e-12)
    np.testing.assert_allclose(b.logits_parameter(), 0.4, rtol=1e-12)
    np.testing.assert_array_equal(a.sample(100, seed=(1, 2)),
                                  b.sample(100, seed=(1, 2)))


# -- forward values are exactly 0 and 1 ------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_forward_values_are_exactly_zero_or_one(dtype, mode):
    temperature = tf.constant([[1e-3], [0.3], [1.], [7.], [1e3]], dtype)
    logits = tf.constant(np.linspace(-5., 5., 41), dtype)

    def run():
        return StraightThroughRelaxedBernoulli(temperature, logits=logits).sample(
            500, seed=(3, 4))

    x = np.asarray(run() if mode == "eager" else sub.xla(run)())
    assert set(np.unique(x)) == {0., 1.}


def test_hard_value_is_decided_on_the_logistic_not_on_rounded_soft():
    """At temperature 1e3 in float32, sigmoid(y / 1e3) rounds to exactly 1/2
    for 0 < y < ~1e-4; those samples must still be 1 (y > 0)."""
    temperature, n = 1e3, 1_000_000
    d = StraightThroughRelaxedBernoulli(tf.constant(temperature, tf.float32),
                                        logits=tf.constant(0., tf.float32))
    seed = (21, 22)
    x = np.asarray(d.sample(n, seed=seed))
    y = np.asarray(noise.logistic([n], seed=seed, dtype=tf.float32))
    soft = np.asarray(tf.math.sigmoid(tf.constant(y) / temperature))
    rounded = (soft == 0.5) & (y > 0.)
    assert rounded.sum() > 5
    np.testing.assert_array_equal(x[rounded], 1.)
    np.testing.assert_array_equal(x, (y > 0.).astype(np.float32))


# -- gradients -------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.1, 0.7, 5.])
def test_pathwise_gradients_are_binary_concrete(temperature):
    """With the noise L of the same seed, per element:
    d sample / d logits = soft (1 - soft) / t and
    d sample / d t = -soft (1 - soft) (logits + L) / t^2."""
    logits_np = np.array([-1.5, 0., 0.8, 3.])
    seed, n = (11, 12), 6
    logits = tf.constant(logits_np, tf.float64)
    t = tf.constant(temperature, tf.float64)

    def sample(t, lg):
        return StraightThroughRelaxedBernoulli(t, logits=lg).sample(n, seed=seed)

    z = sample(t, logits)
    jac_logits = np.asarray(sub.jacobian(lambda lg: sample(t, lg), logits))  # [n, 4, 4]
    jac_t = np.asarray(sub.jacobian(lambda tt: sample(tt, logits), t))       # [n, 4]
    y = logits_np + np.asarray(noise.logistic([n, 4], seed=seed, dtype=tf.float64))
    np.testing.assert_array_equal(np.asarray(z), (y > 0.).astype(np.float64))
    ds = special.expit(y / temperature) * special.expit(-y / temperature)
    # TF differentiates sigmoid as soft * (1 - soft) with soft rounded, so
    # near saturation the gradient carries an absolute error of ~eps.
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(
        jac_logits, np.einsum("ij,jk->ijk", ds / temperature, np.eye(4)),
        rtol=1e-10, atol=4. * eps / temperature)
    np.testing.assert_allclose(jac_t, -ds * y / temperature ** 2, rtol=1e-10,
                               atol=4. * eps * np.abs(y).max() / temperature ** 2)


def test_gradient_equals_relaxed_bernoulli_mean_gradient_in_expectation(seed):
    """The backward pass is the binary Concrete pathwise gradient, so its
    average is d/dlogits E[soft], with E[soft] the integral of
    sigmoid((logits + w) / t) against the logistic density (trapezoid rule)
    and the derivative by central differences. CLT test at FALSE_FAIL_RATE."""
    n, temperature, lg = 100_000, 0.5, 0.6
    logits = tf.fill([n], tf.constant(lg, tf.float64))
    (per_sample,) = sub.gradients(lambda v: tf.reduce_sum(StraightThroughRelaxedBernoulli(
        tf.constant(temperature, tf.float64), logits=v).sample(seed=seed)), logits)
    per_sample = np.asarray(per_sample)

    def mean_soft(lgt):
        w = np.linspace(-60., 60., 200_001)          # logistic variable grid
        dens = special.expit(w) * special.expit(-w)  # logistic density
        return np.trapezoid(special.expit((lgt + w) / temperature) * dens, w)

    h = 1e-5
    exact = (mean_soft(lg + h) - mean_soft(lg - h)) / (2. * h)
    utils.assert_mean_within_clt(per_sample, exact, FALSE_FAIL_RATE)


def test_temperature_gradient_finite_at_extremes():
    def total(t, lg):
        return tf.reduce_sum(
            StraightThroughRelaxedBernoulli(t, logits=lg).sample(200, seed=(1, 2)))

    for dtype in ("float32", "float64"):
        for temp in TEMPERATURES:
            t = tf.constant(temp, dtype)
            logits = tf.constant([-50., -5., 0., 5., 50.], dtype)
            g_t, g_l = sub.gradients(total, t, logits)
            assert np.isfinite(np.asarray(g_t)), (dtype, temp)
            assert np.all(np.isfinite(np.asarray(g_l))), (dtype, temp)


# -- probabilities exactly 0 and 1, and KL divergences ------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("temperature", [0.1, 1., 10.])
def test_boundary_probs_give_exact_values_and_finite_gradients(dtype, temperature):
    """probs 0 and 1 give logits -+inf; the hard value is still decided on
    them (never 1, always 1), and every gradient is finite: the relaxation's
    is taken at a point just inside (see relaxtfp.internal.numerics.
    into_open_unit), with its finite temperature gradient."""
    probs = tf.constant([0., 1.], dtype)
    t = tf.constant(temperature, dtype)

    def quantities(p, t):
        d = StraightThroughRelaxedBernoulli(t, probs=p)
        x = d.sample(200, seed=(1, 2))
        return dict(x=x, lp_sample=d.log_prob(x), entropy=d.entropy(),
                    kl=tfd.kl_divergence(d, tfd.Bernoulli(probs=tf.constant(0.5, dtype))),
                    mean=d.mean(), variance=d.variance())

    q = quantities(probs, t)
    np.testing.assert_array_equal(q["x"], np.tile([0., 1.], (200, 1)))
    np.testing.assert_array_equal(q["lp_sample"], np.zeros((200, 2)))
    np.testing.assert_array_equal(q["entropy"], [0., 0.])
    np.testing.assert_allclose(q["kl"], [np.log(2.)] * 2, rtol=1e-6)
    for name in q:
        grads = sub.gradients(
            lambda p, t, name=name: tf.reduce_sum(quantities(p, t)[name]), probs, t)
        for g in grads:
            # None (TensorFlow) where a quantity does not depend on t.
            assert g is None or np.all(np.isfinite(np.asarray(g))), name


def test_kl_divergence_ignores_temperature_and_matches_bernoulli():
    """The forward law is Bernoulli(p) at every temperature, so KL against
    another straight-through relaxed Bernoulli (any temperature), a
    StraightThroughBernoulli or a tfd.Bernoulli is the Bernoulli KL."""
    a_logits = tf.constant([-3., 0.2, 1., 8.], tf.float64)
    b_probs = tf.constant([0.5, 0.9, 0.01, 1.], tf.float64)
    a = StraightThroughRelaxedBernoulli(tf.constant(0.1, tf.float64), logits=a_logits)
    expected = tfd.kl_divergence(tfd.Bernoulli(logits=a_logits[:3]),
                                 tfd.Bernoulli(probs=b_probs[:3]))
    for b in (StraightThroughRelaxedBernoulli(tf.constant(5., tf.float64), probs=b_probs),
              StraightThroughBernoulli(probs=b_probs),
              tfd.Bernoulli(probs=b_probs)):
        kl = np.asarray(tfd.kl_divergence(a, b))
        np.testing.assert_allclose(kl[:3], expected, rtol=1e-12)
        assert kl[3] == np.inf          # b excludes the 0 that a allows.
    reverse = tfd.kl_divergence(StraightThroughBernoulli(probs=b_probs), a)
    np.testing.assert_allclose(
        reverse, tfd.kl_divergence(tfd.Bernoulli(probs=b_probs),
                                   tfd.Bernoulli(logits=a_logits)), rtol=1e-12)


# -- statistics ------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.1, 10.])
def test_frequencies_match_log_prob(temperature, seed):
    """Frequencies of 1 against exp(log_prob(1)), per element, at a small
    and a large temperature (the forward law does not depend on it).

    Hoeffding, union-bounded over the 5 logits: false-failure rate
    FALSE_FAIL_RATE. Power: an error of DETECTABLE_ERROR >= 2 eps in a
    probability would be rejected with probability >= 1 - FALSE_FAIL_RATE.
    """
    logits = np.array([-5., -1., 0., 0.7, 3.])
    eps = utils.hoeffding_epsilon(NUM_SAMPLES, FALSE_FAIL_RATE, num_tests=5)
    assert 2. * eps <= DETECTABLE_ERROR
    d = StraightThroughRelaxedBernoulli(tf.constant(temperature, tf.float64),
                                        logits=tf.constant(logits, tf.float64))
    x = np.asarray(d.sample(NUM_SAMPLES, seed=seed))
    assert np.all((x == 0.) | (x == 1.))
    p1 = np.exp(np.asarray(d.log_prob(np.ones(5))))
    np.testing.assert_allclose(p1 + np.exp(np.asarray(d.log_prob(np.zeros(5)))), 1.,
                               rtol=1e-12)
    for j in range(5):
        utils.assert_proportion_matches((x[:, j] == 1.).sum(), NUM_SAMPLES, p1[j],
                                        FALSE_FAIL_RATE, num_tests=5)


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    (dict(temperature=0., logits=0.), "Argument `temperature` must be positive."),
    (dict(temperature=-1., logits=0.), "Argument `temperature` must be positive."),
    (dict(temperature=1., probs=1.5),
     "Argument `probs` must be in [0, 1]; it has components greater than 1."),
    (dict(temperature=1., probs=-0.1),
     "Argument `probs` must be in [0, 1]; it has components less than 0."),
])
def test_invalid_parameters_raise(kwargs, message):
    with pytest.raises(sub.validation_error,
                       match=message.replace("[", r"\[").replace("]", r"\]")):
        StraightThroughRelaxedBernoulli(validate_args=True, **kwargs)


@substrates.tensorflow_only("assigns to a tf.Variable parameter")
def test_invalid_variable_assignment_is_caught():
    t = tf.Variable(1.)
    d = StraightThroughRelaxedBernoulli(t, logits=0., validate_args=True)
    d.sample(seed=(1, 2))
    t.assign(0.)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="`temperature` must be positive"):
        d.sample(seed=(1, 2))


def test_logits_and_probs_are_exclusive():
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        StraightThroughRelaxedBernoulli(1., logits=0., probs=0.5)
    with pytest.raises(ValueError, match="exactly one of `logits` or `probs`"):
        StraightThroughRelaxedBernoulli(1.)


def test_log_prob_validates_support():
    d = StraightThroughRelaxedBernoulli(1., logits=0., validate_args=True)
    with pytest.raises(sub.validation_error, match="Sample must be 0 or 1."):
        d.log_prob(0.3)


# -- regressions for defects of the reference library, relaxit ----------------------


def test_regression_no_shared_noise_across_batch():
    """relaxit shared one noise draw across the batch in several
    relaxations. With a scalar temperature and logits, all 12 elements of a
    (3, 4) batch must get their own noise (their gradients differ)."""
    logits = tf.zeros([3, 4])
    (g,) = sub.gradients(lambda lg: tf.reduce_sum(
        StraightThroughRelaxedBernoulli(0.5, logits=lg).sample(seed=(1, 2))), logits)
    g = np.asarray(g)
    assert len(np.unique(g)) == 12


def test_regression_float64_is_kept():
    """relaxit forced float32 with `.float()` on temperatures."""
    d = StraightThroughRelaxedBernoulli(tf.constant(0.5, tf.float64), logits=0.)
    assert sub.dtype_name(d.sample(seed=(1, 2)).dtype) == "float64"
    assert sub.dtype_name(d.mean().dtype) == "float64"


# -- discrete_law ---------------------------------------------------------------------


def test_discrete_law_is_the_forward_bernoulli_with_the_batch_shape():
    d = StraightThroughRelaxedBernoulli(
        temperature=np.float32([[0.1], [1.], [10.]]), logits=np.float32([-2., 0., 3.]))
    law = d.discrete_law()
    assert isinstance(law, tfd.Bernoulli)
    assert tuple(law.batch_shape) == tuple(d.batch_shape) == (3, 3)
    np.testing.assert_allclose(law.probs_parameter(), np.broadcast_to(
        special.expit(np.float32([-2., 0., 3.])), [3, 3]), rtol=1e-6)
    law = StraightThroughRelaxedBernoulli(0.5, probs=[0., 1.]).discrete_law()
    np.testing.assert_array_equal(law.probs_parameter(), [0., 1.])


@pytest.mark.parametrize("temperature", [1e-6, 1e6])
def test_surrogate_gradients_finite_where_the_sigmoid_saturates(temperature):
    """Logits of +-1e30: `logits / temperature` overflows, and a plain
    sigmoid's temperature gradient would be 0 * inf = NaN."""
    logits = tf.constant([1e30, -1e30, 0.])
    t = tf.constant(temperature)

    def loss(lg, t):
        x = StraightThroughRelaxedBernoulli(t, logits=lg).sample(50, seed=(1, 2))
        return tf.reduce_sum(x * tf.constant([1., 2., 3.]))

    for grad in sub.gradients(loss, logits, t):
        assert np.all(np.isfinite(np.asarray(grad))), grad
