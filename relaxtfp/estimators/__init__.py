"""Gradient estimators for expectations over discrete random variables.

The estimators share one calling convention, so that one training loop (a
plain `tf.GradientTape` loop or a Keras `train_step`) can switch between
them:

    surrogate = relaxtfp.estimators.NAME(f, logits, *, seed,
                                         num_samples=..., **options)

Two of them depart from it: `relax` has a required keyword argument,
`control_variate` (build one with `relax_control_variate`), and `rebar` and
`relax` return a pair `(surrogate, variance_objective)` instead of the
surrogate alone; the second item is the objective on which to train the
control variate's parameters (see their docstrings). The others return the
surrogate only.

* `logits`: Bernoulli log-odds (default), or categorical logits with a
  trailing category axis when `categorical=True`. The batch shape is
  `logits.shape` without the category axis.
* `f`: maps a float sample of shape `[m] + logits.shape` (0/1 values, or
  one-hot along the last axis) to values of shape `[m] + batch[:r]`, a
  PREFIX of the batch shape: the latent axes after the prefix form one joint
  latent per prefix element (reduce over them inside `f`). `m` is
  `num_samples`, except for `arm` and `disarm`, which evaluate `f` once on
  `2 * num_samples` antithetic samples (categorical `arm`, ARSM: see its
  docstring).
* The surrogate is a scalar: its value is the Monte Carlo estimate of `E[f]`
  (the mean over samples, SUMMED over the prefix elements; divide by the
  batch size for a mean loss), and its gradient with respect to `logits` is
  the estimator. Variables that `f` uses (decoder weights) get the pathwise
  gradient `mean grad f` at the discrete samples.
* `seed` is required (stateless, TFP-style); noise comes from Philox.
* At the boundaries: a Bernoulli logit of +inf or -inf (probability
  exactly 1 or 0) and a categorical logit of -inf (a category of
  probability 0) get a gradient of exactly 0, their true derivative, with
  finite values and gradients elsewhere; huge finite logits give finite
  results. NaN logits, a categorical logit of +inf and a categorical
  variable whose logits are all -inf define no distribution and give NaN
  (`validate_args=True` raises instead). Integer logits are converted to
  float32.

| estimator   | unbiased | evaluations of f   | needs differentiable f |
|-------------|----------|--------------------|------------------------|
| reinforce   | yes      | num_samples        | no                     |
| rloo        | yes      | num_samples (>= 2) | no                     |
| arm         | yes      | 2 * num_samples (*)| no                     |
| disarm      | yes      | 2 * num_samples    | no (Bernoulli only)    |
| rebar       | yes      | 3 * num_samples    | yes (at relaxed inputs)|
| relax       | yes      | num_samples (+ 2 * num_samples of c) | no (c must be) |
| gumbel_rao  | no       | num_samples        | yes                    |
| reinmax     | no       | num_samples        | yes                    |

(*) Bernoulli. `arm(..., categorical=True)` is ARSM: `num_samples * (1 + D *
K * (K - 1) / 2)` evaluations for K categories and D categorical variables
per joint latent; `disarm` is Bernoulli only.

Bad and extreme input. Arguments that can be checked when the graph is built
are checked then, and a mistake raises `TypeError` (wrong kind) or
`ValueError` (wrong value or shape) with a message that names the argument
and the rule ("Argument `num_samples` must be a Python integer >= 1; got
0."): `f` and `control_variate` must be callable and return real values of
the documented shape (integer values are converted, except where `f` is
differentiated: `gumbel_rao`, `reinmax`, and `rebar`'s relaxed evaluations);
`num_samples` a Python int; `seed` `None`, an int or an integer tensor of
shape [2]; `categorical` and `validate_args` Python bools; `temperature`
and `scale` real numbers, finite (`temperature` also positive), a scalar or
of a shape that broadcasts to the batch shape, cast to the dtype of
`logits` as Keras casts variables to a layer's compute dtype; integer
`logits` are converted to float32. `rebar` and `relax` raise when the
control variate has no gradient with respect to `z` (a function computed
in NumPy or through `tf.round`), which would make them biased.

Infinite logits are valid where they define a distribution: a Bernoulli
logit of +inf or -inf is the point mass at 1 or 0, and a categorical logit
of -inf a category of probability 0. The derivative of `E[f]` with respect
to such a logit is exactly 0, and every estimator returns exactly 0 there,
with finite values and gradients elsewhere; huge finite logits (up to the
largest float) give finite results too. NaN logits, a categorical logit of
+inf, and a categorical variable whose logits are all -inf define no
distribution: as in TFP's distributions, they give NaN (never a finite
number) by default, and with `validate_args=True` a run-time assertion
raises `InvalidArgumentError` naming `logits`. `validate_args=True` also
checks a temperature that is only known at run time (inside a
`tf.function`). TensorFlow drops assertions under XLA (`jit_compile=True`).

On JAX (`relaxtfp.substrates.jax.estimators`) the same functions run on
TFP's JAX substrate: `jax.grad` of the surrogate with respect to `logits` is
the estimator, as `tape.gradient` is on TensorFlow, and the variance
objective of `rebar` and `relax` is differentiable with respect to the
control variate's parameters (pass them as arguments of the differentiated
function; there are no variables). `seed` is a JAX PRNG key, an int or a
pair of integers (`None` raises: JAX has no global random state).
`MovingAverageBaseline` is functional there: `reinforce(...,
baseline=b)` returns `(surrogate, updated_baseline)` (see its docstring).
Two differences follow from JAX itself. A function without a gradient
(`round`, a constant, NumPy values computed outside JAX) differentiates to
zeros rather than to a missing gradient, so `rebar` and `relax` cannot
refuse such a control variate there as they do on TensorFlow: make sure
that it is differentiable in `z`. Run-time assertions (`validate_args=True`)
raise `ValueError` when the estimator runs eagerly and are dropped under
`jax.jit`, as TensorFlow drops them under XLA.
"""

from relaxtfp.estimators.arm import arm
from relaxtfp.estimators.arm import disarm
from relaxtfp.estimators.rebar import rebar
from relaxtfp.estimators.rebar import relax
from relaxtfp.estimators.rebar import relax_control_variate
from relaxtfp.estimators.score_function import MovingAverageBaseline
from relaxtfp.estimators.score_function import reinforce
from relaxtfp.estimators.score_function import rloo
from relaxtfp.estimators.straight_through import gumbel_rao
from relaxtfp.estimators.straight_through import reinmax

# The estimator functions: score-function estimators first, then the
# control-variate and the biased straight-through ones. Every one has the
# signature NAME(f, logits, *, seed, num_samples=..., categorical=False,
# validate_args=False, ..., name=None); `relax` also requires
# `control_variate`, and `rebar` and `relax` return a pair.
ESTIMATORS = tuple(name for name in (
    "reinforce", "rloo", "arm", "disarm", "rebar", "relax", "gumbel_rao",
    "reinmax") if name in globals())

__all__ = ["ESTIMATORS", "MovingAverageBaseline", "relax_control_variate"] + list(ESTIMATORS)
