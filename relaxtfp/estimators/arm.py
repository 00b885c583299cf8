"""ARM and DisARM: antithetic estimators for Bernoulli variables."""

import tensorflow as tf

from relaxtfp.internal import estimator_util as util

__all__ = ["arm", "disarm"]

_CATEGORICAL_MESSAGE = (
    "`{name}` supports Bernoulli variables only (`categorical=False`). Its "
    "categorical generalization, ARSM (Yin, Yue and Zhou 2019), evaluates `f` "
    "at up to K*(K-1)/2 swapped pseudo-samples per categorical variable, and "
    "is not provided; use `relaxtfp.estimators.rloo(..., categorical=True)` "
    "for an unbiased categorical estimator.")


def _antithetic_pairs(f, logits, seed, num_samples, categorical, name):
    """Draws the antithetic pairs and evaluates `f` once on all 2n samples."""
    if categorical:
        raise NotImplementedError(_CATEGORICAL_MESSAGE.format(name=name))
    logits = util.convert_logits(logits, categorical=False)
    u, b = util.sample_bernoulli_uniform(logits, num_samples, seed)
    # The antithetic partner uses 1 - u: b_tilde = 1[1 - u < sigmoid(logits)]
    # = 1[u > sigmoid(-logits)], which is again Bernoulli(sigmoid(logits)).
    b_tilde = tf.cast(u > tf.math.sigmoid(-logits), logits.dtype)
    values, prefix_rank = util.call_f(
        f, tf.concat([b, b_tilde], axis=0), 2 * num_samples, logits,
        categorical=False)
    f_b, f_b_tilde = values[:num_samples], values[num_samples:]
    diff = util.broadcast_to_latent(f_b - f_b_tilde, u.shape.rank)
    return logits, values, u, b, b_tilde, diff


def arm(f, logits, *, seed, num_samples=1, categorical=False, name=None):
    """The Augment-REINFORCE-Merge (ARM) estimator for Bernoulli variables.

    For each of `num_samples` uniform vectors `u`, evaluates `f` at the
    antithetic pair `b = 1[u < sigmoid(logits)]` and
    `b_tilde = 1[u > sigmoid(-logits)]` (both Bernoulli(sigmoid(logits))):

    ```none
    grad_d = (1/n) sum_i (f(b_tilde_i) - f(b_i)) * (u_id - 1/2)
    ```

    * Unbiased: yes, for any `f`.
    * Cost: `2 * num_samples` evaluations of `f` (one call of `f` on a batch
      of `2 * num_samples` samples: the `b`s first, then the `b_tilde`s);
      `f` need not be differentiable in `b`.
    * Bernoulli only: `categorical=True` raises `NotImplementedError` (the
      categorical ARSM estimator is not provided; see `rloo`).

    The surrogate's value is the mean of `f` over all `2 * num_samples`
    evaluations (summed over the batch prefix that `f` returns), an unbiased
    estimate of `E[f]`; variables used by `f` get the pathwise gradient
    averaged over the same `2 * num_samples` points.

    #### Mathematical Details

    Yin and Zhou (2019) write `E_b[f(b)]` as an expectation over a uniform
    `u` and merge two antithetic REINFORCE estimators into

    ```none
    d/d logits E[f(b)] = E_u[(f(1[u > sigmoid(-logits)])
                              - f(1[u < sigmoid(logits)])) * (u - 1/2)]
    ```

    With `f` returning `[2n] + batch[:r]`, the difference for prefix element
    `p` multiplies `u - 1/2` for every latent coordinate of `p`. The
    surrogate is

    ```none
    surrogate = sum_p mean_{2n evaluations} f_p + T - stop_gradient(T),
    T         = sum_d stop_gradient(grad_d) * logits_d
    ```

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    theta = tf.Variable([0.2, -0.5, 1.0])
    def f(b):                                    # b: [2n, 3]
      return tf.reduce_sum(b, -1) ** 2 - b[:, 0] * b[:, 2]   # [2n]
    with tf.GradientTape() as tape:
      loss = relaxtfp.estimators.arm(f, theta, seed=(1, 2), num_samples=8)
    grad = tape.gradient(loss, theta)            # 16 evaluations of f.
    ```

    #### References

    [1]: Mingzhang Yin and Mingyuan Zhou. ARM: Augment-REINFORCE-Merge
         Gradient for Stochastic Binary Networks. In _International
         Conference on Learning Representations_, 2019.
         https://arxiv.org/abs/1807.11143

    Args:
      f: Callable mapping a float 0/1 sample of shape
        `[2 * num_samples] + logits.shape` to values of shape
        `[2 * num_samples] + batch[:r]` (a prefix of `logits.shape`).
      logits: Float `Tensor` (or `tf.Variable`) of Bernoulli log-odds.
      seed: TFP-style stateless seed; `None` draws a fresh one.
      num_samples: Python int >= 1: the number of antithetic PAIRS.
      categorical: Python bool, must be `False` (accepted so that every
        estimator has the same signature).
      name: Python `str` name for the ops.

    Returns:
      A scalar float `Tensor`, the surrogate.

    Raises:
      ValueError: If `num_samples` is not an integer >= 1, or `f` returns a
        wrongly shaped value.
      NotImplementedError: If `categorical=True` is passed.
    """
    return _arm_family(f, logits, seed, num_samples, name, "arm",
                       _arm_gradient, categorical)


