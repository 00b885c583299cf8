"""Private helpers shared by the gradient estimators in `relaxtfp.estimators`.

Every estimator follows one calling convention,

    surrogate = NAME(f, logits, *, seed, num_samples=..., **options)

and builds its scalar surrogate from the same pieces, kept here so that the
conventions are written once:

* argument checking (`check_num_samples`, `check_positive`,
  `convert_logits`), with messages that name the argument and the rule;
* sampling Bernoulli and categorical variables from `relaxtfp.internal.noise`
  (Philox, stateless, full-shape noise);
* calling `f` and checking the shape of what it returns (`call_f`);
* the surrogate: its value is the Monte Carlo estimate of E[f] and its
  gradient is the estimator (`surrogate`).

Shapes. `batch` is `logits.shape` without the trailing category axis (for
Bernoulli variables, `batch = logits.shape`). `f` receives a sample of shape
`[m] + logits.shape` (m function evaluations) and returns values of shape
`[m] + batch[:r]` for some `0 <= r <= len(batch)`: a PREFIX of the batch
shape. The trailing `len(batch) - r` latent axes form one joint latent
variable per prefix element (their log-probabilities are summed), so both an
elementwise `f` (r = len(batch)) and a `f` that reduces over the latent
axes (for example r = 1 for a batch of examples with D latent bits each) are
supported. The surrogate value is the sum over the prefix elements of the
mean over samples of `f`.
"""

import numpy as np
import tensorflow as tf

from relaxtfp.internal import noise
from relaxtfp.internal import parameters
from relaxtfp.internal.tfp_internal import samplers

__all__ = [
    "as_two_categories",
    "broadcast_to_latent",
    "call_f",
    "check_num_samples",
    "check_positive",
    "draw_conditional_gumbel",
    "convert_logits",
    "log_prob",
    "reduce_latent",
    "sanitize_seed",
    "sample_bernoulli_uniform",
    "sample_categorical",
    "surrogate",
]


def sanitize_seed(seed):
    """A TFP stateless seed, also accepting integer tensors of any dtype.

    `keras.random.SeedGenerator.next()` returns an int64 pair, which TFP's
    `samplers.sanitize_seed` rejects (it wants int32); the pair is cast
    (wrapping modulo 2**32, which keeps distinct seeds distinct in practice)
    so estimators can be called from a Keras `train_step` directly.
    """
    if isinstance(seed, (tf.Tensor, tf.Variable, np.ndarray)) and (
            tf.as_dtype(seed.dtype).is_integer
            and tf.as_dtype(seed.dtype) != tf.int32):
        seed = tf.cast(seed, tf.int32)
    return samplers.sanitize_seed(seed)


def check_num_samples(num_samples, minimum=1, name="num_samples"):
    """Returns `num_samples` as a Python int, or raises `ValueError`.

    The number of samples sets the number of function evaluations, so it
    must be known when the graph is built: a Python (or NumPy) integer.
    """
    if isinstance(num_samples, (bool, np.bool_)) or not isinstance(
            num_samples, (int, np.integer)):
        raise ValueError(
            f"Argument `{name}` must be a Python integer >= {minimum}; got "
            f"{num_samples!r}.")
    if num_samples < minimum:
        raise ValueError(
            f"Argument `{name}` must be a Python integer >= {minimum}; got "
            f"{num_samples}.")
    return int(num_samples)


def check_positive(x, name, dtype):
    """Converts `x` to `dtype`; raises `ValueError` if statically <= 0.

    A value only known at run time (a `tf.Variable`, a traced tensor) is not
    checked.
    """
    x = tf.convert_to_tensor(x, dtype=dtype, name=name)
    value = tf.get_static_value(x)
    if value is not None and not np.all(np.asarray(value) > 0):
        raise ValueError(f"Argument `{name}` must be positive; got {value}.")
    return x


def convert_logits(logits, categorical):
    """Converts `logits` to a floating tensor (float32 unless given float).

    `tf.Variable`s are read here, inside the caller's tape, so gradients
    reach them.
    """
    dtype = parameters.float_dtype(logits=logits)
    logits = parameters.convert_float(logits, dtype=dtype, name="logits")
    logits = tf.convert_to_tensor(logits)
    if categorical and logits.shape.rank is not None and logits.shape.rank < 1:
        raise ValueError(
            "Argument `logits` must have a trailing category axis (rank >= 1) "
            "when `categorical=True`.")
    if logits.shape.rank is None:
        raise ValueError("Argument `logits` must have a statically known rank.")
    return logits


def batch_rank(logits, categorical):
    """Rank of the batch shape: the logits rank minus the category axis."""
    return logits.shape.rank - (1 if categorical else 0)


def sample_bernoulli_uniform(logits, num_samples, seed):
    """Uniforms `u` of shape `[num_samples] + logits.shape` and the Bernoulli
    sample `b = 1[u < sigmoid(logits)]` (float, same dtype as `logits`)."""
    shape = tf.concat([[num_samples], tf.shape(logits)], axis=0)
    u = noise.uniform(shape, seed=seed, dtype=logits.dtype)
    b = tf.cast(u < tf.math.sigmoid(logits), logits.dtype)
    return u, b


