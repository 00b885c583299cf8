"""Log-space formulas shared by several distributions.

Each formula is written once here and reused, so that its numerical
reasoning is in one place.
"""

import functools
import math

import numpy as np
import tensorflow as tf

from relaxtfp.internal import backend
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import tensorshape_util

__all__ = [
    "bernoulli_logits_and_boundary",
    "binary_concrete_log_cdf",
    "binary_concrete_log_prob",
    "boundary_value",
    "clip_to_saturation",
    "relaxed_sigmoid",
    "relaxed_softmax",
    "gauss_legendre",
    "into_open_unit",
    "log_ndtr",
    "log_ndtr_nonpositive",
    "log_ndtr_nonpositive_and_mills",
    "log_sigmoid",
    "logaddexp",
    "logit",
    "ndtr",
    "sigmoid_in_open_unit",
    "softmax",
    "straight_through",
]

_INV_SQRT_TWO = 1. / math.sqrt(2.)


def softmax(x):
    """`softmax` over the last axis, for inputs of any rank.

    TensorFlow's CPU `Softmax` kernel (oneDNN) rejects inputs of rank above
    5 ("Input dims must be <= 5 and >=1"), which a sample of shape
    `sample_shape + batch_shape + [K]` easily exceeds; this computes on the
    `[-1, K]` view and restores the shape (a reshape copies nothing, and the
    values are those of the kernel on the original tensor).
    """
    x = tf.convert_to_tensor(x)
    # Static where known (always on JAX, whose reshape needs static shapes).
    shape = ps.shape(x)
    flat = tf.reshape(x, ps.stack([-1, shape[-1]]))
    out = tf.reshape(tf.math.softmax(flat), shape)
    tensorshape_util.set_shape(out, x.shape)
    return out


def log_sigmoid(x):
    """`log(sigmoid(x)) = -softplus(-x)`, exact in both tails."""
    return -tf.math.softplus(-x)


def logaddexp(a, b):
    """`log(exp(a) + exp(b))`, finite and differentiable for finite inputs."""
    m = tf.math.maximum(a, b)
    return m + tf.math.softplus(-tf.math.abs(a - b))


def sigmoid_in_open_unit(z, temperature):
    """`sigmoid(z / temperature)`, rounded into the open interval (0, 1).

    Where the sigmoid rounds to exactly 0 or 1 (|z| / temperature beyond
    about 87 or 17 in float32), the value is moved to the nearest
    representable point inside (0, 1): its distance from the true value is
    below the spacing of floats there, and a density evaluated there stays
    finite. The derivative is zero at those points (its true value is below
    `eps / temperature`).
    """
    np_dtype = dtype_util.as_numpy_dtype(z.dtype)
    low = tf.constant(np.finfo(np_dtype).tiny, z.dtype)
    high = tf.constant(np.nextafter(np_dtype(1.), np_dtype(0.)), z.dtype)
    s = tf.math.sigmoid(backend.divide(z, temperature))
    # Selected with `tf.where`, whose gradient at the moved points is exactly
    # 0 on both substrates. (JAX's `clip_by_value` multiplies the incoming
    # gradient by 0 there, and an infinite one, such as that of a density at
    # `tiny`, becomes NaN.)
    return tf.where(s < low, low, tf.where(s > high, high, s))


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
    # log(x) and log1p(-x) are formed once and shared by logit(x) and the
    # Jacobian term (fewer kernels under tf.function and eagerly, where no
    # common-subexpression pass merges the two copies).
    log_x = tf.math.log(x)
    log1m_x = tf.math.log1p(-x)
    a = temperature * (log_x - log1m_x) - logits
    m = tf.math.abs(a)
    return (tf.math.log(temperature) - m - 2. * tf.math.log1p(tf.math.exp(-m))
            - (log_x + log1m_x))


def binary_concrete_log_cdf(x, logits, temperature):
    """`log P(X <= x) = log sigmoid(temperature * logit(x) - logits)`."""
    return log_sigmoid(_binary_concrete_arg(x, logits, temperature))


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


