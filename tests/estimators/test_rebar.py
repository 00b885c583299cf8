"""Tests for the REBAR and RELAX estimators (relaxtfp.estimators.rebar).

Unbiasedness is tested against exact gradients computed by enumerating
every outcome (`tests/estimators/exact.py`): R independent estimates, a
z-test per gradient coordinate with a union (Bonferroni) bound over
coordinates, so a correct estimator fails with probability <=
FALSE_FAIL_RATE (normal approximation of a mean of R i.i.d. draws). Power:
`exact.assert_unbiased` also asserts that twice the half-width is at most
10% of the exact gradient's norm, so a bias of that size would be rejected
with probability >= 1 - FALSE_FAIL_RATE.
"""

import importlib
import inspect
import re

import numpy as np
import pytest
from scipy import special

from tests import substrates
from tests import utils
from tests.estimators import exact

sub = substrates.current()
tf = sub.tf
rebar, relax = sub.estimators.rebar, sub.estimators.relax
relax_control_variate = sub.estimators.relax_control_variate
noise = sub.module("internal.noise")

NUM_REPLICAS = 200_000
FALSE_FAIL_RATE = 1e-6

TARGET = 0.45
TOY_LOGITS = exact.BERNOULLI_LOGITS


def _toy_f(b):
    return (b - tf.constant(TARGET, b.dtype)) ** 2


def _toy_gradient():
    return exact.toy_gradient(TOY_LOGITS, np.full(3, TARGET))


def _surrogate_only(estimator):
    """`exact.estimator_replicas` differentiates a single scalar."""
    return lambda *args, **kwargs: estimator(*args, **kwargs)[0]


def _problem(categorical):
    if categorical:
        return tf.constant(exact.CATEGORICAL_LOGITS), exact.categorical_f
    return tf.constant(exact.BERNOULLI_LOGITS), exact.bernoulli_f


