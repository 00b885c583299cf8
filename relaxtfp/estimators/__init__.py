"""Gradient estimators for expectations over discrete random variables.

Every estimator has the same calling convention, so they are
interchangeable in a training loop (a plain `tf.GradientTape` loop or a
Keras `train_step`):

    surrogate = relaxtfp.estimators.NAME(f, logits, *, seed,
                                         num_samples=..., **options)

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
* The result is a scalar: its value is the Monte Carlo estimate of `E[f]`
  (the mean over samples, SUMMED over the prefix elements; divide by the
  batch size for a mean loss), and its gradient with respect to `logits` is
  the estimator. Variables that `f` uses (decoder weights) get the pathwise
  gradient `mean grad f` at the discrete samples.
* `seed` is required (stateless, TFP-style); noise comes from Philox.

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

# The interchangeable estimator functions, in the order of the issue; every
# one has the signature NAME(f, logits, *, seed, num_samples=...,
# categorical=False, ...).
ESTIMATORS = tuple(name for name in (
    "reinforce", "rloo", "arm", "disarm", "rebar", "relax", "gumbel_rao",
    "reinmax") if name in globals())

__all__ = ["ESTIMATORS", "MovingAverageBaseline", "relax_control_variate"] + list(ESTIMATORS)