# Where `log_ndtr` switches from `erfc` to the asymptotic series (see there).
# Phi(-10) = 7.6e-24 and Phi(-30) = 4.9e-198 are normal numbers in float32
# and float64, and at these points the series truncated after
# _LOG_NDTR_SERIES_TERMS terms has a relative error below 2e-10 (float32) and
# 5e-18 (float64).
_LOG_NDTR_TAIL_START = {"float16": -10., "bfloat16": -10., "float32": -10.,
                        "float64": -30.}
_LOG_NDTR_SERIES_TERMS = 8
_HALF_LOG_TWO_PI = 0.5 * math.log(2. * math.pi)


def _mills_series(r):
    """`sum_k (-1)^k (2k - 1)!! r^k` for k < _LOG_NDTR_SERIES_TERMS (Horner):
    the asymptotic series of `-v Phi(v) / phi(v)` in `r = 1 / v^2`."""
    coeffs = [1.]
    for k in range(1, _LOG_NDTR_SERIES_TERMS):
        coeffs.append(-coeffs[-1] * (2 * k - 1))
    total = coeffs[-1] * r
    for c in reversed(coeffs[1:-1]):
        total = r * (c + total)
    return 1. + total


def _log_ndtr_nonpositive(w):
    """`log Phi(w)` and `Phi(w)` for `w <= 0` (see `log_ndtr` for the method).

    Returns `(log_q, q, central, w_tail, series)`: q = Phi(w) from `erfc`
    (0 where it underflows), log_q = log Phi(w), and the pieces of the
    asymptotic branch (`central` is where `erfc` is used, `w_tail` the
    series argument min(w, T), `series` = S(1 / w_tail^2)), which
    `log_ndtr_nonpositive_and_mills` reuses.
    """
    dtype = w.dtype
    q = 0.5 * tf.math.erfc(-w * _INV_SQRT_TWO)
    tail_start = tf.constant(_LOG_NDTR_TAIL_START[dtype_util.name(dtype)], dtype)
    central = w >= tail_start
    w_tail = tf.math.minimum(w, tail_start)
    w_tail_sq = tf.math.square(w_tail)
    series = _mills_series(tf.math.reciprocal(w_tail_sq))
    log_q = (tf.math.log(tf.where(central, q, series / -w_tail))
             + tf.where(central, tf.zeros([], dtype),
                        -0.5 * w_tail_sq - _HALF_LOG_TWO_PI))
    return log_q, q, central, w_tail, series


def log_ndtr(x):
    """`log Phi(x)`, finite and accurate in both tails.

    Written with three transcendental functions per element (one `erfc`, one
    `log`, one `log1p`) and no piecewise polynomial (TFP's `logerfc` goes
    through a 50-term Chebyshev `erfcx`, about as costly as the rest of a
    training step together). With w = -|x| <= 0 and q = Phi(w) =
    erfc(-w / sqrt(2)) / 2 (which `erfc` gives to full relative precision:
    no cancellation for a non-negative argument):

    * x <= 0, w >= T: `log(q)`.
    * x <= 0, w < T: q underflows (T = -10 in float32, -30 in float64, see
      `_LOG_NDTR_TAIL_START`), and the asymptotic series takes over:
      log Phi(w) = -w^2 / 2 - log(2 pi) / 2 + log(S(1 / w^2) / (-w)), with S
      from `_mills_series`; it is exact to working precision beyond T and
      needs no special function. Both cases share one `log`: its argument
      is `q` or `S / (-w)`, selected before the call.
    * x > 0: `log1p(-q)`, which keeps the tiny negative value -Phi(-x) that
      `log(1 - q)` rounds to zero; q may underflow to 0 there, which is then
      the correctly rounded answer.

    Measured against scipy's float64 `log_ndtr` for |x| up to 1e4: at most
    2.5 ulps (float32) and 4.5 ulps (float64) of relative error for x <= 0
    (TFP's `logerfc` form: 4 and 6); for x > 0 both forms inherit the
    conditioning of the tiny Phi(-x) in its argument (x^2 ulps). Every
    branch is evaluated at an argument that is safe for it
    (`tf.minimum(w, T)` in the series; `q` enters the `log` only where it is
    selected), so `tf.where` sends no NaN into the gradient. w is formed
    with `tf.where` rather than `abs`, so the gradient at x = 0 is the true
    phi(0) / Phi(0), not the zero subgradient of |x|.
    """
    neg = x <= 0.
    log_q, q, _, _, _ = _log_ndtr_nonpositive(tf.where(neg, x, -x))
    return tf.where(neg, log_q, tf.math.log1p(-q))


