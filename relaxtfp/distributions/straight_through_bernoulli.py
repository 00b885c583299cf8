"""The straight-through Bernoulli distribution (Bengio, Leonard and Courville,
2013)."""

import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import noise
from relaxtfp.internal.forward_laws import BernoulliForwardLaw
from relaxtfp.internal.parameters import LogitsProbsMixin
from relaxtfp.internal.parameters import check_exactly_one
from relaxtfp.internal.parameters import convert_float
from relaxtfp.internal.parameters import float_dtype
from relaxtfp.internal.tfp_internal import parameter_properties
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import reparameterization

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["StraightThroughBernoulli"]


class StraightThroughBernoulli(BernoulliForwardLaw, LogitsProbsMixin,
                               tfd.AutoCompositeTensorDistribution):
    """Straight-through Bernoulli: hard 0/1 samples that pass gradients to `probs`.

    The forward value of a sample is a Bernoulli draw `b` in {0, 1} with
    probability `p = sigmoid(logits)` (or `probs`) of being 1. The backward
    pass treats the sample as if it were `p` itself: `d sample / d probs = 1`,
    so that `d sample / d logits = p * (1 - p)` (the "sigmoid-adjusted"
    straight-through estimator of Bengio et al., 2013).

    The gradient is a surrogate and it is biased: for a loss `f`,
    `E[f'(b)]` is not `d/dp E[f(b)] = f(1) - f(0)` unless `f` is linear.
    The class nevertheless reports
    `reparameterization_type = FULLY_REPARAMETERIZED`, because its samples
    carry a gradient to the parameters and code that checks the flag (e.g.
    `tfp.vi`) must let it through; Pyro labels its straight-through classes
    the same way. Use it knowing the gradient is that of the relaxed surrogate
    `p`, not of the discrete law.

    #### Mathematical Details

    Sampler, with `u ~ Uniform(0, 1)` drawn independently for every element:

    ```none
    b = 1[u < p]                      # exactly 0. or 1.
    sample = b + (p - stop_gradient(p))
    ```

    The parenthesised difference is exactly zero in the forward pass, so the
    sample is exactly 0. or 1. (computing `(b + p) - p` instead would round
    `1 + p - p` away from 1 for some `p`). `log_prob`, `mean`, `variance`,
    `entropy` and `mode` are those of the forward law Bernoulli(p):

    ```none
    log_prob(x) = x * log p + (1 - x) * log(1 - p)
                = x * log_sigmoid(logits) + (1 - x) * log_sigmoid(-logits)
    mean = p,   variance = p * (1 - p)
    ```

    `log_prob` is the log-pmf on {0, 1} and, like `tfd.Bernoulli`'s, its
    linear extension elsewhere (not a log-probability there; validate_args
    rejects such values). It is differentiable in `x` (slope `logits`), so
    an ELBO estimated with these samples gets a gradient through
    `log q(z)` and `log p(z)`; both are linear in `z`, and for a linear
    function the straight-through gradient is exact in expectation, so
    `tfp.vi.fit_surrogate_posterior` fits this class without bias.
    `tfd.kl_divergence` is registered against this class, the other
    classes with a Bernoulli forward law (`StraightThroughRelaxedBernoulli`)
    and `tfd.Bernoulli`, in either order: the KL of the forward laws.

    Boundaries. Logits of any finite size give finite values and gradients
    (`log_sigmoid` is exact in both tails). `probs` exactly 0 or 1 are
    valid: samples are then always 0 or always 1, the impossible outcome
    gets `log_prob = -inf` (and, the law being a point mass, so does every
    value off {0, 1}), the entropy is 0, and every gradient with respect to
    `probs` is finite (`tfd.Bernoulli` gives NaN there). A gradient is the
    one-sided limit where that limit is finite (`d log_prob(0) / dp = -1` at
    `p = 0`, `d mean / dp = 1`) and the derivative at a point just inside
    where it is infinite (`sqrt(tiny)` for 0, `1 - eps / 2` for 1, see
    `relaxtfp.internal.numerics.into_open_unit`; e.g. `d entropy / dp` is
    43.7 at `p = 0` in float32). With `validate_args=True`, `probs` outside
    [0, 1] and values off {0, 1} in `log_prob` raise `InvalidArgumentError`.

    #### Examples

    ```python
    import tensorflow as tf
    import tensorflow_probability as tfp
    import relaxtfp

    logits = tf.Variable([-1., 0., 2.])
    with tf.GradientTape() as tape:
        dist = relaxtfp.distributions.StraightThroughBernoulli(logits=logits)
        b = dist.sample(1000, seed=(1, 2))     # Values exactly 0. or 1.
        loss = tf.reduce_mean(tf.square(b - 0.3))
    grad = tape.gradient(loss, logits)         # Straight-through surrogate.
    lp = dist.log_prob([1., 0., 1.])           # Bernoulli log-pmf.
    kl = tfp.distributions.kl_divergence(      # Closed form, shape [3].
        dist, tfp.distributions.Bernoulli(probs=0.5))
    ```

    #### References

    [1]: Yoshua Bengio, Nicholas Leonard and Aaron Courville. Estimating or
         Propagating Gradients Through Stochastic Neurons for Conditional
         Computation. _arXiv preprint arXiv:1308.3432_, 2013.
         https://arxiv.org/abs/1308.3432
    """

    def __init__(self,
                 logits=None,
                 probs=None,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="StraightThroughBernoulli"):
        """Constructs a batch of straight-through Bernoulli distributions.

        Args:
          logits: Float `Tensor`, the log-odds of a 1. Exactly one of
            `logits` and `probs`.
          probs: Float `Tensor` in [0, 1], the probability of a 1. Exactly one
            of `logits` and `probs`.
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
            dtype = float_dtype(logits=logits, probs=probs)
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
            logits=parameter_properties.ParameterProperties(),
            probs=parameter_properties.ParameterProperties(
                default_constraining_bijector_fn=tfb.Sigmoid,
                is_preferred=False),
        )

    def _event_shape(self):
        return tf.TensorShape([])

    def _event_shape_tensor(self):
        return tf.constant([], dtype=tf.int32)

    def _sample_n(self, n, seed=None):
        probs = self._probs_parameter_no_checks()
        shape = ps.concat([[n], ps.shape(probs)], axis=0)
        # Full-shape noise: every element of every sample gets its own draw.
        u = noise.uniform(shape, seed=seed, dtype=self.dtype)
        # u >= tiny > 0, so probs = 0 never gives a 1 and probs = 1 (u < 1)
        # always does.
        hard = tf.cast(u < probs, self.dtype)
        # The difference is exactly 0. in the forward pass; adding it to an
        # exact 0. or 1. keeps the value exact. Do not reassociate.
        return hard + (probs - tf.stop_gradient(probs))

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        return self._logits_probs_assertions(is_init)
