"""The forward laws of the straight-through classes, and their KL divergences.

A straight-through distribution returns a value that follows a discrete law
(its forward law: Bernoulli on {0, 1}, or categorical on the one-hot
vectors) and carries a surrogate gradient. Its `log_prob`, statistics and KL
divergences are those of the forward law; they are written here once, as
the mixins `BernoulliForwardLaw` and `OneHotCategoricalForwardLaw`, and
`tfd.kl_divergence` is registered for them against themselves and against
`tfd.Bernoulli` and `tfd.OneHotCategorical`.

Two conventions hold throughout.

* `log_prob` is smooth in the value: `x * log p + (1 - x) * log(1 - p)` for a
  Bernoulli, `sum_k x_k log p_k` for a one-hot `x`. It equals the pmf on the
  support and extends it linearly in `x` elsewhere, as `tfd.Bernoulli` and
  `tfd.OneHotCategorical` do, so that an ELBO estimated with straight-through
  samples gets a gradient through `log q(z)` and `log p(z)`. For such a
  linear function the straight-through gradient is exact in expectation.
* A law given by `probs` may put probability exactly 0 or 1 on an outcome.
  Values (log-probabilities, entropy, KL) are then exact (`-inf` for an
  impossible outcome, `0 * log 0 = 0`), and gradients are finite: each
  quantity is computed twice, from `probs` for the value and from
  `numerics.into_open_unit(probs)` for the gradient, and joined with
  `numerics.straight_through`. At a boundary probability the gradient is
  thus the one-sided limit where that limit is finite (e.g.
  `d log(1 - p) / dp = -1` at `p = 0`), and the derivative at a point just
  inside (`sqrt(tiny)` for 0, `1 - eps / 2` for 1; `tiny` and `eps` of the
  dtype) where it is infinite (e.g. `d entropy / dp = log((1 - p) / p)`,
  about 43.7 at `p = 0` and -16.6 at `p = 1` in float32). A law given by
  `logits` has no boundary and is computed once.
"""

import collections

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from relaxtfp.internal import backend
from relaxtfp.internal import numerics
from relaxtfp.internal.parameters import CategoricalLogitsProbsMixin
from relaxtfp.internal.tfp_internal import assert_util
from relaxtfp.internal.tfp_internal import dtype_util
from relaxtfp.internal.tfp_internal import ps
from relaxtfp.internal.tfp_internal import tensor_util
from relaxtfp.internal.tfp_internal import tensorshape_util

tfd = tfp.distributions

__all__ = [
    "BernoulliForwardLaw",
    "LogProbs",
    "OneHotCategoricalForwardLaw",
    "bernoulli_law",
    "bernoulli_log_probs",
    "categorical_log_probs",
    "evaluate",
    "one_hot_categorical_law",
]


LogProbs = collections.namedtuple("LogProbs", ["smooth", "exact"])
LogProbs.__doc__ = """Log-probabilities of a discrete law, in two versions.

`smooth`: finite log-probabilities that carry the gradients (computed from
`numerics.into_open_unit(probs)` when the law is given by `probs`).
`exact`: the log-probabilities of the law itself (`-inf` for an impossible
outcome), or `None` when they are `smooth` (a law given by `logits`). Each
is a `Tensor`, or a tuple of them for a Bernoulli law (`(log P(1), log P(0))`).
"""


def evaluate(fn, *laws):
    """`fn(*exact parts)` in value, with the gradient of `fn(*smooth parts)`.

    Args:
      fn: a function of the parts (`smooth` or `exact` of each law, in
        order) that gives no NaN value for exact log-probabilities of `-inf`
        (use `backend.multiply_no_nan` where a zero weights them).
      *laws: `LogProbs`.

    Returns:
      The result of `fn`: exactly its value at the exact log-probabilities,
      differentiable as at the smooth ones.
    """
    surrogate = fn(*(law.smooth for law in laws))
    if all(law.exact is None for law in laws):
        return surrogate
    value = fn(*(law.smooth if law.exact is None else law.exact for law in laws))
    return numerics.straight_through(tf.stop_gradient(value), surrogate)


def _dtype_of(law):
    return tf.nest.flatten(law.smooth)[0].dtype


