"""REBAR and RELAX: score-function estimators with a reparameterized,
learnable control variate, for Bernoulli and categorical variables."""

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import estimator_util as util
from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import ps

__all__ = ["rebar", "relax", "relax_control_variate"]


def relax_control_variate(f, *, temperature, scale=1., network=None,
                          categorical=False):
    """The control variate `c(z) = scale * f(relaxed(z)) + network(z)`.

    Grathwohl et al. (2018) build RELAX's control variate for discrete
    variables from REBAR's, `scale * f(sigmoid(z / temperature))` (or
    `softmax(z / temperature)` for categorical variables), plus a free-form
    learned correction `network(z)`. This function returns that callable,
    ready to pass as `relaxtfp.estimators.relax(...,
    control_variate=c)`. With `network=None`, `relax` with this control
    variate is REBAR (`relaxtfp.estimators.rebar` is exactly that).

    `temperature`, `scale` and the variables of `network` are the
    control-variate parameters to train on the variance objective that
    `relax` returns. `f` is evaluated at relaxed inputs, so it must be
    defined and differentiable there.

    At the boundaries: for infinite or huge `z` (from infinite or huge
    logits) the relaxation takes the value that the exact one rounds to
    (for Bernoulli variables moved to the nearest float inside (0, 1), so
    that it stays a valid relaxed sample), and its derivatives with respect
    to `z` and `temperature` are 0 there instead of NaN: `z` is clipped to
    `+-T * temperature`, beyond which the relaxation no longer changes in
    floating point, before it is divided by the temperature. `network` sees
    `z` unclipped. `temperature` and `scale` are cast to the dtype of `z`; a
    value known when this function is called is checked then (`temperature`
    positive and finite, `scale` finite).

    #### Mathematical Details

    ```none
    Bernoulli:    c(z) = scale * f(sigmoid(z / temperature)) + network(z)
    categorical:  c(z) = scale * f(softmax(z / temperature)) + network(z)
    ```

    where `z` is the logistic (Bernoulli) or Gumbel-perturbed (categorical)
    pre-activation that `relax` evaluates `c` at, both unconditionally and
    conditioned on the discrete sample `b = H(z)`. Any `c` keeps `relax`
    unbiased; this one makes `relax` equal to REBAR when `network` is `None`.

    #### Examples

    ```python
    import keras
    import tensorflow as tf
    import relaxtfp

    log_temperature = tf.Variable(tf.math.log(0.5))
    net = keras.Sequential([keras.layers.Dense(8, activation="tanh"),
                            keras.layers.Dense(1)])
    f = lambda b: tf.reduce_sum((b - 0.45) ** 2, axis=-1)     # [n, 3] -> [n]
    c = relaxtfp.estimators.relax_control_variate(
        f, temperature=tf.exp(log_temperature),
        network=lambda z: net(z)[..., 0])                     # [n, 3] -> [n]
    values = c(tf.random.stateless_normal([4, 3], seed=(1, 2)))   # Shape [4].
    ```

    Args:
      f: Callable, as for `relaxtfp.estimators.relax`, evaluated here at
        relaxed samples in (0, 1) (Bernoulli) or on the simplex
        (categorical).
      temperature: Positive float `Tensor` (e.g. `tf.exp` of a variable):
        the relaxation temperature `lambda`.
      scale: Float `Tensor`, the weight `eta` of the relaxed `f` term.
      network: `None`, or a callable mapping `z` (shape `[m] +
        logits.shape`) to values of `f`'s output shape `[m] + batch[:r]`,
        such as a small Keras model followed by a squeeze.
      categorical: Python bool; `True` for one-hot categorical variables
        (relaxation `softmax(z / temperature)` over the last axis).

    Returns:
      A callable `c(z)`.

    Raises:
      TypeError: If `f` or `network` is not callable, `temperature` or
        `scale` is not a real number, or `categorical` is not a Python bool.
      ValueError: If `temperature` is known now and is not positive and
        finite, or `scale` is known now and is not finite.
    """

    util.check_callable(f, "f")
    if network is not None:
        util.check_callable(network, "network")
    categorical = util.check_bool(categorical, "categorical")
    # The dtype follows `z` when `c` is called; the kind and any value known
    # now are checked now, where the mistake is made.
    util.check_static(util.convert_real(temperature, "temperature"),
                      "temperature", positive=True)
    util.check_static(util.convert_real(scale, "scale"), "scale")

    def control_variate(z):
        lam = tf.cast(temperature, z.dtype)
        if categorical:
            relaxed = numerics.relaxed_softmax(z, util.with_category_axis(lam))
        else:
            relaxed = numerics.relaxed_sigmoid(z, lam)
        values = tf.cast(scale, z.dtype) * tf.cast(f(relaxed), z.dtype)
        if network is not None:
            values = values + tf.cast(network(z), z.dtype)
        return values

    return control_variate


