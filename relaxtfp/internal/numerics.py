"""Log-space formulas shared by several distributions.

Each formula is written once here and reused, so that its numerical
reasoning is in one place.
"""

import functools
import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

__all__ = [
    "binary_concrete_log_cdf",
    "binary_concrete_log_prob",
    "binary_concrete_log_survival",
    "gauss_legendre",
    "log_ndtr",
    "log_sigmoid",
    "logit",
    "ndtr",
]

_INV_SQRT_TWO = 1. / math.sqrt(2.)


def log_sigmoid(x):
    """`log(sigmoid(x)) = -softplus(-x)`, exact in both tails."""
    return -tf.math.softplus(-x)


def logit(x):
    """`log(x) - log1p(-x)`: two logarithms, so that x near 0 and x near 1
    both keep full relative precision (a single `log(x / (1 - x))` would be as
    good, but `x` here is a user value, not a generator draw, so we cannot
    rely on `1 - x` being exact)."""
    return tf.math.log(x) - tf.math.log1p(-x)


def _binary_concrete_arg(x, logits, temperature):
    # The binary Concrete variable is X = sigmoid((logits + L) / temperature)
    # with L standard logistic, so P(X <= x) = sigmoid(a) with
    # a = temperature * logit(x) - logits.
    return temperature * logit(x) - logits


def binary_concrete_log_prob(x, logits, temperature):
    """Log density of the binary Concrete (relaxed Bernoulli) law at `x`.

    With a = temperature * logit(x) - logits,

        log p(x) = log(temperature) + log sigmoid(a) + log sigmoid(-a)
                   - log(x) - log(1 - x).

    The two log-sigmoids are computed together: with m = |a|,
    log sigmoid(a) + log sigmoid(-a) = -m - 2 log1p(exp(-m)), since
    sigmoid(m) sigmoid(-m) = exp(-m) / (1 + exp(-m))^2. That is one `exp` and
    one `log1p` instead of two of each (two softplus), and it never
    overflows: exp(-m) <= 1, so the result is finite for any finite `a` and
    exact in relative terms (-m dominates for large m; log1p keeps the tiny
    exp(-m) there). The raw-power form
    temperature * alpha * x^(-t-1) (1-x)^(-t-1) / (alpha x^-t + (1-x)^-t)^2
    overflows already at temperature ~ 20 in float32.
    """
    a = _binary_concrete_arg(x, logits, temperature)
    m = tf.math.abs(a)
    return (tf.math.log(temperature) - m - 2. * tf.math.log1p(tf.math.exp(-m))
            - tf.math.log(x) - tf.math.log1p(-x))


def binary_concrete_log_cdf(x, logits, temperature):
    """`log P(X <= x) = log sigmoid(temperature * logit(x) - logits)`."""
    return log_sigmoid(_binary_concrete_arg(x, logits, temperature))


def binary_concrete_log_survival(x, logits, temperature):
    """`log P(X > x) = log sigmoid(logits - temperature * logit(x))`."""
    return log_sigmoid(-_binary_concrete_arg(x, logits, temperature))


@functools.lru_cache(maxsize=None)
def _gauss_legendre_np(n):
    return np.polynomial.legendre.leggauss(n)


def gauss_legendre(n, dtype):
    """Nodes and weights of the `n`-point Gauss-Legendre rule on [-1, 1]."""
    nodes, weights = _gauss_legendre_np(n)
    return (tf.constant(nodes, dtype=dtype), tf.constant(weights, dtype=dtype))


def ndtr(x):
    """Standard normal CDF; `erfc` keeps full relative precision for x < 0."""
    return 0.5 * tf.math.erfc(-x * _INV_SQRT_TWO)


def log_ndtr(x):
    """`log Phi(x)`, finite and accurate in both tails.

    For x <= 0 it is `log erfc(-x / sqrt(2)) - log 2`, where `tfp.math.logerfc`
    goes through the scaled `erfcx` and so stays finite down to x = -1e300.
    For x > 0 it is `log1p(-Phi(-x))`, which keeps the tiny negative value
    `-Phi(-x)` that `log(1 - Phi(-x))` rounds to zero. Both branches are
    evaluated at safe arguments so that `tf.where` passes no NaN gradient.
    """
    neg = x <= 0.
    x_neg = tf.where(neg, x, tf.zeros_like(x))
    x_pos = tf.where(neg, tf.ones_like(x), x)
    left = tfp.math.logerfc(-x_neg * _INV_SQRT_TWO) - math.log(2.)
    right = tf.math.log1p(-ndtr(-x_pos))
    return tf.where(neg, left, right)