class _Network:
    """A small MLP c(z) = w2 . tanh(W1 z + b1), z flattened per sample: a
    learned-looking correction for RELAX's control variate. Its parameters
    `params = [W1, b1, w2]` (random, fixed) are used by `__call__`;
    `apply(params, z)` takes them explicitly, to differentiate with respect
    to them on either substrate."""

    def __init__(self, size, seed, dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.params = [tf.constant(x.astype(dtype)) for x in (
            rng.normal(size=(size, 8)) * 0.7, rng.normal(size=8) * 0.3,
            rng.normal(size=8))]

    @staticmethod
    def apply(params, z):
        w1, b1, w2 = params
        flat = tf.reshape(z, [-1, w1.shape[0]])
        return tf.linalg.matvec(tf.tanh(flat @ w1 + b1), w2)

    def __call__(self, z):
        return self.apply(self.params, z)


def test_exact_toy_gradient_closed_form():
    _, grad, _ = exact.exact_gradients(_toy_f, tf.constant(TOY_LOGITS))
    p = special.expit(TOY_LOGITS)
    np.testing.assert_allclose(grad, p * (1 - p) * (1 - 2 * TARGET), rtol=1e-12)


# -- unbiasedness ----------------------------------------------------------------


@pytest.mark.parametrize("temperature,scale,num_samples",
                         [(0.1, 1., 4), (0.5, 1., 1), (2., 0.3, 1)])
def test_rebar_toy_problem_unbiased(temperature, scale, num_samples, seed):
    """E[(b - 0.45)^2] elementwise; exact gradient sigma(1 - sigma)(1 - 2t)."""
    _, grads, _ = exact.estimator_replicas(
        _surrogate_only(rebar), _toy_f, tf.constant(TOY_LOGITS), NUM_REPLICAS,
        seed, num_samples=num_samples, temperature=temperature, scale=scale)
    exact.assert_unbiased(grads, _toy_gradient(), FALSE_FAIL_RATE)


@pytest.mark.parametrize("categorical", [False, True])
@pytest.mark.parametrize("temperature,scale", [(0.3, 1.), (1.5, 0.6)])
def test_rebar_nonlinear_problem_unbiased(categorical, temperature, scale, seed):
    """A joint nonlinear f of 3 Bernoullis, or of 2 categoricals with K = 3
    (unnormalized logits, shifted by +3)."""
    logits, f = _problem(categorical)
    _, grad, _ = exact.exact_gradients(f, logits, categorical)
    _, grads, _ = exact.estimator_replicas(
        _surrogate_only(rebar), f, logits, NUM_REPLICAS // 4, seed,
        categorical=categorical, temperature=temperature, scale=scale)
    exact.assert_unbiased(grads, grad, FALSE_FAIL_RATE)


@pytest.mark.parametrize("categorical", [False, True])
def test_relax_with_a_network_control_variate_unbiased(categorical, seed):
    """RELAX with c = eta f(relaxed(z)) + MLP(z), random MLP weights."""
    logits, f = _problem(categorical)
    _, grad, _ = exact.exact_gradients(f, logits, categorical)
    num = NUM_REPLICAS // 4
    net = _Network(int(np.prod(logits.shape)), seed=3)
    c = relax_control_variate(f, temperature=0.7, scale=0.8, network=net,
                              categorical=categorical)
    c_rep = exact.replicate(c, logits.shape, num)
    _, grads, _ = exact.estimator_replicas(
        _surrogate_only(relax), f, logits, num, seed, categorical=categorical,
        control_variate=c_rep, num_samples=2)
    exact.assert_unbiased(grads, grad, FALSE_FAIL_RATE)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_relax_toy_problem_unbiased_with_a_network_only(jit_compile, seed):
    """REBAR's control variate plus an MLP applied to each coordinate's own
    z (f is elementwise, so c must be too) keeps it unbiased, also when
    compiled with XLA."""
    num = NUM_REPLICAS // 2
    net = _Network(1, seed=5)
    c = relax_control_variate(
        _toy_f, temperature=0.5,
        network=lambda z: 0.05 * tf.reshape(net(z[..., None]), z.shape))
    c_rep = exact.replicate(c, [3], num)
    _, grads, _ = exact.estimator_replicas(
        _surrogate_only(relax), _toy_f, tf.constant(TOY_LOGITS), num, seed,
        control_variate=c_rep, num_samples=2, jit_compile=jit_compile)
    exact.assert_unbiased(grads, _toy_gradient(), FALSE_FAIL_RATE)


def test_gradient_to_variables_inside_f_is_pathwise_and_unbiased(seed):
    """Decoder-like variables used by f get mean(df/dphi) at the discrete
    samples (not through the relaxed evaluations)."""
    phi0 = np.array([0.2, -0.4, 0.7])
    logits = tf.constant(exact.BERNOULLI_LOGITS)
    f = lambda b, phi: tf.reduce_sum((b - phi) ** 2, -1)  # noqa: E731
    _, _, (phi_grad,) = exact.exact_gradients(f, logits, params=[phi0])
    num = NUM_REPLICAS // 10
    _, _, (phi_grads,) = exact.estimator_replicas(
        _surrogate_only(rebar), f, logits, num, seed,
        params=[np.tile(phi0, [num, 1])], replicated=True, num_samples=2)
    exact.assert_unbiased(phi_grads, phi_grad, FALSE_FAIL_RATE)


# -- the estimator's structure ---------------------------------------------------


@pytest.mark.parametrize("categorical", [False, True])
def test_rebar_is_relax_with_the_rebar_control_variate(categorical, seed):
    logits, f = _problem(categorical)
    lam = tf.constant(0.4, dtype=tf.float64)
    eta = tf.constant(0.9, dtype=tf.float64)
    results = []
    for use_relax in (False, True):
        def both(logits, lam, eta, use_relax=use_relax):
            if use_relax:
                c = relax_control_variate(f, temperature=lam, scale=eta,
                                          categorical=categorical)
                return relax(f, logits, seed=seed, num_samples=3,
                             control_variate=c, categorical=categorical)
            return rebar(f, logits, seed=seed, num_samples=3,
                         temperature=lam, scale=eta, categorical=categorical)
        loss, (logits_grad, _, _) = sub.value_and_gradient(
            lambda *a: both(*a)[0], logits, lam, eta)
        var, cv_grads = sub.value_and_gradient(
            lambda logits, *cv: both(logits, *cv)[1], logits, lam, eta)
        results.append([loss, var, logits_grad] + list(cv_grads[1:]))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_surrogate_value_is_the_sample_mean_and_has_no_cv_gradient(seed):
    logits = tf.constant([[0.3, -0.2], [1.0, 0.5]], tf.float64)
    seen = []

    def f(b):
        seen.append(b)
        return tf.reduce_sum(b, axis=-1) * 2. + 1.   # [n, 2]: prefix [2].

    value, (lam_grad,) = sub.value_and_gradient(
        lambda lam: rebar(f, logits, seed=seed, num_samples=3,
                          temperature=lam)[0], tf.constant(0.5, tf.float64))
    # No gradient: None on TensorFlow, a zero on JAX.
    assert lam_grad is None or np.asarray(lam_grad) == 0.
    hard = np.asarray(seen[0])
    assert set(np.unique(hard)) <= {0., 1.}
    np.testing.assert_allclose(
        value, np.sum(np.mean(np.asarray(f(seen[0])), 0)), rtol=1e-14)


def test_variance_objective_gradient_matches_finite_differences(seed):
    """Double backprop: d/d(lambda, eta) of sum(grad^2), noise held fixed,
    against central differences; finite and non-zero."""
    logits = tf.constant(exact.BERNOULLI_LOGITS)

    def objective(lam, eta):
        return rebar(exact.bernoulli_f, logits, seed=seed, num_samples=8,
                     temperature=lam, scale=eta)[1]

    lam = tf.constant(0.6, dtype=tf.float64)
    eta = tf.constant(0.8, dtype=tf.float64)
    g_lam, g_eta = sub.gradients(objective, lam, eta)
    h = 1e-6
    fd_lam = (objective(0.6 + h, 0.8) - objective(0.6 - h, 0.8)) / (2 * h)
    fd_eta = (objective(0.6, 0.8 + h) - objective(0.6, 0.8 - h)) / (2 * h)
    np.testing.assert_allclose(g_lam, fd_lam, rtol=1e-5)
    np.testing.assert_allclose(g_eta, fd_eta, rtol=1e-5)
    assert abs(np.asarray(g_lam)) > 1e-6 and abs(np.asarray(g_eta)) > 1e-6


def test_relax_network_variables_get_variance_gradients(seed):
    logits, f = _problem(True)
    net = _Network(6, seed=1)

    def variance(*params):
        c = relax_control_variate(
            f, temperature=0.5, network=lambda z: net.apply(params, z),
            categorical=True)
        return relax(f, logits, seed=seed, num_samples=4, categorical=True,
                     control_variate=c)[1]

    for g in sub.gradients(variance, *net.params):
        g = np.asarray(g)
        assert np.all(np.isfinite(g)) and np.any(g != 0.)


def test_minimizing_the_variance_objective_reduces_the_variance():
    """Toy problem, t = 0.45, REBAR from temperature 0.1 and scale 1: 20 Adam
    steps on (log temperature, scale), each on the variance objective of
    2000 replicas, then the variance of the estimator (summed over the 3
    coordinates) is measured on 100000 fresh replicas before and after.

    Measured: about 0.22 before and about 0.05 after. The sample variance of
    1e5 draws is within a few percent of the true one (its relative
    standard error is sqrt((kurtosis - 1) / n) < 2% here), so the assertion
    `after < 0.5 * before` leaves a wide margin."""
    logits = tf.constant(TOY_LOGITS)
    params = np.array([np.log(0.1), 1.0])        # log temperature, scale.
    train = 2000

    @sub.function
    def gradient(params, seed):
        tiled = tf.tile(logits[None], [train, 1])

        def variance(params):
            return rebar(exact.replicate(_toy_f, [3], train), tiled,
                         seed=seed, temperature=tf.exp(params[0]),
                         scale=params[1])[1]
        return sub.gradients(variance, params)[0]

    def measured_variance():
        _, grads, _ = exact.estimator_replicas(
            _surrogate_only(rebar), _toy_f, logits, 100_000, (9, 9),
            temperature=np.exp(params[0]), scale=params[1])
        return grads.var(axis=0).sum()

    before = measured_variance()
    m = v = np.zeros(2)                          # Adam, learning rate 0.1.
    for i in range(20):
        g = np.asarray(gradient(tf.constant(params), sub.seed(i, 17)))
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g ** 2
        m_hat, v_hat = m / (1. - 0.9 ** (i + 1)), v / (1. - 0.999 ** (i + 1))
        params = params - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-7)
    after = measured_variance()
    print(f"\nvariance {before:.4f} -> {after:.4f}; temperature "
          f"{np.exp(params[0]):.3f}, scale {params[1]:.3f}")
    assert after < 0.5 * before


