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

Samples drawn elsewhere. The estimators draw their own samples and call `f`.
Where that is impossible, as in reinforcement learning (the agent draws its
actions while acting and observes one return for each),
`score_function_surrogate(values, logits, samples, ...)` builds `reinforce`'s
surrogate from the given samples and the values `f` took there. It draws
nothing and calls nothing, so it is not in `ESTIMATORS`.

Arguments shared by every estimator. Each estimator's docstring lists only
its own arguments (and `num_samples` where its meaning differs); these are
documented here once:

* `f`: a callable mapping a float sample of shape `[m] + logits.shape` (0/1
  values, or one-hot along the last axis when `categorical=True`) to real
  values of shape `[m] + batch[:r]`, a PREFIX of the batch shape: the latent
  axes after the prefix form one joint latent per prefix element (reduce
  over them inside `f`). `m` is `num_samples`, except for `arm` and
  `disarm`, which evaluate `f` once on `2 * num_samples` antithetic samples
  (categorical `arm`, ARSM: see its docstring). Integer values are
  converted to the dtype of `logits`, except where `f` is differentiated
  (`gumbel_rao`, `reinmax`, and `rebar`'s relaxed evaluations), where it
  must return floating TensorFlow values computed from its input.
* `logits`: a float `Tensor` (or `tf.Variable`, read inside the caller's
  tape) of static rank: Bernoulli log-odds (default), or categorical logits
  with a trailing category axis of at least one category when
  `categorical=True`. The batch shape is `logits.shape` without the
  category axis. Integer logits are converted to float32.
* `seed`: required keyword; a TFP-style stateless seed: `None` (draws a
  fresh one), a Python int, or an integer tensor of shape [2]. Noise comes
  from Philox.
* `num_samples`: a Python int, the number of samples (evaluations of `f`):
  at least 1 (at least 2 for `rloo`; the number of antithetic pairs for
  `arm` and `disarm`). It sets the graph, so it must be known when the
  graph is built.
* `categorical`: a Python bool, default `False`; `True` for one-hot
  categorical variables (`disarm` is Bernoulli only).
* `validate_args`: a Python bool, default `False`. When `True`, run-time
  assertions (dropped under XLA) refuse NaN logits and, for categorical
  variables, a +inf logit or a variable whose logits are all -inf; and a
  temperature known only at run time must be positive and finite.
* `name`: a Python `str` or `None`, the name scope of the ops (default the
  estimator's name).

What every estimator returns and raises for these arguments:

* The surrogate is a scalar: its value is the Monte Carlo estimate of `E[f]`
  (the mean over samples, SUMMED over the prefix elements; divide by the
  batch size for a mean loss), and its gradient with respect to `logits` is
  the estimator. Variables that `f` uses (decoder weights) get the pathwise
  gradient `mean grad f` at the discrete samples.
* `TypeError` if `f` is not callable, `seed`, `categorical`,
  `validate_args` or `name` is of the wrong kind, `logits` are not real, or
  `f` returns values that are not real (not floating TensorFlow values,
  where `f` is differentiated).
* `ValueError` if `num_samples` is not a Python integer at or above its
  minimum, `seed` does not have shape [2], `logits` have no static rank or,
  when categorical, lack a category axis (or have 0 categories), or `f`
  returns a wrongly shaped value.

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
0."), as listed above for the shared arguments. The estimators' own
arguments follow the same rules: `control_variate` must be callable and
return floating values of `f`'s shape; `temperature` and `scale` must be
real numbers, finite (`temperature` also positive), a scalar or of a shape
that broadcasts to the batch shape, and are cast to the dtype of `logits`
as Keras casts variables to a layer's compute dtype. `rebar` and `relax`
raise when the control variate has no gradient with respect to `z` (a
function computed in NumPy or through `tf.round`), which would make them
biased.

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
from relaxtfp.estimators.score_function import score_function_surrogate
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

__all__ = ["ESTIMATORS", "MovingAverageBaseline", "relax_control_variate",
           "score_function_surrogate"] + list(ESTIMATORS)
