"""Bias and variance of every gradient estimator and Bernoulli relaxation.

Two problems, every method at the SAME number of evaluations of `f` per
gradient estimate (`--budget`, default 6):

* Toy: `f(b) = (b - t)^2`, `b ~ Bernoulli(sigmoid(theta))`, `theta = 0`,
  `t = 0.45` and `t = 0.499`. The exact gradient is
  `sigmoid(theta) (1 - sigmoid(theta)) (1 - 2 t)`, i.e. 0.025 and 0.0005.
* VAE: the encoder-logit gradient of `E_q[log p(x|b)]` of a 200-Bernoulli-
  latent VAE with the architecture of `python -m benchmarks.vae --preset paper`
  (encoder 784-512-256-200, decoder 200-256-512-784, ReLU), trained briefly
  with DisARM inside this script and then frozen, on a fixed batch of test
  images binarized with a fixed seed. The exact gradient is unknown; the
  reference is the mean of many DisARM estimates (`--ref-pairs`).

Estimators (`relaxtfp.estimators`) are unbiased or not as documented there;
a relaxation's "gradient" is the reparameterization gradient
`d/dlogits mean_i f(sample_i)` with `f` evaluated at the relaxed (or
straight-through) sample, and its bias is measured against the gradient of
the DISCRETE objective `E_{b ~ Bernoulli(sigmoid(logits))}[f(b)]`.
See `docs/estimator_variance.md` for the settings of every method.

    python benchmarks/estimator_variance.py --data-dir DIR
    python benchmarks/estimator_variance.py --quick        # digits, small R

Outputs: a markdown table file, a JSON file, a PNG figure and one markdown
snippet per relaxation module (`--snippet-dir`) for the distributions' pages,
in `benchmarks/results/` by default; a `--quick` run writes them to
`bench_output/` instead.
"""

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402
from scipy import special  # noqa: E402
from tqdm import tqdm  # noqa: E402

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, _ROOT)
sys.path.insert(0, os.path.join(_ROOT, "examples"))
sys.path.insert(0, os.path.join(_ROOT, "benchmarks"))

import bench_io  # noqa: E402

import relaxtfp  # noqa: E402
import relaxtfp.distributions as rd  # noqa: E402

tfd = tfp.distributions
est = relaxtfp.estimators

TOY_TARGETS = (0.45, 0.499)
TOY_THETA = 0.
TEMPERATURE = 0.5           # relaxations, gumbel_rao and rebar
GAUSSIAN_SCALE = 0.5        # GaussianRelaxedBernoulli, as in benchmarks/vae
HIDDEN = (512, 256)
NUM_LATENTS = 200


# --------------------------------------------------------------------------
# Methods.
# --------------------------------------------------------------------------

class Method:
    """One estimator or relaxation.

    Attributes:
      name: row label.
      kind: "estimator" or "relaxation".
      evals_per_sample: evaluations of `f` per sample (per antithetic pair
        for arm/disarm).
      unbiased: whether the method is unbiased for the discrete objective.
      setting: the stated configuration, for the table.
      module: the `relaxtfp.distributions` module whose docs page shows the
        rows (relaxations), or None.
    """

    def __init__(self, name, kind, evals_per_sample, unbiased, setting,
                 module=None):
        self.name, self.kind = name, kind
        self.evals_per_sample = evals_per_sample
        self.unbiased, self.setting, self.module = unbiased, setting, module

    def num_samples(self, budget):
        if budget % self.evals_per_sample:
            raise ValueError(f"--budget {budget} is not a multiple of {self.name}'s "
                             f"{self.evals_per_sample} evaluations per sample.")
        return budget // self.evals_per_sample


METHODS = (
    Method("reinforce", "estimator", 1, True, "no baseline"),
    Method("rloo", "estimator", 1, True, "leave-one-out baseline"),
    Method("arm", "estimator", 2, True, "antithetic pairs"),
    Method("disarm", "estimator", 2, True, "antithetic pairs"),
    Method("rebar", "estimator", 3, True, f"temperature {TEMPERATURE}, scale 1, fixed"),
    Method("rebar_tuned", "estimator", 3, True,
           "temperature and scale trained on the variance objective"),
    Method("relax", "estimator", 3, True,
           "c = scale f(relaxed) + MLP(z), all trained on the variance objective"),
    Method("gumbel_rao", "estimator", 1, False,
           f"temperature {TEMPERATURE}, 10 Rao samples"),
    Method("reinmax", "estimator", 1, False, "temperature 1"),
    Method("straight_through_bernoulli", "relaxation", 1, False, "identity backward",
           "straight_through_bernoulli"),
    Method("straight_through_relaxed_bernoulli", "relaxation", 1, False,
           f"temperature {TEMPERATURE}", "straight_through_relaxed_bernoulli"),
    Method("correlated_relaxed_bernoulli", "relaxation", 1, False,
           f"temperature {TEMPERATURE}, identity correlation",
           "correlated_relaxed_bernoulli"),
    Method("gaussian_relaxed_bernoulli", "relaxation", 1, False,
           f"scale {GAUSSIAN_SCALE}, loc = scale ndtri(sigmoid(logits))",
           "gaussian_relaxed_bernoulli"),
    Method("hard_concrete", "relaxation", 1, False,
           f"temperature {TEMPERATURE}, (low, high) = (-0.1, 1.1), P(z > 0) = sigmoid(logits)",
           "hard_concrete"),
    Method("stochastic_times_smooth", "relaxation", 1, False,
           "probs = sigmoid(logits)^2 (gate opens w.p. sigmoid(logits))",
           "stochastic_times_smooth"),
    Method("rebar_relaxation", "relaxation", 1, False, f"temperature {TEMPERATURE}",
           "rebar_relaxation"),
    Method("tfd.RelaxedBernoulli", "relaxation", 1, False,
           f"temperature {TEMPERATURE} (TFP reference)"),
)
METHOD_BY_NAME = {m.name: m for m in METHODS}
# The docs page of each relaxation module also shows these estimator rows.
EXTRA_SNIPPET_ROWS = {"rebar_relaxation": ("rebar", "rebar_tuned", "relax")}


def budgets(budget, methods=None):
    """{method: (num_samples, evaluations of f per estimate)} for `methods`
    (default: the Bernoulli problems' METHODS)."""
    out = {}
    for m in METHODS if methods is None else methods:
        n = m.num_samples(budget)
        out[m.name] = (n, n * m.evals_per_sample)
    return out