def sample_categorical(logits, num_samples, seed):
    """One-hot categorical sample `[num_samples] + logits.shape` by the
    Gumbel-max trick: `one_hot(argmax(logits + G))`."""
    shape = tf.concat([[num_samples], tf.shape(logits)], axis=0)
    g = noise.gumbel(shape, seed=seed, dtype=logits.dtype)
    k = tf.shape(logits)[-1]
    return tf.one_hot(tf.argmax(logits + g, axis=-1), k, dtype=logits.dtype)


def log_prob(samples, logits, categorical):
    """Elementwise log-probability, shape `[m] + batch`.

    Bernoulli: `b * logits - softplus(logits)` (exact in both tails).
    Categorical: `sum(one_hot * log_softmax(logits), -1)`.
    """
    if categorical:
        return tf.reduce_sum(samples * tf.math.log_softmax(logits), axis=-1)
    return samples * logits - tf.math.softplus(logits)


def as_two_categories(logits):
    """Bernoulli logits `t` as 2-category logits `[0, t]` (category 1 is b=1).

    softmax([0, t])[1] = sigmoid(t), so a Bernoulli variable is the second
    component of a one-hot 2-category variable.
    """
    return tf.stack([tf.zeros_like(logits), logits], axis=-1)


def call_f(f, samples, num_evaluations, logits, categorical):
    """Calls `f(samples)` and checks its shape: `[m] + batch[:r]`.

    Returns the values, converted to the dtype of `logits`, and the prefix
    rank r.
    """
    values = tf.convert_to_tensor(f(samples))
    if not values.dtype.is_floating:
        raise ValueError(
            f"Argument `f` must return floating values; got {values.dtype}.")
    values = tf.cast(values, logits.dtype)
    batch_shape = logits.shape[:batch_rank(logits, categorical)]
    rank = values.shape.rank
    expected = f"[{num_evaluations}] + a prefix of {batch_shape.as_list()}"
    if rank is None or rank < 1 or rank - 1 > batch_shape.rank:
        raise ValueError(
            f"Argument `f` must return values of shape {expected} (the sample "
            f"axis, then a prefix of the batch shape); got shape {values.shape}.")
    prefix_rank = rank - 1
    want = tf.TensorShape([num_evaluations]).concatenate(
        batch_shape[:prefix_rank])
    if not values.shape.is_compatible_with(want):
        raise ValueError(
            f"Argument `f` must return values of shape {expected} (the sample "
            f"axis, then a prefix of the batch shape); got shape {values.shape}.")
    return values, prefix_rank


def reduce_latent(x, prefix_rank):
    """Sums `x` (shape `[m] + batch`) over the latent axes after the prefix,
    leaving `[m] + batch[:prefix_rank]`."""
    axes = list(range(1 + prefix_rank, x.shape.rank))
    return tf.reduce_sum(x, axis=axes) if axes else x


def broadcast_to_latent(values, target_rank):
    """Appends unit axes to `values` (`[m] + prefix`) up to `target_rank`, so
    it broadcasts against `[m] + batch` (or `[m] + batch + [K]`)."""
    extra = target_rank - values.shape.rank
    return tf.reshape(values, tf.concat(
        [tf.shape(values), tf.ones([extra], tf.int32)], axis=0))


def surrogate(values, gradient_term=None):
    """The scalar surrogate of every estimator.

    value: `sum over the prefix of mean over samples of f`, the Monte Carlo
    estimate of `sum_prefix E[f]`. Gradients of this term reach everything
    `f` uses directly (pathwise: decoder weights, and `logits` if `f` reads
    them), with the discrete samples held fixed.

    `gradient_term` carries the estimator's gradient with respect to
    `logits`; it enters as `t - stop_gradient(t)`, which is exactly zero in
    value, so the surrogate's value stays the Monte Carlo estimate.
    """
    result = tf.reduce_sum(tf.reduce_mean(values, axis=0))
    if gradient_term is not None:
        result = result + (gradient_term - tf.stop_gradient(gradient_term))
    return result


def draw_conditional_gumbel(logits, one_hot, num_draws, seed):
    """Draws `z = logits + G` (G i.i.d. standard Gumbel) conditioned on
    `argmax(z) = argmax(one_hot)`, for UNNORMALIZED logits.

    Returns `num_draws` independent draws, shape `[num_draws] + one_hot.shape`
    (`logits` broadcasts against `one_hot`). No gradient flows to `logits`.

    With `log Z = logsumexp(logits)` and independent `E_k ~ Exponential(1)`:

    * the maximum `z_D = max_k z_k` is Gumbel with location `log Z` and is
      independent of the argmax, so `z_D = log Z - log(E_D)`;
    * given the maximum m, each other `z_k` is Gumbel(logits_k) truncated to
      (-inf, m]; inverting its CDF `exp(-exp(logits_k - x)) / exp(-exp(logits_k
      - m))` gives `z_k = -logaddexp(-m, log(E_k) - logits_k)`.

    Both formulas are invariant to adding a constant to every logit (z shifts
    by that constant), so nothing assumes `sum(exp(logits)) = 1`; they are
    computed by `noise.conditional_gumbel`.
    """
    logits = tf.stop_gradient(tf.convert_to_tensor(logits))
    one_hot = tf.convert_to_tensor(one_hot, dtype=logits.dtype)
    logits = logits + tf.zeros_like(one_hot)
    shape = tf.concat([[num_draws], tf.shape(one_hot)], axis=0)
    u = noise.uniform(shape, seed=seed, dtype=logits.dtype)
    return noise.conditional_gumbel(logits, one_hot, u)
