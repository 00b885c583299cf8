"""Score-function (REINFORCE) estimators: plain, with a moving-average
baseline, and leave-one-out (RLOO)."""

import numpy as np
import tensorflow as tf

from relaxtfp.internal import backend
from relaxtfp.internal import estimator_util as util
from relaxtfp.internal.tfp_internal import dtype_util

__all__ = ["MovingAverageBaseline", "reinforce", "rloo", "score_function_surrogate"]


class MovingAverageBaseline(tf.Module):
    """An exponential moving average of `f`, used as a REINFORCE baseline.

    On TensorFlow the baseline holds its state in two non-trainable
    `tf.Variable`s, so it persists across training steps: create it once
    (outside any `tf.function`, e.g. in a Keras model's `__init__`) and pass
    it to every `relaxtfp.estimators.reinforce(..., baseline=b)` call. Each
    call first READS the current average, uses it as the baseline for this
    call's samples, and then UPDATES it with the mean of this call's `f`
    values. Because the baseline used by a call depends only on earlier
    calls, it is independent of the current samples and the estimator stays
    unbiased.

    On JAX (`relaxtfp.substrates.jax`) there are no variables, so the state
    is functional: the baseline is an immutable pytree of two arrays,
    `update(values)` returns a NEW baseline instead of assigning, and
    `reinforce(..., baseline=b)` returns the pair `(surrogate,
    updated_baseline)` instead of the surrogate alone. Thread the returned
    baseline into the next step (it is a valid `jax.jit` input and output;
    with `jax.grad`, pass `has_aux=True`):

    ```none
    (loss, baseline), grad = jax.value_and_grad(
        lambda l: reinforce(f, l, seed=key, baseline=baseline),
        has_aux=True)(logits)
    ```

    #### Mathematical Details

    With decay `d`, after calls with mean values `x_1, ..., x_t`:

    ```none
    m_t = d * m_{t-1} + (1 - d) * x_t,          m_0 = 0
    w_t = d * w_{t-1} + (1 - d),                w_0 = 0
    baseline_t = m_t / w_t   (0 before the first update)
    ```

    Dividing by `w_t = 1 - d**t` removes the bias towards the initial zero
    (as in Adam's moment estimates). With `shape=()` (default) `x_t` is the
    mean of `f` over samples and batch-prefix elements; with `shape` equal to
    the shape of the batch prefix that `f` returns, one average is kept per
    prefix element (mean over samples only).

    `decay` must be a real number in [0, 1) (`ValueError` otherwise,
    `TypeError` if it is no number), `shape` fully defined and `dtype`
    floating. `reinforce` raises `ValueError` naming `baseline` when the
    shape is neither `()` nor the batch prefix that `f` returns. A NaN value
    of `f` enters the average and stays there, as in any moving average: the
    NaN is visible in `value()` and in the estimates.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    baseline = relaxtfp.estimators.MovingAverageBaseline(decay=0.9)
    logits = tf.Variable([0.5, -0.3, 1.0])
    f = lambda b: tf.reduce_sum((b - 0.45) ** 2, axis=-1)   # [n]
    for step in range(3):
      with tf.GradientTape() as tape:
        loss = relaxtfp.estimators.reinforce(
            f, logits, seed=(step, 7), num_samples=4, baseline=baseline)
      grad = tape.gradient(loss, logits)
    print(float(baseline.value()))   # The running mean of f.
    ```
    """

    def __init__(self, decay=0.99, shape=(), dtype=tf.float32, name=None):
        """Creates a moving-average baseline.

        Args:
          decay: Python float in [0, 1): weight of the previous average.
          shape: Shape of the average: `()` (one scalar, the default) or the
            batch-prefix shape that `f` returns after its sample axis.
          dtype: Float dtype of the average (cast to the logits dtype when
            used).
          name: Python `str` name of the module.

        Raises:
          TypeError: If `decay` is not a real number, `shape` is not a
            shape, or `dtype` is not a floating dtype.
          ValueError: If `decay` is not in [0, 1) or `shape` is not fully
            defined.
        """
        super().__init__(name=name or "MovingAverageBaseline")
        rule = "Argument `decay` must be a real number in [0, 1)"
        if isinstance(decay, (bool, np.bool_, str, bytes)):
            raise TypeError(f"{rule}; got {decay!r}.")
        try:
            decay = float(decay)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{rule}; got {decay!r}.") from e
        if not 0. <= decay < 1.:
            raise ValueError(f"Argument `decay` must be in [0, 1); got {decay}.")
        rule = "Argument `shape` must be a shape (a tuple of non-negative ints)"
        try:
            shape = tf.TensorShape(shape)
        except TypeError as e:
            raise TypeError(f"{rule}; got {shape!r}.") from e
        except ValueError as e:
            raise ValueError(f"{rule}; got {shape!r}.") from e
        if not shape.is_fully_defined():
            raise ValueError(
                f"Argument `shape` must be fully defined; got {shape}.")
        try:
            dtype = tf.as_dtype(dtype)
        except TypeError as e:
            raise TypeError(
                f"Argument `dtype` must be a floating dtype; got {dtype!r}.") from e
        if not dtype_util.is_floating(dtype):
            raise TypeError(
                "Argument `dtype` must be a floating dtype; got "
                f"{dtype_util.name(dtype)}.")
        self._decay = decay
        self._shape = shape
        if backend.JAX_MODE:            # Immutable arrays; see `update`.
            self._mean = tf.zeros(self._shape, dtype)
            self._weight = tf.zeros([], dtype)
            return
        with self.name_scope:
            self._mean = tf.Variable(tf.zeros(self._shape, dtype),
                                     trainable=False, name="mean")
            self._weight = tf.Variable(tf.zeros([], dtype), trainable=False,
                                       name="weight")

    @property
    def decay(self):
        """The decay of the moving average."""
        return self._decay

    @property
    def shape(self):
        """The shape of the average."""
        return self._shape

    def value(self):
        """The current (bias-corrected) average; 0 before any update."""
        weight = tf.convert_to_tensor(self._weight)
        safe = tf.where(weight > 0., weight, tf.ones_like(weight))
        return tf.where(weight > 0., self._mean / safe,
                        tf.zeros_like(self._mean))

    def update(self, values):
        """Folds `values` (shape `[num_samples] + prefix`) into the average.

        On TensorFlow, assigns the variables and returns the two assignment
        ops; on JAX, returns a new `MovingAverageBaseline` holding the
        updated average (this one is unchanged).
        """
        values = tf.cast(values, self._mean.dtype)
        if self._shape.rank == 0:
            x = tf.reduce_mean(values)
        else:
            x = tf.reduce_mean(values, axis=0)
        d = tf.constant(self._decay, self._mean.dtype)
        if backend.JAX_MODE:
            return self._replace(d * self._mean + (1. - d) * x,
                                 d * self._weight + (1. - d))
        mean_op = self._mean.assign(d * self._mean + (1. - d) * x)
        weight_op = self._weight.assign(d * self._weight + (1. - d))
        return mean_op, weight_op

    def _replace(self, mean, weight):
        """A copy holding `mean` and `weight` (JAX's functional update)."""
        return type(self).tree_unflatten(self.tree_flatten()[1], (mean, weight))

    # The JAX pytree protocol (the class is registered on the JAX substrate
    # only): the two state arrays are the leaves; decay, shape and name are
    # static.
    def tree_flatten(self):
        return (self._mean, self._weight), (
            self._decay, tuple(self._shape.as_list()), self.name)

    @classmethod
    def tree_unflatten(cls, aux_data, children):
        new = object.__new__(cls)
        decay, shape, name = aux_data
        tf.Module.__init__(new, name=name)
        new._decay, new._shape = decay, tf.TensorShape(shape)
        new._mean, new._weight = children
        return new


