"""Exact expectations and gradients of small discrete problems, and the
Monte Carlo checks of gradient estimators against them.

Exact part. `exact_expectation(f, logits, categorical)` enumerates every
outcome of the latent variables (2**M outcomes for M Bernoulli variables,
K**M for M categorical variables with K categories) and returns
`sum_prefix sum_b q(b) f(b)` as a differentiable expression of the test
run's substrate (`tests.substrates`), so `exact_gradients` gets the exact
gradient with respect to the logits AND to parameters `f` takes by automatic
differentiation (float64 recommended).
`f` follows the estimators' convention: a batch `[N] + logits.shape` of
samples (0/1, or one-hot on the last axis) in, `[N] + batch[:r]` out.

Monte Carlo part. `replicate(f, logits_shape, ...)` and
`estimator_replicas(...)` run R independent copies of an estimator in one
vectorized call: the logits are tiled to `[R] + logits.shape` and `f` is
applied per replica, so `f`'s output gains a leading replica axis in its
batch prefix, and the surrogate (a sum over prefix elements) has one
independent gradient per replica. Parameters of `f` (decoder weights) are
passed explicitly, `f(samples, *params)`, so that their gradients are taken
the same way on TensorFlow and on JAX (which has no variables).
`assert_unbiased` applies a z-test per gradient coordinate with a union
(Bonferroni) bound over coordinates, at a stated rate, and checks power.
"""

import itertools
import math

import numpy as np
from scipy import special

from tests import substrates

sub = substrates.current()
tf = sub.tf

__all__ = [
    "assert_unbiased",
    "enumerate_outcomes",
    "estimator_replicas",
    "exact_expectation",
    "exact_gradients",
    "measure_bias",
    "replicate",
    "toy_gradient",
    "z_halfwidth",
]

_MAX_OUTCOMES = 1 << 16


def enumerate_outcomes(batch_shape, categorical=False, num_categories=2,
                       dtype=np.float64):
    """All outcomes: `[N] + batch_shape` (0/1) or `[N] + batch_shape + [K]`
    (one-hot), N = 2**M or K**M with M = prod(batch_shape)."""
    batch_shape = list(batch_shape)
    m = int(np.prod(batch_shape, dtype=np.int64))
    k = num_categories if categorical else 2
    n = k ** m
    if n > _MAX_OUTCOMES:
        raise ValueError(f"{n} outcomes is too many to enumerate.")
    idx = np.array(list(itertools.product(range(k), repeat=m)),
                   dtype=np.int64).reshape([n] + batch_shape)
    if categorical:
        return np.eye(k, dtype=dtype)[idx]
    return idx.astype(dtype)


def exact_expectation(f, logits, categorical=False):
    """`sum_prefix E[f(b)]`, differentiable in `logits` and in `f`'s variables."""
    logits = tf.convert_to_tensor(logits)
    batch_shape = logits.shape[:-1] if categorical else logits.shape
    k = logits.shape[-1] if categorical else 2
    outcomes = tf.constant(enumerate_outcomes(
        batch_shape, categorical, k, np.dtype(sub.dtype_name(logits.dtype))))
    if categorical:
        log_q = tf.reduce_sum(outcomes * tf.math.log_softmax(logits), axis=-1)
    else:
        log_q = outcomes * logits - tf.math.softplus(logits)
    log_q = tf.reduce_sum(tf.reshape(log_q, [outcomes.shape[0], -1]), axis=1)
    values = tf.cast(f(outcomes), logits.dtype)
    values = tf.reshape(values, [outcomes.shape[0], -1])
    return tf.reduce_sum(tf.math.exp(log_q) * tf.reduce_sum(values, axis=1))


def exact_gradients(f, logits, categorical=False, params=()):
    """Exact `(value, d value / d logits, [d value / d p for p in params])`
    as NumPy arrays, by enumeration and automatic differentiation; `f` is
    called as `f(samples, *params)`."""
    logits = tf.convert_to_tensor(logits)
    params = [tf.convert_to_tensor(p) for p in params]
    value, grads = sub.value_and_gradient(
        lambda logits, *params: exact_expectation(
            lambda b: f(b, *params), logits, categorical),
        logits, *params)
    return (np.asarray(value), np.asarray(grads[0]),
            [np.asarray(g) for g in grads[1:]])


def toy_gradient(logits, target):
    """d/dlogits E[(b - t)^2], b ~ Bernoulli(sigmoid(logits)):
    sigmoid(logits) (1 - sigmoid(logits)) (1 - 2 t)."""
    p = special.expit(np.asarray(logits, np.float64))
    return p * (1. - p) * (1. - 2. * np.asarray(target, np.float64))


def replicate(f, logits_shape, num_replicas):
    """Wraps `f` (`[N] + logits_shape -> [N] + prefix`) to act on
    `[N, R] + logits_shape -> [N, R] + prefix`, one replica per index r."""
    logits_shape = list(logits_shape)

    def f_rep(samples):
        n = samples.shape[0]
        flat = tf.reshape(samples, [-1] + logits_shape)
        values = f(flat)
        return tf.reshape(values, [n, num_replicas] + list(values.shape[1:]))

    return f_rep


