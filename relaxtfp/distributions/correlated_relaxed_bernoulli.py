"""Correlated relaxed Bernoulli gates from a Gaussian copula (Lee et al., 2022)."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

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
from relaxtfp.internal.tfp_internal import tensorshape_util

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["CorrelatedRelaxedBernoulli"]

# Newton steps that polish the tail guess of `_ndtri_of_log` (see there).
_NUM_NEWTON_STEPS = 2
# Validation tolerance for "unit diagonal", "symmetric" and "unit-norm rows",
# in units of `eps * D` (the rounding of a D-term sum of squares).
_VALIDATION_TOLERANCE_ULPS = 10.
_NOT_POSITIVE_DEFINITE = ("Argument `correlation` must be a correlation matrix: "
                          "it must be positive definite (its Cholesky "
                          "factorization failed).")


def _log_ndtr_and_derivative_tail(v):
    """`log Phi(v)` and its derivative `phi(v) / Phi(v)` for `v <= -12`,
    from the asymptotic series (cheap; used by the Newton steps in the tail).

    log Phi(v) = -v^2/2 - log(-v) - log(2 pi)/2 + log(S), and
    Phi(v) / phi(v) = S / (-v), with S = 1 - 1/v^2 + 3/v^4 - 15/v^6 + 105/v^8.
    The first omitted term, 945 / v^10, is below 1e-8 for |v| >= 12.6 (the
    float32 tail, see `_ndtri_of_log`) and below 2e-13 for |v| >= 37 (the
    float64 tail): relative errors of 1e-10 and 3e-16 in log Phi.
    """
    np_dtype = dtype_util.as_numpy_dtype(v.dtype)
    r = tf.math.reciprocal(tf.math.square(v))
    series = 1. + r * (-1. + r * (3. + r * (-15. + r * 105.)))
    log_ndtr = (-0.5 * tf.math.square(v) - tf.math.log(-v)
                - np.log(2. * np.pi).astype(np_dtype) / 2. + tf.math.log(series))
    return log_ndtr, -v / series


def _logit_ndtr(v):
    """`logit(Phi(v)) = log Phi(v) - log Phi(-v)`, finite for every finite `v`.

    `Phi(v)` rounds to 1 for v > 5.4 in float32 (v > 8.3 in float64), and
    then `logit` is +inf; it underflows to 0 for v < -14.2 (v < -37.7). We
    compute the negative half only: with w = -|v|,
    r = log Phi(w) - log1p(-Phi(w)) <= 0, where log Phi(w) and Phi(w) come
    from `numerics.log_ndtr_nonpositive` (one `erfc` and one `log`; log Phi
    stays exact where Phi underflows) and Phi(w) <= 1/2 makes log1p exact;
    then logit(Phi(v)) = r for v <= 0 and -r for v > 0
    (Phi(-v) = 1 - Phi(v)).
    The two branches are selected with `tf.where` on a reflected argument
    rather than through |v|, so the gradient at v = 0 is the true
    4 * phi(0), not the zero subgradient of |v|.
    """
    w = tf.where(v <= 0., v, -v)
    log_p, p = numerics.log_ndtr_nonpositive(w)
    r = log_p - tf.math.log1p(-p)
    return tf.where(v <= 0., r, -r)


def _ndtri_of_log(y):
    """The `v <= 0` with `log Phi(v) = y`, for `y <= log(1/2)`.

    Where `exp(y)` is safely a normal number (y >= log(tiny) + 5: -703 in
    float64, -82 in float32), `tf.math.ndtri(exp(y))` is accurate to an ulp
    (checked against scipy down to 1e-307). Below that, `Phi(v)` underflows
    and we start from the asymptotic expansion log Phi(v) ~ -v^2/2 - log(-v)
    - log(2 pi)/2, i.e. v^2 ~ -2y - log(-2y) - log(2 pi) (relative error
    ~ 1/v^2 < 0.7% there), and take `_NUM_NEWTON_STEPS` Newton steps on
    log Phi(v) = y, with log Phi from its asymptotic series (exact to
    working precision there, see `_log_ndtr_and_derivative_tail`). log Phi
    is increasing and concave, so after the first step the iterates approach
    the root monotonically from the left, and convergence is quadratic: the
    initial error is at most 1.2e-3 (at the float32 threshold) and two steps
    reach the accuracy of the series (measured against scipy). (A third
    step, taken before as a margin, is not needed: the exact step below
    squares the remaining error again; the float64 tail test of
    `_ndtri_of_logit` checks the result to 1e-15.)

    A last Newton step is taken from the `stop_gradient` of that guess
    `v0`: v = v0 + (y - log Phi(v0)) / (log Phi)'(v0). Its value polishes
    `v0`, and its derivative with respect to `y` is 1 / (log Phi)'(v0) =
    Phi(v) / phi(v), the derivative of the exact inverse, so gradients never
    differentiate through the iterations or through `ndtri`. This step uses
    `numerics.log_ndtr_nonpositive_and_mills`, exact for all v <= 0.

    The tail iterations run on every element (selected by `tf.where`). A
    `tf.cond` on "any element in the tail" would skip them for the usual
    batch, but it was tried and changes the Philox stream that XLA draws
    for the *sample* in the same compiled function (the contract test
    `test_eager_function_and_xla_agree` caught it), so it is not used.
    """
    dtype = y.dtype
    np_dtype = dtype_util.as_numpy_dtype(dtype)
    # exp(y) >= 148 * tiny above this threshold: a normal number even where
    # `exp` flushes results near the underflow boundary to zero (float32 on
    # CPU returns 0 for exp(log(tiny))).
    threshold = (np.log(np.finfo(np_dtype).tiny) + 5.).astype(np_dtype)
    y0 = tf.stop_gradient(y)
    central = y0 >= threshold
    # Each branch gets inputs that are safe for it, so that no inf or NaN is
    # even computed in the branch that `tf.where` discards.
    v_central = tf.math.ndtri(tf.math.exp(tf.math.maximum(y0, threshold)))
    y_tail = tf.math.minimum(y0, threshold)
    two_y = -2. * y_tail
    v_tail = -tf.math.sqrt(two_y - tf.math.log(two_y)
                           - np.log(2. * np.pi).astype(np_dtype))
    for _ in range(_NUM_NEWTON_STEPS):
        g, dg = _log_ndtr_and_derivative_tail(v_tail)
        v_tail = v_tail + (y_tail - g) / dg
    v0 = tf.where(central, v_central, v_tail)
    v0 = tf.stop_gradient(tf.math.minimum(v0, tf.zeros([], dtype)))
    g, _, dg = numerics.log_ndtr_nonpositive_and_mills(v0)
    return v0 + (y - g) / dg


def _ndtri_of_logit(x):
    """`Phi^{-1}(sigmoid(x))`, exact for every finite `x`.

    Never forms `sigmoid(x)` itself: for x <= 0 the answer is
    `_ndtri_of_log(log_sigmoid(x))` and for x > 0 it is
    `-_ndtri_of_log(log_sigmoid(-x))`, and `log_sigmoid = -softplus(-.)` is
    exact in both tails. So v is accurate to a few ulps (relative) for
    |v| >~ 1 and all finite x (|x| up to 1e300 in float64 gives
    |v| ~ sqrt(2 |x|)); near x = 0 the error is a few `eps` absolute, since
    log_sigmoid(x) ~ -log(2) + x / 2 keeps x only to absolute precision.
    That is all the density needs: it depends on v through v^2-sized terms.
    """
    # `tf.where` between two smooth branches (not |x|), so that the gradient
    # at x = 0 is right.
    # One log-sigmoid of the selected argument (-|x|), not two selected
    # afterwards: same values, half the softplus work.
    y = numerics.log_sigmoid(tf.where(x <= 0., x, -x))
    v = _ndtri_of_log(y)
    return tf.where(x <= 0., v, -v)


def _checked_cholesky(corr):
    """The Cholesky factor of `corr`, asserting that it is finite.

    `tf.linalg.cholesky` does not raise for a matrix that is not positive
    definite: on CPU it returns NaN (and garbage above the diagonal). The
    diagonal of the factor is then not all finite, and this raises
    `InvalidArgumentError` naming `correlation` (eagerly and in
    `tf.function`; XLA compiles run-time assertions away, and there the
    factor stays NaN).
    """
    chol = tf.linalg.cholesky(corr)
    finite = tf.reduce_all(tf.math.is_finite(tf.linalg.diag_part(chol)))
    check = assert_util.assert_equal(finite, True, message=_NOT_POSITIVE_DEFINITE)
    with tf.control_dependencies([check]):
        return tf.identity(chol)


def _fold_samples(chol, x):
    """`x` as columns `[B..., D, S]` against a batched factor `[B..., D, D]`.

    Applies when the batch dimensions of `x` ending just before its last
    axis equal those of `chol` (statically known), i.e. when only leading
    sample dimensions broadcast against the factor. They are folded into
    one trailing column axis of size S, so that one batched `matmul` or
    `triangular_solve` per batch member handles all samples, and the
    gradient with respect to the factor is formed directly at the factor's
    own shape (a `[B..., D, S] x [B..., S, D]` product) instead of once per
    sample (`[S, B..., D, D]`) and then summed. Returns `(columns, unfold)`,
    or `None` where the shapes do not allow it.
    """
    chol_rank, x_rank = tensorshape_util.rank(chol.shape), tensorshape_util.rank(x.shape)
    if chol_rank is None or x_rank is None:
        return None
    batch_rank = chol_rank - 2
    sample_rank = x_rank - 1 - batch_rank
    if sample_rank < 1:
        return None
    batch, x_batch = chol.shape[:-2], x.shape[sample_rank:-1]
    if (not tensorshape_util.is_fully_defined(batch)
            or not tensorshape_util.is_fully_defined(x_batch)
            or tensorshape_util.as_list(x_batch) != tensorshape_util.as_list(batch)):
        return None
    x_shape = ps.shape(x)
    flat = tf.reshape(x, ps.concat([[-1], x_shape[sample_rank:]], axis=0))
    columns = tf.transpose(flat, list(range(1, batch_rank + 2)) + [0])

    def unfold(y):
        rows = tf.transpose(y, [batch_rank + 1] + list(range(batch_rank + 1)))
        return tf.reshape(rows, x_shape)

    return columns, unfold


def _chol_matvec(chol, x):
    """`L @ x` over the last axis of `x`, for a factor shared by many rows.

    `tf.linalg.matvec` broadcasts `L` against every row of `x`, and the
    gradient of that batched product with respect to `L` is a `[..., D, D]`
    tensor per row (summed afterwards): at D = 100 and 1e6 elements that is
    1e8 numbers. Here an unbatched factor multiplies all rows at once,
    `x_flat @ L^T` (one `[N, D] x [D, D]` matmul, whose gradient with
    respect to `L` is one `[D, N] x [N, D]` product); a batched factor gets
    the same treatment per batch member (`_fold_samples`). Only factors whose
    batch dimensions broadcast inside those of `x` fall back to `matvec`.
    """
    if tensorshape_util.rank(chol.shape) == 2:
        x_shape = ps.shape(x)
        flat = tf.reshape(x, ps.concat([[-1], x_shape[-1:]], axis=0))
        return tf.reshape(tf.linalg.matmul(flat, chol, transpose_b=True),
                          x_shape)
    folded = _fold_samples(chol, x)
    if folded is None:
        return tf.linalg.matvec(chol, x)
    columns, unfold = folded
    return unfold(tf.linalg.matmul(chol, columns))


def _chol_solve(chol, x):
    """`L^{-1} x` over the last axis of `x` (lower-triangular `L`).

    The same layout as `_chol_matvec`: all rows of `x` become the columns of
    one right-hand side (`[D, N]` for an unbatched factor), so that the
    gradient with respect to `L` is one `[D, N] x [N, D]` product.
    """
    if tensorshape_util.rank(chol.shape) == 2:
        x_shape = ps.shape(x)
        flat = tf.reshape(x, ps.concat([[-1], x_shape[-1:]], axis=0))
        solved = tf.linalg.triangular_solve(chol, tf.transpose(flat),
                                            lower=True)
        return tf.reshape(tf.transpose(solved), x_shape)
    folded = _fold_samples(chol, x)
    if folded is None:
        return tf.linalg.triangular_solve(chol, x[..., tf.newaxis],
                                          lower=True)[..., 0]
    columns, unfold = folded
    return unfold(tf.linalg.triangular_solve(chol, columns, lower=True))


class CorrelatedRelaxedBernoulli(LogitsProbsMixin,
                                 tfd.AutoCompositeTensorDistribution):
    """Relaxed Bernoulli gates correlated through a Gaussian copula.

    A vector `z` in `(0, 1)^D` whose coordinates are each binary Concrete
    (relaxed Bernoulli) with log-odds `logits[k]` and a shared `temperature`,
    and whose dependence is that of a Gaussian copula with correlation matrix
    `R`: the uniforms that drive the D binary Concrete variables are
    `Phi(v)` for `v ~ Normal(0, R)`. Lee, Imrie and van der Schaar (2022) use
    it as a vector of correlated feature-selection gates.

    The event shape is `[D]`; `logits` (or `probs`) has shape `[..., D]`,
    `correlation` or `correlation_cholesky` has shape `[..., D, D]`, and
    `temperature` has the batch shape `[...]` only: one temperature per
    D-vector (a per-coordinate temperature `[..., D]` is not supported; it
    would be read as one more batch dimension). All batch dimensions
    broadcast.

    The correlation matrix is given either as `correlation` (symmetric,
    positive definite, unit diagonal) or as its Cholesky factor
    `correlation_cholesky` (lower triangular, positive diagonal, rows of unit
    Euclidean norm; what `tfb.CorrelationCholesky` produces). A covariance
    matrix is not a valid argument: only a unit diagonal makes each `Phi(v_k)`
    uniform, so a covariance would silently change the marginals. With
    `validate_args=True` both forms are checked (to a tolerance of
    `10 * D * eps` on the diagonal, symmetry and row norms); with
    `validate_args=False` these are not checked. Whatever `validate_args`,
    a `correlation` that is not positive definite raises an error naming
    `correlation`: `ValueError` at construction when its value is known
    then (a constant, checked with NumPy's Cholesky factorization), and
    otherwise `InvalidArgumentError` from `sample` or `log_prob` when the
    factorization fails (the factor of `tf.linalg.cholesky` is then not
    finite; it returns NaN on CPU rather than raising, and this class checks
    the diagonal of the factor). Under XLA (`jit_compile=True`), which
    compiles run-time assertions away as for every TFP check, a failed
    factorization gives NaN instead.

    Boundary probabilities. `probs` exactly 0 or 1 (`logits` -inf or +inf)
    are valid for any coordinates: such a coordinate is the constant 0 or 1,
    drawn as the nearest float inside (0, 1), `tiny` or `1 - eps / 2` (as
    for a sample that rounds). The other coordinates S keep their law, the
    Gaussian copula of their own correlation matrix `R[S, S]` with their
    binary Concrete marginals, and `log_prob` is its density over S plus the
    log-mass 0 of each constant coordinate at its point (-inf if it is
    anywhere else): the density is taken on the face where the constant
    coordinates sit, as `GeneralizedGumbelSoftmax` does for a dropped
    category. This costs one more Cholesky factorization, of `R` with the
    rows and columns of the constant coordinates replaced by those of the
    identity, per batch member; it is computed only when some coordinate is
    at the boundary (decided at trace time when `probs` or `logits` are
    constants, by `tf.cond` otherwise). All values and gradients are finite
    there. The constant coordinates get zero gradients: near the boundary a
    coordinate behaves like `probs**(1 / temperature)`, whose derivative has
    an infinite one-sided limit for `temperature > 1`, and its density at
    the class's own samples grows without bound. With infinite `logits`,
    zero is also the limit of every gradient with respect to the logits.
    The sampler clips the sigmoid's argument where the sigmoid saturates
    (see `relaxtfp.internal.numerics.clip_to_saturation`), so samples and
    their gradients are finite for logits of any size and temperatures from
    1e-30 to 1e30.

    The correlation of the gates is weaker than `R`. Each `z_k` is a
    function of `v_k` alone, so by Lancaster's theorem
    `|corr(z_j, z_k)| <= |R[j, k]|`, with strict inequality for
    `0 < |R[j, k]| < 1`. For the hard gates `b_k = [z_k > 1/2]` (which do not
    depend on the temperature) with `logits = 0`,
    `corr(b_j, b_k) = (2 / pi) * arcsin(R[j, k])`: 0.71 for `R[j, k] = 0.9`,
    0.33 for 0.5.

    #### Mathematical Details

    Sampler, with `eps ~ Normal(0, I_D)` drawn independently for every
    element and `L` the Cholesky factor of `R`:

    ```none
    v = L @ eps                                   # v ~ Normal(0, R)
    l_k = logit(Phi(v_k)) = log Phi(v_k) - log Phi(-v_k)   # standard logistic
    z_k = sigmoid((logits_k + l_k) / temperature)
    ```

    `l_k` is computed from `log Phi` written with `erfcx`, never through
    `Phi(v_k)` itself (which rounds to 1 for v_k > 5.4 in float32 and for
    v_k > 8.3 in float64), so it is finite for every `v`. Samples are then
    clipped to `[tiny, 1 - eps / 2]`, the closed interval of representable
    numbers in `(0, 1)`, so that a sample that rounds to 0 or 1 (e.g.
    temperature 1e-3 with logits 50) still has a finite `log_prob`.

    `log_prob` is the exact joint log density with respect to Lebesgue
    measure on `(0, 1)^D`. The map `v -> z` is a bijection with
    `l_k = temperature * logit(z_k) - logits_k` and `v_k = Phi^{-1}(sigmoid(l_k))`,
    and the change of variables gives

    ```none
    log p(z) = log N(v; 0, R) - sum_k log phi(v_k)           # copula density
               + sum_k log BinConcrete(z_k; logits_k, temperature)
             = -0.5 * v^T (R^{-1} - I) v - sum_k log L[k, k]
               + sum_k [log(temperature) + log sigmoid(l_k) + log sigmoid(-l_k)
                        - log(z_k) - log(1 - z_k)].
    ```

    The quadratic form is computed as `d . (2 v + d)` with
    `d = L^{-1} ((I - L) v)` (one triangular solve, no inverse), which equals
    `|L^{-1} v|^2 - |v|^2` without its cancellation when `R` is near `I`, and
    is exactly 0 for `R = I`. `v_k = Phi^{-1}(sigmoid(l_k))` is computed
    from `log_sigmoid(-|l_k|)` (exact in both tails): by `tf.math.ndtri`
    where `sigmoid(-|l_k|)` is safely a normal number, and by Newton's method
    on `log Phi(v) = log_sigmoid(-|l_k|)` below that. It is accurate to a few
    ulps (relative) for |v_k| >~ 1 and to a few `eps` (absolute) near
    `v_k = 0`, for every finite `l_k` (|l_k| up to 1e300 in float64).

    So `log_prob` is finite for every `z` in `[tiny, 1 - eps / 2]^D`, in
    float32 and float64, as long as `temperature * |logit(z_k)|` and the
    quadratic form stay below the largest float (checked at the corners of
    the representable cube for temperatures 1e-3..1e3 and logits +-50).
    What limits float32 is the representation of `z` itself: `1 - z` has a
    resolution of 6e-8, so samples within 6e-8 of 1 are rounded, and
    `l_k = temperature * logit(z_k) - logits_k` loses about
    `eps * |logits_k|` to cancellation. For moderate parameters float32
    `log_prob` agrees with float64 at the same points to 3e-6 (measured).

    #### Examples

    ```python
    import tensorflow as tf
    import tensorflow_probability as tfp
    import relaxtfp

    # Three gates, the first two positively correlated.
    corr = [[1., 0.8, 0.], [0.8, 1., 0.], [0., 0., 1.]]
    gates = relaxtfp.distributions.CorrelatedRelaxedBernoulli(
        temperature=0.5, logits=[0., 1., -1.], correlation=corr)
    z = gates.sample(1000, seed=(1, 2))            # Shape [1000, 3]
    lp = gates.log_prob(z)                         # Shape [1000]

    # A learnable correlation: an unconstrained vector mapped to the
    # Cholesky factor of a correlation matrix.
    theta = tf.Variable(tf.zeros([3]))             # D * (D - 1) / 2 entries
    chol = tfp.util.DeferredTensor(theta, tfp.bijectors.CorrelationCholesky())
    gates = relaxtfp.distributions.CorrelatedRelaxedBernoulli(
        temperature=0.5, logits=[0., 1., -1.], correlation_cholesky=chol)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(gates.sample(16, seed=(3, 4)))
    grad = tape.gradient(loss, theta)              # Shape [3]
    ```

    #### References

    [1]: Changhee Lee, Fergus Imrie and Mihaela van der Schaar.
         Self-Supervision Enhanced Feature Selection with Correlated Gates.
         In _International Conference on Learning Representations_, 2022.
         https://openreview.net/forum?id=oDFvtxzPOx
    [2]: Chris J. Maddison, Andriy Mnih and Yee Whye Teh. The Concrete
         Distribution: A Continuous Relaxation of Discrete Random Variables. In
         _International Conference on Learning Representations_, 2017.
         https://arxiv.org/abs/1611.00712
    [3]: H. O. Lancaster. Some properties of the bivariate normal distribution
         considered in the form of a contingency table. _Biometrika_,
         44(1/2):289-292, 1957.
    """

    def __init__(self,
                 temperature,
                 logits=None,
                 probs=None,
                 correlation=None,
                 correlation_cholesky=None,
                 validate_args=False,
                 allow_nan_stats=True,
                 name="CorrelatedRelaxedBernoulli"):
        """Constructs a batch of correlated relaxed Bernoulli vectors.

        Args:
          temperature: Positive float `Tensor` of shape `[...]` (batch
            dimensions only), the temperature shared by the `D` binary
            Concrete coordinates of an event.
          logits: Float `Tensor` of shape `[..., D]`, the log-odds of each
            coordinate. Exactly one of `logits` and `probs`.
          probs: Float `Tensor` in [0, 1] of shape `[..., D]`,
            `sigmoid(logits)`: the probability that each coordinate exceeds
            1/2.
          correlation: Float `Tensor` of shape `[..., D, D]`, a correlation
            matrix (symmetric, positive definite, unit diagonal). Exactly one
            of `correlation` and `correlation_cholesky`.
          correlation_cholesky: Float `Tensor` of shape `[..., D, D]`, the
            lower-triangular Cholesky factor of a correlation matrix
            (positive diagonal, rows of unit Euclidean norm), e.g. the output
            of `tfp.bijectors.CorrelationCholesky`.
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
          ValueError: If both or neither of `logits` and `probs` are given, if
            both or neither of `correlation` and `correlation_cholesky` are
            given, or if their static shapes are incompatible.
        """
        parameters = dict(locals())
        check_exactly_one(logits=logits, probs=probs)
        check_exactly_one(correlation=correlation,
                          correlation_cholesky=correlation_cholesky)
        with tf.name_scope(name) as name:
            dtype = float_dtype(
                temperature=temperature, logits=logits, probs=probs, correlation=correlation,
                correlation_cholesky=correlation_cholesky)
            self._temperature = convert_float(temperature, dtype=dtype, name="temperature")
            self._logits = convert_float(logits, dtype=dtype, name="logits")
            self._probs = convert_float(probs, dtype=dtype, name="probs")
            self._correlation = convert_float(correlation, dtype=dtype, name="correlation")
            self._correlation_cholesky = convert_float(
                correlation_cholesky, dtype=dtype, name="correlation_cholesky")
            self._check_static_shapes()
            self._check_static_correlation()
            super().__init__(
                dtype=dtype,
                reparameterization_type=reparameterization.FULLY_REPARAMETERIZED,
                validate_args=validate_args,
                allow_nan_stats=allow_nan_stats,
                parameters=parameters,
                name=name)

    def _check_static_shapes(self):
        vec_name = "logits" if self._logits is not None else "probs"
        mat_name = ("correlation" if self._correlation is not None
                    else "correlation_cholesky")
        vec, mat = self._vector_param(), self._matrix_param()
        vec_rank, mat_rank = tensorshape_util.rank(vec.shape), tensorshape_util.rank(mat.shape)
        if vec_rank is not None and vec_rank < 1:
            raise ValueError(f"Argument `{vec_name}` must have rank at least 1 "
                             f"(shape [..., D]); got shape {vec.shape}.")
        if mat_rank is None:
            return
        if mat_rank < 2:
            raise ValueError(f"Argument `{mat_name}` must have rank at least 2 "
                             f"(shape [..., D, D]); got shape {mat.shape}.")
        rows, cols = mat.shape[-2], mat.shape[-1]
        if rows is not None and cols is not None and rows != cols:
            raise ValueError(f"Argument `{mat_name}` must be square; got shape "
                             f"{mat.shape}.")
        d_vec = vec.shape[-1] if vec_rank is not None else None
        if (d_vec is not None and cols is not None and d_vec != cols
                and d_vec != 1):
            raise ValueError(
                f"Arguments `{vec_name}` (shape {vec.shape}) and `{mat_name}` "
                f"(shape {mat.shape}) must have the same event size D.")

    def _check_static_correlation(self):
        """Raises `ValueError` if `correlation` is known at construction and
        is not positive definite (its Cholesky factorization fails), whatever
        `validate_args`: the sampler would otherwise return NaN."""
        if self._correlation is None or tensor_util.is_ref(self._correlation):
            return
        value = tf.get_static_value(self._correlation)
        if value is None:
            return
        if not np.all(np.isfinite(value)):
            raise ValueError(_NOT_POSITIVE_DEFINITE + " It has non-finite entries.")
        try:
            # Like tf.linalg.cholesky, this reads the lower triangle only.
            np.linalg.cholesky(value)
        except np.linalg.LinAlgError:
            raise ValueError(_NOT_POSITIVE_DEFINITE) from None

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        def matrix_shape(sample_shape):
            return ps.concat([sample_shape, sample_shape[-1:]], axis=0)

        return dict(
            temperature=parameter_properties.ParameterProperties(
                shape_fn=lambda sample_shape: sample_shape[:-1],
                default_constraining_bijector_fn=(
                    lambda: tfb.Softplus(low=dtype_util.eps(dtype)))),
            logits=parameter_properties.ParameterProperties(event_ndims=1),
            probs=parameter_properties.ParameterProperties(
                event_ndims=1,
                default_constraining_bijector_fn=tfb.Sigmoid,
                is_preferred=False),
            correlation=parameter_properties.ParameterProperties(
                event_ndims=2,
                shape_fn=matrix_shape,
                default_constraining_bijector_fn=(
                    lambda: tfb.Chain([tfb.CholeskyOuterProduct(),
                                       tfb.CorrelationCholesky()])),
                is_preferred=False),
            correlation_cholesky=parameter_properties.ParameterProperties(
                event_ndims=2,
                shape_fn=matrix_shape,
                default_constraining_bijector_fn=tfb.CorrelationCholesky),
        )

    @property
    def temperature(self):
        """The temperature shared by the binary Concrete coordinates."""
        return self._temperature

    @property
    def correlation(self):
        """Input argument `correlation` (`None` if the Cholesky factor was given)."""
        return self._correlation

    @property
    def correlation_cholesky(self):
        """Input argument `correlation_cholesky` (`None` if `correlation` was given)."""
        return self._correlation_cholesky

    def _vector_param(self):
        return self._logits if self._logits is not None else self._probs

    def _matrix_param(self):
        return (self._correlation if self._correlation is not None
                else self._correlation_cholesky)

    def correlation_parameter(self, name=None):
        """The correlation matrix, from whichever of the two forms was given."""
        with self._name_and_control_scope(name or "correlation_parameter"):
            if self._correlation is not None:
                return tensor_util.identity_as_tensor(self._correlation)
            chol = tf.convert_to_tensor(self._correlation_cholesky)
            return tf.linalg.matmul(chol, chol, adjoint_b=True)

    def correlation_cholesky_parameter(self, name=None):
        """The Cholesky factor of the correlation matrix."""
        with self._name_and_control_scope(
                name or "correlation_cholesky_parameter"):
            return self._cholesky_no_checks()

    def _cholesky_no_checks(self):
        if self._correlation_cholesky is not None:
            return tensor_util.identity_as_tensor(self._correlation_cholesky)
        return _checked_cholesky(tf.convert_to_tensor(self._correlation))

    def discrete_law(self, name="discrete_law"):
        """Raises `NotImplementedError`: the hard gates' joint law has no pmf here.

        The hard gates `b_k = 1[z_k > 1/2]` of a sample are each
        `Bernoulli(sigmoid(logits_k))` (or `probs_k`), but they are
        dependent: `b_k = 1[v_k > Phi^-1(1 - p_k)]` for the correlated
        Gaussian `v ~ Normal(0, R)`, so their joint law is a Gaussian-copula
        multivariate Bernoulli whose pmf is a D-dimensional Gaussian orthant
        probability, with no closed form. The method does not return the
        product of the marginals, which is the joint law only for `R = I`.
        For the marginals, build
        `tfd.Bernoulli(probs=d.probs_parameter())` (or from
        `d.logits_parameter()`); their summed KL to an independent prior is
        the joint KL minus the gates' total correlation, a lower bound that
        is exact for `R = I`.

        Args:
          name: Python `str` name prefixed to Ops created by this method.

        Raises:
          NotImplementedError: always, with the message above.

        #### Examples

        ```python
        import tensorflow_probability as tfp
        import relaxtfp

        d = relaxtfp.distributions.CorrelatedRelaxedBernoulli(
            temperature=0.5, logits=[0.5, -1.], correlation=[[1., 0.6], [0.6, 1.]])
        try:
            d.discrete_law()
        except NotImplementedError:
            marginals = tfp.distributions.Bernoulli(probs=d.probs_parameter())
        ```
        """
        del name  # Nothing is computed.
        raise NotImplementedError(
            "CorrelatedRelaxedBernoulli.discrete_law: the hard gates 1[z > 1/2] "
            "are dependent (a Gaussian-copula multivariate Bernoulli), and their "
            "joint pmf, a Gaussian orthant probability, has no closed form. Each "
            "gate's marginal law is tfd.Bernoulli(probs=d.probs_parameter()); "
            "the product of these marginals is the joint law only when the "
            "correlation is the identity.")

    def _event_shape(self):
        return tf.broadcast_static_shape(self._vector_param().shape[-1:],
                                         self._matrix_param().shape[-1:])

    def _event_shape_tensor(self):
        return ps.broadcast_shape(ps.shape(self._vector_param())[-1:],
                                  ps.shape(self._matrix_param())[-1:])

    def _params(self):
        """`(temperature, logits, chol, side, tangent)`, with the logits
        finite: see `numerics.bernoulli_logits_and_boundary`. Coordinates
        with `side != 0` (probability 0 or 1) are handled separately."""
        logits, side, _ = numerics.bernoulli_logits_and_boundary(
            logits=self._logits, probs=self._probs)
        return (tf.convert_to_tensor(self._temperature), logits,
                self._cholesky_no_checks(), side)

    def _ends(self):
        """The points that stand for 0 and 1: the nearest floats inside (0, 1)."""
        np_dtype = dtype_util.as_numpy_dtype(self.dtype)
        return (tf.constant(np.finfo(np_dtype).tiny, self.dtype),
                tf.constant(np.nextafter(np_dtype(1), np_dtype(0)), self.dtype))

    def _sample_n(self, n, seed=None):
        temperature, logits, chol, side = self._params()
        shape = ps.concat([[n],
                           self._batch_shape_tensor(temperature=temperature,
                                                    logits=logits),
                           self._event_shape_tensor()], axis=0)
        # Full-shape noise: every coordinate of every sample has its own draw.
        eps = noise.normal(shape, seed=seed, dtype=self.dtype)
        v = _chol_matvec(chol, eps)
        t = temperature[..., tf.newaxis]
        # `relaxed_sigmoid` keeps the temperature gradient of a saturated
        # sigmoid finite, and samples that round to 0 or 1 inside the support
        # (see the class docstring): the nearest representable interior
        # points, `low` and `high`.
        z = numerics.relaxed_sigmoid(logits + _logit_ndtr(v), t)
        low, high = self._ends()
        # A coordinate with probability 0 (1) is the constant `low` (`high`).
        return tf.where(side < 0., low, tf.where(side > 0., high, z))

    def _log_prob(self, x):
        temperature, logits, chol, side = self._params()
        known = self._static_any_degenerate()
        if known is not None:
            if not known:
                return self._log_prob_with(x, temperature, logits, chol)
            return self._log_prob_degenerate(x, temperature, logits, chol, side)
        # Only batches with a coordinate at probability 0 or 1 pay for the
        # extra factorization of `_log_prob_degenerate`.
        return tf.cond(
            tf.reduce_any(tf.math.not_equal(side, 0.)),
            lambda: self._log_prob_degenerate(x, temperature, logits, chol, side),
            lambda: self._log_prob_with(x, temperature, logits, chol))

    def _static_any_degenerate(self):
        """Whether some coordinate has probability 0 or 1 (logits +-inf), if
        the parameter's value is known at trace time; else `None`."""
        if self._probs is not None:
            param, boundary = self._probs, lambda p: np.any((p == 0.) | (p == 1.))
        else:
            param, boundary = self._logits, lambda lg: np.any(np.isinf(lg))
        if tensor_util.is_ref(param):
            return None
        value = tf.get_static_value(param)
        return None if value is None else bool(boundary(value))

    def _log_prob_degenerate(self, x, temperature, logits, chol, side):
        """`log_prob` where some coordinates have probability 0 or 1.

        Such a coordinate is the constant 0 (or 1), drawn as `low` (`high`)
        of `_ends`. The others have the Gaussian-copula law of their own
        sub-correlation matrix R_S (the marginal of a Gaussian copula on a
        subset of coordinates), so the density is taken over them alone, and
        each constant coordinate contributes its log-mass: 0 at its point,
        -inf elsewhere (the convention of `GeneralizedGumbelSoftmax` for a
        dropped category). R_S is embedded as R' = R on S x S and the
        identity elsewhere; R' is positive definite with R, and its Cholesky
        factor is that of R_S on S and the identity elsewhere, so with
        v = 0 on the constant coordinates the usual formula gives the
        density of the others.
        """
        keep = tf.math.equal(side, 0.)
        if self._correlation is not None:
            corr = tf.convert_to_tensor(self._correlation)
        else:
            corr = tf.linalg.matmul(chol, chol, adjoint_b=True)
        both = keep[..., :, tf.newaxis] & keep[..., tf.newaxis, :]
        eye = tf.eye(ps.shape(corr)[-1], dtype=self.dtype)
        sub_chol = _checked_cholesky(tf.where(both, corr, eye))
        low, high = self._ends()
        at_end = tf.where(side < 0., (x > 0.) & (x <= low), (x >= high) & (x < 1.))
        log_prob = self._log_prob_with(x, temperature, logits, sub_chol, keep)
        ok = tf.reduce_all(keep | at_end, axis=-1)
        return tf.where(ok, log_prob, tf.constant(float("-inf"), self.dtype))

    def _log_prob_with(self, x, temperature, logits, chol, keep=None):
        """The copula log density over the coordinates where `keep` (all if
        `None`); the others must come with a factor `chol` that is the
        identity on them (see `_log_prob_degenerate`)."""
        t = temperature[..., tf.newaxis]
        interior = (x > 0.) & (x < 1.)
        # Evaluate at a harmless stand-in outside (0, 1), so that no NaN
        # reaches the gradient through tf.where.
        x_safe = tf.where(interior, x, tf.constant(0.5, self.dtype))
        # l = logit(u), the standard-logistic variable behind each coordinate,
        # and v = Phi^{-1}(u), the Gaussian behind it; both exact in the tails
        # (see `_ndtri_of_logit`).
        l = t * numerics.logit(x_safe) - logits
        v = _ndtri_of_logit(l)
        marginal = numerics.binary_concrete_log_prob(x_safe, logits, t)
        if keep is not None:
            zero = tf.zeros([], self.dtype)
            v = tf.where(keep, v, zero)
            marginal = tf.where(keep, marginal, zero)
            interior = interior | ~keep
        marginals = tf.reduce_sum(marginal, axis=-1)
        # v^T (R^{-1} - I) v = |w|^2 - |v|^2 with w = L^{-1} v. Write
        # w = v + d, d = L^{-1} (v - L v): then |w|^2 - |v|^2 = d . (2 v + d),
        # which has no cancellation when R is near I (d is small) and is
        # exactly 0 for R = I. Triangular solve, no matrix inverse; both
        # products treat the rows of `v` as the columns of one matrix, so the
        # factor is never copied per sample, not even in the gradient (see
        # `_chol_matvec`).
        residual = v - _chol_matvec(chol, v)
        d = _chol_solve(chol, residual)
        quadratic = tf.reduce_sum(d * (2. * v + d), axis=-1)
        log_det = tf.reduce_sum(
            tf.math.log(tf.linalg.diag_part(chol)), axis=-1)
        log_prob = marginals - 0.5 * quadratic - log_det
        return tf.where(tf.reduce_all(interior, axis=-1), log_prob,
                        tf.constant(float("-inf"), self.dtype))

    def _default_event_space_bijector(self):
        return tfb.Sigmoid(validate_args=self.validate_args)

    def _tolerance(self, matrix):
        size = tf.cast(ps.shape(matrix)[-1], matrix.dtype)
        return _VALIDATION_TOLERANCE_ULPS * dtype_util.eps(matrix.dtype) * size

    def _correlation_assertions(self, corr):
        tol = self._tolerance(corr)
        prefix = "Argument `correlation` must be a correlation matrix: "
        return [
            assert_util.assert_less_equal(
                tf.math.abs(tf.linalg.diag_part(corr) - 1.), tol,
                message=prefix + "its diagonal must be all ones (a covariance "
                "matrix is not accepted)."),
            assert_util.assert_less_equal(
                tf.math.abs(corr - tf.linalg.matrix_transpose(corr)), tol,
                message=prefix + "it must be symmetric."),
            assert_util.assert_positive(
                tf.linalg.eigvalsh(corr),
                message=prefix + "it must be positive definite."),
        ]

    def _cholesky_assertions(self, chol):
        tol = self._tolerance(chol)
        prefix = ("Argument `correlation_cholesky` must be the Cholesky factor "
                  "of a correlation matrix: ")
        upper = chol - tf.linalg.band_part(chol, -1, 0)
        return [
            assert_util.assert_equal(
                upper, tf.zeros([], chol.dtype),
                message=prefix + "it must be lower triangular."),
            assert_util.assert_positive(
                tf.linalg.diag_part(chol),
                message=prefix + "its diagonal must be positive."),
            assert_util.assert_less_equal(
                tf.math.abs(tf.reduce_sum(tf.math.square(chol), axis=-1) - 1.),
                tol, message=prefix + "its rows must have unit Euclidean norm."),
        ]

    def _parameter_control_dependencies(self, is_init):
        if not self.validate_args:
            return []
        assertions = self._logits_probs_assertions(is_init)
        if is_init != tensor_util.is_ref(self._temperature):
            assertions.append(assert_positive(
                tf.convert_to_tensor(self._temperature), "temperature"))
        if (self._correlation is not None
                and is_init != tensor_util.is_ref(self._correlation)):
            assertions.extend(self._correlation_assertions(
                tf.convert_to_tensor(self._correlation)))
        if (self._correlation_cholesky is not None
                and is_init != tensor_util.is_ref(self._correlation_cholesky)):
            assertions.extend(self._cholesky_assertions(
                tf.convert_to_tensor(self._correlation_cholesky)))
        return assertions

    def _sample_control_dependencies(self, x):
        if not self.validate_args:
            return []
        return [
            assert_util.assert_positive(
                x, message="Sample must be in (0, 1); it has components less "
                "than or equal to 0."),
            assert_util.assert_less(
                x, tf.ones([], x.dtype), message="Sample must be in (0, 1); it "
                "has components greater than or equal to 1."),
        ]