# -- the conditional Gumbel sampler --------------------------------------------------


def _max_cdf(x, log_z):
    """P(max_k z_k <= x) = exp(-exp(log Z - x)), whatever the argmax."""
    return np.exp(-np.exp(log_z - x))


def _other_cdf(x, logits, j, k):
    """P(z_j <= x | argmax z = k), z = logits + Gumbel, for j != k:
    exp(-Z e^-x) + (exp(-e^(logits_j - x)) - exp(-Z e^-x)) / (1 - pi_j)."""
    z_sum = np.exp(logits).sum()
    pi_j = np.exp(logits[j]) / z_sum
    a = np.exp(-z_sum * np.exp(-x))
    return a + (np.exp(-np.exp(logits[j] - x)) - a) / (1. - pi_j)


@pytest.mark.parametrize("shift", [0., 5.])
def test_conditional_gumbel_has_the_exact_conditional_law(shift, seed):
    """DKWM of each coordinate of z_tilde | argmax = k against the exact
    conditional CDFs, for unnormalized logits (sum exp != 1), false-failure
    rate FALSE_FAIL_RATE over the 3 coordinates (union bound). Power: each
    test rejects a location error of 0.2 in its coordinate's law."""
    logits = np.array([0.5, -1.0, 0.2]) + shift
    k = 1
    n = 100_000
    one_hot = tf.constant(np.eye(3)[[k] * n])
    v = noise.uniform([n, 3], seed=seed, dtype=tf.float64)
    z = np.asarray(noise.conditional_gumbel(tf.constant(logits), one_hot, v))
    assert np.all(z.argmax(-1) == k)
    log_z = special.logsumexp(logits)
    rate = FALSE_FAIL_RATE / 3.
    grid = np.linspace(log_z - 8., log_z + 12., 801)
    cdfs = {k: _max_cdf(grid, log_z)}
    wrong = {k: _max_cdf(grid, log_z + 0.2)}
    for j in (0, 2):
        cdfs[j] = _other_cdf(grid, logits, j, k)
        wrong[j] = _other_cdf(grid - 0.2, logits, j, k)
    for j in range(3):
        utils.assert_cdf_matches(z[:, j], grid, cdfs[j], rate)
        utils.assert_detectable(cdfs[j], wrong[j], n, rate)