def _relaxed_sample(name, logits, num_samples, seed):
    """`[num_samples] + logits.shape` reparameterized samples of relaxation
    `name`, parameterized so that its discrete law is
    Bernoulli(sigmoid(logits)) (see METHODS' settings)."""
    dtype = logits.dtype
    tau = tf.constant(TEMPERATURE, dtype)
    if name == "straight_through_bernoulli":
        dist = rd.StraightThroughBernoulli(logits=logits)
    elif name == "straight_through_relaxed_bernoulli":
        dist = rd.StraightThroughRelaxedBernoulli(tau, logits=logits)
    elif name == "correlated_relaxed_bernoulli":
        d = logits.shape[-1]
        dist = rd.CorrelatedRelaxedBernoulli(tau, logits=logits,
                                             correlation=tf.eye(d, dtype=dtype))
    elif name == "gaussian_relaxed_bernoulli":
        scale = tf.constant(GAUSSIAN_SCALE, dtype)
        loc = scale * tf.math.ndtri(tf.math.sigmoid(logits))
        dist = rd.GaussianRelaxedBernoulli(loc=loc, scale=scale)
    elif name == "hard_concrete":
        shift = TEMPERATURE * (math.log(0.1) - math.log(1.1))
        dist = rd.HardConcrete(tau, logits=logits + shift, low=-0.1, high=1.1)
    elif name == "stochastic_times_smooth":
        dist = rd.StochasticTimesSmooth(probs=tf.math.square(tf.math.sigmoid(logits)))
    elif name == "rebar_relaxation":
        dist = rd.RebarRelaxation(tau, logits=logits)
    elif name == "tfd.RelaxedBernoulli":
        dist = tfd.RelaxedBernoulli(tau, logits=logits)
    else:
        raise ValueError(name)
    return dist.sample(num_samples, seed=seed)


class ControlVariate:
    """Trainable REBAR / RELAX control-variate parameters.

    `network_fn(z)` maps `z` of shape `[2n] + logits.shape` to `f`'s output
    shape; None for REBAR.
    """

    def __init__(self, dtype, network=None, network_fn=None):
        self.log_temperature = tf.Variable(tf.math.log(tf.constant(TEMPERATURE, dtype)))
        self.scale = tf.Variable(tf.constant(1., dtype))
        self.network, self.network_fn = network, network_fn

    @property
    def variables(self):
        extra = self.network.trainable_variables if self.network is not None else []
        return [self.log_temperature, self.scale] + list(extra)

    def __call__(self, f):
        return est.relax_control_variate(
            f, temperature=tf.exp(self.log_temperature), scale=self.scale,
            network=self.network_fn)


def gradient(name, f, logits, seed, budget, cv=None, with_objective=False):
    """One call of method `name` on `logits` (all replicas at once):
    its gradient with respect to `logits` (and the variance objective for
    rebar/relax when `with_objective`)."""
    method = METHOD_BY_NAME[name]
    n = method.num_samples(budget)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        objective = None
        if method.kind == "relaxation":
            z = _relaxed_sample(name, logits, n, seed)
            surrogate = tf.reduce_sum(tf.reduce_mean(f(z), axis=0))
        elif name == "reinforce":
            surrogate = est.reinforce(f, logits, seed=seed, num_samples=n)
        elif name in ("rloo", "arm", "disarm"):
            surrogate = getattr(est, name)(f, logits, seed=seed, num_samples=n)
        elif name == "rebar":
            surrogate, objective = est.rebar(f, logits, seed=seed, num_samples=n,
                                             temperature=TEMPERATURE, scale=1.)
        elif name in ("rebar_tuned", "relax"):
            surrogate, objective = est.relax(f, logits, seed=seed, num_samples=n,
                                             control_variate=cv(f))
        elif name == "gumbel_rao":
            surrogate = est.gumbel_rao(f, logits, seed=seed, num_samples=n,
                                       temperature=TEMPERATURE, num_rao_samples=10)
        elif name == "reinmax":
            surrogate = est.reinmax(f, logits, seed=seed, num_samples=n, temperature=1.)
        else:
            raise ValueError(name)
    grad = tape.gradient(surrogate, logits)
    if with_objective:
        return grad, objective
    return grad


def train_control_variate(cv, f, logits, steps, learning_rate, seed, budget, name,
                          eager=False):
    """Adam on the variance objective of `name`, divided by the number of
    latent rows (replicas, times images for the VAE)."""
    opt = keras.optimizers.Adam(learning_rate)
    num = int(logits.shape[0])

    def step(seed):
        with tf.GradientTape() as tape:
            _, objective = gradient(name, f, logits, seed, budget, cv,
                                    with_objective=True)
            loss = objective / num
        grads = tape.gradient(loss, cv.variables)
        opt.apply_gradients(zip(grads, cv.variables))
        return loss

    if not eager:
        step = tf.function(step)
    losses = []
    for i in tqdm(range(steps), desc=f"train {name} control variate", file=sys.stderr,
                  leave=False):
        losses.append(float(step(tf.constant([seed, i], tf.int32))))
    return losses


class _MLP(tf.Module):
    """`Dense(units, tanh) -> Dense(1)` on the last axis, any leading shape."""

    def __init__(self, units, dtype, input_dim, seed):
        super().__init__()
        self.hidden = keras.layers.Dense(
            units, activation="tanh", dtype=dtype,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed))
        self.out = keras.layers.Dense(
            1, dtype=dtype, kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 1))
        self.hidden.build((None, input_dim))
        self.out.build((None, units))

    @property
    def trainable_variables(self):
        return self.hidden.trainable_variables + self.out.trainable_variables

    def __call__(self, z):
        return self.out(self.hidden(z))


def _mlp(units, dtype, input_dim, seed=0):
    return _MLP(units, dtype, input_dim, seed)


# --------------------------------------------------------------------------
# Toy problem.
# --------------------------------------------------------------------------

def toy_exact(theta, target):
    p = special.expit(theta)
    return p * (1. - p) * (1. - 2. * target)


def toy_stats(g, exact):
    g = np.asarray(g, np.float64)
    r = g.size
    mean, sd = g.mean(), g.std(ddof=1)
    return dict(mean=mean, bias=mean - exact, bias_se=sd / math.sqrt(r), sd=sd,
                variance=sd ** 2, snr=abs(exact) / sd if sd > 0 else math.inf,
                sign_agreement=float(np.mean(np.sign(g) == np.sign(exact))),
                replicas=r)