def _check_same_dtype(a, b, law_a, law_b):
    dtype_a, dtype_b = _dtype_of(law_a), _dtype_of(law_b)
    if dtype_a != dtype_b:
        raise TypeError(
            "kl_divergence needs both distributions' parameters in one dtype; "
            f"got {type(a).__name__} with {dtype_util.name(dtype_a)} and "
            f"{type(b).__name__} with {dtype_util.name(dtype_b)}.")


# -- the discrete law behind a relaxation ------------------------------------------


def bernoulli_law(dist, logits=None, probs=None, name="discrete_law"):
    """`tfd.Bernoulli` with the batch shape, dtype and flags of `dist`.

    The `discrete_law()` of the Bernoulli-family relaxations: `logits` (or
    `probs`, exactly one) are broadcast to `dist.batch_shape`, and the law
    takes `dist`'s dtype, `validate_args` and `allow_nan_stats`. Gradients
    flow from the law's parameters to the tensors given.
    """
    param = logits if logits is not None else probs
    param = tf.broadcast_to(param, dist.batch_shape_tensor())
    kwargs = {"logits": param} if logits is not None else {"probs": param}
    return tfd.Bernoulli(dtype=dist.dtype, validate_args=dist.validate_args,
                         allow_nan_stats=dist.allow_nan_stats, name=name, **kwargs)


def one_hot_categorical_law(dist, logits=None, probs=None, name="discrete_law"):
    """`tfd.OneHotCategorical` with the shapes, dtype and flags of `dist`.

    The `discrete_law()` of the one-hot relaxations: `logits` (or `probs`,
    exactly one, with the K categories on the last axis) are broadcast to
    `dist.batch_shape + [K]`, and the law takes `dist`'s dtype,
    `validate_args` and `allow_nan_stats`.
    """
    param = logits if logits is not None else probs
    shape = ps.concat([dist.batch_shape_tensor(), ps.shape(param)[-1:]], axis=0)
    param = tf.broadcast_to(param, shape)
    kwargs = {"logits": param} if logits is not None else {"probs": param}
    return tfd.OneHotCategorical(
        dtype=dist.dtype, validate_args=dist.validate_args,
        allow_nan_stats=dist.allow_nan_stats, name=name, **kwargs)


# -- Bernoulli ------------------------------------------------------------------


def bernoulli_log_probs(logits=None, probs=None):
    """`LogProbs` of Bernoulli(p), parts `(log P(1), log P(0))`.

    From logits, `log sigmoid(+-logits) = -softplus(-+logits)` is exact in
    both tails (a `log(1 - sigmoid(logits))` would round to `log(0)` at
    logits ~ 17 in float32). From probs, `log1p(-probs)` keeps full precision
    for small probs; the exact parts are `-inf` at `probs` 0 (for a 1) and 1
    (for a 0).

    Args:
      logits: Float `Tensor` or `None`.
      probs: Float `Tensor` in [0, 1], or `None`. Exactly one is given.

    Returns:
      `LogProbs`.
    """
    if logits is not None:
        logits = tf.convert_to_tensor(logits)
        return LogProbs(
            smooth=(numerics.log_sigmoid(logits), numerics.log_sigmoid(-logits)),
            exact=None)
    probs = tf.convert_to_tensor(probs)
    inner = numerics.into_open_unit(probs)
    return LogProbs(smooth=(tf.math.log(inner), tf.math.log1p(-inner)),
                    exact=(tf.math.log(probs), tf.math.log1p(-probs)))


def _bernoulli_log_pmf(x, parts):
    log_p1, log_p0 = parts
    # x log p + (1 - x) log(1 - p); multiply_no_nan makes 0 * log(0) = 0, so
    # the value at x = 0 for p = 0 (and at x = 1 for p = 1) is 0, not NaN.
    value = (backend.multiply_no_nan(log_p1, x)
             + backend.multiply_no_nan(log_p0, 1. - x))
    # A point mass (p = 0 or 1) has no linear extension: every value but its
    # atom gets -inf (the sum above would give +inf on one side).
    point_mass = tf.math.is_inf(log_p1) | tf.math.is_inf(log_p0)
    off_support = tf.math.logical_not(tf.equal(x, 0.) | tf.equal(x, 1.))
    return tf.where(point_mass & off_support,
                    tf.constant(-np.inf, value.dtype), value)


