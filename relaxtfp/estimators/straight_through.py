"""Straight-through estimators as gradient estimators: Gumbel-Rao and ReinMax.

Both evaluate `f` at exact discrete samples (the forward value is the
discrete sample, bit for bit) and replace the missing derivative of the
sampling step by a surrogate Jacobian, so both need `f` to be
differentiable in its input and both are biased for general `f`.
"""

import tensorflow as tf

from relaxtfp.internal import estimator_util as util
from relaxtfp.internal import noise
from relaxtfp.internal import numerics

__all__ = ["gumbel_rao", "reinmax"]


def _one_hot_sample(logits, num_samples, seed, categorical, validate_args):
    """Logits as categories (Bernoulli -> log [1 - p, p]) and a one-hot
    sample."""
    logits = util.convert_logits(logits, categorical, validate_args)
    cat_logits = logits if categorical else util.as_two_categories(logits)
    one_hot = util.sample_categorical(cat_logits, num_samples, seed)
    return logits, cat_logits, one_hot


def _finish(f, logits, one_hot, straight_through, num_samples, categorical):
    """Evaluates `f` at `one_hot + (t - stop_gradient(t))`, whose value is the
    discrete sample exactly and whose gradient is that of `t`."""
    sample = one_hot + (straight_through - tf.stop_gradient(straight_through))
    if not categorical:
        sample = sample[..., 1]
    values, _ = util.call_f(f, sample, num_samples, logits, categorical,
                            differentiable=True)
    return util.surrogate(values)