def test_regression_conditional_gumbel_valid_for_unnormalized_logits(seed):
    """The conditional Gumbel sampler must be valid for unnormalized logits.
    Drawing z_tilde_b = -log(-log v_b), the maximum of Gumbels with
    NORMALIZED logits, makes the maximum ~5 too small for raw logits
    shifted by +5. Ours is shift-equivariant (z_tilde(logits + 5) =
    z_tilde(logits) + 5 for the same noise, so its law is unchanged up to
    the shift), its maximum matches the exact law (DKWM, false-failure rate
    FALSE_FAIL_RATE), and the test would reject the normalized-logits law."""
    logits = np.array([0.5, -1.0, 0.2])
    n = 100_000
    one_hot = tf.constant(np.eye(3)[[0] * n])
    v = noise.uniform([n, 3], seed=seed, dtype=tf.float64)
    z0 = np.asarray(noise.conditional_gumbel(tf.constant(logits), one_hot, v))
    z5 = np.asarray(noise.conditional_gumbel(tf.constant(logits + 5.), one_hot, v))
    np.testing.assert_allclose(z5 - 5., z0, rtol=1e-12, atol=1e-12)
    log_z = special.logsumexp(logits + 5.)
    grid = np.linspace(log_z - 8., log_z + 12., 801)
    want = _max_cdf(grid, log_z)
    utils.assert_cdf_matches(z5[:, 0], grid, want, FALSE_FAIL_RATE)
    normalized_max_law = _max_cdf(grid, 0.)
    utils.assert_detectable(want, normalized_max_law, n, FALSE_FAIL_RATE)