def run_toy(target, args, seed):
    """{method: stats} for one target t."""
    dtype = tf.float32
    t = tf.constant(target, dtype)

    def f(b):                                     # [m, R] -> [m, R]
        return tf.math.square(b - t)

    def f_crb(z):                                 # [m, R, 1] -> [m, R]
        return f(z[..., 0])

    exact = toy_exact(TOY_THETA, target)
    results = {}
    cvs = {}
    for name, hidden in (("rebar_tuned", None), ("relax", 16)):
        net = _mlp(hidden, "float32", 1, seed) if hidden else None
        fn = (lambda z, net=net: net(z[..., None])[..., 0]) if net else None
        cvs[name] = ControlVariate(dtype, net, fn)
        train_logits = tf.fill([args.toy_train_replicas], tf.constant(TOY_THETA, dtype))
        losses = train_control_variate(cvs[name], f, train_logits, args.cv_steps,
                                       args.toy_cv_lr, seed + 1, args.budget, name,
                                       eager=args.eager)
        results.setdefault("_training", {})[name] = dict(
            steps=args.cv_steps, first_loss=losses[0] if losses else None,
            last_loss=losses[-1] if losses else None,
            temperature=float(tf.exp(cvs[name].log_temperature)),
            scale=float(cvs[name].scale))
    logits = tf.fill([args.toy_replicas], tf.constant(TOY_THETA, dtype))
    for i, method in enumerate(tqdm(METHODS, desc=f"toy t={target}", file=sys.stderr)):
        ff = f_crb if method.name == "correlated_relaxed_bernoulli" else f
        lg = logits[:, None] if method.name == "correlated_relaxed_bernoulli" else logits
        start = time.perf_counter()
        g = gradient(method.name, ff, lg, tf.constant([seed, 1000 + i]), args.budget,
                     cvs.get(method.name))
        elapsed = time.perf_counter() - start
        stats = toy_stats(np.reshape(g.numpy(), [-1]), exact)
        stats["seconds_per_estimate"] = elapsed / args.toy_replicas
        results[method.name] = stats
    return dict(target=target, theta=TOY_THETA, exact=exact, methods=results)


# --------------------------------------------------------------------------
# Categorical toy problem.
# --------------------------------------------------------------------------

CAT_LOGITS = (0.5, 0., -0.5, 0.25)   # one categorical variable, K = 4
CAT_VALUES = (0., 1., 2., 3.)        # c: f(z) = (sum_k z_k c_k - t)^2
CAT_TARGET = 1.3                     # t
CAT_K = len(CAT_LOGITS)
# Evaluations of f per sample: ARSM 1 + K (K - 1) / 2 = 7, rebar 3, others 1;
# the default categorical budget 21 is their least common multiple.
ARSM_EVALS = 1 + CAT_K * (CAT_K - 1) // 2

CAT_METHODS = (
    Method("reinforce", "estimator", 1, True, "no baseline"),
    Method("rloo", "estimator", 1, True, "leave-one-out baseline"),
    Method("arm", "estimator", ARSM_EVALS, True,
       f"ARSM: 1 + K(K-1)/2 = {ARSM_EVALS} evaluations per sample"),
    Method("rebar", "estimator", 3, True, f"temperature {TEMPERATURE}, scale 1, fixed"),
    Method("gumbel_rao", "estimator", 1, False, f"temperature {TEMPERATURE}, 10 Rao samples"),
    Method("reinmax", "estimator", 1, False, f"temperature {TEMPERATURE}"),
    Method("straight_through_gumbel_softmax", "relaxation", 1, False,
       f"temperature {TEMPERATURE}", "straight_through_gumbel_softmax"),
    Method("decoupled_straight_through_gumbel_softmax", "relaxation", 1, False,
       f"forward temperature 1 (the only one whose forward law is the categorical's), "
       f"backward temperature {TEMPERATURE}", "decoupled_straight_through_gumbel_softmax"),
    Method("generalized_gumbel_softmax", "relaxation", 1, False,
       f"temperature {TEMPERATURE}, values 0..K-1 = c, hard=False; f at the relaxed "
       "one-hot weights", "generalized_gumbel_softmax"),
    Method("tfd.RelaxedOneHotCategorical", "relaxation", 1, False,
       f"temperature {TEMPERATURE} (TFP reference)"),
    Method("invertible_gaussian", "simplex", 1, False,
       f"loc = logits[:K-1] - logits[K-1], scale 1, temperature {TEMPERATURE}, delta 1; "
       "gradient wrt loc", "invertible_gaussian"),
    Method("logistic_normal_softmax", "simplex", 1, False,
       "loc = logits, scale 1; gradient wrt loc", "logistic_normal_softmax"),
)
CAT_METHOD_BY_NAME = {m.name: m for m in CAT_METHODS}


def cat_budgets(budget):
    """`budgets` of the categorical toy's methods."""
    return budgets(budget, CAT_METHODS)


def cat_exact():
    """Exact d E[f] / d logits by enumeration: p_j (f(e_j) - E[f])."""
    logits = np.asarray(CAT_LOGITS, np.float64)
    p = special.softmax(logits)
    values = (np.asarray(CAT_VALUES) - CAT_TARGET) ** 2
    return p * (values - np.dot(p, values))


