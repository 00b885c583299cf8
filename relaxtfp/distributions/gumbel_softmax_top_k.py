"""Relaxed top-k subsets by Gumbel-top-k (Kool, van Hoof and Welling, 2019)."""

import functools
import itertools
import math
import numbers

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import noise
from relaxtfp.internal.parameters import CategoricalLogitsProbsMixin
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import check_exactly_one
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.simplex import SoftmaxCenteredLebesgue
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization
from relaxtfp.internal.tfp_internal import tensor_util
from relaxtfp.internal.tfp_internal import tensorshape_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["GumbelSoftmaxTopK"]

# `log_prob` sums over the orders in which a set can be drawn with a dynamic
# program over its subsets: time and memory grow like k * 2**k (see
# `_log_set_probability`). Beyond this size the graph would be impractical.
MAX_K_LOG_PROB = 20

# The level `t` of the relaxation is searched in centred, temperature-scaled
# units u = (t - c) / temperature, within [-_CLIP, _CLIP] widened by
# log(k) and log(K - k). Outside that window every entry is farther than _CLIP
# from the level, so the constraint is met to K * exp(-2 * _CLIP) ~ K * 9e-27,
# far below float64 rounding (see `_solve_level`).
_CLIP = 30.
# Safeguarded Newton steps per dtype, started from the middle of the bracket
# (see `_solve_level`); each costs two sigmoid passes over [..., K]. Over
# K in {2, 5, 50, 100, 1000, 10000} with k from 1 to K - 1, temperatures
# 1e-3..1e3, logits of scale 0.1..50, and rows where a random number of
# entries is raised by 10 x scale (saturated entries), the worst row reaches
# the rounding floor of the sum (|sum - k| / k <= 4.8e-7 in float32,
# 6.7e-16 in float64) after 8 steps in float32 and 10 in float64 (measured
# with benchmarks on these rows); the counts below add 2 steps of margin.
_NUM_NEWTON = {"float16": 10, "bfloat16": 10, "float32": 10, "float64": 12}


def _solve_level(z, k, top=None):
    """Solves sum_i sigmoid(z_i - u) = k for u, row by row (no gradient).

    `z` has shape [..., K] and is the centred, scaled vector
    (g - c) / temperature, where c lies between the k-th and (k+1)-th largest
    entries of g, so that z_(k) >= 0 >= z_(k+1) (descending order). `top`, if
    given, holds the k + 1 largest entries of `z` in descending order (saves
    a `top_k`).

    The left side, f(u) + k, decreases strictly in u. A bracket:

      * at u = z_(k+1) - log(k), the k+1 largest entries are each at least
        sigmoid(log k) = k / (k + 1), so the sum is >= k;
      * at u = z_(k) + log(K - k), the K - k + 1 entries from the k-th down
        are each at most 1 / (K - k + 1) and the others below 1, so the sum
        is <= k.

    The ends are clipped to [-_CLIP - log k, _CLIP + log(K - k)]: when the
    gap between the k-th and (k+1)-th entries exceeds 2 * _CLIP, the sum
    is k to within k * exp(-2 * _CLIP) everywhere in the clipped window.

    Starting from the middle of the bracket, we take Newton steps
    u <- u + f(u) / D(u), D(u) = sum sigmoid(z - u) sigmoid(u - z) = -f'(u),
    keeping the bracket up to date and falling back to bisection whenever a
    Newton step would leave it (so each step at worst halves the bracket).
    Pure bisection steps before the Newton steps would make the worst case
    slower, not faster (see `_NUM_NEWTON`). Everything is vectorized over the batch
    and runs a fixed number of iterations, so it compiles under XLA.
    """
    dtype = z.dtype
    num_categories = ps.shape(z)[-1]
    if top is None:
        top = tf.math.top_k(z, k=k + 1, sorted=True).values
    log_k = tf.cast(math.log(k), dtype)
    log_rest = tf.math.log(tf.cast(num_categories - k, dtype))
    clip = tf.constant(_CLIP, dtype)
    lo = tf.maximum(top[..., k], -clip) - log_k
    hi = tf.minimum(top[..., k - 1], clip) + log_rest
    target = tf.cast(k, dtype)

    def residual(u):
        s_pos = tf.math.sigmoid(z - u[..., tf.newaxis])
        s_neg = tf.math.sigmoid(u[..., tf.newaxis] - z)
        return (tf.reduce_sum(s_pos, axis=-1) - target,
                tf.reduce_sum(s_pos * s_neg, axis=-1))

    # A Newton step may land just outside the bracket by rounding when the
    # root is at an end already evaluated (e.g. the first midpoint); within
    # this slack it is clipped back instead of rejected.
    slack = 8. * dtype_util.eps(dtype) * (1. + tf.maximum(tf.abs(lo), tf.abs(hi)))

    def newton(u, lo, hi):
        f, d = residual(u)
        # f > 0: the sum exceeds k, the level must rise.
        lo = tf.where(f > 0., u, lo)
        hi = tf.where(f < 0., u, hi)
        step = u + f / tf.maximum(d, dtype_util.eps(dtype) ** 2)
        ok = (d > 0.) & (step >= lo - slack) & (step <= hi + slack)
        return (tf.where(ok, tf.clip_by_value(step, lo, hi), 0.5 * (lo + hi)),
                lo, hi)

    # A Python loop (unrolled in the graph), not tf.while_loop: under XLA on
    # CPU (TF 2.21), a while loop in the same compiled function as the
    # Philox noise changes the noise itself (other Gumbel draws than eagerly
    # for the same seed), which would break eager/XLA agreement.
    state = (0.5 * (lo + hi), lo, hi)
    for _ in range(_NUM_NEWTON.get(dtype_util.name(dtype), 12)):
        state = newton(*state)
    return state[0]


