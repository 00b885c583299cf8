"""Private helpers shared by the gradient estimators in `relaxtfp.estimators`.

The estimators share one calling convention (see `relaxtfp.estimators` for
where `relax` and the REBAR/RELAX pair differ),

    surrogate = NAME(f, logits, *, seed, num_samples=..., **options)

and build their scalar surrogate from the same pieces, kept here so that the
conventions are written once:

* argument checking (`check_callable`, `check_bool`, `check_name`,
  `check_num_samples`, `convert_logits`, `convert_temperature`,
  `convert_real`; seeds through `noise.sanitize_seed`), with messages that
  name the argument and the rule;
* sampling Bernoulli and categorical variables from `relaxtfp.internal.noise`
  (Philox, stateless, full-shape noise);
* calling `f` and checking what it returns (`call_f`);
* the surrogate: its value is the Monte Carlo estimate of E[f] and its
  gradient is the estimator (`surrogate`, `gradient_term`).

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

Infinite logits. A Bernoulli logit of +inf or -inf is the point mass at 1 or
0, and a categorical logit of -inf a category of probability 0; the
derivative of `E[f]` with respect to such a logit is exactly 0 (the sigmoid
and the softmax are flat there). `log_prob` and `gradient_term` are written
so that these inputs give finite values and exactly zero gradients instead of
`0 * inf = NaN`. A categorical logit of +inf, a variable whose logits are all
-inf, and NaN have no such meaning: they give NaN (or, with
`validate_args=True`, raise), as TFP's distributions do.
"""


import numpy as np
import tensorflow as tf

from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal import parameters
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import ps

__all__ = [
    "as_two_categories",
    "broadcast_to_latent",
    "call_f",
    "check_arguments",
    "check_bool",
    "check_callable",
    "check_name",
    "check_num_samples",
    "check_static",
    "check_values",
    "convert_logits",
    "convert_real",
    "convert_samples",
    "convert_temperature",
    "draw_conditional_gumbel",
    "gradient_term",
    "log_prob",
    "reduce_latent",
    "sample_bernoulli_uniform",
    "sample_categorical",
    "surrogate",
    "with_category_axis",
]


def check_callable(fn, name):
    """Raises `TypeError` unless `fn` is callable."""
    if not callable(fn):
        raise TypeError(f"Argument `{name}` must be callable; got {fn!r}.")
    return fn