if backend.JAX_MODE:
    backend.register_pytree_node_class(MovingAverageBaseline)


def _score_function_surrogate(f, logits, seed, num_samples, categorical,
                              baseline_fn, validate_args):
    logits = util.convert_logits(logits, categorical, validate_args)
    if categorical:
        samples = util.sample_categorical(logits, num_samples, seed)
    else:
        _, samples = util.sample_bernoulli_uniform(logits, num_samples, seed)
    values, prefix_rank = util.call_f(
        f, samples, num_samples, logits, categorical)
    return _surrogate_at(samples, values, prefix_rank, logits, categorical,
                         baseline_fn)


def _surrogate_at(samples, values, prefix_rank, logits, categorical,
                  baseline_fn):
    """The score-function surrogate for `values` of `f` at drawn `samples`."""
    signal = tf.stop_gradient(values - baseline_fn(values))
    log_q = util.reduce_latent(
        util.log_prob(samples, logits, categorical), prefix_rank)
    term = tf.reduce_sum(tf.reduce_mean(signal * log_q, axis=0))
    return util.surrogate(values, term)


def _with_updates(result, updates):
    """`result`, computed after the baseline `updates` have run; on JAX,
    where an update is a new baseline, the pair `(result, new_baseline)`."""
    if not updates:
        return result
    if backend.JAX_MODE:
        return result, updates[0]
    with tf.control_dependencies(updates):
        return tf.identity(result)