def test_conditional_gumbel_gradient_matches_finite_differences():
    logits = tf.constant([0.5, -1.0, 0.2, 3.], dtype=tf.float64)
    one_hot = tf.constant(np.eye(4)[[0, 1, 3, 2, 1]])
    v = noise.uniform([5, 4], seed=(1, 2), dtype=tf.float64)
    weights = tf.constant(np.arange(20.).reshape(5, 4) / 7.)
    grad = np.asarray(sub.gradients(
        lambda logits: tf.reduce_sum(
            weights * noise.conditional_gumbel(logits, one_hot, v)),
        logits)[0])
    h = 1e-6
    for i in range(4):
        e = np.eye(4)[i] * h
        fd = (tf.reduce_sum(weights * noise.conditional_gumbel(logits + e, one_hot, v))
              - tf.reduce_sum(weights * noise.conditional_gumbel(logits - e, one_hot, v))
              ) / (2 * h)
        np.testing.assert_allclose(grad[i], fd, rtol=1e-6)


# -- execution modes, training loops, validation -------------------------------------


@pytest.mark.parametrize("categorical", [True])
def test_eager_function_and_xla(categorical):
    """tf.function reproduces eager results exactly. XLA runs, is
    deterministic and finite; its draws differ from eager ones because on
    this stack `tf.random.stateless_uniform(alg="philox")` with a seed
    computed at run time (here by `split_seed`) gives other numbers under XLA
    than in the eager kernel. Its unbiasedness under XLA is tested in
    `test_relax_toy_problem_unbiased_with_a_network_only`."""
    logits, f = _problem(categorical)
    logits = tf.cast(logits, tf.float32)
    lam = tf.constant(0.5)

    def run(logits, lam):
        def both(logits, lam):
            return rebar(f, logits, seed=(4, 5), num_samples=3,
                         temperature=lam, categorical=categorical)
        loss, (logits_grad, _) = sub.value_and_gradient(
            lambda *a: both(*a)[0], logits, lam)
        var, (_, lam_grad) = sub.value_and_gradient(
            lambda *a: both(*a)[1], logits, lam)
        return loss, var, logits_grad, lam_grad

    eager = run(logits, lam)
    for a, b in zip(sub.function(run)(logits, lam), eager):
        assert a.dtype == tf.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    xla = sub.xla(run)
    first, second = xla(logits, lam), xla(logits, lam)
    for a, b, c in zip(first, second, eager):
        assert a.dtype == tf.float32 and a.shape == c.shape
        assert np.all(np.isfinite(np.asarray(a)))
        np.testing.assert_array_equal(a, b)


@substrates.tensorflow_only("tf.Variable state and Keras optimizers in a "
                            "tf.function")