def log_ndtr_nonpositive(w):
    """`(log Phi(w), Phi(w))` for `w <= 0`, with Phi(w) = 0 where it
    underflows (log Phi(w) stays exact there); see `log_ndtr`."""
    log_q, q, _, _, _ = _log_ndtr_nonpositive(w)
    return log_q, q


def log_ndtr_nonpositive_and_mills(w):
    """`(log Phi(w), Phi(w), phi(w) / Phi(w))` for `w <= 0`.

    Phi(w) is 0 where it underflows (log Phi(w) is still exact there). The
    inverse Mills ratio phi / Phi is `exp(-w^2 / 2) / (sqrt(2 pi) q)` where
    `erfc` is used (both factors normal numbers: w >= T) and
    `-w / S(1 / w^2)` in the asymptotic branch; it is never formed as
    exp(log phi - log Phi), whose two terms are ~ w^2 / 2 and cancel. Its
    relative error is about w^2 ulps (the conditioning of exp(-w^2 / 2)),
    below 1e-13 in float64 and 6e-6 in float32 at |w| = T.
    """
    dtype = w.dtype
    log_q, q, central, w_tail, series = _log_ndtr_nonpositive(w)
    w_central = tf.math.maximum(w, tf.constant(_LOG_NDTR_TAIL_START[dtype_util.name(dtype)],
                                               dtype))
    q_central = tf.where(central, q, tf.ones([], dtype))
    mills = tf.where(
        central,
        tf.math.exp(-0.5 * tf.math.square(w_central) - _HALF_LOG_TWO_PI) / q_central,
        -w_tail / series)
    return log_q, q, mills


def straight_through(forward, backward):
    """`forward` in the forward pass, the gradient of `backward` in the backward
    pass.

    `backward - stop_gradient(backward)` is computed first: it is exactly
    zero for any finite `backward` (x - x == 0 in IEEE arithmetic), so the sum
    is `forward` bit for bit, including `forward = -inf` (`-inf + 0`).
    Writing `forward + backward - stop_gradient(backward)` instead would round
    `forward + backward` first. A gradient that `forward` carries itself flows
    too; pass `tf.stop_gradient(forward)` where it must not. `backward` must
    be finite (an infinite one gives `inf - inf = NaN`).
    """
    return forward + (backward - tf.stop_gradient(backward))