def _check_baseline(baseline):
    """Raises `TypeError` unless `baseline` is of a kind `reinforce` takes."""
    if baseline is None or isinstance(baseline, MovingAverageBaseline):
        return baseline
    if callable(baseline) or isinstance(baseline, tf.Module):
        raise TypeError(
            "Argument `baseline` must be None, a `MovingAverageBaseline`, or "
            "a real tensor that does not depend on the samples; got "
            f"{baseline!r}.")
    # The kind is checked here; the cast to the dtype of `f`'s values happens
    # once they exist.
    return util.convert_real(baseline, "baseline")


def _baseline_value(baseline, values, updates):
    """The baseline for `values` (`[n] + prefix`), checked against its shape."""
    if baseline is None:
        return tf.zeros([], values.dtype)
    prefix = values.shape[1:]
    if isinstance(baseline, MovingAverageBaseline):
        if baseline.shape.rank != 0 and not baseline.shape.is_compatible_with(
                prefix):
            raise ValueError(
                "Argument `baseline` (a `MovingAverageBaseline`) must have "
                f"shape () or the batch prefix {prefix} that `f` returns "
                f"after its sample axis; got shape {baseline.shape}.")
        current = tf.cast(tf.identity(baseline.value()), values.dtype)
        if backend.JAX_MODE:            # The updated copy; the caller returns it.
            updates.append(baseline.update(tf.stop_gradient(values)))
            return current
        with tf.control_dependencies([current]):
            updates.extend(baseline.update(tf.stop_gradient(values)))
        return current
    try:
        shape = tf.broadcast_static_shape(
            tf.TensorShape(baseline.shape), tf.TensorShape(values.shape))
    except ValueError:
        shape = None
    if shape is None or shape.rank != len(values.shape) or not (
            shape.is_compatible_with(values.shape)):
        raise ValueError(
            "Argument `baseline` must broadcast to the shape of `f`'s values, "
            f"{values.shape}, without changing it; got shape "
            f"{baseline.shape}.")
    return tf.cast(baseline, values.dtype)


