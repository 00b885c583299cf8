"""ARM and DisARM: antithetic estimators for Bernoulli variables; ARM's
categorical form, ARSM."""

import tensorflow as tf

from relaxtfp.internal import estimator_util as util
from relaxtfp.internal import noise
from relaxtfp.internal.tfp_internal import ps

__all__ = ["arm", "disarm"]

_CATEGORICAL_MESSAGE = (
    "`{name}` supports Bernoulli variables only (`categorical=False`); a "
    "categorical DisARM is not provided. The categorical ARM estimator (ARSM, "
    "Yin, Yue and Zhou 2019) is available as `relaxtfp.estimators.arm(f, "
    "logits, seed=..., categorical=True)`; "
    "`relaxtfp.estimators.rloo(..., categorical=True)` is another unbiased "
    "categorical estimator.")


def _antithetic_surrogate(f, logits, seed, num_samples, validate_args,
                          gradient_fn):
    """The Bernoulli ARM/DisARM surrogate: draws the antithetic pairs,
    evaluates `f` once on all 2n samples and applies `gradient_fn`."""
    logits = util.convert_logits(logits, False, validate_args)
    u, b = util.sample_bernoulli_uniform(logits, num_samples, seed)
    # The antithetic partner uses 1 - u: b_tilde = 1[1 - u < sigmoid(logits)]
    # = 1[u > sigmoid(-logits)], which is again Bernoulli(sigmoid(logits)).
    b_tilde = tf.cast(u > tf.math.sigmoid(-logits), logits.dtype)
    values, _ = util.call_f(
        f, tf.concat([b, b_tilde], axis=0), 2 * num_samples, logits,
        categorical=False)
    f_b, f_b_tilde = values[:num_samples], values[num_samples:]
    diff = util.broadcast_to_latent(f_b - f_b_tilde, len(u.shape))
    grad = gradient_fn(logits, u, b, b_tilde, diff)
    return util.surrogate(values, util.gradient_term(grad, logits))