def _call_control_variate(c, z, num_evaluations, prefix_shape, name):
    """Calls the control variate on `z` and checks its values.

    `name` is the argument the control variate comes from: `control_variate`
    for `relax`, `f` (evaluated at relaxed samples) for `rebar`.
    """
    what = (f"Argument `{name}`" if name == "control_variate" else
            f"Argument `{name}`, evaluated at the {num_evaluations} relaxed "
            "samples of REBAR's control variate,")
    values = c(z)
    if not tf.is_tensor(values):
        raise TypeError(
            f"{what} must return TensorFlow values computed from its input "
            f"(differentiable in it); got {type(values).__name__}.")
    if not dtype_util.is_floating(values.dtype):
        raise TypeError(
            f"{what} must return floating values; got values of dtype "
            f"{dtype_util.name(values.dtype)}.")
    want = tf.TensorShape([num_evaluations]).concatenate(prefix_shape)
    if not tf.TensorShape(values.shape).is_compatible_with(want):
        raise ValueError(
            f"{what} must return values of the shape of `f`'s output with "
            f"{num_evaluations} evaluations, {want.as_list()}; got shape "
            f"{values.shape}.")
    return tf.cast(values, z.dtype)


def _relax_estimate(f, control_variate, logits, seed, num_samples,
                    categorical, cv_name):
    """The surrogate and the variance objective shared by rebar and relax.

    `logits` is already converted; `cv_name` names the argument that the
    control variate comes from, for errors.
    """
    dtype = logits.dtype
    u_seed, v_seed = noise.split_seed(seed, n=2)
    shape = ps.concat([[num_samples], ps.shape(logits)], axis=0)
    u = noise.uniform(shape, seed=u_seed, dtype=dtype)
    v = noise.uniform(shape, seed=v_seed, dtype=dtype)
    def pathwise_term(logits):
        """mean_i [c(z_i) - c(z_tilde_i)], and (b, f(b), c(z_tilde))."""
        if categorical:
            z = logits - tf.math.log(-tf.math.log(u))         # logits + Gumbel
            b = tf.one_hot(tf.argmax(z, axis=-1), ps.shape(logits)[-1],
                           dtype=dtype)
            z_tilde = noise.conditional_gumbel(logits, b, v)
        else:
            z = logits + tf.math.log(u) - tf.math.log1p(-u)   # logits + logistic
            b = tf.cast(z > 0., dtype)
            z_tilde = noise.conditional_logistic(logits, b, v)
        b = tf.stop_gradient(b)
        values, prefix_rank = util.call_f(f, b, num_samples, logits,
                                          categorical)
        prefix_shape = tf.TensorShape(logits.shape)[:prefix_rank]
        c_values = _call_control_variate(
            control_variate, tf.concat([z, z_tilde], axis=0),
            2 * num_samples, prefix_shape, cv_name)
        c_z, c_z_tilde = c_values[:num_samples], c_values[num_samples:]
        pathwise = tf.reduce_sum(tf.reduce_mean(c_z - c_z_tilde, axis=0))
        return pathwise, (b, values, c_z_tilde)

    # grad_logits mean_i [c(z_i) - c(z_tilde_i)], itself differentiable with
    # respect to the control variate's parameters: on TensorFlow an outer
    # tape records the inner one (`use_gradient_tape=True` keeps a tape
    # inside `tf.function` too), on JAX `jax.grad` of the caller's function
    # differentiates through it.
    (_, (b, values, c_z_tilde)), pathwise_grad = tfp.math.value_and_gradient(
        pathwise_term, logits, has_aux=True, use_gradient_tape=True)
    if pathwise_grad is None:
        # c does not depend on z through TensorFlow operations with
        # gradients. RELAX is unbiased only because E[grad c(z)] -
        # E[grad c(z_tilde)] cancels the mean of c(z_tilde) grad log p(b);
        # without these terms a c that depends on z (through NumPy, tf.round,
        # argmax) biases the estimate, and a c that does not is no control
        # variate at all.
        what = ("`f` must be differentiable at relaxed inputs (REBAR's "
                "control variate is f(relaxed z))" if cv_name == "f" else
                "`control_variate` must be differentiable in `z`")
        raise ValueError(
            f"Argument {what}: its values have no gradient with respect to "
            "`z`. Without it REBAR/RELAX is biased; use `reinforce` or "
            "`rloo` for a function without gradients.")
    if categorical:
        score = b - numerics.softmax(logits)
    else:
        score = b - tf.math.sigmoid(logits)
    # The learning signal f(b) - c(z_tilde) is NOT differentiated by the
    # inner tape (it multiplies the explicit score), but it stays a function
    # of the control variate's parameters for the variance objective.
    signal = util.broadcast_to_latent(values - c_z_tilde, len(score.shape))
    grad = tf.reduce_mean(signal * score, axis=0) + pathwise_grad
    result = util.surrogate(values,
                            util.gradient_term(grad, logits, categorical))
    return result, tf.reduce_sum(tf.math.square(grad))