def cat_gradient(name, f, logits, seed, budget):
    """One call of categorical method `name` on `[R, K]` logits: the
    gradient wrt the logits (wrt loc for the "simplex" laws)."""
    method = CAT_METHOD_BY_NAME[name]
    n = method.num_samples(budget)
    dtype = logits.dtype
    tau = tf.constant(TEMPERATURE, dtype)
    if method.kind == "simplex":
        if name == "invertible_gaussian":
            param = logits[..., :-1] - logits[..., -1:]
        else:
            param = tf.identity(logits)
        with tf.GradientTape() as tape:
            tape.watch(param)
            if name == "invertible_gaussian":
                dist = rd.InvertibleGaussian(param, tf.ones_like(param), tau)
            else:
                dist = rd.LogisticNormalSoftmax(param, scale=tf.ones_like(param))
            surrogate = tf.reduce_sum(tf.reduce_mean(f(dist.sample(n, seed=seed)), axis=0))
        return tape.gradient(surrogate, param)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        if method.kind == "relaxation":
            if name == "straight_through_gumbel_softmax":
                dist = rd.StraightThroughGumbelSoftmax(tau, logits=logits)
            elif name == "decoupled_straight_through_gumbel_softmax":
                dist = rd.DecoupledStraightThroughGumbelSoftmax(
                    tf.constant(1., dtype), tau, logits=logits)
            elif name == "generalized_gumbel_softmax":
                dist = rd.GeneralizedGumbelSoftmax(
                    tf.constant(CAT_VALUES, dtype), tau, logits=logits)
            elif name == "tfd.RelaxedOneHotCategorical":
                dist = tfd.RelaxedOneHotCategorical(tau, logits=logits)
            else:
                raise ValueError(name)
            surrogate = tf.reduce_sum(tf.reduce_mean(f(dist.sample(n, seed=seed)), axis=0))
        elif name in ("reinforce", "rloo", "arm"):
            surrogate = getattr(est, name)(f, logits, seed=seed, num_samples=n,
                                           categorical=True)
        elif name == "rebar":
            surrogate, _ = est.rebar(f, logits, seed=seed, num_samples=n, categorical=True,
                                     temperature=TEMPERATURE, scale=1.)
        elif name == "gumbel_rao":
            surrogate = est.gumbel_rao(f, logits, seed=seed, num_samples=n, categorical=True,
                                       temperature=TEMPERATURE, num_rao_samples=10)
        elif name == "reinmax":
            surrogate = est.reinmax(f, logits, seed=seed, num_samples=n, categorical=True,
                                    temperature=TEMPERATURE)
        else:
            raise ValueError(name)
    return tape.gradient(surrogate, logits)


def cat_stats(g, exact):
    """Per-coordinate bias and s.e., and summaries over the coordinates, of
    replicas `g` of shape `[R, d]` (exact None: variance only)."""
    g = np.asarray(g, np.float64)
    r = g.shape[0]
    mean, sd = g.mean(axis=0), g.std(axis=0, ddof=1)
    total_variance = float(np.sum(sd ** 2))
    out = dict(mean=mean.tolist(), sd=sd.tolist(), total_variance=total_variance,
               replicas=r)
    if exact is not None:
        bias = mean - exact
        se = sd / math.sqrt(r)
        out.update(
            bias=bias.tolist(), bias_se=se.tolist(),
            bias_norm=float(np.linalg.norm(bias)),
            noise_norm=math.sqrt(total_variance / r),
            max_z=float(np.max(np.abs(bias) / np.maximum(se, 1e-30))),
            snr=float(np.linalg.norm(exact) / math.sqrt(total_variance))
            if total_variance > 0 else math.inf,
            cosine=float(np.mean(g @ exact / np.maximum(
                np.linalg.norm(g, axis=1) * np.linalg.norm(exact), 1e-30))))
    return out


def run_categorical(args, seed):
    dtype = tf.float32
    c = tf.constant(CAT_VALUES, dtype)
    t = tf.constant(CAT_TARGET, dtype)

    def f(z):                                     # [m, R, K] -> [m, R]
        return tf.math.square(tf.reduce_sum(z * c, axis=-1) - t)

    exact = cat_exact()
    logits = tf.tile(tf.constant([CAT_LOGITS], dtype), [args.cat_replicas, 1])
    results = {}
    for i, method in enumerate(tqdm(CAT_METHODS, desc="categorical toy", file=sys.stderr)):
        start = time.perf_counter()
        g = cat_gradient(method.name, f, logits, tf.constant([seed, 2000 + i]),
                         args.cat_budget)
        elapsed = time.perf_counter() - start
        stats = cat_stats(g.numpy(), None if method.kind == "simplex" else exact)
        stats["seconds_per_estimate"] = elapsed / args.cat_replicas
        results[method.name] = stats
    return dict(logits=list(CAT_LOGITS), values=list(CAT_VALUES), target=CAT_TARGET,
                temperature=TEMPERATURE, exact=exact.tolist(), budget=args.cat_budget,
                budgets={k: dict(num_samples=v[0], evaluations=v[1])
                         for k, v in cat_budgets(args.cat_budget).items()},
                settings={m.name: m.setting for m in CAT_METHODS},
                unbiased={m.name: m.unbiased for m in CAT_METHODS},
                command=None, date=datetime.date.today().isoformat(),
                methods=results)


# --------------------------------------------------------------------------
# VAE problem.
# --------------------------------------------------------------------------

def build_vae(num_pixels, seed):
    keras.utils.set_random_seed(seed)
    x = keras.Input((num_pixels,))
    h = x
    for units in HIDDEN:
        h = keras.layers.Dense(units, activation="relu")(h)
    encoder = keras.Model(x, keras.layers.Dense(NUM_LATENTS)(h), name="encoder")
    z = keras.Input((NUM_LATENTS,))
    h = z
    for units in reversed(HIDDEN):
        h = keras.layers.Dense(units, activation="relu")(h)
    decoder = keras.Model(z, keras.layers.Dense(num_pixels)(h), name="decoder")
    return encoder, decoder


def log_likelihood_fn(decoder, x):
    """f(b) = log p(x|b): b `[m, N, 200]` -> `[m, N]`, x `[N, pixels]`.

    Replicas and images share one flat axis N (the latents of a rank-2
    logits tensor), which keeps every estimator's internal tensors within
    the rank that TensorFlow's CPU softmax kernel accepts (gumbel_rao adds
    two axes to the logits' rank)."""
    num_pixels = x.shape[-1]

    def f(b):
        shape = tf.shape(b)
        pixel_logits = decoder(tf.reshape(b, [-1, NUM_LATENTS]))
        pixel_logits = tf.reshape(pixel_logits, tf.concat([shape[:-1], [num_pixels]], 0))
        labels = tf.broadcast_to(x, tf.shape(pixel_logits))
        return -tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=labels, logits=pixel_logits), axis=-1)

    return f