def arm(f, logits, *, seed, num_samples=1, categorical=False,
        validate_args=False, name=None):
    """The Augment-REINFORCE-Merge (ARM) estimator; ARSM for categoricals.

    Bernoulli variables (the default): for each of `num_samples` uniform
    vectors `u`, evaluates `f` at the antithetic pair `b = 1[u < sigmoid(logits)]` and
    `b_tilde = 1[u > sigmoid(-logits)]` (both Bernoulli(sigmoid(logits))):

    ```none
    grad_d = (1/n) sum_i (f(b_tilde_i) - f(b_i)) * (u_id - 1/2)
    ```

    * Unbiased: yes, for any `f`.
    * Cost: `2 * num_samples` evaluations of `f` (one call of `f` on a batch
      of `2 * num_samples` samples: the `b`s first, then the `b_tilde`s);
      `f` need not be differentiable in `b`.

    The surrogate's value is the mean of `f` over all `2 * num_samples`
    evaluations (summed over the batch prefix that `f` returns), an unbiased
    estimate of `E[f]`; variables used by `f` get the pathwise gradient
    averaged over the same `2 * num_samples` points.

    With `categorical=True` this is ARSM (Augment-REINFORCE-Swap-Merge, Yin,
    Yue and Zhou 2019). Per sample and categorical variable with `K`
    categories, `pi ~ Dirichlet(1_K)`, the sample is
    `z = argmin_i (log pi_i - logits_i)` (distributed as
    Categorical(softmax(logits))), and the pseudo action `z^{m<->j}` is the
    same argmin with entries `m` and `j` of `pi` swapped. For logit `c`:

    ```none
    grad_c = (1/n) sum_samples sum_j (f(z^{c<->j}) - (1/K) sum_m f(z^{m<->j}))
                                     * (1/K - pi_j)
    ```

    * Unbiased: yes, for any `f`.
    * Cost: two calls of `f`. The first on the `num_samples` true samples
      `z`; the second on `num_samples * D * K * (K - 1) / 2` swapped samples,
      where `D` is the number of categorical variables in one joint latent
      (the product of the batch axes after the prefix that `f` returns; 1 if
      `f` is elementwise): for every variable and every pair `m < j`, that
      variable takes `z^{m<->j}` and the others keep `z` (the prefix elements
      are separate latents and are swapped together). In all
      `num_samples * (1 + D * K * (K - 1) / 2)` evaluations; duplicated
      pseudo actions are not removed. `f` need not be differentiable.
    * The surrogate's value is the mean of `f` at the true samples (summed
      over the prefix), and variables used by `f` get the pathwise gradient
      at the true samples only; the swapped evaluations only enter the
      estimator.

    Its arguments `f`, `logits`, `seed`, `categorical`, `validate_args` and
    `name`, what it raises for them, and its behaviour at the boundaries
    (infinite, huge, NaN or integer logits) are those of every estimator,
    documented once in `relaxtfp.estimators`.

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

    ARSM. Write the categorical sample with `pi ~ Dirichlet(1_K)` as
    `z = argmin_i (log pi_i - logits_i)` (`-log pi_i` are, up to a shift
    shared by all `i`, independent Gumbel variables). Yin, Yue and Zhou show
    that for any reference category `j`,
    `E_pi[(f(z^{c<->j}) - (1/K) sum_m f(z^{m<->j})) (1 - K pi_j)]` is the
    derivative of `E[f(z)]` with respect to `logits_c`; averaging over
    `j` ("merge") gives the formula above. `z^{j<->j} = z` and
    `z^{m<->j} = z^{j<->m}`, so the `K * K` values come from `f(z)` and
    `K * (K - 1) / 2` swapped evaluations. With several variables in one
    joint latent, each variable is swapped with the others held at `z`
    (they are independent of that variable's `pi`), which keeps the estimate
    unbiased. The gradients of one variable's logits sum to zero, as the
    softmax is invariant to adding a constant to every logit. The surrogate
    has the Bernoulli form, with the mean of `f` taken over the `n` true
    samples `z` only.

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

    Categorical (ARSM): two variables with K = 4 categories in one joint
    latent, so each sample costs 1 + 2 * 4 * 3 / 2 = 13 evaluations of `f`.

    ```python
    import tensorflow as tf
    import relaxtfp

    logits = tf.Variable(tf.zeros([2, 4]))
    def f(z):                                    # z: [m, 2, 4] one-hot
      x = tf.reduce_sum(z * tf.range(4.), -1)    # category values, [m, 2]
      return (x[:, 0] - x[:, 1]) ** 2            # [m]
    with tf.GradientTape() as tape:
      loss = relaxtfp.estimators.arm(f, logits, seed=(1, 2), num_samples=4,
                                     categorical=True)
    grad = tape.gradient(loss, logits)           # 4 + 48 evaluations of f.
    ```

    #### References

    [1]: Mingzhang Yin and Mingyuan Zhou. ARM: Augment-REINFORCE-Merge
         Gradient for Stochastic Binary Networks. In _International
         Conference on Learning Representations_, 2019.
         https://arxiv.org/abs/1807.11143
    [2]: Mingzhang Yin, Yuguang Yue and Mingyuan Zhou. ARSM:
         Augment-REINFORCE-Swap-Merge Estimator for Gradient Backpropagation
         Through Categorical Variables. In _International Conference on
         Machine Learning_, 2019. https://arxiv.org/abs/1905.01413

    Args:
      num_samples: Python int >= 1: the number of antithetic PAIRS
        (Bernoulli; `f` sees `m = 2 * num_samples` samples), or of Dirichlet
        draws `pi` per variable (categorical; `m` as described above).

    Returns:
      A scalar float `Tensor`, the surrogate.

    Raises:
      TypeError: As every estimator.
      ValueError: As every estimator, and if (categorical) the number of
        categories is not static.
    """
    seed, num_samples, categorical, validate_args = util.check_arguments(
        f, seed, num_samples, 1, categorical, validate_args, name)
    with tf.name_scope(name or "arm"):
        if categorical:
            return _arsm(f, logits, seed, num_samples, validate_args)
        return _antithetic_surrogate(f, logits, seed, num_samples,
                                     validate_args, _arm_gradient)


