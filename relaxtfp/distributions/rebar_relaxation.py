"""REBAR's relaxation of a Bernoulli variable, with its conditional sampler.

Besides the `RebarRelaxation` distribution, this module holds the
reparameterized samplers that the REBAR and RELAX estimators
(`relaxtfp.estimators.rebar` and `relaxtfp.estimators.relax`) share with it:
the logistic (Bernoulli) and Gumbel (categorical) perturbations conditioned
on the discrete outcome they produce.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.parameters import LogitsProbsMixin
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import check_exactly_one
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization
from relaxtfp.internal.tfp_internal import tensor_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["RebarRelaxation"]


# -- samplers shared with relaxtfp.estimators.rebar ------------------------------


def _logistic_from_uniform(logits, u):
    """`z = logits + log(u) - log(1 - u)`: logistic with location `logits`."""
    return logits + tf.math.log(u) - tf.math.log1p(-u)


def _conditional_logistic(logits, b, v):
    """`z ~ logits + Logistic` conditioned on `1[z > 0] = b`, from uniform `v`.

    Differentiable in `logits` (reparameterized given `b` and `v`). With
    `p = sigmoid(logits)`, the outcome is `b = 1` exactly when the uniform
    behind `z` exceeds `1 - p`, so conditioning replaces that uniform by
    `u' = (1 - p) + v p` (for b = 1) or `u' = v (1 - p)` (for b = 0), and
    `z = logits + logit(u')`. Simplifying `logits + log(u'/(1 - u'))`:

        b = 1:  z = softplus(logits + log v) - log(1 - v)    (> 0)
        b = 0:  z = log v - softplus(log(1 - v) - logits)    (< 0)

    Each line is a sum of two terms of the same sign, so nothing cancels and
    the result is accurate for any finite `logits`; `log v` and
    `log(1 - v)` are finite for the noise of `relaxtfp.internal.noise`.
    """
    log_v = tf.math.log(v)
    log_1mv = tf.math.log1p(-v)
    z_one = tf.math.softplus(logits + log_v) - log_1mv
    z_zero = log_v - tf.math.softplus(log_1mv - logits)
    return tf.where(b > 0.5, z_one, z_zero)


def _logaddexp(a, b):
    """`log(exp(a) + exp(b))`, finite and differentiable for finite inputs."""
    m = tf.math.maximum(a, b)
    return m + tf.math.softplus(-tf.math.abs(a - b))


def _conditional_gumbel(logits, one_hot, v):
    """`z = logits + G` (i.i.d. standard Gumbel `G`) conditioned on
    `argmax(z) = argmax(one_hot)`, from uniforms `v` of the same shape as
    `one_hot`; differentiable in `logits`, which need not be normalized.

    With `log Z = logsumexp(logits)` and `E_k = -log(v_k)` (Exponential(1)):
    the maximum `max_k z_k` is Gumbel with location `log Z` whatever the
    argmax, so `z_D = log Z - log E_D` for the chosen category `D`; every
    other `z_k` is Gumbel with location `logits_k` truncated to
    `(-inf, z_D]`, whose inverse CDF at `exp(-E_k)` (relative to the mass
    below `z_D`) is `z_k = -log(exp(-z_D) + E_k exp(-logits_k))`. Adding a
    constant to every logit shifts every `z_k` by that constant, so nothing
    depends on `sum(exp(logits)) = 1` (relaxit-review section 9.7).
    """
    log_e = tf.math.log(-tf.math.log(v))
    log_z = tf.reduce_logsumexp(logits, axis=-1, keepdims=True)
    top = log_z - tf.reduce_sum(one_hot * log_e, axis=-1, keepdims=True)
    others = -_logaddexp(-top, log_e - logits)
    return tf.where(one_hot > 0.5, top, others)


def _open_unit_bounds(dtype):
    """The smallest normal number and the largest number below 1."""
    np_dtype = tf.as_dtype(dtype).as_numpy_dtype
    return (np.finfo(np_dtype).tiny,
            np.nextafter(np_dtype(1.), np_dtype(0.)))


def _relax(z, temperature):
    """`sigmoid(z / temperature)`, rounded into the open interval (0, 1).

    Where the sigmoid rounds to exactly 0 or 1 (|z| / temperature beyond
    about 87 or 17 in float32), the value is moved to the nearest
    representable point inside (0, 1): its distance from the true value is
    below the spacing of floats there, and `log_prob` stays finite. The
    derivative is zero at those points (its true value is below
    `eps / temperature`).
    """
    low, high = _open_unit_bounds(z.dtype)
    return tf.clip_by_value(tf.math.sigmoid(z / temperature), low, high)


class RebarRelaxation(LogitsProbsMixin, tfd.AutoCompositeTensorDistribution):
    """The relaxed Bernoulli variable of REBAR, with its conditional sampler.

    REBAR (Tucker et al., 2017) writes a Bernoulli variable as
    `b = 1[z > 0]`, where `z = logits + L` and `L` is standard logistic, and
    relaxes it to `sigmoid(z / temperature)`, the binary Concrete variable
    of Maddison et al. (2017). This distribution is that relaxed variable:
    `sample` draws it, `log_prob` is its exact density, and
    `conditional_sample(b)` draws it given the discrete outcome, i.e. from
    `sigmoid(z_tilde / temperature)` with `z_tilde ~ z | 1[z > 0] = b`, the
    conditional sample REBAR's control variate needs.

    Which relaxation. The official REBAR code also offers a "MuProp
    relaxation" `sigmoid((c * logits + L) / temperature)` with
    `c = (temperature**2 + temperature + 1) / (temperature + 1)`, which the
    reference library (relaxit) samples while scoring the plain density
    (relaxit-review section 9.3). This class implements the plain binary
    Concrete relaxation of Tucker et al.'s paper. As a law on (0, 1) the
    MuProp variant is `RebarRelaxation(temperature, logits=c * logits)`;
    only its pairing with `b = 1[logits + L > 0]` differs.

    #### Mathematical Details

    Sampler, with `u ~ Uniform(0, 1)` drawn independently for every element:

    ```none
    z = logits + log(u) - log(1 - u)         # logistic, P(z > 0) = sigmoid(logits)
    x = sigmoid(z / temperature)             # in (0, 1)
    b = 1[z > 0] = 1[x > 1/2]                # Bernoulli(sigmoid(logits))
    ```

    Density and CDF, with `a(x) = temperature * logit(x) - logits`:

    ```none
    P(X <= x) = sigmoid(a(x))
    p(x)      = temperature * sigmoid(a) * sigmoid(-a) / (x * (1 - x))
    ```

    `log_prob` computes `log sigmoid(+-a)` as `-softplus(-+a)`, so it is
    finite for temperatures from 1e-3 to 1e3 and logits of any size. Where
    the sigmoid of the sampler rounds to exactly 0 or 1, the sample is moved
    to the nearest float inside (0, 1) (see `_relax`), so samples always
    have a finite `log_prob`.

    Conditional sampler (derived in `_conditional_logistic`): given `b` and
    a fresh uniform `v`,

    ```none
    b = 1:  z_tilde = softplus(logits + log v) - log(1 - v)
    b = 0:  z_tilde = log v - softplus(log(1 - v) - logits)
    x_tilde = sigmoid(z_tilde / temperature)
    ```

    which is `logits + logit(u')` for `u' = (1 - p) + v p` (b = 1) or
    `u' = v (1 - p)` (b = 0), `p = sigmoid(logits)`: exactly the law of `x`
    given `1[z > 0] = b`. Drawing `b ~ Bernoulli(p)` and then `x_tilde`
    gives the law of `x` again. Both samplers are reparameterized:
    gradients flow to `logits` and `temperature`.

    #### Examples

    ```python
    import tensorflow as tf
    import relaxtfp

    dist = relaxtfp.distributions.RebarRelaxation(
        temperature=0.5, logits=[-1., 0., 2.])
    x = dist.sample(1000, seed=(1, 2))              # Shape [1000, 3], in (0, 1).
    lp = dist.log_prob(x)                           # Exact density, finite.
    b = tf.cast(x > 0.5, x.dtype)                   # The Bernoulli outcomes.
    x_tilde = dist.conditional_sample(b, seed=(3, 4))   # x given b.
    ```

    #### References

    [1]: George Tucker, Andriy Mnih, Chris J. Maddison, Dieterich Lawson and
         Jascha Sohl-Dickstein. REBAR: Low-variance, unbiased gradient
         estimates for discrete latent variable models. In _Neural
         Information Processing Systems_, 2017.
         https://arxiv.org/abs/1703.07370
    [2]: Chris J. Maddison, Andriy Mnih and Yee Whye Teh. The Concrete
         Distribution: A Continuous Relaxation of Discrete Random Variables. In
         _International Conference on Learning Representations_, 2017.
         https://arxiv.org/abs/1611.00712
    """

    def __init__(self,
                 temperature,
                 logits=None,
                 probs=None,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="RebarRelaxation"):
        """Constructs a batch of REBAR relaxed Bernoulli distributions.

        Args:
          temperature: Positive float `Tensor`, the relaxation temperature
            `lambda` of `sigmoid(z / lambda)`.
          logits: Float `Tensor`, the log-odds of the underlying Bernoulli
            variable `1[z > 0]`. Exactly one of `logits` and `probs`.
          probs: Float `Tensor` in [0, 1], `sigmoid(logits)`: the probability
            that a sample exceeds 1/2. Exactly one of `logits` and `probs`.
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
          ValueError: If both or neither of `logits` and `probs` are given.
        """
        parameters = dict(locals())
        check_exactly_one(logits=logits, probs=probs)
        with tf.name_scope(name) as name:
            dtype = dtype_util.common_dtype(
                [temperature, logits, probs], dtype_hint=tf.float32)
            self._temperature = tensor_util.convert_nonref_to_tensor(
                temperature, dtype=dtype, name="temperature")
            self._logits = tensor_util.convert_nonref_to_tensor(
                logits, dtype=dtype, name="logits")
            self._probs = tensor_util.convert_nonref_to_tensor(
                probs, dtype=dtype, name="probs")
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
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype)))),
            logits=parameter_properties.ParameterProperties(),
            probs=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=tfb.Sigmoid,
                is_preferred=False),
        )

    @property
    def temperature(self):
        """The relaxation temperature `lambda`."""
        return self._temperature

    def _event_shape(self):
        return tf.TensorShape([])

    def _event_shape_tensor(self):
        return tf.constant([], dtype=tf.int32)

    def _params(self):
        return (tf.convert_to_tensor(self._temperature),
                self._logits_parameter_no_checks())

    def _sample_n(self, n, seed=None):
        temperature, logits = self._params()
        shape = ps.concat([[n], self._batch_shape_tensor(
            temperature=temperature, logits=logits)], axis=0)
        # Full-shape noise: every element of every sample gets its own draw.
        z = logits + noise.logistic(shape, seed=seed, dtype=self.dtype)
        return _relax(z, temperature)

    def conditional_sample(self, b, seed=None, name="conditional_sample"):
        """Draws the relaxed variable given its Bernoulli outcome `b`.

        Returns `sigmoid(z_tilde / temperature)` with `z_tilde` drawn from
        the law of `z = logits + L` given `1[z > 0] = b` (see the class
        docstring), one independent draw per element. The result is
        reparameterized: it is differentiable in `logits` and `temperature`
        for fixed `b` and noise.

        #### Examples

        ```python
        import relaxtfp

        dist = relaxtfp.distributions.RebarRelaxation(0.3, logits=[0.5, -1.])
        x = dist.conditional_sample([[1., 0.], [0., 0.]], seed=(5, 6))
        # x[i, j] > 1/2 exactly where b[i, j] = 1; shape [2, 2].
        ```

        Args:
          b: Float `Tensor` of 0s and 1s whose shape broadcasts with the
            batch shape, e.g. `sample_shape + batch_shape`.
          seed: TFP-style stateless seed; `None` draws a fresh one.
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `Tensor` of the broadcast shape of `b` and the batch shape, in
          (0, 1).
        """
        with self._name_and_control_scope(name):
            temperature, logits = self._params()
            b = tf.convert_to_tensor(b, dtype=self.dtype, name="b")
            assertions = []
            if self.validate_args:
                assertions.append(assert_util.assert_equal(
                    b * (1. - b), tf.zeros([], self.dtype),
                    message="Argument `b` must be 0 or 1."))
            with tf.control_dependencies(assertions):
                shape = ps.broadcast_shape(
                    ps.shape(b), self._batch_shape_tensor(
                        temperature=temperature, logits=logits))
                v = noise.uniform(shape, seed=seed, dtype=self.dtype)
                z = _conditional_logistic(logits, b, v)
                return _relax(z, temperature)

    def _log_prob(self, x):
        temperature, logits = self._params()
        inside = (x > 0.) & (x < 1.)
        # A harmless stand-in outside (0, 1) keeps NaN out of the gradient of
        # tf.where; the density is evaluated only inside.
        x_safe = tf.where(inside, x, tf.constant(0.5, self.dtype))
        log_density = numerics.binary_concrete_log_prob(
            x_safe, logits, temperature)
        return tf.where(inside, log_density,
                        tf.constant(float("-inf"), self.dtype))

    def _log_cdf(self, x):
        temperature, logits = self._params()
        inside = (x > 0.) & (x < 1.)
        x_safe = tf.where(inside, x, tf.constant(0.5, self.dtype))
        log_cdf = numerics.binary_concrete_log_cdf(x_safe, logits, temperature)
        return tf.where(x <= 0., tf.constant(float("-inf"), self.dtype),
                        tf.where(x >= 1., tf.zeros_like(log_cdf), log_cdf))

    def _cdf(self, x):
        return tf.math.exp(self._log_cdf(x))

    def _quantile(self, q):
        # P(X <= x) = sigmoid(temperature * logit(x) - logits), inverted.
        temperature, logits = self._params()
        return tf.math.sigmoid((logits + numerics.logit(q)) / temperature)

    def _default_event_space_bijector(self):
        return tfb.Sigmoid(validate_args=self.validate_args)

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = self._logits_probs_assertions(is_init)
        if is_init != tensor_util.is_ref(self._temperature):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._temperature), "temperature"))
        return assertions

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        return [
            assert_util.assert_positive(
                x, message="Sample must be in (0, 1); it has components less "
                "than or equal to 0."),
            assert_util.assert_less(
                x, tf.ones([], x.dtype), message="Sample must be in (0, 1); "
                "it has components greater than or equal to 1."),
        ]