def reinforce(f, logits, *, seed, num_samples=1, categorical=False,
              baseline=None, validate_args=False, name=None):
    """Score-function (REINFORCE) gradient estimator, optionally with a baseline.

    Returns a scalar surrogate whose value is the Monte Carlo estimate of
    `E[f(b)]` (summed over the batch prefix that `f` returns) and whose
    gradient with respect to `logits` is the score-function estimator

    ```none
    (1/n) sum_i (f(b_i) - c) * grad log q(b_i | logits),   b_i ~ q
    ```

    Gradients reach the variables that `f` uses by the pathwise route: the
    surrogate contains `mean_i f(stop_gradient(b_i))`.

    * Unbiased: yes, for any `f` and any baseline `c` that does not depend on
      the current samples (a constant, a tensor computed from the inputs, or
      a `MovingAverageBaseline`, read before it is updated).
    * Cost: `num_samples` evaluations of `f`; `f` need not be differentiable
      in `b` (it is never differentiated with respect to the sample).
    * Variance: high; a baseline, `rloo`, `arm`/`disarm` reduce it.

    Its arguments `f`, `logits`, `seed`, `categorical`, `validate_args` and
    `name`, what it raises for them, and its behaviour at the boundaries
    (infinite, huge, NaN or integer logits) are those of every estimator,
    documented once in `relaxtfp.estimators`.

    #### Mathematical Details

    Bernoulli (default): `b ~ Bernoulli(sigmoid(logits))` elementwise,
    `log q(b) = b * logits - softplus(logits)`. Categorical
    (`categorical=True`): `b = one_hot(argmax(logits + G))` with Gumbel noise
    `G`, `log q(b) = sum_k b_k * log_softmax(logits)_k`. `f` maps
    `[n] + logits.shape` to `[n] + batch[:r]` (a prefix of the batch shape
    `logits.shape`, minus the category axis when categorical); the
    log-probabilities of the latent axes after the prefix are summed, so each
    prefix element's own `f` value is its learning signal:

    ```none
    surrogate = sum_p mean_i f_p(b_i)
                + T - stop_gradient(T),
    T         = sum_p mean_i stop_gradient(f_p(b_i) - c_p) * log q_p(b_i)
    ```

    `T - stop_gradient(T)` is zero in value, so the surrogate's value is the
    Monte Carlo estimate of `sum_p E[f_p]`.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    # Toy problem E[(b - t)^2], b ~ Bernoulli(sigmoid(theta)), elementwise.
    theta = tf.Variable([0.2, -0.5, 1.0])
    target = tf.constant([0.45, 0.45, 0.45])
    with tf.GradientTape() as tape:
      loss = relaxtfp.estimators.reinforce(
          lambda b: (b - target) ** 2, theta, seed=(1, 2), num_samples=16)
    grad = tape.gradient(loss, theta)
    # E[grad] = sigmoid(theta) * (1 - sigmoid(theta)) * (1 - 2 * target).
    ```

    #### References

    [1]: Ronald J. Williams. Simple statistical gradient-following algorithms
         for connectionist reinforcement learning. _Machine Learning_,
         8:229-256, 1992.
    [2]: Andriy Mnih and Karol Gregor. Neural Variational Inference and
         Learning in Belief Networks. In _International Conference on Machine
         Learning_, 2014. https://arxiv.org/abs/1402.0030

    Args:
      num_samples: Python int >= 1: samples (and evaluations of `f`).
      baseline: `None`, a `MovingAverageBaseline` (updated by this call
        after it is read; on JAX the updated copy is returned), or a float
        `Tensor` broadcastable to `f`'s output that does not depend on the
        samples (no gradient flows through it).

    Returns:
      A scalar float `Tensor`, the surrogate. On JAX with a
      `MovingAverageBaseline`, the pair `(surrogate, updated_baseline)`
      (JAX has no variables; see `MovingAverageBaseline`).

    Raises:
      TypeError: As every estimator, and if `baseline` is not None, a
        `MovingAverageBaseline` or a real tensor.
      ValueError: As every estimator, and if `baseline` does not broadcast
        to the shape of `f`'s values without widening it (for a
        `MovingAverageBaseline`: its shape is neither () nor the batch
        prefix that `f` returns).
    """
    seed, num_samples, categorical, validate_args = util.check_arguments(
        f, seed, num_samples, 1, categorical, validate_args, name)
    baseline = _check_baseline(baseline)
    with tf.name_scope(name or "reinforce"):
        updates = []
        result = _score_function_surrogate(
            f, logits, seed, num_samples, categorical,
            lambda values: _baseline_value(baseline, values, updates),
            validate_args)
        return _with_updates(result, updates)