def relaxed_top_k(g, temperature, k):
    """The relaxed k-hot vector sigmoid((g - t) / temperature), sum = k.

    See `_relaxed_top_k_from_top`, which this calls with the k + 1 largest
    keys.
    """
    top = tf.math.top_k(tf.stop_gradient(g), k=k + 1, sorted=True).values
    return _relaxed_top_k_from_top(g, temperature, k, top)


def _relaxed_top_k_from_top(g, temperature, k, top):
    """The relaxed k-hot vector sigmoid((g - t) / temperature), sum = k.

    `g`: [..., K] perturbed keys; `temperature`: [...] (broadcastable);
    `top`: [..., k + 1], the k + 1 largest keys in descending order (no
    gradient).
    The level t is found by `_solve_level` without gradient; the gradient
    comes from the implicit function theorem applied to the constraint.
    With z = (g - c) / temperature, a_i = sigmoid(z_i - u) and
    s'_i = a_i (1 - a_i), D = sum_j s'_j,

        du / dz_j = s'_j / D,
        da_i / dz_j = s'_i (delta_ij - s'_j / D),

    so |da_i / dg_j| <= 1 / (4 * temperature) for every i, j, whatever the
    keys. The implicit gradient enters as the first-order term of one Newton
    step, u = u0 + (r - stop_gradient(r)) with r = (sum a(u0) - k) / D: its
    value is exactly u0 (the solver's answer), its derivative is s'_j / D.
    """
    dtype = g.dtype
    temperature = temperature[..., tf.newaxis]
    # Centre between the k-th and (k+1)-th largest keys before dividing by
    # the temperature. The result does not depend on the centre (only on
    # g - t), so it carries no gradient; centring keeps z moderate near the
    # level, which keeps d z / d temperature = -(g - c) / temperature**2
    # large only for entries whose sigmoid is saturated (zero derivative),
    # instead of summing huge terms that cancel.
    # Keys of -inf (zero probabilities) get sigmoid 0; if the (k+1)-th key is
    # one of them, centre on the k-th so that z stays free of inf - inf.
    centre = tf.where(top[..., k] > dtype_util.min(top.dtype),
                      0.5 * (top[..., k - 1] + top[..., k]), top[..., k - 1])
    z = (g - centre[..., tf.newaxis]) / temperature
    # The same monotone map applied to the largest keys: the largest entries
    # of z, in the same order (temperature > 0).
    top_z = (top - centre[..., tf.newaxis]) / tf.stop_gradient(temperature)
    u0 = tf.stop_gradient(_solve_level(tf.stop_gradient(z), k,
                                       top=tf.stop_gradient(top_z)))
    a_pos = tf.math.sigmoid(z - u0[..., tf.newaxis])
    a_neg = tf.math.sigmoid(u0[..., tf.newaxis] - z)
    slope = tf.stop_gradient(a_pos * a_neg)
    total_slope = tf.maximum(tf.reduce_sum(slope, axis=-1),
                             np.finfo(dtype_util.as_numpy_dtype(dtype)).tiny)
    newton = (tf.reduce_sum(a_pos, axis=-1) - tf.cast(k, dtype)) / total_slope
    u = u0 + (newton - tf.stop_gradient(newton))
    return tf.math.sigmoid(z - u[..., tf.newaxis])


@functools.lru_cache(maxsize=None)
def _subset_tables(k):
    """Static index tables of the subset dynamic program, layer by layer.

    Layer j lists the j-element subsets A of {0, ..., k-1}. For each A and
    each i in A it gives the position of A minus {i} in layer j - 1 and i.
    Also, for every subset B of layer j, the mask of the elements not in B.
    """
    layers = [[()]]
    for j in range(1, k + 1):
        layers.append(list(itertools.combinations(range(k), j)))
    position = [{a: p for p, a in enumerate(layer)} for layer in layers]
    preds, elems, outside = [], [], []
    for j in range(1, k + 1):
        pred = np.array([[position[j - 1][tuple(x for x in a if x != i)]
                          for i in a] for a in layers[j]], np.int32)
        elem = np.array([list(a) for a in layers[j]], np.int32)
        preds.append(pred)
        elems.append(elem)
    for j in range(k):
        outside.append(np.array([[i not in b for i in range(k)]
                                 for b in layers[j]], bool))
    return preds, elems, outside