def estimator_replicas(estimator, f, logits, num_replicas, seed,
                       params=(), jit_compile=False, replicated=False,
                       **options):
    """R independent estimates of the gradient of `sum_prefix E[f]`.

    Returns `(values, logits_grads, param_grads)`: the surrogate value
    divided by R (an unbiased estimate of `sum_prefix E[f]`), logits
    gradients of shape `[R] + logits.shape`, and for every array in
    `params` — each of shape `[R] + shape`, passed to `f` as
    `f(samples, *params)` and read per replica — its `[R] + shape`
    gradient. With `replicated=True`, `f` already maps `[N, R] +
    logits.shape` to `[N, R] + prefix` (needed when it reads such
    per-replica parameters); otherwise `replicate` wraps it.
    `jit_compile=True` compiles the call with XLA (`sub.xla`).
    """
    logits = tf.convert_to_tensor(logits)
    tiled = tf.tile(logits[tf.newaxis], [num_replicas] + [1] * len(logits.shape))
    params = [tf.convert_to_tensor(p) for p in params]

    def run(tiled, *params):
        def surrogate(tiled, *params):
            f_params = lambda b: f(b, *params)  # noqa: E731
            f_rep = (f_params if replicated else
                     replicate(f_params, logits.shape, num_replicas))
            return estimator(f_rep, tiled, seed=seed, **options)
        return sub.value_and_gradient(surrogate, tiled, *params)

    if jit_compile:
        run = sub.xla(run)
    value, grads = run(tiled, *params)
    return (np.asarray(value) / num_replicas, np.asarray(grads[0]),
            [np.asarray(g) for g in grads[1:]])


def z_halfwidth(std, n, false_fail_rate, num_tests):
    """Two-sided z half-width for a mean of n draws, union-bounded over
    `num_tests` coordinates: a correct estimator fails with probability
    <= false_fail_rate (normal approximation of the mean)."""
    z = -special.ndtri(false_fail_rate / (2. * num_tests))
    return z * np.asarray(std) / math.sqrt(n)


def assert_unbiased(samples, exact, false_fail_rate, power_fraction=0.1):
    """z-test that the mean of `samples` (axis 0) equals `exact`, per
    coordinate with a union bound; and a power check.

    Power: if the mean were off by `power_fraction * ||exact||` in any
    coordinate, the test would reject it with probability >= 1 -
    false_fail_rate as long as that error is at least twice the half-width
    (the observed mean then lies outside the band with that probability).
    We assert that 2 * half-width <= power_fraction * ||exact||.
    Returns (mean, half-width).
    """
    samples = np.asarray(samples, np.float64)
    n = samples.shape[0]
    flat = samples.reshape(n, -1)
    exact = np.asarray(exact, np.float64).reshape(-1)
    mean = flat.mean(axis=0)
    std = flat.std(axis=0, ddof=1)
    half = z_halfwidth(std, n, false_fail_rate, flat.shape[1])
    err = np.abs(mean - exact)
    assert np.all(err <= half + 1e-12), (
        f"mean {mean} vs exact {exact}: |error| {err} exceeds the z "
        f"half-width {half} (false-failure rate {false_fail_rate})")
    detectable = power_fraction * np.linalg.norm(exact)
    assert np.all(2. * half <= detectable), (
        f"too few replicas: half-width {half} cannot resolve an error of "
        f"{power_fraction} * |exact gradient| = {detectable}")
    return mean, half


def measure_bias(samples, exact):
    """Relative bias `||mean - exact|| / ||exact||` and its standard error
    (delta method, coordinates treated as independent)."""
    samples = np.asarray(samples, np.float64)
    n = samples.shape[0]
    flat = samples.reshape(n, -1)
    exact = np.asarray(exact, np.float64).reshape(-1)
    mean = flat.mean(axis=0)
    se = flat.std(axis=0, ddof=1) / math.sqrt(n)
    norm = np.linalg.norm(exact)
    bias = mean - exact
    rel = np.linalg.norm(bias) / norm
    rel_se = np.linalg.norm(bias * se) / (np.linalg.norm(bias) + 1e-300) / norm
    return rel, rel_se, bias


# Small problems shared by the estimator tests -------------------------------

BERNOULLI_LOGITS = np.array([0.3, -0.8, 1.2])
CATEGORICAL_LOGITS = np.array([[0.5, -1.0, 0.2], [0.0, 0.3, -0.4]]) + 3.
CATEGORY_VALUES = np.array([0., 1., 2.])


def bernoulli_f(b):
    """Nonlinear in 3 Bernoulli bits: (sum b)^2 - b_0 b_2 - 2 b_1; [N, 3] -> [N]."""
    return (tf.reduce_sum(b, axis=-1) ** 2 - b[..., 0] * b[..., 2]
            - 2. * b[..., 1])


def categorical_f(b):
    """Nonlinear in 2 categorical variables with K = 3 (values 0, 1, 2):
    (x_0 - x_1)^2 + x_0 x_1 - x_1; [N, 2, 3] -> [N]."""
    x = tf.reduce_sum(b * tf.constant(CATEGORY_VALUES, b.dtype), axis=-1)
    return (x[..., 0] - x[..., 1]) ** 2 + x[..., 0] * x[..., 1] - x[..., 1]
