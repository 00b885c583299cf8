"""Tests for the score-function estimators: reinforce (with baselines), rloo.

Unbiasedness is tested against exact gradients computed by enumerating
every outcome (`tests/estimators/exact.py`): NUM_REPLICAS independent
estimates, a z-test per gradient coordinate, union-bounded, so a correct
estimator fails with probability <= FALSE_FAIL_RATE (normal approximation
of a mean of NUM_REPLICAS i.i.d. bounded draws); each test also asserts
power: twice the half-width is at most 10% of the exact gradient's norm.

`MovingAverageBaseline` keeps its state in variables on TensorFlow and is
functional on JAX (`reinforce` returns the updated baseline with the
surrogate); `_reinforce_with_baseline` and `_update` run one step of either.
"""


import numpy as np
import pytest

from tests import substrates
from tests.estimators import exact

sub = substrates.current()
tf, tfp = sub.tf, sub.tfp
MovingAverageBaseline = sub.estimators.MovingAverageBaseline
reinforce, rloo = sub.estimators.reinforce, sub.estimators.rloo
score_function_surrogate = sub.estimators.score_function_surrogate

NUM_REPLICAS = 50_000
FALSE_FAIL_RATE = 1e-6

TARGET = np.array([0.45, 0.2, 0.9])


def _toy_f(b):
    return (b - tf.constant(TARGET, b.dtype)) ** 2


def _reinforce_with_baseline(f, logits, baseline, **options):
    """`(surrogate, gradient, baseline after the call)` of one `reinforce`
    call with a `MovingAverageBaseline`: on TensorFlow the call updates the
    baseline's variables, on JAX it returns the updated baseline."""
    def surrogate(logits):
        return reinforce(f, logits, baseline=baseline, **options)
    if sub.is_jax:
        (value, baseline), grad = tfp.math.value_and_gradient(
            surrogate, logits, has_aux=True)
    else:
        value, grad = tfp.math.value_and_gradient(surrogate, logits)
    return value, grad, baseline


def _update(baseline, values):
    """`baseline` after `update(values)` (a new baseline on JAX)."""
    updated = baseline.update(values)
    return updated if sub.is_jax else baseline


def test_exact_module_matches_the_toy_closed_form():
    logits = tf.constant(exact.BERNOULLI_LOGITS)
    value, grad, _ = exact.exact_gradients(_toy_f, logits)
    np.testing.assert_allclose(
        grad, exact.toy_gradient(exact.BERNOULLI_LOGITS, TARGET), rtol=1e-12)
    p = 1. / (1. + np.exp(-exact.BERNOULLI_LOGITS))
    np.testing.assert_allclose(
        value, np.sum(p * (1 - TARGET) ** 2 + (1 - p) * TARGET ** 2),
        rtol=1e-12)


def test_exact_module_categorical_enumeration():
    outcomes = exact.enumerate_outcomes([2], categorical=True,
                                        num_categories=3)
    assert outcomes.shape == (9, 2, 3)
    np.testing.assert_array_equal(outcomes.sum(-1), np.ones([9, 2]))
    assert len({tuple(o.argmax(-1)) for o in outcomes}) == 9
    # Expectation of a function of one variable against a direct sum.
    logits = tf.constant(exact.CATEGORICAL_LOGITS)
    value, _, _ = exact.exact_gradients(
        lambda b: b[..., 0, 2], logits, categorical=True)
    p = np.exp(exact.CATEGORICAL_LOGITS[0])
    np.testing.assert_allclose(value, p[2] / p.sum(), rtol=1e-12)


@pytest.mark.parametrize("estimator,num_samples", [
    (reinforce, 1), (reinforce, 4), (rloo, 2), (rloo, 5)])
def test_toy_problem_unbiased(estimator, num_samples, seed):
    """E[(b - t)^2] elementwise: f returns [n] + logits.shape."""
    logits = tf.constant(exact.BERNOULLI_LOGITS)
    _, grads, _ = exact.estimator_replicas(
        estimator, _toy_f, logits, NUM_REPLICAS, seed,
        num_samples=num_samples)
    exact.assert_unbiased(
        grads, exact.toy_gradient(exact.BERNOULLI_LOGITS, TARGET),
        FALSE_FAIL_RATE)