def _log_set_probability(logits_in, max_out, log_sum_out, k):
    """log P(the k draws without replacement form exactly the given set).

    `logits_in`: [..., k], the logits of the k members (finite);
    the non-members' weight is `exp(max_out + log_sum_out)`, given as
    `max_out` [...], the largest non-member logit (-inf if every non-member
    has weight 0), and `log_sum_out` [...], the log of the summed
    `exp(logits - max_out)` over the non-members (0 if none). With
    w_i = exp(logits_i), W the total weight and B the members drawn so far,
    the Plackett-Luce chance to draw member i next is w_i / (W - w_B). Let
    Q(A) be the probability that the first |A| draws are the members in A, in
    any order; then Q({}) = 1 and

        Q(A) = sum_{i in A} Q(A - {i}) * w_i / (W - w_{A - {i}}),

    and P(S) = Q(S). All terms are positive, so the sum in log space
    (logsumexp) has no cancellation; the remaining weights
    W - w_B = w_out + sum_{i in S - B} w_i are themselves sums of positive
    terms, never differences. Each is taken relative to c_B, the largest
    logit that remains, and every factor is formed from differences of the
    given logits:

        log(w_i / (W - w_B)) = (logits_i - c_B) - log(sum_{m left} exp(logits_m - c_B)).

    So the result depends only on differences of logits, each rounded once:
    logits of 1e30 keep their ties (log(2) added to 1e30 would be lost), and
    moderate logits keep their differences next to huge ones (with logits
    [1e30, 5, 0], a shift by the largest would round 5 and 0 to the same
    -1e30 in float32; once 1e30 is drawn, c_B is 5 and the program forms
    5 - 5 and 0 - 5). Cost: k * 2**(k - 1)
    terms per value (about 5e3 for k = 10), against k! orders for the direct
    sum; the memory peak is k * C(k, k/2) per value.
    """
    preds, elems, outside = _subset_tables(k)
    dtype = logits_in.dtype
    neg_inf = tf.constant(-np.inf, dtype)
    log_q = tf.zeros(ps.concat([ps.shape(logits_in)[:-1], [1]], axis=0), dtype)
    max_out = max_out[..., tf.newaxis]
    log_sum_out = log_sum_out[..., tf.newaxis]
    for j in range(k):
        # For every B in layer j: c_B, and log((W - w_B) / exp(c_B)), which
        # lies in [0, log K]. c_B is a shift that cancels (no gradient).
        masked = tf.where(outside[j], logits_in[..., tf.newaxis, :], neg_inf)
        centre = tf.stop_gradient(tf.maximum(tf.reduce_max(masked, axis=-1), max_out))
        remaining = tf.math.log(
            tf.reduce_sum(tf.math.exp(masked - centre[..., tf.newaxis]), axis=-1)
            + tf.math.exp(max_out - centre + log_sum_out))
        step = log_q - remaining  # log(Q(B) exp(c_B) / (W - w_B)), layer j.
        terms = (tf.gather(step, preds[j], axis=-1)
                 + (tf.gather(logits_in, elems[j], axis=-1)
                    - tf.gather(centre, preds[j], axis=-1)))
        log_q = tf.reduce_logsumexp(terms, axis=-1)
    return log_q[..., 0]


_K_RULE = ("Argument `k` must be an integer with 1 <= k < K, where K (the number "
           "of categories) is the last dimension of `logits` or `probs`")


def _static_k(k):
    """`k` as a Python `int` >= 1, or `ValueError` naming `k` and the rule.

    `k` sets the shapes of the top-k (the sampler takes the k + 1 largest
    keys, `log_prob` a program over the subsets of a k-set), so its value
    must be known when the graph is built: a Python or NumPy integer, or an
    integer tensor or array of rank 0 whose value is known statically (any
    tensor eagerly, a constant in a traced function). Booleans, floats (even
    integral ones such as 2.0) and values known only at run time raise.
    """
    if isinstance(k, (bool, np.bool_)):
        raise ValueError(f"{_K_RULE}; got the boolean k={k!r}.")
    if isinstance(k, (numbers.Integral, np.integer)):
        value = int(k)
    elif hasattr(k, "dtype") and hasattr(k, "shape"):
        try:
            dtype = tf.as_dtype(k.dtype)
        except TypeError:
            dtype = None
        if dtype is None or not dtype_util.is_integer(dtype):
            raise ValueError(f"{_K_RULE}; got k={k!r} of dtype {k.dtype}.")
        value = None if tensor_util.is_ref(k) else tf.get_static_value(k)
        if value is None:
            raise ValueError(
                f"{_K_RULE}, known when the distribution is built (it sets the "
                f"shapes of the top-k); got k={k!r}, whose value is only known "
                f"at run time.")
        if np.ndim(value) != 0:
            raise ValueError(
                f"{_K_RULE}: a single integer, shared by the batch; got k of "
                f"shape {np.shape(value)}.")
        value = int(value)
    else:
        raise ValueError(f"{_K_RULE}; got k={k!r}.")
    if value < 1:
        raise ValueError(f"{_K_RULE}; got k={value}.")
    return value