def _bernoulli_entropy(parts):
    log_p1, log_p0 = parts
    # multiply_no_nan gives 0 * log(0) = 0 when a probability is zero.
    return -(backend.multiply_no_nan(log_p1, tf.math.exp(log_p1))
             + backend.multiply_no_nan(log_p0, tf.math.exp(log_p0)))


def _bernoulli_kl(parts_a, parts_b):
    (a1, a0), (b1, b0) = parts_a, parts_b
    # sum_o P_a(o) (log P_a(o) - log P_b(o)). An outcome that a gives
    # probability 0 contributes 0 even where b also gives it 0 (the
    # difference -inf - -inf = NaN is multiplied by an exact 0); one that b
    # alone excludes contributes +inf.
    return (backend.multiply_no_nan(a1 - b1, tf.math.exp(a1))
            + backend.multiply_no_nan(a0 - b0, tf.math.exp(a0)))


class BernoulliForwardLaw:
    """Statistics of a straight-through class whose forward value is 0 or 1.

    The forward (hard) value of the sample has the law Bernoulli(p) with
    `p = probs` or `sigmoid(logits)`; `log_prob`, `mean`, `variance`,
    `entropy`, `mode` and the registered KL divergences are those of that
    law, with the conventions of this module (a `log_prob` smooth in the
    value, exact values and finite gradients at `probs` 0 and 1). The class
    sets `self._logits` and `self._probs` (one of them `None`) and mixes in
    `relaxtfp.internal.parameters.LogitsProbsMixin`.
    """

    def _bernoulli_log_probs(self):
        return bernoulli_log_probs(self._logits, self._probs)

    def discrete_law(self, name="discrete_law"):
        """The law of the hard value of a sample: `tfd.Bernoulli`.

        The forward value of a sample is exactly 0 or 1, drawn from
        `Bernoulli(p)`; this returns that law as a `tfd.Bernoulli`, built from
        `logits` when they were given and from `probs` otherwise (so
        probabilities exactly 0 and 1 stay exact). It has this
        distribution's batch shape, dtype, `validate_args` and
        `allow_nan_stats`, and gradients flow from it to the parameters.
        `log_prob`, `entropy` and the KL divergences of this distribution
        are those of the returned law; use it where a TFP function expects
        a `tfd.Bernoulli`, e.g. `tfd.kl_divergence(d.discrete_law(), prior)`.

        Args:
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `tfd.Bernoulli`.

        #### Examples

        ```python
        import numpy as np
        import tensorflow_probability as tfp
        import relaxtfp

        d = relaxtfp.distributions.StraightThroughBernoulli(logits=[-1., 0., 3.])
        law = d.discrete_law()                       # tfd.Bernoulli, batch [3]
        np.testing.assert_allclose(law.probs_parameter(), d.mean(), rtol=1e-6)
        kl = tfp.distributions.kl_divergence(
            law, tfp.distributions.Bernoulli(probs=0.5))
        ```
        """
        with self._name_and_control_scope(name):
            if self._logits is not None:
                return bernoulli_law(self, logits=tf.convert_to_tensor(self._logits))
            return bernoulli_law(self, probs=tf.convert_to_tensor(self._probs))

    def _log_prob(self, x):
        x = tf.cast(x, self.dtype)
        return evaluate(lambda parts: _bernoulli_log_pmf(x, parts),
                        self._bernoulli_log_probs())

    def _mean(self):
        return self._probs_parameter_no_checks()

    def _variance(self):
        if self._logits is None:
            probs = tf.convert_to_tensor(self._probs)
            return probs * (1. - probs)
        # sigmoid(l) * sigmoid(-l): no cancellation in 1 - p for large logits.
        logits = tf.convert_to_tensor(self._logits)
        return tf.math.sigmoid(logits) * tf.math.sigmoid(-logits)

    def _entropy(self):
        return evaluate(_bernoulli_entropy, self._bernoulli_log_probs())

    def _mode(self):
        # Ties (p = 1/2) go to 0, as in `tfd.Bernoulli`.
        if self._logits is None:
            return tf.cast(tf.convert_to_tensor(self._probs) > 0.5, self.dtype)
        return tf.cast(tf.convert_to_tensor(self._logits) > 0., self.dtype)

    def _default_event_space_bijector(self):
        # The forward law is discrete; like `tfd.Bernoulli`, no bijector.
        return

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        return [assert_util.assert_equal(
            x * (1. - x), tf.zeros([], x.dtype),
            message="Sample must be 0 or 1.")]