def score_function_surrogate(values, logits, samples, *, categorical=False,
                             baseline=None, validate_args=False, name=None):
    """The REINFORCE surrogate for given samples and the values `f` took there.

    `reinforce` draws its samples and calls `f`. Where the samples were drawn
    elsewhere and `f` cannot be called again, as in reinforcement learning
    (the agent sampled its actions while acting, and `f` is the return it
    observed), this function builds the same surrogate from them. Its value
    is the mean of `values` over samples (summed over the batch prefix they
    have), and its gradient with respect to `logits` is the score-function
    estimator

    ```none
    (1/n) sum_i (values_i - c) * grad log q(samples_i | logits)
    ```

    * Unbiased: yes, if the samples were drawn from
      `Bernoulli(sigmoid(logits))` (or `Categorical(softmax(logits))`) with
      the same logits and the baseline `c` does not depend on them. The
      function cannot check where the samples came from: samples drawn from
      other logits (an older policy) give a biased estimate.
    * `values` may carry gradients of their own (a log-likelihood computed
      from the samples by a decoder): they reach its variables pathwise, as
      in `reinforce`. An observed return carries none.
    * With the samples and values `reinforce` draws and computes for the
      same `logits`, `baseline` and seed, the result is the same.

    `logits`, `categorical`, `validate_args` and `name` are as for every
    estimator (see `relaxtfp.estimators`), and so is the behaviour at the
    boundaries: a sample of probability 1 (a Bernoulli logit of +-inf
    towards it, or a categorical logit of -inf elsewhere in its row) has a
    log-probability of 0 with derivative 0. A sample of probability 0 (a
    Bernoulli logit of +-inf away from it, or a categorical sample at a -inf
    logit) cannot have been drawn; its log-probability is -inf and the
    surrogate is not finite.

    #### Mathematical Details

    Bernoulli: `log q(b) = -softplus(-logits)` if `b = 1` and
    `-softplus(logits)` if `b = 0`; categorical:
    `log q(b) = sum_k b_k log_softmax(logits)_k`. With `values` of shape
    `[n] + batch[:r]`, the log-probabilities of the latent axes after the
    prefix are summed, and

    ```none
    surrogate = sum_p mean_i values_p,i + T - stop_gradient(T),
    T         = sum_p mean_i stop_gradient(values_p,i - c_p) * log q_p(samples_i)
    ```

    #### Examples

    REINFORCE for a policy over 3 actions, with the actions sampled by the
    agent and a reward observed for each:

    ```python
    import tensorflow as tf
    import tensorflow_probability as tfp
    import relaxtfp

    logits = tf.Variable([[0.5, -1.0, 0.2], [0.0, 0.3, -0.4]])  # 2 states
    actions = tfp.distributions.Categorical(logits=logits).sample(seed=(1, 2))
    rewards = tf.cast(actions == 0, tf.float32)                 # Observed.
    with tf.GradientTape() as tape:
      surrogate = relaxtfp.estimators.score_function_surrogate(
          rewards[tf.newaxis], logits, tf.one_hot(actions, 3)[tf.newaxis],
          categorical=True)
      loss = -surrogate
    grad = tape.gradient(loss, logits)                         # Shape [2, 3].
    ```

    #### References

    [1]: Ronald J. Williams. Simple statistical gradient-following algorithms
         for connectionist reinforcement learning. _Machine Learning_,
         8:229-256, 1992.

    Args:
      values: Real `Tensor` of shape `[n] + batch[:r]`: the value of `f` at
        each sample (the sample axis, then a prefix of the batch shape).
      logits: Float `Tensor` (or `tf.Variable`) that the samples were drawn
        from, as for every estimator.
      samples: `Tensor` of shape `[n] + logits.shape`: 0/1 values, or
        one-hot rows along the last axis when `categorical=True` (float,
        integer or bool; cast to the dtype of `logits`).
      categorical: Python bool; `True` for one-hot categorical variables.
      baseline: As for `relaxtfp.estimators.reinforce`: `None`, a
        `MovingAverageBaseline` (read, then updated with `values`), or a
        real tensor that broadcasts to the shape of `values`.
      validate_args: Python bool, default `False`. When `True`, run-time
        assertions (dropped under XLA) also check that `samples` hold only
        0 and 1 (one-hot rows when categorical).
      name: Python `str` name for the ops.

    Returns:
      A scalar float `Tensor`, the surrogate. On JAX with a
      `MovingAverageBaseline`, the pair `(surrogate, updated_baseline)`, as
      for `reinforce`.

    Raises:
      TypeError: If `values`, `logits` or `samples` are not real tensors,
        `categorical`, `validate_args` or `name` is of the wrong kind, or
        `baseline` is not None, a `MovingAverageBaseline` or a real tensor.
      ValueError: If `samples` do not have shape `[n] + logits.shape`,
        `values` do not have shape `[n] + batch[:r]`, `logits` lack a
        category axis when categorical, or `baseline` does not broadcast to
        the shape of `values` without widening it.
    """
    categorical = util.check_bool(categorical, "categorical")
    validate_args = util.check_bool(validate_args, "validate_args")
    util.check_name(name)
    baseline = _check_baseline(baseline)
    with tf.name_scope(name or "score_function_surrogate"):
        logits = util.convert_logits(logits, categorical, validate_args)
        samples = util.convert_samples(samples, logits, categorical,
                                       validate_args)
        values, prefix_rank = util.check_values(
            values, samples.shape[0], logits, categorical)
        updates = []
        result = _surrogate_at(
            samples, values, prefix_rank, logits, categorical,
            lambda v: _baseline_value(baseline, v, updates))
        return _with_updates(result, updates)