def test_gradient_tape_training_loop_under_xla():
    """RELAX in a compiled tape loop: theta goes down where t < 1/2 and up
    where t > 1/2, while the control variate trains on the variance."""
    theta = tf.Variable(np.zeros(3, np.float32))
    log_lam = tf.Variable(np.log(0.5).astype(np.float32))
    net = _Network(3, seed=2, dtype=np.float32)
    net.params = [tf.Variable(p) for p in net.params]
    net_vars = list(net.params)
    target = tf.constant([0.2, 0.8, 0.1])
    def f(b):
        return tf.reduce_sum((b - target) ** 2, -1)
    opt = tf.keras.optimizers.SGD(learning_rate=0.5)
    cv_opt = tf.keras.optimizers.Adam(0.01)

    @tf.function(jit_compile=True)
    def step(seed):
        with tf.GradientTape(persistent=True) as tape:
            c = relax_control_variate(f, temperature=tf.exp(log_lam),
                                      network=net)
            loss, var = relax(f, theta, seed=seed, num_samples=4,
                              control_variate=c)
        opt.apply_gradients([(tape.gradient(loss, theta), theta)])
        cv = [log_lam] + net_vars
        cv_opt.apply_gradients(zip(tape.gradient(var, cv), cv))
        return loss

    for i in range(100):
        step(tf.constant([i, 3]))
    t = theta.numpy()
    assert t[0] < -1. and t[1] > 1. and t[2] < -1., t
    assert np.isfinite(log_lam.numpy()) and log_lam.numpy() != np.log(0.5).astype(np.float32)


@substrates.tensorflow_only("a Keras network's variables under tf.GradientTape")
def test_keras_control_variate(seed):
    import keras
    logits = tf.Variable([0.3, -0.8, 1.2])
    net = keras.Sequential([keras.layers.Dense(8, activation="tanh"),
                            keras.layers.Dense(1)])
    net.build((None, 3))
    def f(b):
        return tf.reduce_sum((b - 0.45) ** 2, axis=-1)
    with tf.GradientTape(persistent=True) as tape:
        c = relax_control_variate(f, temperature=0.5,
                                  network=lambda z: net(z)[..., 0])
        loss, var = relax(f, logits, seed=seed, num_samples=4, control_variate=c)
    assert tape.gradient(loss, logits).shape == (3,)
    for g in tape.gradient(var, net.trainable_variables):
        assert np.all(np.isfinite(g.numpy())) and np.any(g.numpy() != 0.)


def test_invalid_arguments():
    logits = tf.constant([0.1, 0.2])
    def f(b):
        return tf.reduce_sum(b, -1)
    with pytest.raises(ValueError, match="Argument `num_samples` must be a "
                       "Python integer >= 1"):
        rebar(f, logits, seed=(1, 2), num_samples=0)
    with pytest.raises(ValueError, match="Argument `temperature` must be positive"):
        rebar(f, logits, seed=(1, 2), temperature=0.)
    with pytest.raises(ValueError, match="Argument `control_variate` must return"):
        relax(f, logits, seed=(1, 2), control_variate=lambda z: z)
    with pytest.raises(TypeError, match="Argument `control_variate` must be callable"):
        relax(f, logits, seed=(1, 2), control_variate=3.)
    with pytest.raises(ValueError, match="Argument `f` must return values of shape"):
        rebar(lambda b: tf.reduce_sum(b), logits, seed=(1, 2))
    with pytest.raises(ValueError, match="category axis"):
        rebar(f, tf.constant(1.), seed=(1, 2), categorical=True)
    with pytest.raises(TypeError):
        rebar(f, logits, (1, 2))   # seed is keyword-only.


@substrates.tensorflow_only("the docstring examples are TensorFlow code")
def test_docstring_examples_run():
    relaxtfp = importlib.import_module("relaxtfp")
    estimators = importlib.import_module("relaxtfp.estimators")
    for name, obj in (("rebar", rebar), ("relax", relax),
                      ("relax_control_variate", relax_control_variate)):
        setattr(estimators, name, obj)   # Until the lead exports them.
    fence = re.compile(r"```python\n(.*?)```", re.DOTALL)
    blocks = [b for o in (rebar, relax, relax_control_variate)
              for b in fence.findall(inspect.getdoc(o))]
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(inspect.cleandoc(block), "<example>", "exec"),
             {"relaxtfp": relaxtfp})