def into_open_unit(probs):
    """`probs` in [0, 1] with 0 and 1 moved inside (0, 1), with gradient 1.

    In the forward pass, a probability below the smallest normal number
    `tiny` of its dtype (0, or a subnormal one) becomes `sqrt(tiny)` (about
    1e-19 in float32 and bfloat16, 1e-154 in float64, 7.8e-3 in float16,
    whose range is narrow), 1 becomes the largest number below
    1 (`1 - eps / 2`), and every other probability is returned bit for bit.
    At the new points `log(p)`, `log1p(-p)`, `1 / p` and `1 / (1 - p)` are
    finite. The low point is `sqrt(tiny)` rather than `tiny` because
    TensorFlow flushes subnormal results to zero on CPU: a product such as
    `p * g` or `exp(log(p))` at `p = tiny` would round to zero and drop a
    term of the gradient, which at `sqrt(tiny)` keeps a margin of
    `sqrt(tiny)` against underflow.

    The move is straight-through: the gradient is 1 everywhere
    (`tf.clip_by_value` would give 0 at the moved points). A function of the
    result therefore has, at `probs` 0 and 1, the finite derivative it has
    at the new point: the one-sided limit to within rounding where that
    limit is finite, a large finite value where it is infinite. Use it for
    the gradient of a quantity whose value is computed from `probs` itself
    (see `straight_through`).

    Where it applies, and where `boundary_value` does instead. Both give a
    quantity at probability 0 or 1 a finite value and a finite derivative
    with respect to `probs`, but they are not one operation:

    * `into_open_unit` moves the point: any formula in `p` is evaluated and
      differentiated by autodiff at the moved point. That is right when the
      quantity is a function of `p` itself whose derivative changes on the
      scale of `p` (`log p`, `log1p(-p)`, the entropy of the straight-through
      forward laws, `relaxtfp.internal.forward_laws`), where the moved point
      is as close as the dtype allows, or where the true derivative is
      infinite and a large finite value is the intended answer.
    * `boundary_value` keeps the point and takes the exact value and the
      one-sided limit of the derivative in closed form. That is needed for
      the relaxed Bernoulli laws (`HardConcrete`, `RebarRelaxation`), whose
      quantities depend on `logit(p) - c` for a constant `c` of any size:
      the moved point is only `logit(1 - eps / 2) = 16.6` from the centre in
      float32, so the derivative found there is wrong. For example, the
      derivative of `sigmoid(logit(p) - c)` at `p = 1` is `exp(c)`; through
      `into_open_unit` float32 gives 0 for `c = -2.4` (the sigmoid has
      already rounded to 1) and 5.4e5 instead of 4.9e8 for `c = 20`.
    """
    probs = tf.convert_to_tensor(probs)
    np_dtype = dtype_util.as_numpy_dtype(probs.dtype)
    finfo = np.finfo(np_dtype)
    low = tf.constant(np.sqrt(float(finfo.tiny)), probs.dtype)
    high = tf.constant(np.nextafter(np_dtype(1.), np_dtype(0.)), probs.dtype)
    value = tf.stop_gradient(probs)
    inner = tf.where(value < float(finfo.tiny), low, tf.math.minimum(value, high))
    return straight_through(inner, probs)


def bernoulli_logits_and_boundary(logits=None, probs=None):
    """Finite logits of a Bernoulli parameter that may be exactly 0 or 1.

    Exactly one of `logits` and `probs` is given. Probabilities 0 and 1 (and
    logits -inf and +inf) are valid parameters, the degenerate laws at the
    ends, but their logits are infinite: a formula in the logits then meets
    `inf - inf` in its value or `0 * inf` in its gradient (the derivative of
    `logit(p)` is infinite there). This separates them out.

    Returns `(logits, side, tangent)`:

    * `logits`: `logit(probs)` (or `logits`) where that is finite, and a
      stand-in 0 at the boundary, so that every formula evaluated on them is
      finite in value and gradient. No gradient flows through the stand-in;
      callers overwrite the results there with `tf.where`.
    * `side`: -1 where the probability is 0 (logits -inf), +1 where it is 1
      (logits +inf), 0 elsewhere, in the dtype of the parameter.
    * `tangent`: 0 in value everywhere; with respect to `probs` its
      derivative is 1 at probabilities 0 and 1 and 0 elsewhere (and it is
      constant when `logits` is given). `boundary_value(v, slope, tangent)`
      uses it to give a boundary result the value `v` and the derivative
      `slope` with respect to `probs`, the one-sided limit of the derivative
      inside. With `logits` given, the derivative with respect to the
      logits at +-inf is left at 0, the limit of every quantity that
      saturates there.

    `probs` outside [0, 1] are not treated as boundary values (their logits
    are NaN, as `validate_args=True` would have reported).
    """
    if probs is None:
        logits = tf.convert_to_tensor(logits)
        zero = tf.zeros([], logits.dtype)
        infinite = tf.math.is_inf(logits)
        side = tf.where(infinite, tf.math.sign(logits), zero)
        return tf.where(infinite, zero, logits), side, tf.zeros_like(logits)
    probs = tf.convert_to_tensor(probs)
    zero = tf.zeros([], probs.dtype)
    at_zero = tf.equal(probs, 0.)
    at_one = tf.equal(probs, 1.)
    boundary = at_zero | at_one
    # The double `where`: logit is evaluated only at finite points, so its
    # infinite derivative at 0 and 1 never meets the zero upstream gradient.
    safe = tf.where(boundary, tf.constant(0.5, probs.dtype), probs)
    logits = tf.where(boundary, zero, logit(safe))
    one = tf.ones([], probs.dtype)
    side = tf.where(at_zero, -one, tf.where(at_one, one, zero))
    tangent = tf.where(boundary, probs - tf.stop_gradient(probs), zero)
    return logits, side, tangent