@pytest.mark.parametrize("estimator,num_samples", [(reinforce, 4), (rloo, 4)])
@pytest.mark.parametrize("categorical", [False, True])
def test_nonlinear_problem_unbiased(estimator, num_samples, categorical,
                                    seed):
    """A joint nonlinear f over 3 Bernoullis / 2 categoricals (K=3)."""
    if categorical:
        logits, f = exact.CATEGORICAL_LOGITS, exact.categorical_f
    else:
        logits, f = exact.BERNOULLI_LOGITS, exact.bernoulli_f
    logits = tf.constant(logits)
    _, grad, _ = exact.exact_gradients(f, logits, categorical)
    _, grads, _ = exact.estimator_replicas(
        estimator, f, logits, NUM_REPLICAS, seed, num_samples=num_samples,
        categorical=categorical)
    exact.assert_unbiased(grads, grad, FALSE_FAIL_RATE)


def test_surrogate_value_is_the_sample_mean(seed):
    logits = tf.constant([[0.3, -0.2], [1.0, 0.5]], tf.float64)
    seen = []

    def f(b):
        seen.append(b)
        return tf.reduce_sum(b, axis=-1) * 2. + 1.   # [n, 2]: prefix [2].

    for estimator in (reinforce, rloo):
        seen.clear()
        value = estimator(f, logits, seed=seed, num_samples=3)
        expected = np.sum(np.mean(np.asarray(f(seen[0])), axis=0))
        np.testing.assert_allclose(np.asarray(value), expected, rtol=1e-14)