def disarm(f, logits, *, seed, num_samples=1, categorical=False,
           validate_args=False, name=None):
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
    * Bernoulli only: `categorical=True` raises `NotImplementedError`; the
      categorical ARM estimator (ARSM) is `arm(..., categorical=True)`.

    The surrogate's value is the mean of `f` over all `2 * num_samples`
    evaluations (summed over the batch prefix of `f`'s output).

    Its arguments `f`, `logits`, `seed`, `categorical`, `validate_args` and
    `name`, what it raises for them, and its behaviour at the boundaries
    (infinite, huge, NaN or integer logits) are those of every estimator,
    documented once in `relaxtfp.estimators`.

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
      num_samples: Python int >= 1: the number of antithetic PAIRS (`f`
        sees `2 * num_samples` samples).

    Returns:
      A scalar float `Tensor`, the surrogate.

    Raises:
      TypeError: As every estimator.
      ValueError: As every estimator.
      NotImplementedError: If `categorical=True` is passed (the argument
        exists so that every estimator has the same signature).
    """
    seed, num_samples, categorical, validate_args = util.check_arguments(
        f, seed, num_samples, 1, categorical, validate_args, name)
    if categorical:
        raise NotImplementedError(_CATEGORICAL_MESSAGE.format(name="disarm"))
    with tf.name_scope(name or "disarm"):
        return _antithetic_surrogate(f, logits, seed, num_samples,
                                     validate_args, _disarm_gradient)


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


def _arsm_pairs(num_categories):
    """The K(K-1)/2 swaps (m < j), their permutations of the K categories,
    and the [K, K] table locating f(z^{m<->j}) among [f(z), pairs...]."""
    pairs = [(m, j) for m in range(num_categories)
             for j in range(m + 1, num_categories)]
    perms = []
    for m, j in pairs:
        perm = list(range(num_categories))
        perm[m], perm[j] = j, m
        perms.append(perm)
    table = [[0] * num_categories for _ in range(num_categories)]
    for p, (m, j) in enumerate(pairs):
        table[m][j] = table[j][m] = p + 1   # Index 0 is f(z): z^{j<->j} = z.
    return perms, table


def _arsm(f, logits, seed, num_samples, validate_args):
    """The categorical ARM estimator (ARSM); returns the surrogate."""
    logits = util.convert_logits(logits, True, validate_args)
    k = logits.shape[-1]
    if k is None:
        raise ValueError(
            "Argument `logits` must have a statically known number of "
            "categories (last axis) for `arm(..., categorical=True)`.")
    n = num_samples
    dtype = logits.dtype
    shape = ps.shape(logits)
    batch_rank = len(logits.shape) - 1
    # pi ~ Dirichlet(1_K) as normalized Exponential(1) draws E = -log(u);
    # log(pi_i) - logits_i = log(E_i) - logits_i - log(sum E), and the last
    # term is common to every category (and to every swap), so argmins are
    # taken over log(E) - logits.
    u = noise.uniform(ps.concat([[n], shape], axis=0), seed=seed, dtype=dtype)
    exp = -tf.math.log(u)
    log_exp = tf.math.log(exp)
    pi = exp / tf.reduce_sum(exp, axis=-1, keepdims=True)
    z = tf.one_hot(tf.argmin(log_exp - logits, axis=-1), k, dtype=dtype)
    values, prefix_rank = util.call_f(f, z, n, logits, categorical=True)
    perms, table = _arsm_pairs(k)
    num_pairs = len(perms)
    if num_pairs == 0:                      # K = 1: the gradient is 0.
        return util.surrogate(
            values, util.gradient_term(tf.zeros_like(logits), logits, True))
    prefix = shape[:prefix_rank]
    # D, the number of variables per joint latent; static when known.
    num_vars = tf.TensorShape(logits.shape)[prefix_rank:batch_rank].num_elements()
    if num_vars is None:
        num_vars = ps.reduce_prod(shape[prefix_rank:batch_rank])
    flat = ps.concat([[n], prefix, [num_vars, k]], axis=0)
    z_flat = tf.reshape(z, flat)                         # [n] + prefix + [D, K]
    # Pseudo actions z^{m<->j}: the argmin with entries m and j of pi swapped.
    swapped = tf.gather(log_exp, perms, axis=-1)      # [n] + batch + [P, K]
    pseudo = tf.one_hot(
        tf.argmin(swapped - logits[..., tf.newaxis, :], axis=-1), k,
        dtype=dtype)                                  # [n] + batch + [P, K]
    pseudo = tf.reshape(pseudo, ps.concat(
        [[n], prefix, [num_vars, num_pairs, k]], axis=0))
    # Evaluation points, [n, D (swapped variable), P] + prefix + [D, K]: the
    # swapped variable takes its pseudo action, the others keep z. Every
    # prefix element is its own joint latent, so they are swapped together.
    r = prefix_rank
    pseudo = tf.transpose(                            # [n, P] + prefix + [D, K]
        pseudo, [0, r + 2] + list(range(1, r + 2)) + [r + 3])
    eye = tf.reshape(tf.eye(num_vars, dtype=tf.bool),
                     [1, num_vars, 1] + [1] * r + [num_vars, 1])
    points = tf.where(eye, pseudo[:, tf.newaxis], z_flat[:, tf.newaxis,
                                                         tf.newaxis])
    num_points = n * num_vars * num_pairs
    points = tf.reshape(points, ps.concat([[num_points], shape], axis=0))
    swap_values, swap_rank = util.call_f(
        f, points, num_points if isinstance(num_points, int) else None,
        logits, categorical=True)
    if swap_rank != prefix_rank:
        raise ValueError(
            f"Argument `f` returned a batch prefix of rank {swap_rank} on the "
            f"swapped samples but {prefix_rank} on the true samples.")
    swap_values = tf.reshape(swap_values, ps.concat(
        [[n, num_vars, num_pairs], prefix], axis=0))
    both = tf.concat([                                # [n, D, 1 + P] + prefix
        tf.broadcast_to(values[:, tf.newaxis, tf.newaxis], ps.concat(
            [[n, num_vars, 1], prefix], axis=0)),
        swap_values], axis=2)
    f_mj = tf.gather(both, table, axis=2)             # [n, D, K, K] + prefix
    f_mj = tf.transpose(                              # [n] + prefix + [D, K, K]
        f_mj, [0] + list(range(4, r + 4)) + [1, 2, 3])
    centered = f_mj - tf.reduce_mean(f_mj, axis=-2, keepdims=True)
    pi = tf.reshape(pi, flat)
    weight = 1. / k - pi                              # [n] + prefix + [D, K]
    grad = tf.reduce_sum(centered * weight[..., tf.newaxis, :], axis=-1)
    grad = tf.reshape(tf.reduce_mean(grad, axis=0), shape)
    return util.surrogate(values, util.gradient_term(grad, logits, True))