def train_vae(encoder, decoder, train, steps, batch_size, seed, eager=False):
    """DisARM (1 pair) on the reconstruction term + closed-form KL to a
    uniform Bernoulli prior, dynamic binarization, Adam 1e-3."""
    opt = keras.optimizers.Adam(1e-3)
    variables = encoder.trainable_variables + decoder.trainable_variables
    train = tf.constant(train)

    def step(i):
        s = tf.stack([seed, i])
        idx = tf.random.stateless_uniform([batch_size], s, maxval=train.shape[0],
                                          dtype=tf.int32)
        x = tf.gather(train, idx)
        x = tf.cast(tf.random.stateless_uniform(tf.shape(x), s + 1) < x, tf.float32)
        with tf.GradientTape() as tape:
            logits = encoder(x)
            f = log_likelihood_fn(decoder, x)
            recon = est.disarm(f, logits, seed=s + 2, num_samples=1)
            kl = tf.reduce_sum(relaxtfp.layers.bernoulli.bernoulli_kl_from_logits(
                logits, 0.5))
            loss = (kl - recon) / batch_size
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables))
        return loss

    if not eager:
        step = tf.function(step)
    losses = []
    for i in tqdm(range(steps), desc="train VAE (DisARM)", file=sys.stderr, leave=False):
        losses.append(float(step(tf.constant(i, tf.int32))))
    return losses