def _top_k_mask(values, kth_value, kth_index):
    """The indicator (bool) of the k largest entries of `values` [..., K].

    `kth_value` and `kth_index` [..., 1] are the value and index of the k-th
    entry chosen by `tf.math.top_k(values, k)`. The set is found by
    comparison with the k-th value (O(K) per row, no [..., k, K] one-hot).
    Ties are not negligible in floating point (float32 keys collide with
    probability ~1e-7 per pair, and a k-hot vector is all ties), so entries
    equal to the k-th are broken by index, as `top_k` does (equal values:
    lower index first): among them, those at indices up to that of the k-th
    chosen entry are in the set. So the set is exactly that of `top_k`, with
    exactly k members.
    """
    index = tf.range(ps.shape(values)[-1], dtype=kth_index.dtype)
    return (values > kth_value) | ((values == kth_value) & (index <= kth_index))


def _outside_weight(logits, member):
    """The non-members' summed weight exp(logits), as `(max_out, log_sum)`.

    `max_out` [...] is the largest non-member logit and `log_sum` the log of
    sum(exp(logits - max_out)) over the non-members, in [0, log K]: the
    weight is exp(max_out + log_sum), kept in two parts so that the subset
    program can take it relative to its own reference (see
    `_log_set_probability`). Where every non-member has weight 0 (logits of
    -inf: only k categories have positive probability), `max_out` is -inf
    and `log_sum` 0, with zero gradients; `tf.reduce_logsumexp` would give
    the gradient exp(-inf - (-inf)) = NaN there.
    """
    dtype = logits.dtype
    neg_inf = tf.constant(-np.inf, dtype)
    outside = tf.where(member, neg_inf, logits)
    max_out = tf.stop_gradient(tf.reduce_max(outside, axis=-1))
    empty = tf.equal(max_out, neg_inf)
    shift = tf.where(empty, tf.zeros([], dtype), max_out)
    total = tf.reduce_sum(tf.math.exp(outside - shift[..., tf.newaxis]), axis=-1)
    log_sum = tf.math.log(tf.where(empty, tf.ones([], dtype), total))
    return max_out, log_sum


def _static_num_categories(param):
    """K if the last dimension of `param` is known statically, else None."""
    if tensorshape_util.rank(param.shape) in (None, 0):
        return None
    return tf.compat.dimension_value(param.shape[-1])


