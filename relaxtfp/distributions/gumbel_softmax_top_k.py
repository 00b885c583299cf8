"""Relaxed top-k subsets by Gumbel-top-k (Kool, van Hoof and Welling, 2019)."""

import functools
import itertools
import math
import numbers

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import noise
from relaxtfp.internal import numerics
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
_NUM_NEWTON = {tf.float16: 10, tf.bfloat16: 10, tf.float32: 10, tf.float64: 12}


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
    for _ in range(_NUM_NEWTON.get(dtype, 12)):
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
    centre = tf.where(top[..., k] > top.dtype.min,
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
                             np.finfo(dtype.as_numpy_dtype).tiny)
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


def _log_set_probability(logits_in, log_weight_out, k):
    """log P(the k draws without replacement form exactly the given set).

    `logits_in`: [..., k], the logits of the k members; `log_weight_out`:
    [...], log of the summed weights exp(logits) of the non-members. With
    w_i = exp(logits_i), W the total weight and B the members drawn so far,
    the Plackett-Luce chance to draw member i next is w_i / (W - w_B). Let
    Q(A) be the probability that the first |A| draws are the members in A, in
    any order; then Q({}) = 1 and

        Q(A) = sum_{i in A} Q(A - {i}) * w_i / (W - w_{A - {i}}),

    and P(S) = Q(S). All terms are positive, so the sum in log space
    (logsumexp) has no cancellation; the remaining weights
    W - w_B = w_out + sum_{i in S - B} w_i are themselves computed by
    logsumexp of positive terms, never by subtraction. Cost: k * 2**(k - 1)
    terms per value (about 5e3 for k = 10), against k! orders for the direct
    sum; the memory peak is k * C(k, k/2) per value.
    """
    preds, elems, outside = _subset_tables(k)
    dtype = logits_in.dtype
    neg_inf = tf.constant(-np.inf, dtype)
    log_q = tf.zeros(ps.concat([ps.shape(logits_in)[:-1], [1]], axis=0), dtype)
    for j in range(k):
        # log(W - w_B) for every B in layer j.
        masked = tf.where(outside[j], logits_in[..., tf.newaxis, :], neg_inf)
        remaining = tf.reduce_logsumexp(
            tf.concat([masked, tf.broadcast_to(
                log_weight_out[..., tf.newaxis, tf.newaxis],
                ps.concat([ps.shape(masked)[:-1], [1]], axis=0))], axis=-1),
            axis=-1)
        step = log_q - remaining  # log(Q(B) / (W - w_B)), layer j.
        terms = (tf.gather(step, preds[j], axis=-1)
                 + tf.gather(logits_in, elems[j], axis=-1))
        log_q = tf.reduce_logsumexp(terms, axis=-1)
    return log_q[..., 0]


def _static_num_categories(param):
    """K if the last dimension of `param` is known statically, else None."""
    if param.shape.rank is None or param.shape.rank == 0:
        return None
    return tf.compat.dimension_value(param.shape[-1])