def boundary_value(value, slope, tangent):
    """`value + slope * tangent`, with the value exactly `value`.

    With `tangent` from `bernoulli_logits_and_boundary`, the result has the
    value `value` and the derivative `slope` with respect to `probs` at the
    boundary. The slope is a derivative only: no gradient flows into it (its
    own derivative would be multiplied by the zero value of `tangent`, and
    `0 * inf` is NaN where a slope computed for an unselected element
    overflows). A slope beyond the largest float is clipped to it, so the
    gradient stays finite. For when to use it rather than `into_open_unit`
    (they are different operations), see `into_open_unit`.
    """
    big = np.finfo(dtype_util.as_numpy_dtype(tangent.dtype)).max
    slope = tf.clip_by_value(tf.stop_gradient(slope), -big, big)
    return value + slope * tangent


# |x| beyond which sigmoid(x) and exp(-|x|) round to exactly 1 and 0: exp(-110)
# is below half the smallest float32 subnormal (1.4e-45), exp(-750) below that
# of float64 (4.9e-324).
_SATURATION = {"float16": 20., "bfloat16": 110., "float32": 110., "float64": 750.}


def clip_to_saturation(y, temperature):
    """`y` clipped to `[-c * temperature, c * temperature]`, c = saturation.

    For the argument `y / temperature` of a sigmoid or (after subtracting the
    maximum) of a softmax. Beyond `c` those are exactly 0 or 1 already, so
    values are unchanged. What changes is the gradient with respect to the
    temperature: that of `y / temperature` is `-y / temperature**2`, which
    overflows for extreme `y` (logits of 1e30) and small temperatures
    (1e-6 in float32), and then meets the zero derivative of the saturated
    function as `0 * inf = NaN`. After the clip it is at most
    `c / temperature`.
    """
    bound = _SATURATION.get(dtype_util.name(y.dtype), 750.) * temperature
    return tf.clip_by_value(y, -bound, bound)


def relaxed_sigmoid(z, temperature):
    """`sigmoid(z / temperature)` in the open interval (0, 1), for any `z`.

    `sigmoid_in_open_unit` of `clip_to_saturation(z, temperature)`: the
    values are those of `sigmoid_in_open_unit`, and for infinite or huge
    `z`, or tiny temperatures, where `z / temperature` overflows, the
    derivatives stay finite instead of `0 * inf = NaN`.
    """
    return sigmoid_in_open_unit(clip_to_saturation(z, temperature), temperature)


def relaxed_softmax(x, temperature):
    """`softmax(x / temperature)` over the last axis, for any `x` with a
    finite maximum per row (-inf entries, huge finite entries).

    Computed as `softmax(clip_to_saturation(x - m) / temperature)` with
    `m = stop_gradient(max(x))` (softmax is invariant to the shift, whose
    derivative cancels): entries below the clip have `exp` of exactly 0 as
    before, while `x / temperature` can no longer overflow to `+inf` (NaN
    values) and `x - m = -inf` no longer meets a zero derivative in
    `0 * inf` (NaN derivatives with respect to `temperature`). The quotient
    is `backend.divide`, whose temperature derivative stays finite on JAX at
    temperatures as small as 1e-30 in float32.
    """
    m = tf.stop_gradient(tf.reduce_max(x, axis=-1, keepdims=True))
    return softmax(backend.divide(clip_to_saturation(x - m, temperature), temperature))