class GumbelSoftmaxTopK(CategoricalLogitsProbsMixin, tfd.AutoCompositeTensorDistribution):
    """A relaxed k-hot vector: the top-k of Gumbel-perturbed logits, softened.

    Adding independent Gumbel noise to the logits of K categories and taking
    the k largest keys draws k categories without replacement, each draw
    proportional to `exp(logits)` among those left (the Gumbel-top-k trick,
    Kool et al., 2019). This distribution returns that set as a k-hot vector
    (`hard=True`, straight-through) or a continuous relaxation of it
    (`hard=False`): a vector in `[0, 1]^K` whose entries sum to exactly k,
    which tends to the k-hot vector as `temperature -> 0` and to the
    constant `k / K` as `temperature -> inf`.

    #### Mathematical Details

    Sampler, with `G_i` i.i.d. standard Gumbel for every element:

    ```none
    g_i   = logits_i + G_i                       # perturbed keys
    hard  = k-hot indicator of the k largest g_i
    soft  = sigmoid((g_i - t) / temperature)     # t solves sum_i soft_i = k
    ```

    The relaxation is a logistic soft threshold at the level `t`; every
    entry lies in `[0, 1]`, the entries sum to `k`, and the order of the
    entries is the order of the keys (so the largest entry marks the first
    draw, and the k largest the hard set). `t` is found per row by a fixed
    number of safeguarded Newton steps (in-graph, XLA
    compatible); the sum equals `k` up to the rounding of the sum itself
    (measured `|sum - k| / k <= 4.2e-7` in float32 and `9e-16` in float64
    for K up to 1000, temperatures 1e-3..1e3, logits of scale up to 50,
    including rows with saturated entries). Its
    gradient is exact: by the implicit function theorem on the constraint,
    with `s'_i = soft_i (1 - soft_i)`,

    ```none
    d soft_i / d g_j = s'_i (delta_ij - s'_j / sum_l s'_l) / temperature,
    ```

    bounded by `1 / (4 temperature)` whatever the logits. With `hard=True`
    the sample's value is the exact k-hot vector and its gradient is the
    relaxation's (straight-through).

    With `hard=True`, `log_prob(x)` scores a k-hot `x` under the law of the
    sample: the probability that the set `S = {i : x_i = 1}` is drawn, in
    any order,

    ```none
    P(S) = sum over orders (i_1..i_k) of S of
             prod_j w_{i_j} / (W - w_{i_1} - ... - w_{i_{j-1}}),
    w = exp(logits - max(logits)), W = sum(w).
    ```

    It is computed exactly, in log space, by a dynamic program over the
    subsets of `S` (cost `k 2^(k-1)` terms per value against `k!` for the
    plain sum; `k <= 20`) whose every factor is formed from differences of
    the logits, relative to the largest logit left to draw. This is the same
    probability as Kool et al.'s integral
    `int_0^1 prod_{i in S} (1 - v^(w_i / w_out)) dv`, with `w_out` the
    weight outside `S`.

    Off the k-hot vectors, `log_prob` is extended so that it has a gradient
    in the value, as `tfd.Bernoulli.log_prob` has: a straight-through sample
    `z` then carries the gradients of `log q(z)` and `log p(z)` in an ELBO.
    With `S(x)` the set of the k largest entries of `x` (ties to the lower
    index, as `tf.math.top_k`) and `1[S(x)]` its k-hot vector,

    ```none
    log_prob(x) = log P(S(x)) + sum_i (x_i - 1[S(x)]_i) slope_i,
    slope_i     = max(log softmax(logits)_i, log(tiny)).
    ```

    On a k-hot `x` the sum is exactly 0, so `log_prob` is exactly
    `log P(S)`; around it, `log_prob` is affine in `x` with gradient `slope`,
    the log-probability of each category as the first draw. For `k = 1` the
    extension is `sum_i x_i log softmax(logits)_i` everywhere, the value and
    gradient of `tfd.OneHotCategorical.log_prob`; for `K = 2` and
    `x = (1 - b, b)` it is `tfd.Bernoulli`'s `b logit - softplus(logit)`.
    For `k > 1`, exchanging a member `i` of the set for a non-member `j`
    changes the extension by `logits_j - logits_i`, the change of
    `log P(S)` in the limit where the set's weight is small against the
    total (`P(S) -> k! prod_{i in S} w_i / W^k`). The floor `log(tiny)`
    (-87.3 in float32, -708.4 in float64) keeps the slope finite for
    categories of probability 0, where the relaxed sample's gradient is 0.

    With `hard=False`, `log_prob` raises `NotImplementedError`, as TFP does
    for a method a distribution lacks: the relaxed vector has no tractable
    density, and a subset probability would score the value under another
    law than the sample's, silently, inside `tfd.Independent`, `tfd.Sample`,
    a joint distribution or a VI loss. Score subsets with
    `dist.copy(hard=True).log_prob(k_hot)`.

    At the boundaries:

    * Probabilities of 0 (zeros in `probs`, or logits of `-inf`): those
      categories are never drawn, and the relaxation gives them exactly 0.
      A set that contains one has `log_prob` `-inf`, with gradient 0; the
      other sets have finite log-probabilities and gradients (`log(0)` is
      taken as `-inf` with gradient 0). At least k probabilities must be
      positive; with exactly k, their set has probability 1 and the
      relaxation equals it.
    * Extreme logits: samples and `log_prob` work relative to the largest
      logit, so huge logits keep their ties (with `logits = [1e30, 1e30, 0]`
      and `k = 1`, each of the first two is drawn with probability 1/2) and
      log-probabilities down to about `-1e30` are exact. `log_prob` also
      keeps moderate differences next to huge logits (`[1e30, 1e30, 5, 0]`
      with `k = 3`: the third member is 5 or 0 with odds `e^5 : 1`). The
      sampler cannot: a key `logits - max + G` far below the largest loses
      the noise `G` to rounding (entirely beyond about `1 / eps` below,
      1.7e7 in float32), so such categories, when drawn, come in index
      order rather than by their odds.
    * A value that is not k-hot is outside the support: `log_prob` raises
      `InvalidArgumentError` under `validate_args=True`; otherwise it
      returns the extension above, a finite number but no probability (as
      `tfd.Bernoulli.log_prob(0.5)` does). A value whose last dimension is
      not K raises `ValueError`.
    * `k` must be an integer (Python or NumPy, or an integer tensor whose
      value is known statically) with `1 <= k < K`: otherwise `ValueError`
      naming `k` at construction, or `InvalidArgumentError` at run time
      under `validate_args=True` when K is only known then. `log_prob`
      needs `k <= 20` (`NotImplementedError` beyond).

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    # Choose 2 of 5 features, per example of a batch of 3.
    logits = tf.random.stateless_normal([3, 5], seed=(1, 2))
    dist = relaxtfp.distributions.GumbelSoftmaxTopK(
        k=2, temperature=0.5, logits=logits)
    soft = dist.sample(seed=(3, 4))       # Shape [3, 5]; rows sum to 2.
    hard_dist = relaxtfp.distributions.GumbelSoftmaxTopK(
        k=2, temperature=0.5, logits=logits, hard=True)
    mask = hard_dist.sample(seed=(3, 4))  # Exactly 2-hot rows, same sets.
    lp = hard_dist.log_prob(mask)         # log P(set), shape [3].
    ```

    #### References

    [1]: Wouter Kool, Herke van Hoof and Max Welling. Stochastic Beams and
         Where to Find Them: The Gumbel-Top-k Trick for Sampling Sequences
         Without Replacement. In _International Conference on Machine
         Learning_, 2019. https://arxiv.org/abs/1903.06059
    [2]: Wouter Kool, Herke van Hoof and Max Welling. Estimating Gradients
         for Discrete Random Variables by Sampling without Replacement. In
         _International Conference on Learning Representations_, 2020.
         https://arxiv.org/abs/2002.06043
    [3]: Sang Michael Xie and Stefano Ermon. Reparameterizable Subset
         Sampling via Continuous Relaxations. In _International Joint
         Conference on Artificial Intelligence_, 2019.
         https://arxiv.org/abs/1901.10517
    """

    def __init__(self,
                 k,
                 temperature,
                 logits=None,
                 probs=None,
                 hard=False,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="GumbelSoftmaxTopK"):
        """Constructs a batch of relaxed top-k subset distributions.

        Args:
          k: The size of the subset, an integer with `1 <= k < K` where `K`
            is the number of categories (the last dimension of `logits` or
            `probs`): a Python or NumPy integer, or an integer tensor whose
            value is known statically. Shared by the whole batch.
          temperature: Positive float `Tensor` of shape broadcastable to
            `batch_shape`, the temperature of the relaxation.
          logits: Float `Tensor` of shape `batch_shape + [K]`: the log-weights
            of the categories (unnormalized; each draw picks a remaining
            category with probability proportional to `exp(logits)`).
            Exactly one of `logits` and `probs`.
          probs: Float `Tensor` of shape `batch_shape + [K]`, on the simplex:
            the probabilities of the first draw. Used as `logits = log(probs)`
            (never as logits themselves), with `log(0) = -inf` and a
            gradient of 0 there. At least k entries must be positive.
          hard: Python `bool`. If `True`, samples are exact k-hot vectors
            whose gradient is that of the relaxation (straight-through).
            Default `False`: samples are the relaxation.
          validate_args: Python `bool`, default `False`. When `True`
            distribution parameters are checked for validity despite possibly
            degrading runtime performance. When `False` invalid inputs may
            silently render incorrect outputs.
          allow_nan_stats: Python `bool`, default `True`. When `True`,
            statistics (e.g., mean, mode, variance) use the value "`NaN`" to
            indicate the result is undefined. When `False`, an exception is
            raised if one or more of the statistic's batch members are
            undefined.
          name: Python `str` name prefixed to Ops created by this class.

        Raises:
          ValueError: If both or neither of `logits` and `probs` are given, or
            if `k` is not an integer with `1 <= k < K` (checked at
            construction when `K` is known statically, else at run time under
            `validate_args`), or if `k` is a tensor whose value is only known
            at run time.
        """
        parameters = dict(locals())
        check_exactly_one(logits=logits, probs=probs)
        self._k = _static_k(k)
        # Kept as a Python int, so that copies, slices and the composite
        # tensor rebuild the distribution with a static k (a tensor argument
        # would become a component, whose value a traced function cannot see).
        parameters["k"] = self._k
        self._hard = bool(hard)
        with tf.name_scope(name) as name:
            dtype = float_dtype(temperature=temperature, logits=logits, probs=probs)
            self._temperature = convert_float(temperature, dtype=dtype, name="temperature")
            self._logits = convert_float(logits, dtype=dtype, name="logits")
            self._probs = convert_float(probs, dtype=dtype, name="probs")
            param = self._logits if self._logits is not None else self._probs
            num_categories = _static_num_categories(param)
            if num_categories is not None and not self._k < num_categories:
                raise ValueError(
                    f"{_K_RULE}; got k={self._k} with K={num_categories}.")
            super().__init__(
                dtype=dtype,
                reparameterization_type=reparameterization.FULLY_REPARAMETERIZED,
                validate_args=validate_args,
                allow_nan_stats=allow_nan_stats,
                parameters=parameters,
                name=name)

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return dict(
            temperature=parameter_properties.ParameterProperties(
                shape_fn=lambda sample_shape: sample_shape[:-1],
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype)))),
            logits=parameter_properties.ParameterProperties(event_ndims=1),
            probs=parameter_properties.ParameterProperties(
                event_ndims=1,
                default_constraining_bijector_fn=SoftmaxCenteredLebesgue,
                is_preferred=False),
        )

    @property
    def k(self):
        """The subset size (Python `int`)."""
        return self._k

    @property
    def hard(self):
        """Whether samples are exact k-hot vectors (straight-through)."""
        return self._hard

    @property
    def temperature(self):
        """The temperature of the relaxation."""
        return self._temperature

    def _param(self):
        return self._logits if self._logits is not None else self._probs

    def discrete_law(self, name="discrete_law"):
        """The law of the hard k-hot set: this distribution with `hard=True`.

        The discrete value behind a sample is the k-hot vector of its k
        largest entries, the Gumbel-top-k set: k categories drawn without
        replacement, each proportional to `exp(logits)` among those left.
        TFP has no distribution of k-subsets, and this one, with
        `hard=True`, is that law exactly: its samples are those k-hot
        vectors and its `log_prob` scores a k-hot vector by the exact
        probability of its set (see the class docstring). The method
        therefore returns `self.copy(hard=True)`, with the same parameters,
        batch shape, dtype, `validate_args` and `allow_nan_stats`.
        `kl_divergence` is not registered for it: the KL between two
        k-subset laws sums over all C(K, k) sets.

        Args:
          name: Python `str` name of the returned distribution.

        Returns:
          A `GumbelSoftmaxTopK` with `hard=True`.

        #### Examples

        ```python
        import numpy as np
        import relaxtfp

        d = relaxtfp.distributions.GumbelSoftmaxTopK(
            k=2, temperature=0.5, logits=[0., 1., 2., 3.])
        law = d.discrete_law()
        mask = law.sample(seed=(1, 2))               # Exactly 2-hot.
        log_p = law.log_prob(mask)                   # log P(set).
        # The 6 sets of 2 of 4 categories have total probability 1.
        sets = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1],
                         [0, 1, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]], np.float32)
        np.testing.assert_allclose(np.exp(law.log_prob(sets)).sum(), 1., rtol=1e-5)
        ```
        """
        return self.copy(hard=True, name=name)

    def _event_shape(self):
        return tf.TensorShape(self._param().shape[-1:])

    def _event_shape_tensor(self):
        return ps.shape(self._param())[-1:]

    def _sample_n(self, n, seed=None):
        temperature = tf.convert_to_tensor(self._temperature)
        logits = self._logits_parameter_no_checks()
        batch_shape = self._batch_shape_tensor(temperature=temperature,
                                               logits=logits)
        event_shape = ps.shape(logits)[-1:]
        shape = ps.concat([[n], batch_shape, event_shape], axis=0)
        # The keys' order, and the relaxation (a function of g - t), depend on
        # the logits only through their differences. Taking them relative to
        # the largest keeps the noise from being lost to rounding: in float32,
        # 1e30 + G is 1e30 for every Gumbel draw G, and two such keys would
        # always tie. The shift carries no gradient; its true derivative is 0.
        logits = logits - tf.stop_gradient(
            tf.reduce_max(logits, axis=-1, keepdims=True))
        # Full-shape noise: every category of every sample gets its own draw.
        keys = logits + noise.gumbel(shape, seed=seed, dtype=self.dtype)
        temperature = tf.broadcast_to(temperature, shape[:-1])
        # One top_k serves the relaxation's level search and the hard set.
        top = tf.math.top_k(tf.stop_gradient(keys), k=self._k + 1, sorted=True)
        soft = _relaxed_top_k_from_top(keys, temperature, self._k, top.values)
        if not self._hard:
            return soft
        hard = tf.cast(_top_k_mask(tf.stop_gradient(keys),
                                   top.values[..., self._k - 1:self._k],
                                   top.indices[..., self._k - 1:self._k]),
                       self.dtype)
        # soft - soft is exactly 0, so the value is exactly the k-hot vector.
        return hard + (soft - tf.stop_gradient(soft))

    def _check_value_shape(self, x):
        """Raises `ValueError` if `x`'s last dimension is statically not K."""
        num_categories = _static_num_categories(self._param())
        size = _static_num_categories(x)
        if num_categories is not None and size is not None and size != num_categories:
            raise ValueError(
                f"Argument `value` of `log_prob` must have K = {num_categories} "
                f"entries on its last axis (one per category, the event shape); "
                f"got shape {x.shape}.")

    def _log_prob(self, x):
        if not self._hard:
            raise NotImplementedError(
                "`log_prob` of GumbelSoftmaxTopK(hard=False) is not implemented: "
                "the relaxed top-k vector has no tractable density. For the "
                "probability of a k-subset, score its k-hot vector under the "
                "hard law, `dist.copy(hard=True).log_prob(k_hot)`; its samples "
                "are exact k-hot vectors with the relaxation's gradient.")
        k = self._k
        if k > MAX_K_LOG_PROB:
            raise NotImplementedError(
                f"`log_prob` of GumbelSoftmaxTopK sums over the subsets of the "
                f"chosen set (cost k * 2**(k - 1)); it is limited to "
                f"k <= {MAX_K_LOG_PROB}, got k={k}.")
        dtype = self.dtype
        x = tf.convert_to_tensor(x, dtype=dtype)
        self._check_value_shape(x)
        logits = self._logits_parameter_no_checks()
        # The slope of the extension off the k-hot vectors (see the class
        # docstring): log softmax(logits), floored at log(tiny) so that it is
        # finite where a probability is 0 (log softmax = -inf; the floor's
        # branch of `maximum` takes the gradient, the -inf entry none).
        slope = tf.maximum(
            tf.math.log_softmax(logits),
            tf.constant(np.log(np.finfo(dtype_util.as_numpy_dtype(dtype)).tiny), dtype))
        shape = ps.broadcast_shape(ps.shape(x), ps.shape(logits))
        x = tf.broadcast_to(x, shape)
        logits = tf.broadcast_to(logits, shape)
        slope = tf.broadcast_to(slope, shape)
        # The set S(x): the k largest entries of x (the 1s of a k-hot x).
        stop_x = tf.stop_gradient(x)
        top = tf.math.top_k(stop_x, k=k)
        member = _top_k_mask(stop_x, top.values[..., k - 1:k],
                             top.indices[..., k - 1:k])
        neg_inf = tf.constant(-np.inf, dtype)
        # The members' logits (any order) and the weight of the rest. The
        # program forms differences of these logits only (see
        # `_log_set_probability`), so they are not shifted first.
        logits_in = tf.math.top_k(tf.where(member, logits, neg_inf), k=k).values
        max_out, log_sum_out = _outside_weight(logits, member)
        # A member of probability 0 (logit -inf) makes P(S) = 0: such rows
        # get -inf, and the program runs on zeros there so that no
        # -inf - (-inf) reaches its value or gradient.
        impossible = tf.equal(logits_in[..., -1], neg_inf)
        zero = tf.zeros([], dtype)
        logits_in = tf.where(impossible[..., tf.newaxis], zero, logits_in)
        max_out = tf.where(impossible, zero, max_out)
        log_sum_out = tf.where(impossible, zero, log_sum_out)
        log_set = tf.where(
            impossible, neg_inf,
            _log_set_probability(logits_in, max_out, log_sum_out, k))
        # x - 1[S(x)] is exactly 0 for a k-hot x, so the value is exactly
        # log P(S) there, and the gradient in x is the slope.
        offset = x - tf.cast(member, dtype)
        return log_set + tf.reduce_sum(offset * slope, axis=-1)

    def _default_event_space_bijector(self):
        # log_prob is a probability mass function on k-hot vectors: there is
        # no unconstrained preimage of a discrete support.
        return None

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = []
        if is_init != tensor_util.is_ref(self._temperature):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._temperature), "temperature"))
        if self._probs is not None and is_init != tensor_util.is_ref(self._probs):
            probs = tf.convert_to_tensor(self._probs)
            num_categories = tf.cast(ps.shape(probs)[-1], probs.dtype)
            assertions += [
                assert_util.assert_non_negative(
                    probs, message="Argument `probs` must be on the simplex; it "
                    "has components less than 0."),
                assert_util.assert_near(
                    tf.reduce_sum(probs, axis=-1), tf.ones([], probs.dtype),
                    atol=10. * num_categories * dtype_util.eps(probs.dtype),
                    rtol=0.,
                    message="Argument `probs` must be on the simplex; its last "
                    "axis does not sum to 1."),
            ]
        param = self._param()
        if is_init and _static_num_categories(param) is None:
            assertions.append(assert_util.assert_less(
                tf.constant(self._k, tf.int32), ps.shape(param)[-1],
                message=f"{_K_RULE}."))
        return assertions

    def _sample_control_dependencies(self, x):
        if not self._hard:
            # `log_prob` raises NotImplementedError; no check of the value.
            return []
        self._check_value_shape(x)
        if not self.validate_args:
            return []
        is_binary = tf.reduce_all(tf.equal(x, 0.) | tf.equal(x, 1.))
        count = tf.reduce_sum(tf.cast(tf.equal(x, 1.), tf.int32), axis=-1)
        return [
            assert_util.assert_equal(
                ps.shape(x)[-1], ps.shape(self._param())[-1],
                message="Argument `value` of `log_prob` must have K entries on "
                "its last axis (one per category, the event shape)."),
            assert_util.assert_equal(
                is_binary, True, message="`log_prob` of GumbelSoftmaxTopK scores "
                "subsets: the value must be k-hot (entries exactly 0 or 1)."),
            assert_util.assert_equal(
                count, tf.constant(self._k, tf.int32), message="`log_prob` of "
                "GumbelSoftmaxTopK scores subsets: the value must be k-hot (its "
                "entries equal to 1 must number k)."),
        ]