def relax(f, logits, *, seed, control_variate, num_samples=1,
          categorical=False, validate_args=False, name=None):
    """RELAX: REINFORCE with a learned, reparameterized control variate.

    With `z` the continuous noise behind the discrete sample `b = H(z)`
    (`z = logits + Logistic`, `b = 1[z > 0]` for Bernoulli variables;
    `z = logits + Gumbel`, `b = one_hot(argmax z)` for categorical ones) and
    `z_tilde` a second draw of `z` conditioned on `H(z) = b`, the gradient
    estimate with respect to `logits` is (Grathwohl et al., 2018)

    ```none
    grad = (1/n) sum_i [ (f(b_i) - c(z_tilde_i)) * grad log p(b_i)
                         + grad c(z_i) - grad c(z_tilde_i) ]
    ```

    where `c = control_variate` and the last two gradients go through the
    reparameterized `z(u, logits)` and `z_tilde(v, b, logits)`.

    * Unbiased: yes, for every control variate `c` (any parameters): the
      last two terms cancel in expectation the mean of the `c` term
      (`E[c(z_tilde) grad log p(b)] = E[grad c(z)] - E[grad c(z_tilde)]`).
    * Cost: `num_samples` evaluations of `f` (at the discrete samples; `f`
      need not be differentiable) and `2 * num_samples` evaluations of `c`
      (one call on `z` then `z_tilde`), which must be differentiable in `z`;
      plus one backward pass through `c` inside the call, and a second-order
      one when the variance objective is differentiated.
    * Returns `(surrogate, variance_objective)`. The surrogate's value is the
      mean of `f` over samples (summed over the batch prefix that `f`
      returns); its gradient with respect to `logits` is `grad`, and
      variables that `f` uses get the pathwise gradient at the discrete
      samples; it has no gradient with respect to the control variate's
      parameters. `variance_objective = sum(grad ** 2)` is the single-sample
      estimate of the variance of `grad` up to a term that does not depend
      on `c` (`E[grad] ` does not, since `grad` is unbiased): minimize it
      with respect to the control variate's parameters ONLY (not `f`'s
      variables or `logits`).

    Its arguments `f`, `logits`, `seed`, `categorical`, `validate_args` and
    `name`, what it raises for them, and its behaviour at the boundaries
    (infinite, huge, NaN or integer logits) are those of every estimator,
    documented once in `relaxtfp.estimators`. The control variate receives
    `z = logits + noise`, which is infinite where a logit is (and may be
    huge); a custom `c` must stay finite there, as `relax_control_variate`'s
    does.

    #### Mathematical Details

    Conditional noise (exact, for unnormalized logits): for Bernoulli
    variables with `p = sigmoid(logits)` and uniform `v`,
    `z_tilde = softplus(logits + log v) - log(1 - v)` if `b = 1` and
    `log v - softplus(log(1 - v) - logits)` if `b = 0`; for categorical
    variables, the top-down Gumbel construction: `z_tilde_D = log Z - log E_D`
    and `z_tilde_k = -log(exp(-z_tilde_D) + E_k exp(-logits_k))`, with
    `log Z = logsumexp(logits)` and `E = -log v` (see
    `relaxtfp.distributions.RebarRelaxation`). `grad log p(b)` is
    `b - sigmoid(logits)` or `b - softmax(logits)`.

    `grad` is computed explicitly, with an inner `tf.GradientTape` for the
    pathwise terms, so that it is a differentiable function of `c`'s
    parameters; the surrogate is

    ```none
    surrogate          = sum_p mean_i f_p(b_i) + T - stop_gradient(T),
    T                  = sum_d stop_gradient(grad_d) * logits_d
    variance_objective = sum_d grad_d ** 2
    ```

    Shapes: `f` and `c` both return `[n] + batch[:r]` (the same prefix `r`);
    `c` receives `z` of shape `[2n] + logits.shape`. As for `f`, the value
    of prefix element `p` must depend only on `p`'s own latents (`z[:, p]`):
    each element's score covers only its latents, so a control variate that
    mixes elements (e.g. a network reading all of an elementwise batch)
    makes the estimator biased.

    #### Examples

    ```python
    import keras
    import tensorflow as tf
    import relaxtfp

    theta = tf.Variable([0.3, -0.8, 1.2])
    f = lambda b: tf.reduce_sum((b - 0.45) ** 2, axis=-1)       # [n, 3] -> [n]
    log_temperature = tf.Variable(tf.math.log(0.5))
    net = keras.Sequential([keras.layers.Dense(8, activation="tanh"),
                            keras.layers.Dense(1)])
    net.build((None, 3))
    opt = keras.optimizers.Adam(0.01)
    for step in range(3):
      with tf.GradientTape(persistent=True) as tape:
        c = relaxtfp.estimators.relax_control_variate(
            f, temperature=tf.exp(log_temperature),
            network=lambda z: net(z)[..., 0])
        loss, variance = relaxtfp.estimators.relax(
            f, theta, seed=(step, 1), num_samples=4, control_variate=c)
      grad = tape.gradient(loss, theta)      # The RELAX estimate.
      cv_vars = [log_temperature] + net.trainable_variables
      opt.apply_gradients(zip(tape.gradient(variance, cv_vars), cv_vars))
      del tape
    ```

    #### References

    [1]: Will Grathwohl, Dami Choi, Yuhuai Wu, Geoffrey Roeder and David
         Duvenaud. Backpropagation through the Void: Optimizing control
         variates for black-box gradient estimation. In _International
         Conference on Learning Representations_, 2018.
         https://arxiv.org/abs/1711.00123
    [2]: George Tucker, Andriy Mnih, Chris J. Maddison, Dieterich Lawson and
         Jascha Sohl-Dickstein. REBAR: Low-variance, unbiased gradient
         estimates for discrete latent variable models. In _Neural
         Information Processing Systems_, 2017.
         https://arxiv.org/abs/1703.07370

    Args:
      control_variate: Callable `c` mapping `z` of shape
        `[2 * num_samples] + logits.shape` to values of `f`'s output shape
        with the sample axis `2 * num_samples`; differentiable in `z`. See
        `relaxtfp.estimators.relax_control_variate`.
      num_samples: Python int >= 1: samples (evaluations of `f`).

    Returns:
      `(surrogate, variance_objective)`, two scalar float tensors.

    Raises:
      TypeError: As every estimator, and if `control_variate` is not
        callable or returns values that are not floating TensorFlow values.
      ValueError: As every estimator, and if `control_variate` returns a
        wrongly shaped value or has no gradient with respect to `z` (RELAX
        would be biased).
    """
    seed, num_samples, categorical, validate_args = util.check_arguments(
        f, seed, num_samples, 1, categorical, validate_args, name)
    util.check_callable(control_variate, "control_variate")
    with tf.name_scope(name or "relax"):
        logits = util.convert_logits(logits, categorical, validate_args)
        return _relax_estimate(f, control_variate, logits, seed, num_samples,
                               categorical, "control_variate")