def disarm(f, logits, *, seed, num_samples=1, categorical=False, name=None):
    """The DisARM estimator: ARM with the uniform noise integrated out.

    DisARM (Dong, Mnih and Tucker, 2020) is the conditional expectation of
    ARM given the antithetic pair `(b, b_tilde)`, so it has the same mean and
    never a larger variance. Only coordinates where the pair disagrees
    contribute:

    ```none
    grad_d = (1/n) sum_i 1/2 * (f(b_i) - f(b_tilde_i)) * (-1)**b_tilde_id
                     * 1[b_id != b_tilde_id] * sigmoid(|logits_d|)
    ```

    * Unbiased: yes, for any `f`.
    * Cost: `2 * num_samples` evaluations of `f`, in one call (the `b`s
      first, then the `b_tilde`s); `f` need not be differentiable in `b`.
    * Bernoulli only: `categorical=True` raises `NotImplementedError`.

    The surrogate's value is the mean of `f` over all `2 * num_samples`
    evaluations (summed over the batch prefix of `f`'s output).

    #### Mathematical Details

    `b = 1[u < sigmoid(logits)]`, `b_tilde = 1[u > sigmoid(-logits)]` for
    uniform `u`. Averaging the ARM term `(f(b_tilde) - f(b)) (u - 1/2)` over
    the `u` compatible with a given pair gives the formula above, which is
    symmetric in `b` and `b_tilde`. The surrogate has the same form as
    `relaxtfp.estimators.arm`'s.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    # A batch of 4 examples with 3 latent bits each; f reduces over the bits.
    logits = tf.Variable(tf.zeros([4, 3]))
    def f(b):                                  # b: [2n, 4, 3]
      return tf.reduce_sum((b - 0.45) ** 2, axis=-1)   # [2n, 4]
    with tf.GradientTape() as tape:
      loss = relaxtfp.estimators.disarm(f, logits, seed=(5, 6), num_samples=2)
    grad = tape.gradient(loss, logits)         # Shape [4, 3].
    ```

    #### References

    [1]: Zhe Dong, Andriy Mnih and George Tucker. DisARM: An Antithetic
         Gradient Estimator for Binary Latent Variables. In _Advances in
         Neural Information Processing Systems_, 2020.
         https://arxiv.org/abs/2006.10680
    [2]: Mingzhang Yin and Mingyuan Zhou. ARM: Augment-REINFORCE-Merge
         Gradient for Stochastic Binary Networks. In _International
         Conference on Learning Representations_, 2019.
         https://arxiv.org/abs/1807.11143

    Args:
      f: Callable, as in `relaxtfp.estimators.arm`.
      logits: Float `Tensor` (or `tf.Variable`) of Bernoulli log-odds.
      seed: TFP-style stateless seed; `None` draws a fresh one.
      num_samples: Python int >= 1: the number of antithetic PAIRS.
      categorical: Python bool, must be `False` (accepted so that every
        estimator has the same signature).
      name: Python `str` name for the ops.

    Returns:
      A scalar float `Tensor`, the surrogate.

    Raises:
      ValueError: If `num_samples` is not an integer >= 1, or `f` returns a
        wrongly shaped value.
      NotImplementedError: If `categorical=True` is passed.
    """
    return _arm_family(f, logits, seed, num_samples, name, "disarm",
                       _disarm_gradient, categorical)


def _arm_gradient(logits, u, b, b_tilde, diff):
    del b, b_tilde
    # diff = f(b) - f(b_tilde); ARM uses f(b_tilde) - f(b).
    return tf.reduce_mean(-diff * (u - 0.5), axis=0)


def _disarm_gradient(logits, u, b, b_tilde, diff):
    del u
    sign = 1. - 2. * b_tilde                       # (-1)**b_tilde
    disagree = tf.cast(tf.not_equal(b, b_tilde), logits.dtype)
    weight = 0.5 * sign * disagree * tf.math.sigmoid(tf.abs(logits))
    return tf.reduce_mean(diff * weight, axis=0)


def _arm_family(f, logits, seed, num_samples, name, default_name,
                gradient_fn, categorical):
    num_samples = util.check_num_samples(num_samples, 1)
    seed = util.sanitize_seed(seed)
    with tf.name_scope(name or default_name):
        logits, values, u, b, b_tilde, diff = _antithetic_pairs(
            f, logits, seed, num_samples, categorical, default_name)
        grad = tf.stop_gradient(gradient_fn(logits, u, b, b_tilde, diff))
        return util.surrogate(values, tf.reduce_sum(grad * logits))