def test_gradient_to_variables_inside_f_is_pathwise_and_unbiased(seed):
    """Decoder-like variables used by f get mean(df/dphi) at the samples."""
    phi0 = np.array([0.2, -0.4, 0.7])
    logits = tf.constant(exact.BERNOULLI_LOGITS)

    def f_single(b, phi):
        return tf.reduce_sum((b - phi) ** 2, -1) + bernoulli_term(b) * phi[..., 0]

    def bernoulli_term(b):
        return b[..., 1] * b[..., 2]

    _, grad, (phi_grad,) = exact.exact_gradients(
        f_single, logits, params=[phi0])
    for estimator in (reinforce, rloo):
        _, grads, (phi_grads,) = exact.estimator_replicas(
            estimator, f_single, logits, NUM_REPLICAS // 10, seed,
            params=[np.tile(phi0, [NUM_REPLICAS // 10, 1])], replicated=True,
            num_samples=4)
        exact.assert_unbiased(phi_grads, phi_grad, FALSE_FAIL_RATE)


def test_moving_average_baseline_unbiased_and_reduces_variance(seed):
    """A large constant offset in f inflates REINFORCE's variance; the
    moving-average baseline (read before its update, so independent of the
    current samples) removes it without bias."""
    logits = tf.constant(exact.BERNOULLI_LOGITS)

    def f(b):
        return exact.bernoulli_f(b) + 20.

    _, grad, _ = exact.exact_gradients(f, logits)
    baseline = MovingAverageBaseline(decay=0.5, dtype=tf.float64)

    def replicas(num_replicas, seed):   # As exact.estimator_replicas.
        tiled = tf.tile(logits[tf.newaxis], [num_replicas, 1])
        _, grads, new = _reinforce_with_baseline(
            exact.replicate(f, logits.shape, num_replicas), tiled, baseline,
            seed=seed, num_samples=4)
        return np.asarray(grads), new

    for step in range(3):   # Warm the average up on earlier calls.
        _, baseline = replicas(100, (step, 99))
    before = np.asarray(baseline.value())
    assert abs(before - (20. + 3.4)) < 3., before   # Near E[f] ~ 23.
    with_b, _ = replicas(NUM_REPLICAS, seed)
    exact.assert_unbiased(with_b, grad, FALSE_FAIL_RATE)
    _, without_b, _ = exact.estimator_replicas(
        reinforce, f, logits, NUM_REPLICAS, seed, num_samples=4)
    ratio = with_b.var(0).sum() / without_b.var(0).sum()
    print(f"\nvariance ratio with/without moving-average baseline: {ratio:.4f}")
    # Sample variances of 5e4 draws are within a few percent; the true
    # ratio here is about 0.01, far below 0.2.
    assert ratio < 0.2


def test_moving_average_baseline_update_rule():
    baseline = MovingAverageBaseline(decay=0.75, dtype=tf.float64)
    assert np.asarray(baseline.value()) == 0.
    xs = [2., 6., -1.]
    m = w = 0.
    for x in xs:
        baseline = _update(baseline, tf.constant([[x, x], [x, x]], tf.float64))
        m = 0.75 * m + 0.25 * x
        w = 0.75 * w + 0.25
        np.testing.assert_allclose(np.asarray(baseline.value()), m / w,
                                   rtol=1e-14)
    np.testing.assert_allclose(np.asarray(baseline.value()),
                               (0.25 * 2 * .75 ** 2 + .25 * 6 * .75 - .25)
                               / (1 - .75 ** 3), rtol=1e-14)


def test_moving_average_baseline_reads_before_update(seed):
    """The baseline used by a call is the value before that call."""
    baseline = MovingAverageBaseline(decay=0.5, dtype=tf.float64)
    logits = tf.constant([0.3], tf.float64)
    def f(b):
        return b[:, 0] * 0. + 10.   # Constant f: signal = f - baseline.
    _, _, baseline = _reinforce_with_baseline(
        f, logits, baseline, seed=seed, num_samples=2)
    # First call: baseline 0, so the gradient is 10 * mean(b - p) != 0
    # unless the samples average to p; after the call the baseline is 10.
    assert np.asarray(baseline.value()) == 10.
    _, grad, _ = _reinforce_with_baseline(
        f, logits, baseline, seed=seed, num_samples=2)
    np.testing.assert_allclose(grad, [0.], atol=1e-15)


def test_moving_average_baseline_per_prefix_shape(seed):
    baseline = MovingAverageBaseline(decay=0.5, shape=[3], dtype=tf.float64)
    logits = tf.constant(exact.BERNOULLI_LOGITS)
    _, _, baseline = _reinforce_with_baseline(
        _toy_f, logits, baseline, seed=seed, num_samples=8)
    assert baseline.value().shape == (3,)
    assert np.all(np.asarray(baseline.value()) > 0.)   # Updated.


def test_moving_average_baseline_invalid_decay():
    with pytest.raises(ValueError, match="Argument `decay` must be in"):
        MovingAverageBaseline(decay=1.)


def test_tensor_baseline_unbiased(seed):
    logits = tf.constant(exact.BERNOULLI_LOGITS)
    _, grad, _ = exact.exact_gradients(exact.bernoulli_f, logits)
    _, grads, _ = exact.estimator_replicas(
        reinforce, exact.bernoulli_f, logits, NUM_REPLICAS, seed,
        num_samples=2, baseline=tf.constant(3., tf.float64))
    exact.assert_unbiased(grads, grad, FALSE_FAIL_RATE)


def test_invalid_arguments():
    logits = tf.constant([0.1, 0.2])
    def f(b):
        return tf.reduce_sum(b, -1)
    with pytest.raises(ValueError, match="Argument `num_samples` must be a "
                       "Python integer >= 2"):
        rloo(f, logits, seed=(1, 2), num_samples=1)
    with pytest.raises(ValueError, match="Argument `num_samples` must be a "
                       "Python integer >= 1"):
        reinforce(f, logits, seed=(1, 2), num_samples=0)
    with pytest.raises(ValueError, match="Argument `num_samples`"):
        reinforce(f, logits, seed=(1, 2), num_samples=2.5)
    with pytest.raises(ValueError, match="Argument `f` must return values of "
                       "shape"):
        reinforce(lambda b: tf.reduce_sum(b), logits, seed=(1, 2))
    with pytest.raises(ValueError, match="Argument `f` must return values of "
                       "shape"):
        reinforce(lambda b: b[:, :1], logits, seed=(1, 2), num_samples=2)
    with pytest.raises(ValueError, match="category axis"):
        reinforce(f, tf.constant(1.), seed=(1, 2), categorical=True)
    with pytest.raises(TypeError):
        reinforce(f, logits, (1, 2))   # seed is keyword-only.


def test_seeds_deterministic_and_distinct():
    logits = tf.constant(np.zeros([50]))
    f = lambda b: b   # noqa: E731

    def g(seed):
        return np.asarray(sub.gradients(
            lambda logits: reinforce(f, logits, seed=seed, num_samples=2),
            logits)[0])

    np.testing.assert_array_equal(g((1, 2)), g((1, 2)))
    assert not np.array_equal(g((1, 2)), g((1, 3)))


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_eager_function_and_xla_agree(dtype):
    logits = tf.constant(exact.CATEGORICAL_LOGITS, dtype)

    def run(logits):
        loss, (grad,) = sub.value_and_gradient(
            lambda logits: rloo(exact.categorical_f, logits, seed=(4, 5),
                                num_samples=3, categorical=True), logits)
        return loss, grad

    eager = run(logits)
    graph = sub.function(run)(logits)
    xla = sub.xla(run)(logits)
    assert eager[0].dtype == dtype and eager[1].dtype == dtype
    rtol = 1e-5 if dtype == tf.float32 else 1e-12
    for other in (graph, xla):
        np.testing.assert_allclose(other[0], eager[0], rtol=rtol)
        np.testing.assert_allclose(other[1], eager[1], rtol=rtol, atol=rtol)


@substrates.tensorflow_only("tf.Variable state and a Keras optimizer; "
                            "see test_jit_training_loop_threads_the_baseline")
def test_gradient_tape_training_loop_under_xla():
    """A plain tape loop, compiled with XLA, with a moving-average baseline,
    minimizes E[(b - t)^2]: theta goes down where t < 1/2, up where t > 1/2."""
    theta = tf.Variable(np.zeros(3, np.float32))
    baseline = MovingAverageBaseline(decay=0.9)
    opt = tf.keras.optimizers.SGD(learning_rate=1.0)
    target = tf.constant(TARGET, tf.float32)

    @tf.function(jit_compile=True)
    def step(seed):
        with tf.GradientTape() as tape:
            loss = reinforce(lambda b: (b - target) ** 2, theta, seed=seed,
                             num_samples=8, baseline=baseline)
        opt.apply_gradients([(tape.gradient(loss, theta), theta)])
        return loss

    for i in range(200):
        step(tf.constant([i, 3]))
    t = np.asarray(theta)
    assert t[0] < -0.5 and t[1] < -1. and t[2] > 1., t
    assert baseline._weight.numpy() > 0.99


@pytest.mark.skipif(not sub.is_jax, reason="JAX's functional baseline")
def test_jit_training_loop_threads_the_baseline():
    """On JAX, a `jax.jit` step threads the baseline that `reinforce`
    returns: the loop minimizes E[(b - t)^2] as on TensorFlow, and the
    baseline's state is updated on every step."""
    jax = sub.jax
    target = tf.constant(TARGET, tf.float32)

    @jax.jit
    def step(theta, baseline, seed):
        (loss, baseline), grad = jax.value_and_grad(
            lambda theta: reinforce(lambda b: (b - target) ** 2, theta,
                                    seed=seed, num_samples=8,
                                    baseline=baseline),
            has_aux=True)(theta)
        return theta - grad, baseline

    theta = np.zeros(3, np.float32)
    baseline = MovingAverageBaseline(decay=0.9)
    for i in range(200):
        theta, baseline = step(theta, baseline, sub.seed(i, 3))
    t = np.asarray(theta)
    assert t[0] < -0.5 and t[1] < -1. and t[2] > 1., t
    assert isinstance(baseline, MovingAverageBaseline)
    assert np.asarray(baseline._weight) > 0.99
    assert baseline.decay == 0.9 and baseline.shape == ()


@substrates.tensorflow_only("a Keras train_step written with tf.GradientTape")
def test_keras_train_step():
    """A Keras 3 model whose train_step uses rloo, fitted with XLA."""
    import keras

    class Model(keras.Model):

        def __init__(self):
            super().__init__()
            self.encoder = keras.layers.Dense(3)
            self.seeds = keras.random.SeedGenerator(7)

        def call(self, x):
            return self.encoder(x)

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                logits = self(x, training=True)            # [B, 3]
                loss = rloo(
                    lambda b: tf.reduce_sum((b - y) ** 2, -1),  # [n, B]
                    logits, seed=self.seeds.next(), num_samples=4)
                loss = loss / tf.cast(tf.shape(x)[0], loss.dtype)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            # Keras 3 overwrites a "loss" entry with its own (empty) loss
            # tracker, so the estimate is logged under another name.
            return {"objective": loss}

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype(np.float32)
    y = (x[:, :3] > 0).astype(np.float32)
    model = Model()
    model.compile(optimizer=keras.optimizers.Adam(0.05), jit_compile=True)
    history = model.fit(x, y, batch_size=64, epochs=20, verbose=0)
    losses = history.history["objective"]
    assert np.all(np.isfinite(losses))
    # E[sum (b - y)^2] starts near 1.5 (p = 1/2); y_i = 1[x_i > 0], so the
    # encoder's diagonal weights must grow positive. Measured: 1.46 -> 0.57
    # and diagonal weights about 3.
    assert np.mean(losses[-3:]) < 0.6 * losses[0], losses
    assert np.all(np.diag(model.encoder.kernel.numpy()[:3]) > 1.)


# score_function_surrogate: the surrogate for samples drawn elsewhere. Every
# check is exact for fixed inputs (no statistics): the function is compared
# with `reinforce` on reinforce's own draw and with the closed form.

def _reinforce_and_draw(logits, categorical, baseline, f):
    """reinforce's surrogate and gradient, and the samples it drew."""
    draws = []

    def recording_f(b):
        draws.append(b)
        return f(b)

    # The draw is recorded outside the differentiated call (on JAX a value
    # recorded inside it would be a tracer); the same seed draws it again.
    reinforce(recording_f, logits, seed=(5, 6), num_samples=6,
              categorical=categorical, baseline=baseline)
    out, (grad,) = sub.value_and_gradient(
        lambda lg: reinforce(f, lg, seed=(5, 6), num_samples=6,
                             categorical=categorical, baseline=baseline), logits)
    return out, grad, draws[0]


def _given(values, logits, samples, **options):
    out, (grad,) = sub.value_and_gradient(
        lambda lg: score_function_surrogate(values, lg, samples, **options), logits)
    return out, grad


@pytest.mark.parametrize("categorical", [False, True])
def test_score_function_surrogate_equals_reinforce_on_its_draw(categorical):
    logits = tf.constant([[0.5, -1.0, 0.2], [0.0, 0.3, -0.4]], tf.float64)

    def f(b):   # [6, 2, 3] -> [6, 2] (categorical) or [6, 2] (Bernoulli rows)
        weights = tf.constant([1., -2., 3.], b.dtype)
        return tf.reduce_sum(b * weights, -1) ** 2

    baseline = tf.constant([0.5, 1.5], tf.float64)
    want, want_grad, samples = _reinforce_and_draw(logits, categorical, baseline, f)
    got, got_grad = _given(f(samples), logits, samples, categorical=categorical,
                           baseline=baseline)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-12, atol=1e-15)
    assert np.abs(np.asarray(got_grad)).max() > 0.1   # Not a vacuous comparison.


def test_score_function_surrogate_matches_the_closed_form():
    # Categorical: grad = mean_i (v_i - c) (one_hot_i - softmax(logits)).
    logits = tf.constant([0.3, -0.7, 1.1], tf.float64)
    actions = np.array([0, 2, 2, 1])
    samples = tf.one_hot(actions, 3, dtype=tf.float64)
    values = tf.constant([1., -2., 0.5, 3.], tf.float64)
    out, grad = _given(values, logits, samples, categorical=True, baseline=0.25)
    probs = np.exp(np.asarray(logits)) / np.exp(np.asarray(logits)).sum()
    want = np.mean((np.asarray(values) - 0.25)[:, None] * (np.asarray(samples) - probs), axis=0)
    np.testing.assert_allclose(out, np.asarray(values).mean(), rtol=1e-12)
    np.testing.assert_allclose(grad, want, rtol=1e-12)
    # Bernoulli: grad = mean_i v_i (b_i - sigmoid(logits)), bool samples.
    b = np.array([[True, False], [True, True], [False, False]])
    v = tf.constant([[2., 1.], [-1., 4.], [0.5, 3.]], tf.float64)
    theta = tf.constant([0.4, -1.3], tf.float64)
    _, grad = _given(v, theta, b)
    p = 1. / (1. + np.exp(-np.asarray(theta)))
    np.testing.assert_allclose(grad, np.mean(np.asarray(v) * (b - p), axis=0), rtol=1e-12)


def test_score_function_surrogate_pathwise_gradient_of_values():
    # values computed from a variable get its gradient, mean d values / d w.
    samples = tf.constant([[1., 0.], [0., 1.], [1., 1.]])

    def surrogate(w):
        values = w * tf.reduce_sum(samples * tf.constant([1., 3.]), -1)    # [3]
        return score_function_surrogate(values, tf.zeros([2]), samples)

    (grad,) = sub.gradients(surrogate, tf.constant(2.))
    np.testing.assert_allclose(grad, (1. + 3. + 4.) / 3., rtol=1e-6)


def test_score_function_surrogate_moving_average_baseline_reads_then_updates():
    baseline = MovingAverageBaseline(decay=0.5)
    logits = tf.constant([0.2, -0.4, 0.1])
    samples = tf.one_hot([[0], [2]], 3)[:, 0][:, None]          # [2, 1, 3]
    logits = logits[None]                                      # [1, 3]
    values = tf.constant([[1.], [3.]])
    if sub.is_jax:   # Functional: the updated baseline is returned.
        (_, baseline), first = sub.jax.value_and_grad(
            lambda lg: score_function_surrogate(values, lg, samples, categorical=True,
                                                baseline=baseline), has_aux=True)(logits)
    else:
        _, first = _given(values, logits, samples, categorical=True, baseline=baseline)
    np.testing.assert_allclose(baseline.value(), 2., rtol=1e-6)   # Updated after.
    _, plain = _given(values, logits, samples, categorical=True)
    np.testing.assert_allclose(first, plain, rtol=1e-6)      # Read as 0 first.


def test_score_function_surrogate_at_the_boundaries():
    # A sample of probability 1 has gradient exactly 0, the rest is finite.
    logits = tf.constant([np.inf, -np.inf, 0.3])
    samples = tf.constant([[1., 0., 1.], [1., 0., 0.]])
    _, grad = _given(tf.constant([2., -1.]), logits, samples)
    np.testing.assert_array_equal(np.asarray(grad)[:2], 0.)
    assert np.isfinite(np.asarray(grad)).all()
    cat_logits = tf.constant([[0.1, -np.inf, 0.5]])
    onehot = tf.constant([[[1., 0., 0.]], [[0., 0., 1.]]])
    out, grad = _given(tf.constant([[1.], [2.]]), cat_logits, onehot, categorical=True)
    assert np.isfinite(np.asarray(out)) and np.isfinite(np.asarray(grad)).all()
    assert np.asarray(grad)[0, 1] == 0.


def test_score_function_surrogate_invalid_arguments():
    logits = tf.zeros([2, 3])
    samples = tf.one_hot([[0, 1]], 3)                           # [1, 2, 3]
    with pytest.raises(ValueError, match="Argument `samples` must .* shape"):
        score_function_surrogate(tf.ones([1, 2]), logits, samples[0], categorical=True)
    with pytest.raises(ValueError, match="Argument `values` must be values of shape"):
        score_function_surrogate(tf.ones([2, 2]), logits, samples, categorical=True)
    with pytest.raises(TypeError, match="Argument `samples`"):
        score_function_surrogate(tf.ones([1, 2]), logits, "abc", categorical=True)
    with pytest.raises(TypeError, match="Argument `values` must be real"):
        score_function_surrogate(np.array([["a", "b"]]), logits, samples,
                                 categorical=True)
    with pytest.raises(TypeError, match="Argument `categorical`"):
        score_function_surrogate(tf.ones([1, 2]), logits, samples, categorical=1)
    with pytest.raises(sub.validation_error, match="one-hot"):
        score_function_surrogate(tf.ones([1, 2]), logits, tf.ones_like(samples),
                                 categorical=True, validate_args=True)
    with pytest.raises(sub.validation_error, match="only 0 and 1"):
        score_function_surrogate(tf.ones([1, 2, 3]), logits, 0.5 * samples,
                                 validate_args=True)