def check_bool(value, name):
    """Returns `value` as a Python bool, or raises `TypeError`.

    Options that select a code path (`categorical`, `validate_args`) must be
    known when the graph is built, so a tensor is refused, and so is any
    other truthy object (`"yes"`, `1`), which would select a path silently.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"Argument `{name}` must be a Python bool; got {value!r}.")
    return bool(value)


def check_name(name):
    """Raises `TypeError` unless `name` is `None` or a Python `str`."""
    if name is not None and not isinstance(name, str):
        raise TypeError(
            f"Argument `name` must be a Python str or None; got {name!r}.")
    return name


def check_arguments(f, seed, num_samples, minimum, categorical,
                    validate_args, name):
    """The checks every estimator makes before it builds anything.

    Returns `(seed, num_samples, categorical, validate_args)`: the sanitized
    seed, the number of samples as a Python int >= `minimum`, and the two
    options as Python bools.
    """
    check_callable(f, "f")
    num_samples = check_num_samples(num_samples, minimum)
    categorical = check_bool(categorical, "categorical")
    validate_args = check_bool(validate_args, "validate_args")
    check_name(name)
    return noise.sanitize_seed(seed), num_samples, categorical, validate_args


def check_static(x, name, positive=False):
    """Raises `ValueError` if the value of `x`, when known before run time,
    is not finite (and, with `positive=True`, positive).

    Returns that value (a NumPy array), or `None` when it is not known.
    """
    value = tf.get_static_value(x)
    if value is None:
        return None
    value = np.asarray(value)
    ok = np.isfinite(value) & (value > 0 if positive else True)
    if not np.all(ok):
        rule = "positive and finite" if positive else "finite"
        raise ValueError(f"Argument `{name}` must be {rule}; got {value}.")
    return value


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


def convert_real(x, name, dtype=None):
    """`x` as a tensor of the float `dtype`; `TypeError` unless real-valued.

    Python numbers, NumPy arrays and tensors of any floating or integer
    dtype are converted (a tensor is cast, as Keras casts a float32
    variable to a float16 layer's compute dtype: hyperparameters such as
    `temperature` follow the dtype of `logits`). With `dtype=None` the
    value keeps its own dtype (NumPy's for Python numbers). `None`, strings,
    booleans and complex numbers raise `TypeError` naming the argument.
    """
    rule = f"Argument `{name}` must be a real number (floating or integer)"
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{rule}; got {x!r}.")
    if not (tf.is_tensor(x) or isinstance(x, tf.Variable)):
        try:
            array = np.asarray(x)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{rule}; got {x!r}.") from e
        if array.dtype.kind not in "fiu":
            raise TypeError(f"{rule}; got {x!r}.")
        return tf.constant(array, dtype=dtype, name=name)
    x_dtype = tf.as_dtype(x.dtype)
    if dtype_util.is_bool(x_dtype) or not (
            dtype_util.is_floating(x_dtype) or dtype_util.is_integer(x_dtype)):
        raise TypeError(f"{rule}; got a tensor of dtype "
                        f"{dtype_util.name(x_dtype)}.")
    return tf.cast(x, dtype or x_dtype, name=name)


def convert_temperature(x, logits, categorical, validate_args,
                        name="temperature"):
    """A positive, finite temperature in the dtype of `logits`.

    Its shape must broadcast to the batch shape without changing it (one
    temperature, or one per variable). A value known when the graph is built
    is checked then (`ValueError` naming the argument); with
    `validate_args=True` a value computed at run time (such as
    `tf.exp(log_temperature)` inside a `tf.function`) gets run-time
    assertions. Zero, negative, infinite and NaN temperatures are refused:
    at 0 the relaxation is the discrete sample itself (no derivative) and at
    +inf it is constant (derivative 0), so neither gives a gradient.
    """
    x = convert_real(x, name, logits.dtype)
    batch_shape = tf.TensorShape(logits.shape)[:batch_rank(logits, categorical)]
    try:
        shape = tf.broadcast_static_shape(tf.TensorShape(x.shape), batch_shape)
    except ValueError:
        shape = None
    if shape is None or not shape.is_compatible_with(batch_shape) or (
            tf.TensorShape(x.shape).rank is not None
            and tf.TensorShape(x.shape).rank > batch_shape.rank):
        raise ValueError(
            f"Argument `{name}` must be a scalar or broadcast to the batch "
            f"shape {batch_shape} of `logits`; got shape {x.shape}.")
    if check_static(x, name, positive=True) is None and validate_args:
        with tf.control_dependencies([
                assert_util.assert_positive(
                    x, message=f"Argument `{name}` must be positive."),
                tf.debugging.assert_all_finite(
                    x, message=f"Argument `{name}` must be finite.")]):
            x = tf.identity(x)
    return x


def convert_logits(logits, categorical, validate_args=False):
    """Converts `logits` to a floating tensor (float32 unless given float).

    Integer logits are converted (`parameters.float_dtype`); a
    `tf.Variable` is read here, inside the caller's tape, so gradients
    reach it. The rank must be static, and categorical logits need a
    category axis of at least one category. With `validate_args=True`,
    run-time assertions (TFP-style; ignored under XLA, as TensorFlow drops
    assertions there) refuse NaN and, for categorical logits, +inf and a
    variable whose logits are all -inf.
    """
    if logits is None or isinstance(logits, (str, bytes)):
        raise TypeError(
            f"Argument `logits` must be a real tensor; got {logits!r:.80}.")
    dtype = parameters.float_dtype(logits=logits)
    try:
        logits = tf.convert_to_tensor(
            parameters.convert_float(logits, dtype=dtype, name="logits"))
    except (TypeError, ValueError) as e:
        raise type(e)(
            f"Argument `logits` must be a real tensor; got {logits!r:.80} "
            f"({e})") from e
    if tf.TensorShape(logits.shape).rank is None:
        raise ValueError("Argument `logits` must have a statically known rank.")
    if categorical and len(logits.shape) < 1:
        raise ValueError(
            "Argument `logits` must have a trailing category axis (rank >= 1) "
            "when `categorical=True`.")
    if categorical and logits.shape[-1] == 0:
        raise ValueError(
            "Argument `logits` must have at least one category (a last axis "
            "of size >= 1) when `categorical=True`; got shape "
            f"{logits.shape}.")
    if not validate_args:
        return logits
    assertions = [tf.debugging.assert_equal(
        tf.reduce_any(tf.math.is_nan(logits)), False,
        message="Argument `logits` must not contain NaN.")]
    if categorical:
        assertions += [
            tf.debugging.assert_equal(
                tf.reduce_any(logits == np.inf), False,
                message="Argument `logits` must be below +inf when "
                "`categorical=True` (a +inf logit makes softmax undefined)."),
            tf.debugging.assert_equal(
                tf.reduce_all(tf.reduce_any(logits > -np.inf, axis=-1)), True,
                message="Argument `logits` must have a logit above -inf for "
                "every categorical variable (all -inf is no distribution).")]
    with tf.control_dependencies(assertions):
        return tf.identity(logits)


def batch_rank(logits, categorical):
    """Rank of the batch shape: the logits rank minus the category axis."""
    return len(logits.shape) - (1 if categorical else 0)


def sample_bernoulli_uniform(logits, num_samples, seed):
    """Uniforms `u` of shape `[num_samples] + logits.shape` and the Bernoulli
    sample `b = 1[u < sigmoid(logits)]` (float, same dtype as `logits`)."""
    shape = ps.concat([[num_samples], ps.shape(logits)], axis=0)
    u = noise.uniform(shape, seed=seed, dtype=logits.dtype)
    b = tf.cast(u < tf.math.sigmoid(logits), logits.dtype)
    return u, b


def sample_categorical(logits, num_samples, seed):
    """One-hot categorical sample `[num_samples] + logits.shape` by the
    Gumbel-max trick: `one_hot(argmax(logits + G))`."""
    shape = ps.concat([[num_samples], ps.shape(logits)], axis=0)
    g = noise.gumbel(shape, seed=seed, dtype=logits.dtype)
    k = ps.shape(logits)[-1]
    return tf.one_hot(tf.argmax(logits + g, axis=-1), k, dtype=logits.dtype)


def log_prob(samples, logits, categorical):
    """Elementwise log-probability of drawn samples, shape `[m] + batch`.

    Bernoulli: `log sigmoid(logits)` if b = 1, `log sigmoid(-logits)` if
    b = 0, each as `-softplus(-+logits)`: exact in both tails, and 0 (with
    derivative 0) at the infinite logit that makes the drawn outcome
    certain, where `b * logits - softplus(logits)` would be `inf - inf`.
    Categorical: `log_softmax(logits)` at the drawn category; the other
    categories are masked out with `where` rather than multiplied by 0, as
    their log-probability may be -inf (a -inf logit, or a huge finite one
    whose `log_softmax` overflows).
    """
    if categorical:
        log_softmax = tf.math.log_softmax(logits)
        return tf.reduce_sum(
            tf.where(samples > 0.5, log_softmax, tf.zeros([], logits.dtype)),
            axis=-1)
    return tf.where(samples > 0.5, -tf.math.softplus(-logits),
                    -tf.math.softplus(logits))


def as_two_categories(logits):
    """Bernoulli logits `t` as 2-category logits (category 1 is b = 1).

    The logits are the log-probabilities `[log sigmoid(-t), log sigmoid(t)]`,
    so softmax of them is `[1 - sigmoid(t), sigmoid(t)]` (as for `[0, t]`,
    which differs by a constant), and `t = +inf` gives `[-inf, 0]`, a valid
    pair of logits, where `[0, inf]` would make softmax `inf - inf`.
    """
    return tf.stack([numerics.log_sigmoid(-logits),
                     numerics.log_sigmoid(logits)], axis=-1)


def call_f(f, samples, num_evaluations, logits, categorical,
           differentiable=False, name="f"):
    """Calls `f(samples)` and checks its values with `check_values`.

    Returns the values and the prefix rank r.
    """
    return check_values(f(samples), num_evaluations, logits, categorical,
                        differentiable=differentiable,
                        what=f"Argument `{name}` must return")


def check_values(raw, num_evaluations, logits, categorical,
                 differentiable=False, what="Argument `values` must be"):
    """Checks values of `f`: shape `[m] + batch[:r]`, real; returns them in
    the dtype of `logits`, with the prefix rank r.

    Integer values are converted to the dtype of `logits` (as are floating
    values of another precision), unless `differentiable=True`: an estimator
    that differentiates `f` with respect to its input needs floating
    TensorFlow values, so integer values, and values that are not a
    TensorFlow tensor (a NumPy array carries no gradient), raise `TypeError`.
    None, booleans, strings and complex values always raise `TypeError`.
    `what` starts the error messages ("Argument `f` must return").
    """
    rule = f"{what} real (floating or integer) values"
    if differentiable:
        rule = (f"{what} floating TensorFlow values computed from its input, "
                "so that they can be differentiated")
        if not tf.is_tensor(raw):
            raise TypeError(f"{rule}; got {type(raw).__name__} {raw!r:.80}.")
    try:
        values = tf.convert_to_tensor(raw)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{rule}; got {type(raw).__name__} {raw!r:.80}.") from e
    ok = dtype_util.is_floating(values.dtype) or (
        dtype_util.is_integer(values.dtype) and not dtype_util.is_bool(values.dtype)
        and not differentiable)
    if not ok:
        raise TypeError(
            f"{rule}; got values of dtype {dtype_util.name(values.dtype)}.")
    values = tf.cast(values, logits.dtype)
    batch_shape = tf.TensorShape(logits.shape)[:batch_rank(logits, categorical)]
    rank = tf.TensorShape(values.shape).rank
    expected = f"[{num_evaluations}] + a prefix of {batch_shape.as_list()}"
    message = (f"{what} values of shape {expected} (the sample axis, then a "
               f"prefix of the batch shape); got shape {values.shape}.")
    if rank is None or rank < 1 or rank - 1 > batch_shape.rank:
        raise ValueError(message)
    prefix_rank = rank - 1
    want = tf.TensorShape([num_evaluations]).concatenate(
        batch_shape[:prefix_rank])
    if not tf.TensorShape(values.shape).is_compatible_with(want):
        raise ValueError(message)
    return values, prefix_rank


def convert_samples(samples, logits, categorical, validate_args=False):
    """Given discrete samples as a float tensor of shape `[m] + logits.shape`.

    0/1 values (Bernoulli) or one-hot rows along the last axis
    (categorical), of any real or boolean dtype, are cast to the dtype of
    `logits`. The shape is checked when the graph is built (`ValueError`);
    with `validate_args=True`, run-time assertions check the values.
    """
    rule = ("Argument `samples` must be 0/1 values (one-hot along the last axis "
            "when `categorical=True`) of shape [m] + logits.shape")
    if samples is None or isinstance(samples, (str, bytes)):
        raise TypeError(f"{rule}; got {samples!r:.80}.")
    try:
        samples = tf.convert_to_tensor(samples)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{rule}; got {samples!r:.80}.") from e
    if not (dtype_util.is_floating(samples.dtype) or dtype_util.is_integer(samples.dtype)
            or dtype_util.is_bool(samples.dtype)):
        raise TypeError(
            f"{rule}; got a tensor of dtype {dtype_util.name(samples.dtype)}.")
    samples = tf.cast(samples, logits.dtype)
    samples_shape = tf.TensorShape(samples.shape)
    logits_shape = tf.TensorShape(logits.shape)
    rank = samples_shape.rank
    if rank is None or rank != logits_shape.rank + 1 or not (
            samples_shape[1:].is_compatible_with(logits_shape)):
        raise ValueError(
            f"{rule} = [m] + {logits_shape.as_list()}; got shape {samples.shape}.")
    if not validate_args:
        return samples
    assertions = [tf.debugging.assert_equal(
        tf.reduce_all((samples == 0.) | (samples == 1.)), True,
        message="Argument `samples` must hold only 0 and 1.")]
    if categorical:
        assertions.append(tf.debugging.assert_equal(
            tf.reduce_all(tf.reduce_sum(samples, axis=-1) == 1.), True,
            message="Argument `samples` must be one-hot along the last axis."))
    with tf.control_dependencies(assertions):
        return tf.identity(samples)


def reduce_latent(x, prefix_rank):
    """Sums `x` (shape `[m] + batch`) over the latent axes after the prefix,
    leaving `[m] + batch[:prefix_rank]`."""
    axes = list(range(1 + prefix_rank, len(x.shape)))
    return tf.reduce_sum(x, axis=axes) if axes else x


def broadcast_to_latent(values, target_rank):
    """Appends unit axes to `values` (`[m] + prefix`) up to `target_rank`, so
    it broadcasts against `[m] + batch` (or `[m] + batch + [K]`)."""
    extra = target_rank - len(values.shape)
    return tf.reshape(values, ps.concat(
        [ps.shape(values), ps.ones([extra], tf.int32)], axis=0))


def with_category_axis(x):
    """Appends a unit category axis to a non-scalar per-variable parameter
    (one value per variable of the batch), so it broadcasts against
    `batch + [K]`; a scalar is returned as it is."""
    return x if tf.TensorShape(x.shape).rank == 0 else x[..., tf.newaxis]


def gradient_term(grad, logits, categorical=False):
    """A scalar that is exactly 0 and whose gradient w.r.t. `logits` is `grad`.

    Written `sum(stop_gradient(grad) * (l - stop_gradient(l)))`, where `l` is
    `logits` with infinite entries replaced by 0: its value is 0 for any
    finite `grad` (so huge logits cannot overflow the surrogate's value, as
    `sum(grad * logits)` would), the gradient at an infinite logit is 0 (the
    exact derivative there; a per-sample estimate need not be), and a NaN
    logit gets a NaN gradient (and the term a NaN value) rather than a
    finite one. With `categorical=True`, so do a +inf logit and every logit
    of a variable whose logits are all -inf: neither defines a distribution.
    """
    invalid = tf.math.is_nan(logits)
    if categorical:
        invalid |= logits == np.inf
        invalid |= tf.reduce_all(logits == -np.inf, axis=-1, keepdims=True)
    safe = tf.where(tf.math.is_inf(logits), tf.zeros([], logits.dtype), logits)
    grad = tf.stop_gradient(tf.where(
        invalid, tf.constant(np.nan, logits.dtype), grad))
    return tf.reduce_sum(grad * (safe - tf.stop_gradient(safe)))


def surrogate(values, term=None):
    """The scalar surrogate of every estimator.

    value: `sum over the prefix of mean over samples of f`, the Monte Carlo
    estimate of `sum_prefix E[f]`. Gradients of this term reach everything
    `f` uses directly (pathwise: decoder weights, and `logits` if `f` reads
    them), with the discrete samples held fixed.

    `term` carries the estimator's gradient with respect to `logits`; it
    enters as `term - stop_gradient(term)`, which is exactly zero in value
    when `term` is finite, so the surrogate's value stays the Monte Carlo
    estimate.
    """
    result = tf.reduce_sum(tf.reduce_mean(values, axis=0))
    if term is not None:
        result = result + (term - tf.stop_gradient(term))
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
    shape = ps.concat([[num_draws], ps.shape(one_hot)], axis=0)
    u = noise.uniform(shape, seed=seed, dtype=logits.dtype)
    return noise.conditional_gumbel(logits, one_hot, u)