def gumbel_rao(f, logits, *, seed, num_samples=1, categorical=False,
               temperature=1., num_rao_samples=10, validate_args=False,
               name=None):
    """Gumbel-Rao: Rao-Blackwellized straight-through Gumbel-Softmax.

    Samples `D ~ Categorical(softmax(logits))` (one-hot), evaluates `f(D)`,
    and back-propagates through the AVERAGE of `num_rao_samples` Gumbel-
    Softmax relaxations whose Gumbel noise is drawn conditionally on the
    sampled category (Paulus et al., 2020):

    ```none
    grad = mean_i [ d f/d D (D_i) . (1/K) sum_k d softmax((logits + G_ik)/tau)/d logits ],
    G_ik ~ Gumbel noise conditioned on argmax(logits + G_ik) = D_i
    ```

    * Unbiased: no. Its mean equals that of straight-through Gumbel-Softmax
      at the same temperature (Rao-Blackwellization keeps the mean and lowers
      the variance); the bias vanishes as `temperature -> 0` for linear `f`.
      Measured bias (||E[grad] - exact|| / ||exact||, 5e4 replicas,
      standard error <= 0.005) on the problems of
      `tests/estimators/test_straight_through.py`: at temperature 1 / 0.5,
      0.285 / 0.133 for 3 Bernoulli bits with a quadratic f, 0.495 / 0.273
      for 2 categorical variables (K = 3) with a quadratic f, and
      0.488 / 0.377 for 3 bits with f = sin(2 w . b).
    * Cost: `num_samples` evaluations of `f` plus one backward pass through
      it; `num_rao_samples` only adds softmaxes. `f` must be differentiable
      with respect to its input (it is evaluated at one-hot or 0/1 points and
      differentiated there).
    * Bernoulli variables are 2-category variables with logits `[0, logits]`
      (the relaxation is then the binary Concrete `sigmoid((logits + L)/tau)`
      with logistic `L`).

    The surrogate's value is the mean of `f` over samples (summed over the
    batch prefix `f` returns); variables used by `f` get the pathwise
    gradient at the discrete samples, which is unbiased.

    Its arguments `f`, `logits`, `seed`, `categorical`, `validate_args` and
    `name`, what it raises for them, and its behaviour at the boundaries
    (infinite, huge, NaN or integer logits) are those of every estimator,
    documented once in `relaxtfp.estimators`.

    #### Mathematical Details

    The conditional Gumbels are sampled exactly for unnormalized logits (the
    construction of Maddison et al. (2014) and Tucker et al. (2017)): with
    `log Z = logsumexp(logits)` and `E ~ Exponential(1)`,

    ```none
    z_D = log Z - log E_D,   z_k = -log(exp(-z_D) + E_k * exp(-logits_k)), k != D
    G   = z - logits         (held fixed: no gradient through G)
    s   = (1/K) sum_k softmax((logits + G_k) / tau)
    sample passed to f = D + (s - stop_gradient(s))      # value exactly D
    ```

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    logits = tf.Variable([[0.5, -1.0, 0.2], [0.0, 0.3, -0.4]])
    values = tf.constant([0., 1., 2.])
    def f(b):                                  # b: [n, 2, 3], one-hot in value
      x = tf.reduce_sum(b * values, axis=-1)   # Differentiable in b.
      return (x[:, 0] - x[:, 1]) ** 2          # [n]
    with tf.GradientTape() as tape:
      loss = relaxtfp.estimators.gumbel_rao(
          f, logits, seed=(1, 2), num_samples=4, categorical=True,
          temperature=0.5, num_rao_samples=20)
    grad = tape.gradient(loss, logits)
    ```

    #### References

    [1]: Max B. Paulus, Chris J. Maddison and Andreas Krause. Rao-Blackwellizing
         the Straight-Through Gumbel-Softmax Gradient Estimator. In
         _International Conference on Learning Representations_, 2021.
         https://arxiv.org/abs/2010.04838
    [2]: George Tucker, Andriy Mnih, Chris J. Maddison, Dieterich Lawson and
         Jascha Sohl-Dickstein. REBAR: Low-variance, unbiased gradient
         estimates for discrete latent variable models. In _Neural
         Information Processing Systems_, 2017.
         https://arxiv.org/abs/1703.07370
    [3]: Chris J. Maddison, Daniel Tarlow and Tom Minka. A* Sampling. In
         _Neural Information Processing Systems_, 2014.
         https://arxiv.org/abs/1411.0030

    Args:
      num_samples: Python int >= 1: samples (and evaluations of `f`).
      temperature: Positive float, the Gumbel-Softmax temperature `tau`.
      num_rao_samples: Python int >= 1: conditional Gumbel draws per sample.

    Returns:
      A scalar float `Tensor`, the surrogate.

    Raises:
      TypeError: As every estimator, and if `temperature` is not a real
        number.
      ValueError: As every estimator, and if `num_rao_samples` is not a
        Python integer >= 1, or `temperature` is not positive and finite
        (checked when known before run time) or does not broadcast to the
        batch shape.
    """
    seed, num_samples, categorical, validate_args = util.check_arguments(
        f, seed, num_samples, 1, categorical, validate_args, name)
    num_rao_samples = util.check_num_samples(
        num_rao_samples, 1, name="num_rao_samples")
    with tf.name_scope(name or "gumbel_rao"):
        sample_seed, rao_seed = noise.split_seed(seed, n=2)
        logits, cat_logits, one_hot = _one_hot_sample(
            logits, num_samples, sample_seed, categorical, validate_args)
        temperature = util.with_category_axis(util.convert_temperature(
            temperature, logits, categorical, validate_args))
        z = util.draw_conditional_gumbel(cat_logits, one_hot, num_rao_samples,
                                         rao_seed)
        # G = z - logits; a -inf logit (probability 0) has z = -inf too, and
        # its Gumbel is irrelevant (the relaxation is 0 there), so it is set
        # to 0 rather than computed as -inf - (-inf) = NaN.
        gumbels = tf.stop_gradient(tf.where(
            tf.math.is_inf(cat_logits), tf.zeros([], z.dtype), z - cat_logits))
        relaxed = numerics.relaxed_softmax(cat_logits + gumbels, temperature)
        return _finish(f, logits, one_hot, tf.reduce_mean(relaxed, axis=0),
                       num_samples, categorical)


def _softmax_jacobian_proxy(logits, probs):
    """A tensor whose Jacobian w.r.t. `logits` is the softmax Jacobian at
    `probs`, `diag(probs) - probs probs^T`, for any probability vector.

    `h = p * (logits - sum(p * logits))` with `p` held fixed gives
    `dh_i/dlogits_k = p_i (delta_ik - p_k)`. It is linear in the logits, so
    unlike `softmax(stop_gradient(log p - logits) + logits)` it needs no
    logarithm of a possibly-underflowed probability. Two rewrites leave the
    Jacobian unchanged and keep the value finite for -inf and huge logits:
    the logits are shifted by their (constant) maximum, as the Jacobian has
    rows summing to 0; and where `p_k = 0` the logit is replaced by 0, as
    column k of the Jacobian is `-p p_k + p_k e_k = 0` (this avoids
    `0 * -inf`).
    """
    probs = tf.stop_gradient(probs)
    shifted = logits - tf.stop_gradient(
        tf.reduce_max(logits, axis=-1, keepdims=True))
    shifted = tf.where(probs > 0., shifted, tf.zeros([], logits.dtype))
    return probs * (shifted - tf.reduce_sum(probs * shifted, axis=-1,
                                            keepdims=True))