def rebar(f, logits, *, seed, num_samples=1, categorical=False,
          temperature=0.5, scale=1., validate_args=False, name=None):
    """REBAR: REINFORCE with the relaxed `f` as a control variate.

    REBAR (Tucker et al., 2017) is RELAX with the control variate
    `c(z) = scale * f(relaxed(z))`, where
    `relaxed(z) = sigmoid(z / temperature)` (Bernoulli; the `RebarRelaxation` sample) or
    `softmax(z / temperature)` (categorical):

    ```none
    grad = (1/n) sum_i [ (f(b_i) - eta f(s(z_tilde_i))) * grad log p(b_i)
                         + eta grad f(s(z_i)) - eta grad f(s(z_tilde_i)) ]
    ```

    with `eta = scale` and `s = relaxed` (see `relaxtfp.estimators.relax`
    for `z`, `z_tilde` and the conditional sampler).

    * Unbiased: yes, for every `temperature > 0` and `scale`.
    * Cost: `3 * num_samples` evaluations of `f`: `num_samples` at the
      discrete samples and `2 * num_samples` at relaxed samples (one call on
      `s(z)` then `s(z_tilde)`). `f` must be defined and differentiable at
      relaxed inputs (in (0, 1), or on the simplex). Plus one backward pass
      through `f` inside the call, and a second-order one when the variance
      objective is differentiated.
    * Returns `(surrogate, variance_objective)`, as `relax` does: minimize
      `variance_objective` with respect to `temperature` and `scale` (pass
      e.g. `tf.exp(log_temperature)` computed inside the tape) and nothing
      else.

    Its arguments `f`, `logits`, `seed`, `categorical`, `validate_args` and
    `name`, what it raises for them, and its behaviour at the boundaries
    (infinite, huge, NaN or integer logits) are those of every estimator,
    documented once in `relaxtfp.estimators`.

    #### Mathematical Details

    `rebar(f, logits, temperature=t, scale=eta, ...)` is
    `relax(f, logits, control_variate=relax_control_variate(f, temperature=t, scale=eta))`;
    with the same seed both draw the same
    noise and return the same values.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    # Toy problem E[(b - t)^2], b ~ Bernoulli(sigmoid(theta)).
    theta = tf.Variable([0.3, -0.8, 1.2])
    log_temperature = tf.Variable(0.)
    target = tf.constant(0.45)
    with tf.GradientTape(persistent=True) as tape:
      loss, variance = relaxtfp.estimators.rebar(
          lambda b: (b - target) ** 2, theta, seed=(1, 2), num_samples=4,
          temperature=tf.exp(log_temperature))
    grad = tape.gradient(loss, theta)
    # E[grad] = sigmoid(theta) * (1 - sigmoid(theta)) * (1 - 2 * target).
    temperature_grad = tape.gradient(variance, log_temperature)
    ```

    #### References

    [1]: George Tucker, Andriy Mnih, Chris J. Maddison, Dieterich Lawson and
         Jascha Sohl-Dickstein. REBAR: Low-variance, unbiased gradient
         estimates for discrete latent variable models. In _Neural
         Information Processing Systems_, 2017.
         https://arxiv.org/abs/1703.07370

    Args:
      num_samples: Python int >= 1: samples.
      temperature: Positive float `Tensor`, the relaxation temperature
        `lambda`; may depend on a `tf.Variable` trained on the variance
        objective.
      scale: Float `Tensor`, the control-variate weight `eta`.

    Returns:
      `(surrogate, variance_objective)`, two scalar float tensors.

    Raises:
      TypeError: As every estimator, and if `temperature` or `scale` is not
        a real number.
      ValueError: As every estimator, and if `f` has no gradient at relaxed
        inputs (REBAR would be biased), `temperature` is not positive and
        finite or `scale` not finite (checked when known before run time),
        or `temperature` does not broadcast to the batch shape.
    """
    seed, num_samples, categorical, validate_args = util.check_arguments(
        f, seed, num_samples, 1, categorical, validate_args, name)
    with tf.name_scope(name or "rebar"):
        logits = util.convert_logits(logits, categorical, validate_args)
        temperature = util.convert_temperature(
            temperature, logits, categorical, validate_args)
        scale = util.convert_real(scale, "scale", logits.dtype)
        control_variate = relax_control_variate(
            f, temperature=temperature, scale=scale, categorical=categorical)
        return _relax_estimate(f, control_variate, logits, seed, num_samples,
                               categorical, "f")