def rloo(f, logits, *, seed, num_samples=2, categorical=False,
         validate_args=False, name=None):
    """REINFORCE with the leave-one-out baseline (RLOO) over several samples.

    Each sample's baseline is the mean of `f` over the OTHER samples, which
    is independent of it, so the estimator is unbiased and needs no state:

    ```none
    grad = (1/n) sum_i (f(b_i) - (1/(n-1)) sum_{j != i} f(b_j))
                       * grad log q(b_i | logits)
    ```

    * Unbiased: yes, for any `f`.
    * Cost: `num_samples` evaluations of `f` (at least 2); `f` need not be
      differentiable in `b`.
    * The surrogate's value is the Monte Carlo estimate of `E[f]` (mean over
      samples, summed over the batch prefix `f` returns); variables used by
      `f` get the pathwise gradient `mean_i grad f(b_i)`.

    Its arguments `f`, `logits`, `seed`, `categorical`, `validate_args` and
    `name`, what it raises for them, and its behaviour at the boundaries
    (infinite, huge, NaN or integer logits) are those of every estimator,
    documented once in `relaxtfp.estimators`.

    #### Mathematical Details

    Sampling, log-probabilities and the shape convention for `f` are those
    of `relaxtfp.estimators.reinforce`. The leave-one-out signal is computed
    per prefix element `p` as

    ```none
    f_p(b_i) - (S_p - f_p(b_i)) / (n - 1) = n / (n - 1) * (f_p(b_i) - mean_j f_p(b_j))
    ```

    with `S_p = sum_j f_p(b_j)`.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    # Two categorical variables with 3 categories each; f is nonlinear.
    logits = tf.Variable([[0.5, -1.0, 0.2], [0.0, 0.3, -0.4]])
    values = tf.constant([0., 1., 2.])
    def f(b):                                 # b: [n, 2, 3] one-hot
      x = tf.reduce_sum(b * values, axis=-1)  # [n, 2]
      return (x[:, 0] - x[:, 1]) ** 2         # [n]
    with tf.GradientTape() as tape:
      loss = relaxtfp.estimators.rloo(
          f, logits, seed=(3, 4), num_samples=8, categorical=True)
    grad = tape.gradient(loss, logits)        # Shape [2, 3].
    ```

    #### References

    [1]: Wouter Kool, Herke van Hoof and Max Welling. Buy 4 REINFORCE Samples,
         Get a Baseline for Free! In _ICLR Workshop on Deep Reinforcement
         Learning Meets Structured Prediction_, 2019.
         https://openreview.net/forum?id=r1lgTGL5DE
    [2]: Andriy Mnih and Danilo J. Rezende. Variational inference for Monte
         Carlo objectives. In _International Conference on Machine
         Learning_, 2016. https://arxiv.org/abs/1602.06725

    Args:
      num_samples: Python int >= 2: samples (and evaluations of `f`).

    Returns:
      A scalar float `Tensor`, the surrogate.

    Raises:
      TypeError: As every estimator.
      ValueError: As every estimator (`num_samples` must be at least 2).
    """
    seed, num_samples, categorical, validate_args = util.check_arguments(
        f, seed, num_samples, 2, categorical, validate_args, name)
    with tf.name_scope(name or "rloo"):

        def baseline_fn(values):
            total = tf.reduce_sum(values, axis=0, keepdims=True)
            return (total - values) / tf.cast(num_samples - 1, values.dtype)

        return _score_function_surrogate(
            f, logits, seed, num_samples, categorical, baseline_fn,
            validate_args)