def reinmax(f, logits, *, seed, num_samples=1, categorical=False,
            temperature=1., validate_args=False, name=None):
    """ReinMax: a second-order straight-through estimator (Liu et al., 2023).

    Samples `D ~ Categorical(pi_0)`, `pi_0 = softmax(logits)`, evaluates
    `f(D)` and back-propagates the gradient `g = df/dD` to the logits as

    ```none
    grad = 2 J(pi_1) g - 1/2 J(pi_0) g,
    pi_1 = (D + softmax(logits / tau)) / 2,   J(p) = diag(p) - p p^T
    ```

    which is Heun's method applied where straight-through is Euler's.

    * Unbiased: no, in general. At `temperature = 1` it is unbiased for
      every `f` that is linear in the one-hot sample (E[J(pi_1)] = 3/4
      J(pi_0)); this is tested. Measured bias (||E[grad] - exact|| /
      ||exact||, 5e4 replicas, standard error <= 0.007) on the problems of
      `tests/estimators/test_straight_through.py`: at temperature 1,
      0.001 and 0.007 (consistent with zero) for the quadratic f on 3
      Bernoulli bits and on 2 categorical variables, but 0.387 for
      f = sin(2 w . b); at temperature 2, 0.260, 0.232 and 0.309.
    * Cost: `num_samples` evaluations of `f` plus one backward pass; `f`
      must be differentiable with respect to its input.
    * Bernoulli variables are 2-category variables with logits
      `[0, logits]`. The authors recommend `temperature >= 1`.

    The surrogate's value is the mean of `f` over samples (summed over the
    batch prefix `f` returns); variables used by `f` get the pathwise
    gradient at the discrete samples.

    Its arguments `f`, `logits`, `seed`, `categorical`, `validate_args` and
    `name`, what it raises for them, and its behaviour at the boundaries
    (infinite, huge, NaN or integer logits) are those of every estimator,
    documented once in `relaxtfp.estimators`.

    #### Mathematical Details

    ```none
    h(p)   = stop_gradient(p) * (logits - sum(stop_gradient(p) * logits))
             # Jacobian J(p) with respect to logits, value irrelevant
    t      = 2 h(pi_1) - h(pi_0) / 2
    sample passed to f = D + (t - stop_gradient(t))     # value exactly D
    ```

    For `f` linear in `D`, `f(D) = c . D`, the exact gradient is
    `J(pi_0) c`; with `tau = 1`, `E[pi_1 pi_1^T] = diag(pi_0)/4 + 3/4 pi_0
    pi_0^T`, so `E[grad] = (3/2 - 1/2) J(pi_0) c` is exact.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    theta = tf.Variable([0.2, -0.5, 1.0])
    with tf.GradientTape() as tape:
      loss = relaxtfp.estimators.reinmax(
          lambda b: tf.reduce_sum(b, -1) ** 2, theta, seed=(1, 2),
          num_samples=8, temperature=1.)
    grad = tape.gradient(loss, theta)
    ```

    #### References

    [1]: Liyuan Liu, Chengyu Dong, Xiaodong Liu, Bin Yu and Jianfeng Gao.
         Bridging Discrete and Backpropagation: Straight-Through and Beyond.
         In _Neural Information Processing Systems_, 2023.
         https://arxiv.org/abs/2304.08612

    Args:
      num_samples: Python int >= 1: samples (and evaluations of `f`).
      temperature: Positive float `tau` of `softmax(logits / tau)` in `pi_1`.

    Returns:
      A scalar float `Tensor`, the surrogate.

    Raises:
      TypeError: As every estimator, and if `temperature` is not a real
        number.
      ValueError: As every estimator, and if `temperature` is not positive
        and finite (checked when known before run time) or does not
        broadcast to the batch shape.
    """
    seed, num_samples, categorical, validate_args = util.check_arguments(
        f, seed, num_samples, 1, categorical, validate_args, name)
    with tf.name_scope(name or "reinmax"):
        logits, cat_logits, one_hot = _one_hot_sample(
            logits, num_samples, seed, categorical, validate_args)
        temperature = util.with_category_axis(util.convert_temperature(
            temperature, logits, categorical, validate_args))
        pi_0 = numerics.softmax(cat_logits)
        pi_1 = 0.5 * (one_hot + numerics.relaxed_softmax(cat_logits, temperature))
        t = (2. * _softmax_jacobian_proxy(cat_logits, pi_1)
             - 0.5 * _softmax_jacobian_proxy(cat_logits, pi_0))
        return _finish(f, logits, one_hot, t, num_samples, categorical)