def _bernoulli_law_of(dist):
    if isinstance(dist, BernoulliForwardLaw):
        return dist._bernoulli_log_probs()  # pylint: disable=protected-access
    return bernoulli_log_probs(dist.logits, dist.probs)


@tfd.RegisterKL(BernoulliForwardLaw, BernoulliForwardLaw)
@tfd.RegisterKL(BernoulliForwardLaw, tfd.Bernoulli)
@tfd.RegisterKL(tfd.Bernoulli, BernoulliForwardLaw)
def _kl_bernoulli_forward_laws(a, b, name=None):
    """KL(a || b) between the Bernoulli forward laws of `a` and `b`.

    Either may be a `tfd.Bernoulli`. The value is `+inf` where `b` gives
    probability 0 to an outcome that `a` does not.
    """
    with tf.name_scope(name or "kl_bernoulli_forward_law"):
        law_a, law_b = _bernoulli_law_of(a), _bernoulli_law_of(b)
        _check_same_dtype(a, b, law_a, law_b)
        return evaluate(_bernoulli_kl, law_a, law_b)


# -- one-hot categorical -----------------------------------------------------------


def categorical_log_probs(logits=None, probs=None, transform=None, shape=None):
    """`LogProbs` of the categorical law `softmax(transform(logits))`.

    `log_softmax` subtracts the max before exponentiating, so the
    log-probabilities are finite for any finite logits. From `probs`, the
    logits are `log(probs)`: `-inf` for a zero probability in the exact
    version (through a double `where`, so no `log(0)` is formed) and
    `log(into_open_unit(probs))` in the smooth one; `log_softmax` then
    renormalizes.

    Args:
      logits: Float `Tensor` of shape `[..., K]`, or `None`.
      probs: Float `Tensor` of shape `[..., K]` on the simplex, or `None`.
        Exactly one is given.
      transform: Optional function of the logits (e.g. division by a
        temperature) applied before `log_softmax`.
      shape: Optional shape to broadcast the log-probabilities to.

    Returns:
      `LogProbs` whose parts are `Tensor`s of shape `[..., K]`.
    """
    transform = transform or (lambda x: x)

    def log_softmax(x):
        out = tf.math.log_softmax(transform(x))
        return out if shape is None else tf.broadcast_to(out, shape)

    if logits is not None:
        return LogProbs(smooth=log_softmax(tf.convert_to_tensor(logits)), exact=None)
    probs = tf.convert_to_tensor(probs)
    positive = probs > 0.
    safe = tf.where(positive, probs, tf.ones([], probs.dtype))
    exact = tf.where(positive, tf.math.log(safe), tf.constant(-np.inf, probs.dtype))
    return LogProbs(smooth=log_softmax(tf.math.log(numerics.into_open_unit(probs))),
                    exact=log_softmax(exact))


def _categorical_log_pmf(x, log_p):
    # log p(x) = sum_k x_k log p_k, the categorical pmf of a one-hot x.
    # multiply_no_nan makes 0 * log(0) = 0 when a category has probability
    # exactly zero.
    return tf.reduce_sum(backend.multiply_no_nan(log_p, x), axis=-1)


def _categorical_entropy(log_p):
    # -sum p log p with p = exp(log p): where p is 0 the term is 0
    # (multiply_no_nan), never 0 * (-inf) = NaN.
    return -tf.reduce_sum(backend.multiply_no_nan(log_p, tf.math.exp(log_p)), axis=-1)


def _categorical_kl(log_a, log_b):
    # See `_bernoulli_kl`: a category of probability 0 under `a` adds 0.
    return tf.reduce_sum(
        backend.multiply_no_nan(log_a - log_b, tf.math.exp(log_a)), axis=-1)


def _probs_tolerance(dtype):
    # sqrt(eps): 3.5e-4 in float32, 1.5e-8 in float64. Loose enough for probs
    # produced by a softmax over many categories, tight enough to catch a
    # vector that was never normalized. `log_prob` renormalizes with
    # `log_softmax(log(probs))`, so a deviation within this tolerance only
    # rescales the law by a factor 1 +- tolerance.
    return tf.math.sqrt(dtype_util.eps(dtype))