def reference_gradient(decoder, x, logits, total_pairs, chunk_pairs, seed):
    """Mean of `total_pairs` single-pair DisARM estimates, and the per-
    coordinate variance of one single-pair estimate."""
    chunks = max(1, total_pairs // chunk_pairs)
    tiled = tf.tile(logits, [chunk_pairs, 1])                      # [C*B, 200]
    f = log_likelihood_fn(decoder, tf.tile(x, [chunk_pairs, 1]))
    total = np.zeros(logits.shape, np.float64)
    total_sq = np.zeros(logits.shape, np.float64)

    @tf.function
    def chunk(seed):
        with tf.GradientTape() as tape:
            tape.watch(tiled)
            s = est.disarm(f, tiled, seed=seed, num_samples=1)
        return tf.reshape(tape.gradient(s, tiled), [chunk_pairs] + logits.shape)

    for c in tqdm(range(chunks), desc="reference (DisARM)", file=sys.stderr, leave=False):
        g = chunk(tf.constant([seed, c], tf.int32)).numpy().astype(np.float64)
        total += g.sum(0)
        total_sq += np.square(g).sum(0)
    n = chunks * chunk_pairs
    mean = total / n
    var = (total_sq - n * np.square(mean)) / (n - 1)
    return mean, var, n


def run_vae(args, data, seed):
    num_pixels = data.train.shape[1]
    encoder, decoder = build_vae(num_pixels, seed)
    start = time.perf_counter()
    losses = train_vae(encoder, decoder, data.train, args.train_steps, 100, seed,
                       eager=args.eager)
    train_seconds = time.perf_counter() - start
    rng = np.random.default_rng(seed)
    idx = rng.choice(data.test.shape[0], args.images, replace=False)
    x = (rng.uniform(size=(args.images, num_pixels)) < data.test[idx]).astype(np.float32)
    x = tf.constant(x)
    logits = encoder(x)                                        # [B, 200]

    start = time.perf_counter()
    ref, ref_var, ref_n = reference_gradient(decoder, x, logits, args.ref_pairs,
                                             args.ref_chunk, seed + 7)
    ref_seconds = time.perf_counter() - start
    ref_norm = float(np.linalg.norm(ref))
    # Squared norm of the reference's own noise: sum of var / n.
    ref_noise_sq = float(ref_var.sum() / ref_n)

    training = {}
    cvs = {}
    train_logits = tf.tile(logits, [args.vae_train_replicas, 1])
    f = log_likelihood_fn(decoder, tf.tile(x, [args.vae_train_replicas, 1]))
    for name, hidden in (("rebar_tuned", None), ("relax", 64)):
        net = _mlp(hidden, "float32", NUM_LATENTS, seed) if hidden else None
        fn = (lambda z, net=net: net(z)[..., 0]) if net else None
        cvs[name] = ControlVariate(tf.float32, net, fn)
        cv_losses = train_control_variate(cvs[name], f, train_logits, args.vae_cv_steps,
                                          args.vae_cv_lr, seed + 3, args.budget, name,
                                          eager=args.eager)
        training[name] = dict(
            steps=args.vae_cv_steps, first_loss=cv_losses[0] if cv_losses else None,
            last_loss=cv_losses[-1] if cv_losses else None,
            temperature=float(tf.exp(cvs[name].log_temperature)),
            scale=float(cvs[name].scale))

    tiled = tf.tile(logits, [args.vae_replicas, 1])           # [R*B, 200]
    f = log_likelihood_fn(decoder, tf.tile(x, [args.vae_replicas, 1]))
    shape = [args.vae_replicas] + logits.shape
    one = logits                                              # R = 1, for timing
    f_one = log_likelihood_fn(decoder, x)
    results = {}
    for i, method in enumerate(tqdm(METHODS, desc="VAE", file=sys.stderr)):
        name = method.name
        cv = cvs.get(name)
        g = gradient(name, f, tiled, tf.constant([seed, 2000 + i], tf.int32),
                     args.budget, cv)
        g = tf.reshape(g, shape).numpy().astype(np.float64)
        r = g.shape[0]
        mean = g.mean(0)
        var = g.var(0, ddof=1)                                     # [B, 200]
        total_var = float(var.sum(-1).mean())                      # per image
        diff = float(np.linalg.norm(mean - ref))
        noise = math.sqrt(float(var.sum()) / r + ref_noise_sq)

        def step(seed, name=name, cv=cv):
            return gradient(name, f_one, one, seed, args.budget, cv)

        if not args.eager:
            step = tf.function(step)
        times = []
        for k in range(args.timing_calls + 1):        # the first call traces
            start = time.perf_counter()
            step(tf.constant([seed, 9000 + k], tf.int32)).numpy()
            times.append(time.perf_counter() - start)
        results[name] = dict(
            total_variance=total_var, relative_bias=diff / ref_norm,
            relative_bias_debiased=math.sqrt(max(diff ** 2 - noise ** 2, 0.)) / ref_norm,
            relative_bias_noise=noise / ref_norm, bias_to_noise=diff / noise,
            seconds_per_estimate=min(times[1:]), replicas=r)
    return dict(images=args.images, dataset=data.name, data_source=data.source,
                num_pixels=num_pixels, train_steps=args.train_steps,
                train_loss_first=losses[0] if losses else None,
                train_loss_last=float(np.mean(losses[-20:])) if losses else None,
                train_seconds=train_seconds, reference_pairs=ref_n,
                reference_seconds=ref_seconds, reference_norm=ref_norm,
                reference_relative_noise=math.sqrt(ref_noise_sq) / ref_norm,
                control_variates=training, methods=results)


# --------------------------------------------------------------------------
# Output.
# --------------------------------------------------------------------------

def _number(x, digits=3):
    if x is None:
        return "-"
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if abs(x) >= 1e4 or abs(x) < 1e-3:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def _evals(name, budget):
    m = METHOD_BY_NAME[name]
    n = m.num_samples(budget)
    label = f"{n} pairs" if name in ("arm", "disarm") else f"{n}"
    return label


TOY_HEADER = ("| method | samples | mean | bias ± s.e. | sd | variance | SNR | P(sign ok) |\n"
              "|---|---|---|---|---|---|---|---|\n")
VAE_HEADER = ("| method | samples | total variance | rel. bias | noise level | "
              "bias / noise | rel. bias, noise removed | ms per estimate |\n"
              "|---|---|---|---|---|---|---|---|\n")


def toy_row(name, s, budget):
    return (f"| {name} | {_evals(name, budget)} | {_number(s['mean'])} | "
            f"{_number(s['bias'])} ± {_number(s['bias_se'], 2)} | {_number(s['sd'])} | "
            f"{_number(s['variance'])} | {_number(s['snr'])} | {s['sign_agreement']:.3f} |\n")


def vae_row(name, s, budget):
    return (f"| {name} | {_evals(name, budget)} | {_number(s['total_variance'])} | "
            f"{_number(s['relative_bias'])} | {_number(s['relative_bias_noise'])} | "
            f"{s['bias_to_noise']:.2f} | "
            f"{_number(s['relative_bias_debiased']) if _resolved('vae', s) else 'n.r.'} | "
            f"{_number(1e3 * s['seconds_per_estimate'])} |\n")


def markdown(results, command, budget):
    toy, vae = results["toy"], results.get("vae")
    lines = [f"Command: `{command}`  \n",
             f"Machine: {results['cores']} CPU cores ({results['platform']}); "
             f"date {results['date']}; wall time {results['wall_seconds']:.0f} s.\n\n",
             f"Every method at {budget} evaluations of `f` per gradient estimate "
             "(`samples`: samples per estimate; arm/disarm: antithetic pairs; rebar and "
             "relax: 3 evaluations per sample, 1 at the discrete sample and 2 of the "
             "relaxed `f` inside the control variate).\n\n"]
    for t in toy:
        lines.append(f"**Toy problem**, t = {t['target']}, theta = {t['theta']:g}, "
                     f"exact gradient {t['exact']:.6g}; "
                     f"{next(iter(v['replicas'] for k, v in t['methods'].items() if k[0] != '_'))}"
                     " replicas per method.\n\n")
        lines.append(TOY_HEADER)
        for m in METHODS:
            lines.append(toy_row(m.name, t["methods"][m.name], budget))
        lines.append("\n")
        cv = t["methods"]["_training"]
        lines.append(_cv_note(cv) + "\n\n")
    if vae is not None:
        lines.append(
            f"**VAE encoder gradient** ({vae['dataset']}, {vae['num_pixels']} pixels): "
            f"trained {vae['train_steps']} DisARM steps (last-20 mean loss "
            f"{_number(vae['train_loss_last'])} nats), then frozen; gradient of "
            f"E_q[log p(x|b)] wrt the [{vae['images']}, 200] encoder logits of a fixed "
            f"binarized test batch; {next(iter(vae['methods'].values()))['replicas']} "
            f"replicas per method. Reference: mean of {vae['reference_pairs']} "
            f"single-pair DisARM estimates (its own relative noise "
            f"{_number(vae['reference_relative_noise'])}). Total variance: sum over the 200 "
            "coordinates of the per-coordinate variance, mean over images. "
            "Rel. bias: ||mean - ref|| / ||ref||; noise level: the value that figure "
            "has for an unbiased method (sqrt(sum var / R + reference noise) / ||ref||); "
            "bias / noise near 1 means no bias resolved (for an unbiased method it "
            "concentrates within a few percent of 1 over the B x 200 coordinates); "
            "noise removed: sqrt(||mean - ref||^2 - noise^2) / ||ref||, shown where "
            "bias / noise > 1.2 (n.r.: not resolved). "
            f"ms per estimate: one estimate for the {vae['images']} images (R = 1), "
            f"{'eager' if results['eager'] else 'under `tf.function`'}, fastest of "
            f"{results['timing_calls']} calls after the first (on a machine shared with "
            "other jobs).\n\n")
        lines.append(VAE_HEADER)
        for m in METHODS:
            lines.append(vae_row(m.name, vae["methods"][m.name], budget))
        lines.append("\n" + _cv_note(vae["control_variates"]) + "\n")
    if results.get("categorical") is not None:
        lines.append("\n" + cat_markdown(results["categorical"]))
    return "".join(lines)


CAT_HEADER = ("| method | samples | mean gradient | bias (per coordinate) | "
              "max \\|bias\\| / s.e. | ‖bias‖ (noise) | total variance | SNR | "
              "mean cosine |\n|---|---|---|---|---|---|---|---|---|\n")


def _vec(v, digits=3):
    return "(" + ", ".join(_number(x, digits) for x in v) + ")"


def cat_row(name, s, budget):
    m = CAT_METHOD_BY_NAME[name]
    n = m.num_samples(budget)
    if "bias" not in s:
        return (f"| {name} | {n} | {_vec(s['mean'])} (wrt loc) | n/a | n/a | n/a | "
                f"{_number(s['total_variance'])} | n/a | n/a |\n")
    return (f"| {name} | {n} | {_vec(s['mean'])} | {_vec(s['bias'], 2)} | "
            f"{s['max_z']:.1f} | {_number(s['bias_norm'], 2)} ({_number(s['noise_norm'], 2)}) | "
            f"{_number(s['total_variance'])} | {_number(s['snr'])} | {s['cosine']:.3f} |\n")


def cat_description(cat):
    return (f"**Categorical toy problem**: one categorical variable, K = {len(cat['logits'])}, "
            f"logits {tuple(cat['logits'])}, `f(z) = (sum_k z_k c_k - t)^2` of the one-hot "
            f"`z` with c = {tuple(cat['values'])}, t = {cat['target']}; exact gradient "
            f"wrt the logits by enumeration {_vec(cat['exact'], 4)}; temperature "
            f"{cat['temperature']} throughout; "
            f"{next(iter(cat['methods'].values()))['replicas']} replicas per method; every "
            f"method at {cat['budget']} evaluations of `f` per estimate (`samples`: samples "
            f"per estimate; arm is ARSM, {ARSM_EVALS} evaluations per sample; rebar 3 per "
            "sample). Bias per coordinate; max \\|bias\\| / s.e. over the K coordinates (an "
            "unbiased method stays below about 3); ‖bias‖ with, in brackets, the value "
            "it has for an unbiased method (sqrt(total variance / R)); total variance: sum "
            "of the K per-coordinate variances; SNR: ‖exact‖ / sqrt(total variance); "
            "mean cosine between an estimate and the exact gradient. invertible_gaussian "
            "and logistic_normal_softmax are laws on the simplex parameterized by a "
            "Gaussian `loc` and `scale`, not by the logits of a categorical law, so no "
            "discrete objective (and no bias) is defined for them: their rows give the "
            "gradient wrt `loc` (K - 1 coordinates for invertible_gaussian) and its "
            "variance only. GumbelSoftmaxTopK is a law on subsets, not on one category, "
            f"and is not measured. Command: `{cat['command']}` ({cat['date']}).\n\n")


def cat_markdown(cat):
    lines = [cat_description(cat), CAT_HEADER]
    for m in CAT_METHODS:
        lines.append(cat_row(m.name, cat["methods"][m.name], cat["budget"]))
    return "".join(lines) + "\n"


def _cv_note(cv):
    parts = []
    for name, c in cv.items():
        parts.append(f"{name}: {c['steps']} Adam steps on the variance objective, "
                     f"objective {_number(c['first_loss'])} -> {_number(c['last_loss'])}, "
                     f"temperature {_number(c['temperature'])}, scale {_number(c['scale'])}")
    return "Control variates: " + "; ".join(parts) + "."


def snippets(results, budget):
    """{module: markdown} for the relaxation modules' docs pages."""
    out = {}
    for m in METHODS:
        if m.module is None:
            continue
        names = (m.name,) + EXTRA_SNIPPET_ROWS.get(m.module, ())
        text = [f"Measured by `benchmarks/estimator_variance.py` "
                f"(command: `{results['command']}`, {results['date']}), at "
                f"{budget} evaluations of `f` per estimate; setting: {m.setting}. "
                "Bias is against the gradient of the discrete objective; see "
                "[the estimator benchmark](../estimator_variance.md) for every method.\n\n"]
        for t in results["toy"]:
            text.append(f"Toy problem `(b - {t['target']})^2` at theta = 0 "
                        f"(exact gradient {t['exact']:.4g}):\n\n")
            text.append(TOY_HEADER)
            for n in names:
                text.append(toy_row(n, t["methods"][n], budget))
            text.append("\n")
        if results.get("vae") is not None:
            text.append(f"VAE encoder gradient ({results['vae']['dataset']}):\n\n")
            text.append(VAE_HEADER)
            for n in names:
                text.append(vae_row(n, results["vae"]["methods"][n], budget))
        out[m.module] = "".join(text)
    cat = results.get("categorical")
    if cat is not None:
        for m in CAT_METHODS:
            if m.module is None:
                continue
            names = (m.name,) if m.kind == "simplex" else (m.name, "tfd.RelaxedOneHotCategorical")
            text = [f"Measured by `benchmarks/estimator_variance.py` "
                    f"(command: `{cat['command']}`, {cat['date']}); setting: {m.setting}. "
                    "See [the estimator benchmark](../estimator_variance.md) for every "
                    "categorical method.\n\n", cat_description(cat), CAT_HEADER]
            for n in names:
                text.append(cat_row(n, cat["methods"][n], cat["budget"]))
            out[m.module] = "".join(text)
    return out


def _resolved(kind, s):
    """Whether the bias is resolved: |bias| > 3 s.e. (toy; and above 1e-6,
    float32 rounding of a mean, where the s.e. is 0); the distance to the
    reference exceeds its pure-noise value by 20% (VAE: the distance of an
    unbiased method concentrates within a few percent of the noise level
    over B x 200 coordinates)."""
    if kind == "toy":
        return abs(s["bias"]) > max(3 * s["bias_se"], 1e-6)
    return s["bias_to_noise"] > 1.2


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    panels = [(f"toy, t = {t['target']}", t["methods"], "toy") for t in results["toy"]]
    if results.get("vae") is not None:
        panels.append(("VAE encoder gradient", results["vae"]["methods"], "vae"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 3, 4.2))
    axes = np.atleast_1d(axes)
    cmap = plt.get_cmap("tab20")
    for ax, (title, methods, kind) in zip(axes, panels):
        xs, ys = [], []
        for m in METHODS:
            s = methods[m.name]
            resolved = _resolved(kind, s)
            if kind == "toy":
                xs.append(abs(s["bias"]) if resolved else abs(s["bias"]) + 3 * s["bias_se"])
                ys.append(s["variance"])
            else:
                xs.append(s["relative_bias_debiased"] if resolved
                          else s["relative_bias_noise"])
                ys.append(s["total_variance"])
        x_floor = min([x for x in xs if x > 0] or [1e-6]) / 3
        y_floor = min([y for y in ys if y > 0] or [1e-6]) / 10
        for i, (m, x, y) in enumerate(zip(METHODS, xs, ys)):
            marker = "^" if m.kind == "relaxation" else ("o" if m.unbiased else "s")
            color = cmap(i % 20)
            filled = _resolved(kind, methods[m.name])
            ax.plot(max(x, x_floor), max(y, y_floor), marker, ms=7, color=color,
                    mfc=color if filled else "none", label=m.name)
            if y <= 0:
                ax.annotate(f"{m.name}: variance 0", (max(x, x_floor), y_floor),
                            fontsize=7, xytext=(4, 0), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("|bias| (hollow: |bias| + 3 s.e.)" if kind == "toy" else
                      "relative bias, noise removed (hollow: noise level)")
        ax.set_ylabel("variance" if kind == "toy" else "total variance per image")
        ax.grid(True, which="major", alpha=0.3)
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=7,
                    frameon=False)
    fig.suptitle(f"{results['budget']} evaluations of f per estimate. o unbiased "
                 "estimator, s biased estimator, ^ relaxation. Hollow: bias not resolved, "
                 "drawn at an upper bound (toy: |bias| + 3 s.e.; VAE: the noise level)",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


# --------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------

QUICK = dict(toy_replicas=4000, cat_replicas=4000, toy_train_replicas=64, cv_steps=10,
             train_steps=10,
             images=4, vae_replicas=16, vae_train_replicas=2, vae_cv_steps=3,
             ref_pairs=256, ref_chunk=128, timing_calls=2)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="small R, few steps, digits data (unless --data-dir): "
                        "well under a minute.")
    p.add_argument("--data-dir", help="folder with the four MNIST IDX files.")
    p.add_argument("--dataset", choices=("mnist", "digits"), default=None,
                   help="default: mnist with --data-dir, else digits (8x8, 64-pixel input).")
    p.add_argument("--budget", type=int, default=6,
                   help="evaluations of f per estimate (multiple of 6). Default 6.")
    p.add_argument("--toy-replicas", type=int, default=100_000)
    p.add_argument("--toy-train-replicas", type=int, default=1000)
    p.add_argument("--cv-steps", type=int, default=300,
                   help="Adam steps for the toy REBAR/RELAX control variates.")
    p.add_argument("--toy-cv-lr", type=float, default=1e-2)
    p.add_argument("--train-steps", type=int, default=1000,
                   help="DisARM training steps of the VAE (batch 100).")
    p.add_argument("--images", type=int, default=16, help="test images B.")
    p.add_argument("--vae-replicas", type=int, default=300)
    p.add_argument("--vae-train-replicas", type=int, default=4)
    p.add_argument("--vae-cv-steps", type=int, default=300)
    p.add_argument("--vae-cv-lr", type=float, default=3e-3)
    p.add_argument("--ref-pairs", type=int, default=80_000,
                   help="single-pair DisARM estimates averaged for the VAE reference.")
    p.add_argument("--ref-chunk", type=int, default=500)
    p.add_argument("--no-vae", action="store_true", help="toy problem only.")
    p.add_argument("--cat-budget", type=int, default=21,
                   help="categorical toy: evaluations of f per estimate (multiple of 21 "
                        "= lcm of ARSM's 7 and rebar's 3). Default 21.")
    p.add_argument("--cat-replicas", type=int, default=100_000)
    p.add_argument("--no-categorical", action="store_true",
                   help="skip the categorical toy problem.")
    p.add_argument("--only", choices=("categorical",),
                   help="with --from-json: measure only the categorical toy problem and "
                        "merge it into that JSON (written to --json); the other tables "
                        "keep the JSON's numbers and command.")
    p.add_argument("--from-json", metavar="PATH",
                   help="measure nothing: rewrite the markdown, plot and snippets from "
                        "a JSON file this script wrote (its command stays in them).")
    p.add_argument("--eager", action="store_true",
                   help="no tf.function anywhere (default under --quick, where tracing "
                        "would cost more than the few steps it speeds up).")
    p.add_argument("--timing-calls", type=int, default=5,
                   help="VAE: timed calls per method (fastest reported).")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", help="default: benchmarks/results/estimator_variance.md, "
                   "with --quick bench_output/estimator_variance.md; '' for none.")
    p.add_argument("--json", help="default: benchmarks/results/estimator_variance.json, "
                   "with --quick bench_output/estimator_variance.json; '' for none.")
    p.add_argument("--plot", help="default: benchmarks/results/estimator_variance.png, "
                   "with --quick bench_output/estimator_variance.png; '' for none.")
    p.add_argument("--snippet-dir",
                   help="one markdown snippet per relaxation module; default: "
                        "benchmarks/results/estimator_variance/, with --quick "
                        "bench_output/estimator_variance/; '' for none.")
    args = p.parse_args(argv)
    bench_io.resolve_outputs(
        args, {"markdown": "estimator_variance.md", "json": "estimator_variance.json",
               "plot": "estimator_variance.png", "snippet_dir": "estimator_variance"},
        args.quick)
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) == p.get_default(key):
                setattr(args, key, value)
        args.eager = True
    if args.dataset is None:
        args.dataset = "mnist" if args.data_dir else "digits"
    budgets(args.budget)    # fails early on a budget some method cannot meet
    cat_budgets(args.cat_budget)
    if args.only and not args.from_json:
        p.error("--only categorical needs --from-json (the JSON to merge into).")
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    command = bench_io.recorded_command("benchmarks/estimator_variance.py", argv)
    start = time.perf_counter()
    results = dict(command=command.strip(), cores=os.cpu_count(),
                   platform=platform.platform(),
                   date=datetime.date.today().isoformat(), budget=args.budget,
                   eager=args.eager, timing_calls=args.timing_calls,
                   budgets={k: dict(num_samples=v[0], evaluations=v[1])
                            for k, v in budgets(args.budget).items()},
                   settings={m.name: m.setting for m in METHODS},
                   unbiased={m.name: m.unbiased for m in METHODS})
    if args.from_json:
        with open(args.from_json) as fh:
            results = json.load(fh)
        args.budget = results["budget"]
        if args.only == "categorical":
            cat_start = time.perf_counter()
            results["categorical"] = run_categorical(args, args.seed + 200)
            results["categorical"]["command"] = command.strip()
            results["categorical"]["wall_seconds"] = time.perf_counter() - cat_start
    else:
        results["toy"] = [run_toy(t, args, args.seed + 10 * k)
                          for k, t in enumerate(TOY_TARGETS)]
        results["vae"] = None
        if not args.no_vae:
            import vae_data
            data = vae_data.load_dataset(args.dataset, args.data_dir)
            results["vae"] = run_vae(args, data, args.seed + 100)
        results["categorical"] = None
        if not args.no_categorical:
            results["categorical"] = run_categorical(args, args.seed + 200)
            results["categorical"]["command"] = command.strip()
        results["wall_seconds"] = time.perf_counter() - start
    text = markdown(results, results["command"], args.budget)
    outputs = [(args.markdown, text)]
    if not args.from_json or args.only:
        outputs.append((args.json, json.dumps(results, indent=1, default=float) + "\n"))
    for path, content in outputs:
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(content)
    if args.plot:
        os.makedirs(os.path.dirname(os.path.abspath(args.plot)), exist_ok=True)
        plot(results, args.plot)
    if args.snippet_dir:
        os.makedirs(args.snippet_dir, exist_ok=True)
        for module, snippet in snippets(results, args.budget).items():
            with open(os.path.join(args.snippet_dir, module + ".md"), "w") as fh:
                fh.write(snippet)
    print(text)
    return results


if __name__ == "__main__":
    main()