class GumbelSoftmaxTopK(tfd.AutoCompositeTensorDistribution):
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

    `log_prob(x)` scores a k-hot `x` under the law of the hard sample: the
    probability that the set `S = {i : x_i = 1}` is drawn, in any order,

    ```none
    P(S) = sum over orders (i_1..i_k) of S of
             prod_j w_{i_j} / (W - w_{i_1} - ... - w_{i_{j-1}}),
    w = exp(logits), W = sum(w).
    ```

    It is computed exactly, in log space, by a dynamic program over the
    subsets of `S` (cost `k 2^(k-1)` terms per value against `k!` for the
    plain sum; `k <= 20`). This is the same probability as Kool et al.'s
    integral `int_0^1 prod_{i in S} (1 - v^(w_i / w_out)) dv`, with `w_out`
    the weight outside `S`. A relaxed (non k-hot) vector has no tractable
    density, so `log_prob` of such a value is `NaN`, and an error under
    `validate_args=True`; it is never a density of the relaxation. This is
    so for `hard=False` too: `log_prob` always scores subsets.

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
          k: Python `int`, the size of the subset, `1 <= k < K` where `K` is
            the number of categories (the last dimension of `logits` or
            `probs`). Shared by the whole batch.
          temperature: Positive float `Tensor` of shape broadcastable to
            `batch_shape`, the temperature of the relaxation.
          logits: Float `Tensor` of shape `batch_shape + [K]`: the log-weights
            of the categories (unnormalized; each draw picks a remaining
            category with probability proportional to `exp(logits)`).
            Exactly one of `logits` and `probs`.
          probs: Float `Tensor` of shape `batch_shape + [K]`, on the simplex:
            the probabilities of the first draw. Used as `logits = log(probs)`
            (never as logits themselves). At least k entries must be
            positive; the gradient with respect to an entry equal to 0 is
            `NaN` (that of `log`), so train `logits` instead.
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
            `validate_args`).
        """
        parameters = dict(locals())
        check_exactly_one(logits=logits, probs=probs)
        if (isinstance(k, (bool, np.bool_))
                or not isinstance(k, (numbers.Integral, np.integer)) or k < 1):
            raise ValueError(
                f"Argument `k` must be a Python integer with 1 <= k < K (the "
                f"number of categories); got k={k!r}.")
        self._k = int(k)
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
                    f"Argument `k` must be a Python integer with 1 <= k < K (the "
                    f"number of categories); got k={self._k} with "
                    f"K={num_categories}.")
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

    @property
    def logits(self):
        """Input argument `logits` (`None` if `probs` was given)."""
        return self._logits

    @property
    def probs(self):
        """Input argument `probs` (`None` if `logits` was given)."""
        return self._probs

    def logits_parameter(self, name=None):
        """Logits from whichever of `logits` or `probs` was given
        (`log(probs)` in the second case)."""
        with self._name_and_control_scope(name or "logits_parameter"):
            return self._logits_parameter_no_checks()

    def probs_parameter(self, name=None):
        """First-draw probabilities, `softmax(logits)` or `probs`."""
        with self._name_and_control_scope(name or "probs_parameter"):
            return self._probs_parameter_no_checks()

    def _logits_parameter_no_checks(self):
        if self._logits is None:
            return tf.math.log(tf.convert_to_tensor(self._probs))
        return tensor_util.identity_as_tensor(self._logits)

    def _probs_parameter_no_checks(self):
        if self._logits is None:
            return tensor_util.identity_as_tensor(self._probs)
        return numerics.softmax(self._logits)

    def _param(self):
        return self._logits if self._logits is not None else self._probs

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
        # Full-shape noise: every category of every sample gets its own draw.
        keys = logits + noise.gumbel(shape, seed=seed, dtype=self.dtype)
        temperature = tf.broadcast_to(temperature, shape[:-1])
        # One top_k serves the relaxation's level search and the hard set.
        top = tf.math.top_k(tf.stop_gradient(keys), k=self._k + 1, sorted=True)
        soft = _relaxed_top_k_from_top(keys, temperature, self._k, top.values)
        if not self._hard:
            return soft
        # The k-hot set of the k largest keys, by comparison with the k-th
        # largest key (O(K) per row, no [..., k, K] one-hot). Ties are not
        # negligible in floating point (float32 keys collide with probability
        # ~1e-7 per pair), so keys equal to the k-th are broken by index, as
        # `top_k` does (equal values: lower index first): among them, those
        # at indices up to that of the k-th chosen key are in the set. So the
        # set is exactly that of `top_k`, with exactly k members.
        kth = top.values[..., self._k - 1:self._k]
        kth_index = top.indices[..., self._k - 1:self._k]
        index = tf.range(ps.shape(keys)[-1], dtype=kth_index.dtype)
        stop_keys = tf.stop_gradient(keys)
        hard = tf.cast((stop_keys > kth)
                       | ((stop_keys == kth) & (index <= kth_index)), self.dtype)
        # soft - soft is exactly 0, so the value is exactly the k-hot vector.
        return hard + (soft - tf.stop_gradient(soft))

    def _log_prob(self, x):
        k = self._k
        if k > MAX_K_LOG_PROB:
            raise NotImplementedError(
                f"`log_prob` of GumbelSoftmaxTopK sums over the subsets of the "
                f"chosen set (cost k * 2**(k - 1)); it is limited to "
                f"k <= {MAX_K_LOG_PROB}, got k={k}.")
        logits = self._logits_parameter_no_checks()
        x = tf.convert_to_tensor(x, dtype=self.dtype)
        shape = ps.broadcast_shape(ps.shape(x), ps.shape(logits))
        x = tf.broadcast_to(x, shape)
        logits = tf.broadcast_to(logits, shape)
        member = tf.equal(x, 1.)
        k_hot = (tf.reduce_all(member | tf.equal(x, 0.), axis=-1)
                 & tf.equal(tf.reduce_sum(tf.cast(member, tf.int32), axis=-1), k))
        neg_inf = tf.constant(-np.inf, self.dtype)
        # The members' logits (any order), and the log-weight of the rest.
        # For a value that is not k-hot these are meaningless; it is masked.
        logits_in = tf.math.top_k(tf.where(member, logits, neg_inf), k=k).values
        log_weight_out = tf.reduce_logsumexp(tf.where(member, neg_inf, logits),
                                             axis=-1)
        # Keep -inf - (-inf) out of the program for values that are masked.
        safe = k_hot[..., tf.newaxis]
        logits_in = tf.where(safe, logits_in, tf.zeros([], self.dtype))
        log_weight_out = tf.where(k_hot, log_weight_out, tf.zeros([], self.dtype))
        lp = _log_set_probability(logits_in, log_weight_out, k)
        return tf.where(k_hot, lp, tf.constant(np.nan, self.dtype))

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
                message="Argument `k` must be a Python integer with 1 <= k < K "
                "(the number of categories)."))
        return assertions

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        is_binary = tf.reduce_all(tf.equal(x, 0.) | tf.equal(x, 1.))
        count = tf.reduce_sum(tf.cast(tf.equal(x, 1.), tf.int32), axis=-1)
        return [
            assert_util.assert_equal(
                is_binary, True, message="`log_prob` of GumbelSoftmaxTopK scores "
                "subsets: the value must be k-hot (entries exactly 0 or 1); a "
                "relaxed sample has no tractable density."),
            assert_util.assert_equal(
                count, tf.constant(self._k, tf.int32), message="`log_prob` of "
                "GumbelSoftmaxTopK scores subsets: the value must be k-hot (its "
                "entries equal to 1 must number k)."),
        ]