class OneHotCategoricalForwardLaw(CategoricalLogitsProbsMixin):
    """Shared parts of the one-hot straight-through categorical classes.

    The class sets `self._logits` and `self._probs` (one of them `None`) and
    implements `_forward_logits(logits, *temperatures)` (the logits of the
    law of the forward, discrete sample, from the given logits) and
    `_temperatures()` (the batch-shaped temperatures). `log_prob`, `mean`,
    `variance`, `covariance`, `entropy`, `mode` and the registered KL
    divergences are those of the forward law, with the conventions of this
    module (a `log_prob` smooth in the value, exact values and finite
    gradients where a probability is 0).
    """

    def _param(self):
        return self._logits if self._logits is not None else self._probs

    def _event_shape(self):
        return tf.TensorShape(self._param().shape[-1:])

    def _event_shape_tensor(self):
        return ps.shape(self._param())[-1:]

    def _full_shape(self, logits, temperatures):
        """batch_shape + [K]: `logits` broadcast against every temperature."""
        shape = ps.shape(logits)
        for t in temperatures:
            shape = ps.broadcast_shape(shape, ps.concat([ps.shape(t), [1]], 0))
        return shape

    def _sampling_logits(self):
        """`(logits, smooth_logits)` for a sampler.

        The first decides the forward value (`-inf` for a zero probability,
        so that category is never drawn); the second feeds the relaxed
        surrogate and is finite (`log(into_open_unit(probs))`). They are the
        same tensor when the law is given by logits.
        """
        logits = self._logits_parameter_no_checks()
        if self._logits is not None:
            return logits, logits
        probs = tf.convert_to_tensor(self._probs)
        return logits, tf.math.log(numerics.into_open_unit(probs))

    def _forward_log_probs(self):
        """`LogProbs` of the forward law, broadcast to batch + [K]."""
        temperatures = self._temperatures()
        param = self._param()
        shape = self._full_shape(param, temperatures)
        return categorical_log_probs(
            logits=self._logits, probs=self._probs, shape=shape,
            transform=lambda x: self._forward_logits(x, *temperatures))

    def discrete_law(self, name="discrete_law"):
        """The law of the hard value of a sample: `tfd.OneHotCategorical`.

        The forward value of a sample is a one-hot vector drawn from the
        forward law (see the class docstring); this returns that law as a
        `tfd.OneHotCategorical` over the last axis. It is built from the
        forward logits when `logits` were given, and from the forward
        probabilities otherwise (a category of probability exactly 0 keeps
        probability 0). It has this distribution's batch shape, dtype,
        `validate_args` and `allow_nan_stats`, and gradients flow from it to
        the parameters. `log_prob`, `entropy` and the KL divergences of this
        distribution are those of the returned law.

        Args:
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `tfd.OneHotCategorical`.

        #### Examples

        ```python
        import numpy as np
        import tensorflow_probability as tfp
        import relaxtfp

        d = relaxtfp.distributions.StraightThroughGumbelSoftmax(
            temperature=0.5, logits=[[1., 2., 3.], [0., 0., 0.]])
        law = d.discrete_law()                       # batch [2], event [3]
        np.testing.assert_allclose(law.probs_parameter(), d.mean(), rtol=1e-6)
        kl = tfp.distributions.kl_divergence(
            law, tfp.distributions.OneHotCategorical(logits=[0., 0., 0.]))
        ```
        """
        with self._name_and_control_scope(name):
            if self._logits is not None:
                temperatures = self._temperatures()
                return one_hot_categorical_law(self, logits=self._forward_logits(
                    tf.convert_to_tensor(self._logits), *temperatures))
            # The forward probabilities, exact (0 stays 0) in value, with
            # finite gradients where a probability is 0 (see `evaluate`).
            return one_hot_categorical_law(self, probs=self._mean())

    def _log_prob(self, x):
        # log_softmax is finite for any finite logits: at temperature 1e-3
        # and logits +-50 the scaled logits are +-5e4 and log_softmax is
        # about -1e5, finite in float32.
        x = tf.cast(x, self.dtype)
        return evaluate(lambda log_p: _categorical_log_pmf(x, log_p),
                        self._forward_log_probs())

    def _mean(self):
        return evaluate(tf.math.exp, self._forward_log_probs())

    def _variance(self):
        p = self._mean()
        return p * (1. - p)

    def _covariance(self):
        p = self._mean()
        cov = -p[..., :, tf.newaxis] * p[..., tf.newaxis, :]
        return tf.linalg.set_diag(cov, p * (1. - p))

    def _entropy(self):
        return evaluate(_categorical_entropy, self._forward_log_probs())

    def _mode(self):
        law = self._forward_log_probs()
        log_p = law.smooth if law.exact is None else law.exact
        k = ps.shape(log_p)[-1]
        return tf.one_hot(tf.argmax(log_p, axis=-1), k, dtype=self.dtype)

    def enumerate_support(self, expand=True, name="enumerate_support"):
        """The K one-hot vectors of the support, stacked on a leading axis.

        TFP has no `enumerate_support`; this follows the layout of
        `torch.distributions.OneHotCategorical.enumerate_support`, leading
        support axis first: shape `[K] + batch_shape + [K]` when `expand`,
        `[K] + [1] * len(batch_shape) + [K]` otherwise. Row `k` is the k-th
        basis vector, so `log_prob(enumerate_support())` has shape
        `[K] + batch_shape` and its `exp` sums to one over the first axis.

        Args:
          expand: Python `bool`. If `True`, broadcast the support over the
            batch shape.
          name: Python `str` name prefixed to Ops created by this method.

        Returns:
          A `Tensor` of dtype `self.dtype`.
        """
        with self._name_and_control_scope(name):
            k = self.event_shape_tensor()[0]
            batch = self.batch_shape_tensor()
            eye = tf.eye(k, dtype=self.dtype)
            ones = tf.ones_like(batch)
            eye = tf.reshape(eye, ps.concat([[k], ones, [k]], 0))
            if expand:
                eye = tf.broadcast_to(eye, ps.concat([[k], batch, [k]], 0))
            return eye

    def _default_event_space_bijector(self):
        # The forward samples are discrete (vertices of the simplex); like
        # `tfd.OneHotCategorical`, there is no bijection from R^n onto them.
        return None

    def _probs_assertions(self, is_init):
        if self._probs is None or is_init == tensor_util.is_ref(self._probs):
            return []
        probs = tf.convert_to_tensor(self._probs)
        return [
            assert_util.assert_non_negative(
                probs, message="Argument `probs` must be non-negative."),
            assert_util.assert_near(
                tf.reduce_sum(probs, axis=-1), tf.ones([], probs.dtype),
                atol=_probs_tolerance(probs.dtype), rtol=0.,
                message="Argument `probs` must sum to 1 over its last "
                "dimension."),
        ]

    def _check_param_rank(self):
        param = self._param()
        name = "logits" if self._logits is not None else "probs"
        rank = tensorshape_util.rank(param.shape)
        if rank is not None and rank < 1:
            raise ValueError(f"Argument `{name}` must have rank at least 1.")

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        return [
            assert_util.assert_equal(
                x * (1. - x), tf.zeros([], x.dtype),
                message="Sample must be one-hot: every component must be 0 "
                "or 1."),
            assert_util.assert_equal(
                tf.reduce_sum(x, axis=-1), tf.ones([], x.dtype),
                message="Sample must be one-hot: its last dimension must sum "
                "to 1."),
        ]


def _categorical_law_of(dist):
    if isinstance(dist, OneHotCategoricalForwardLaw):
        return dist._forward_log_probs()  # pylint: disable=protected-access
    return categorical_log_probs(dist.logits, dist.probs)


@tfd.RegisterKL(OneHotCategoricalForwardLaw, OneHotCategoricalForwardLaw)
@tfd.RegisterKL(OneHotCategoricalForwardLaw, tfd.OneHotCategorical)
@tfd.RegisterKL(tfd.OneHotCategorical, OneHotCategoricalForwardLaw)
def _kl_categorical_forward_laws(a, b, name=None):
    """KL(a || b) between the categorical forward laws of `a` and `b`.

    Either may be a `tfd.OneHotCategorical`. The value is `+inf` where `b`
    gives probability 0 to a category that `a` does not.
    """
    with tf.name_scope(name or "kl_categorical_forward_law"):
        law_a, law_b = _categorical_law_of(a), _categorical_law_of(b)
        _check_same_dtype(a, b, law_a, law_b)
        return evaluate(_categorical_kl, law_a, law_b)
