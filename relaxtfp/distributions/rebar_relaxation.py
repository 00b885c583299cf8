"""REBAR's relaxation of a Bernoulli variable, with its conditional sampler.

The conditional samplers themselves live in `relaxtfp.internal.noise`, shared
with the REBAR and RELAX estimators.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import forward_laws
from relaxtfp.internal import noise
from relaxtfp.internal import numerics
from relaxtfp.internal.parameters import LogitsProbsMixin
from relaxtfp.internal.parameters import assert_positive
from relaxtfp.internal.parameters import check_exactly_one
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization
from relaxtfp.internal.tfp_internal import tensor_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["RebarRelaxation"]


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
    `c = (temperature**2 + temperature + 1) / (temperature + 1)`; its
    samples do not follow the plain binary Concrete density, so sampling one
    and scoring with the other gives a wrong `log_prob`. This class
    implements the plain binary Concrete relaxation of Tucker et al.'s
    paper, whose samples `log_prob` scores exactly. As a law on (0, 1) the
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
    to the nearest float inside (0, 1) (see
    `relaxtfp.internal.numerics.sigmoid_in_open_unit`), so samples always
    have a finite `log_prob`.

    Boundary probabilities. `probs` exactly 0 or 1 (`logits` -inf or +inf)
    are valid: the law is then the point mass at 0 or 1, outside the open
    support, and the sampler draws it as the nearest float inside, `tiny` or
    `1 - eps / 2` (as it does for a sigmoid that rounds), for
    `conditional_sample` too. `log_prob` is the log-mass of that point mass
    (the convention of `tfd.Deterministic`): 0 at the point (and at the
    subnormal numbers below `tiny`, for probability 0) and -inf elsewhere.
    `cdf`, `log_cdf` and `quantile` take their exact values (`quantile` is 0
    or 1). Every value and gradient is finite there. The gradient of `cdf`
    and `log_cdf` with respect to `probs` is the one-sided limit of the
    gradient inside (e.g. `-((1 - x) / x)**temperature` for `cdf(x)` at
    probs 0). The gradients of samples, `quantile` and `log_prob` are 0:
    near the boundary a sample behaves like `probs**(1 / temperature)`,
    whose derivative tends to 0 only for `temperature < 1` (and to infinity
    for `temperature > 1`), and the density at the class's own samples grows
    without bound; 0 is also what `sigmoid_in_open_unit` gives wherever the
    sigmoid rounds to 0 or 1. With infinite `logits` every gradient with
    respect to the logits is 0, the limit of a saturated sigmoid. Logits of
    any size (+-1e30) and temperatures from 1e-30 to 1e30 give finite
    samples, log-probs and gradients: the samplers clip the sigmoid's
    argument where it saturates (see
    `relaxtfp.internal.numerics.clip_to_saturation`).

    Conditional sampler (derived in
    `relaxtfp.internal.noise.conditional_logistic`): given `b` and a fresh
    uniform `v`,

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
            dtype = float_dtype(temperature=temperature, logits=logits, probs=probs)
            self._temperature = convert_float(temperature, dtype=dtype, name="temperature")
            self._logits = convert_float(logits, dtype=dtype, name="logits")
            self._probs = convert_float(probs, dtype=dtype, name="probs")
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
        """`(temperature, logits, side, tangent)`, with the logits finite:
        see `numerics.bernoulli_logits_and_boundary`. Every formula is
        evaluated on these finite logits and its result replaced where
        `side != 0` (probability 0 or 1)."""
        logits, side, tangent = numerics.bernoulli_logits_and_boundary(
            logits=self._logits, probs=self._probs)
        return tf.convert_to_tensor(self._temperature), logits, side, tangent

    def _ends(self):
        """The points that stand for 0 and 1: the nearest floats inside (0, 1)."""
        np_dtype = dtype_util.as_numpy_dtype(self.dtype)
        return (tf.constant(np.finfo(np_dtype).tiny, self.dtype),
                tf.constant(np.nextafter(np_dtype(1), np_dtype(0)), self.dtype))

    def _at_ends(self, x, side):
        """`x`, replaced by the constant end point where `side != 0`."""
        low, high = self._ends()
        return tf.where(side < 0., low, tf.where(side > 0., high, x))

    def _sample_n(self, n, seed=None):
        temperature, logits, side, _ = self._params()
        shape = ps.concat([[n], self._batch_shape_tensor(
            temperature=temperature, logits=logits)], axis=0)
        # Full-shape noise: every element of every sample gets its own draw.
        z = logits + noise.logistic(shape, seed=seed, dtype=self.dtype)
        # The clip keeps the temperature gradient of a saturated sigmoid
        # finite (see `numerics.clip_to_saturation`). Probability 0 (1): the
        # point mass at 0 (1), drawn as the nearest float inside (0, 1), a
        # constant (see the class docstring).
        return self._at_ends(numerics.relaxed_sigmoid(z, temperature), side)

    def discrete_law(self, name="discrete_law"):
        """The law of the hard value `b = 1[x > 1/2]`: `tfd.Bernoulli`.

        A sample `x = sigmoid(z / temperature)` has the discrete value
        `b = 1[z > 0] = 1[x > 1/2]`, whose law is `Bernoulli(p)` with
        `p = sigmoid(logits)` (or `probs`), whatever the temperature. The
        returned `tfd.Bernoulli` is built from `logits` when they were given
        and from `probs` otherwise (probabilities 0 and 1 stay exact); it has
        this distribution's batch shape, dtype, `validate_args` and
        `allow_nan_stats`, and gradients flow to the parameter given.

        Args:
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `tfd.Bernoulli`.

        #### Examples

        ```python
        import numpy as np
        import relaxtfp

        dist = relaxtfp.distributions.RebarRelaxation(0.3, logits=[0.5, -1.])
        law = dist.discrete_law()                    # Law of 1[x > 1/2].
        b = law.sample(seed=(1, 2))                  # Then x given b:
        x = dist.conditional_sample(b, seed=(3, 4))
        np.testing.assert_array_equal(x > 0.5, b > 0.5)
        ```
        """
        with self._name_and_control_scope(name):
            if self._logits is not None:
                return forward_laws.bernoulli_law(
                    self, logits=tf.convert_to_tensor(self._logits))
            return forward_laws.bernoulli_law(
                self, probs=tf.convert_to_tensor(self._probs))

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
            temperature, logits, side, _ = self._params()
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
                z = noise.conditional_logistic(logits, b, v)
                return self._at_ends(numerics.relaxed_sigmoid(z, temperature), side)

    def _log_prob(self, x):
        temperature, logits, side, _ = self._params()
        inside = (x > 0.) & (x < 1.)
        # A harmless stand-in outside (0, 1) keeps NaN out of the gradient of
        # tf.where; the density is evaluated only inside.
        x_safe = tf.where(inside, x, tf.constant(0.5, self.dtype))
        log_density = numerics.binary_concrete_log_prob(
            x_safe, logits, temperature)
        neg_inf = tf.constant(float("-inf"), self.dtype)
        # Probability 0 (1): the log-mass of the point mass at its end point,
        # 0 there and -inf elsewhere (see the class docstring). Its derivative
        # is 0: the density at the class's own samples grows without bound
        # as p -> 0 or 1, so the one-sided limit is infinite.
        low, high = self._ends()
        at_end = tf.where(side < 0., inside & (x <= low), inside & (x >= high))
        boundary = tf.where(at_end, tf.zeros([], self.dtype), neg_inf)
        return tf.where(tf.equal(side, 0.),
                        tf.where(inside, log_density, neg_inf), boundary)

    def _cdf_parts(self, x):
        """`(log F, F, c, side, tangent)` for x in (0, 1), where
        F = P(X <= x) = sigmoid(c - logits), c = temperature * logit(x)."""
        temperature, logits, side, tangent = self._params()
        inside = (x > 0.) & (x < 1.)
        x_safe = tf.where(inside, x, tf.constant(0.5, self.dtype))
        c = temperature * numerics.logit(x_safe)
        return (numerics.log_sigmoid(c - logits), tf.math.sigmoid(c - logits), c,
                side, tangent)

    def _log_cdf(self, x):
        log_cdf, _, c, side, tangent = self._cdf_parts(x)
        neg_inf = tf.constant(float("-inf"), self.dtype)
        # Probability 0: F = 1 on (0, 1), and d log F / dp = -exp(-c) at p = 0
        # (F = sigmoid(c - logit(p))). Probability 1: F = 0 on (0, 1).
        boundary = tf.where(
            side < 0.,
            numerics.boundary_value(tf.zeros([], self.dtype), -tf.math.exp(-c), tangent),
            neg_inf)
        log_cdf = tf.where(tf.equal(side, 0.), log_cdf, boundary)
        return tf.where(x <= 0., neg_inf,
                        tf.where(x >= 1., tf.zeros_like(log_cdf), log_cdf))

    def _cdf(self, x):
        _, cdf, c, side, tangent = self._cdf_parts(x)
        # F = sigmoid(c - logit(p)) is 1 at p = 0 with slope -exp(-c), and 0
        # at p = 1 with slope -exp(c).
        value = tf.where(side < 0., tf.ones([], self.dtype), tf.zeros([], self.dtype))
        cdf = tf.where(tf.equal(side, 0.), cdf,
                       numerics.boundary_value(value, -tf.math.exp(side * c), tangent))
        return tf.where(x <= 0., tf.zeros_like(cdf),
                        tf.where(x >= 1., tf.ones_like(cdf), cdf))

    def _quantile(self, q):
        # P(X <= x) = sigmoid(temperature * logit(x) - logits), inverted.
        temperature, logits, side, _ = self._params()
        y = numerics.clip_to_saturation(logits + numerics.logit(q), temperature)
        x = tf.math.sigmoid(y / temperature)
        # Probability 0 (1): every quantile is the point 0 (1), a constant.
        zero = tf.zeros([], self.dtype)
        return tf.where(side < 0., zero, tf.where(side > 0., tf.ones([], self.dtype), x))

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
