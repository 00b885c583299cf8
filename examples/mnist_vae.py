"""A discrete-latent VAE on MNIST with any relaxtfp relaxation or estimator.

    python examples/mnist_vae.py --dataset digits --epochs 100        # offline
    python examples/mnist_vae.py --preset relaxit --data-dir DIR       # 10 epochs
    python examples/mnist_vae.py --preset paper --latent categorical \
        --method gumbel_softmax --data-dir DIR

Presets:

* `--preset relaxit` (default): the reference library's demo set-up,
  784-400-20-400-784 with ReLU, batch 128, Adam 1e-3, 10 epochs, grey-level
  pixels as Bernoulli targets (no binarization, as in the demo), temperature
  0.1 fixed. The demo reports "test loss": summed BCE plus the Bernoulli KL
  at a relaxed (training-mode) sample, per test image; this script prints the
  same quantity as `test_loss_relaxed`, next to the bounds below.
* `--preset paper`: Jang et al. (2017) Table 1: 200 Bernoulli latents
  (`--latent bernoulli`) or 20 categorical variables of 10 classes
  (`--latent categorical`), encoder 784-512-256 and decoder 256-512-784 with
  ReLU, dynamic binarization (a fresh Bernoulli(pixel) draw of every training
  image at every step; the test set is binarized once, seed 0), Adam 1e-3,
  100 epochs, batch 100, temperature `max(0.5, exp(-0.05 * epoch))`
  (`--temperature`, `--anneal-rate` and `--temperature-floor` change the
  start, the rate and the floor). `--kl-warmup N` ramps the divergence's
  weight in the training loss from 1/N to 1 over the first N epochs (any
  preset).

Options that change the model or its training in any preset:
`--learning-rate-decay F` (the learning rate decays exponentially to F times
its start at the last step), `--activation` of the hidden layers (relu,
leaky_relu, swish), `--decoder-bias data-mean` (the decoder's output bias
starts at the logits of the mean training image) and `--learn-prior`
(Bernoulli methods: a trainable factorized prior, the latent layer's
`learn_prior=True`; the bounds then use the learned prior). The tuned
Bernoulli-200 run of the docs is

    python examples/mnist_vae.py --preset paper --temperature-floor 0.1 \
        --kl-warmup 30 --learning-rate 2e-3 --learning-rate-decay 0.1 \
        --activation swish --decoder-bias data-mean --learn-prior --data-dir DIR

Training loss: summed Bernoulli cross-entropy of the decoder's pixels plus the
divergence the latent layer adds with `add_loss` (its docstring names it; for
most layers the closed-form KL of the discrete law to a uniform prior).

At the end, on the test set, with `--iwae-k` (default 100) samples per image:

* `test_neg_elbo`: minus the ELBO `E_q[log p(x|b) + log p(b) - log q(b|x)]`,
  averaged over the k samples;
* `test_neg_iwae`: minus the importance-weighted bound
  `log (1/k) sum_i p(x|b_i) p(b_i) / q(b_i|x)`.

`bound_kind` says in which space: `"discrete"` (the usual case) scores hard
latents `b` drawn from the discrete law behind the relaxation, with the
decoder evaluated at them and the prior of the training loss (uniform, or the
learned one with `--learn-prior`):

  Bernoulli(sigmoid(logits)) for straight_through_bernoulli,
  straight_through_relaxed_bernoulli, correlated_relaxed_bernoulli (its
  marginals, taken independent) and the estimators; the open/closed law
  Bernoulli(P(z != 0)) for hard_concrete and gaussian_relaxed_bernoulli
  (decoded as 0/1 gates); Bernoulli(sqrt(sigmoid(logits))) for
  stochastic_times_smooth, decoded as `sqrt(sigmoid(logits)) * b` as in
  training -- that decoder input depends on x, so its numbers are not
  bounds of a generative model (`bound_note` says so);
  OneHotCategorical(logits) for straight_through_gumbel_softmax and
  gumbel_softmax; OneHotCategorical(logits / forward_temperature) for
  decoupled_straight_through_gumbel_softmax; for gumbel_softmax_top_k
  (`--top-k k` classes of 10 per variable, default 2) the k-subset law of
  drawing k classes without replacement (the Gumbel-top-k set, scored by its
  exact probability), decoded as a k-hot vector, with a uniform prior over
  the C(10, k) subsets.

For invertible_gaussian and logistic_normal_softmax the law of the hard value
(the argmax of a Gaussian pushed onto the simplex) has no closed-form pmf, so
the bounds are those of the CONTINUOUS latent model (`bound_kind
"continuous"`): relaxed samples, their densities on the simplex, and the
layer's prior (an IGR prior / a uniform Dirichlet).

Unbiased estimators (`--method reinforce|rloo|arm|disarm|rebar`, Bernoulli
latents) train with `relaxtfp.estimators`: the estimator's surrogate of the
expected reconstruction term gives the encoder's gradient (decoder weights
get the pathwise gradient), plus the closed-form Bernoulli KL. Samples per
step: reinforce 1 (moving-average baseline), rloo 2, arm and disarm 1 pair,
rebar 1 (temperature 0.5 and control-variate weight 1 fixed, rebar's
defaults); `--estimator-samples N` changes that number. `relax` is not
offered: it needs a control-variate network trained on its variance
objective, which this example does not set up.

Speed: the training step is compiled with XLA (`--no-jit` turns it off), the
images are in-memory tensors fed by `tf.data` with prefetch, dynamic
binarization runs inside the compiled step, and `--steps-per-execution`
(default 50) runs that many steps per call, which removes most of the
per-step host overhead on a small CPU model.

Outputs: Keras progress bars, `reconstructions.png` (test images over their
reconstructions from hard latents) and `prior_samples.png` in
`--output-dir`, and ONE line of JSON results on stdout (everything else goes
to stderr). `--save PATH.keras` writes the trained autoencoder
(image -> pixel logits); `--resume` continues an interrupted run from the
checkpoints in `--output-dir/checkpoint`; `--strategy mirrored` trains under
`tf.distribute.MirroredStrategy`.

Data: `tfds.load("mnist")` by default; `--data-dir DIR` reads the four IDX
files; `--dataset digits` uses scikit-learn's 8x8 digits (offline). If the
data cannot be loaded the script stops with a message; it never substitutes
other data.
"""

import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import relaxtfp  # noqa: E402
import vae_data  # noqa: E402
from relaxtfp.distributions.gumbel_softmax_top_k import GumbelSoftmaxTopK  # noqa: E402
from relaxtfp.distributions.invertible_gaussian import InvertibleGaussian  # noqa: E402

L = relaxtfp.layers
tfd = tfp.distributions

PRESETS = {
    "relaxit": dict(hidden=(400,), latent="bernoulli", num_latents=20,
                    num_classes=10, batch_size=128, learning_rate=1e-3,
                    epochs=10, binarize="none", temperature=0.1,
                    anneal=None),
    "paper": dict(hidden=(512, 256), latent="bernoulli", num_latents=200,
                  num_classes=10, batch_size=100, learning_rate=1e-3,
                  epochs=100, binarize="dynamic", temperature=1.0,
                  anneal=dict(initial=1.0, rate=0.05, floor=0.5)),
}

BERNOULLI_METHODS = (
    "correlated_relaxed_bernoulli", "straight_through_relaxed_bernoulli",
    "straight_through_bernoulli", "hard_concrete", "gaussian_relaxed_bernoulli",
    "stochastic_times_smooth")
CATEGORICAL_METHODS = (
    "gumbel_softmax", "straight_through_gumbel_softmax",
    "decoupled_straight_through_gumbel_softmax", "invertible_gaussian",
    "logistic_normal_softmax", "gumbel_softmax_top_k")
ESTIMATOR_METHODS = ("reinforce", "rloo", "arm", "disarm", "rebar")
METHODS = BERNOULLI_METHODS + CATEGORICAL_METHODS + ESTIMATOR_METHODS
CONTINUOUS_METHODS = ("invertible_gaussian", "logistic_normal_softmax")
# Samples per training step for the estimators (pairs for arm/disarm).
ESTIMATOR_SAMPLES = {"reinforce": 1, "rloo": 2, "arm": 1, "disarm": 1, "rebar": 1}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# The latent model: layer, and its discrete (or continuous) law for the bounds.
# --------------------------------------------------------------------------

class LatentModel:
    """The latent layer of a method and the law its bounds are computed under.

    Attributes:
      kind: "bernoulli", "categorical" or "continuous".
      shape: the latent layer's INPUT shape per example (without batch).
      code_size: the decoder's input size per example.
    """

    def __init__(self, method, latent, num_latents, num_classes, temperature,
                 correlation, seed, top_k=2, learn_prior=False):
        self.method = method
        self.top_k = top_k
        if method in ESTIMATOR_METHODS and latent != "bernoulli":
            raise SystemExit(f"--method {method} needs --latent bernoulli.")
        if method in BERNOULLI_METHODS + ESTIMATOR_METHODS:
            if latent != "bernoulli":
                raise SystemExit(f"--method {method} needs --latent bernoulli.")
            self.kind = "bernoulli"
        elif learn_prior:
            raise SystemExit("--learn-prior needs a Bernoulli method.")
        elif latent != "categorical":
            raise SystemExit(f"--method {method} needs --latent categorical.")
        else:
            self.kind = ("continuous" if method in CONTINUOUS_METHODS
                         else "subset" if method == "gumbel_softmax_top_k" else "categorical")
        self.num_latents, self.num_classes = num_latents, num_classes
        n, k = num_latents, num_classes
        kw = dict(seed=seed, inference_mode="hard")
        if learn_prior:
            kw["learn_prior"] = True
        if method == "correlated_relaxed_bernoulli":
            self.layer = L.CorrelatedRelaxedBernoulliLatent(
                temperature=temperature,
                correlation=None if correlation == "learned" else np.eye(n),
                **kw)
        elif method == "straight_through_relaxed_bernoulli":
            self.layer = L.StraightThroughRelaxedBernoulliLatent(
                temperature=temperature, **kw)
        elif method in ("straight_through_bernoulli",) + ESTIMATOR_METHODS:
            self.layer = L.StraightThroughBernoulliLatent(**kw)
        elif method == "hard_concrete":
            self.layer = L.HardConcreteLatent(temperature=temperature, **kw)
        elif method == "gaussian_relaxed_bernoulli":
            self.layer = L.GaussianRelaxedBernoulliLatent(scale=0.5, **kw)
        elif method == "stochastic_times_smooth":
            self.layer = L.StochasticTimesSmoothLatent(**kw)
        elif method == "gumbel_softmax":
            self.layer = L.GeneralizedGumbelSoftmaxLatent(
                values=list(range(k)), temperature=temperature,
                output_type="weights", **kw)
        elif method == "straight_through_gumbel_softmax":
            self.layer = L.StraightThroughGumbelSoftmaxLatent(
                temperature=temperature, **kw)
        elif method == "decoupled_straight_through_gumbel_softmax":
            self.layer = L.DecoupledStraightThroughGumbelSoftmaxLatent(
                forward_temperature=1., temperature=temperature, **kw)
        elif method == "invertible_gaussian":
            self.layer = L.InvertibleGaussianLatent(temperature=temperature, **kw)
        elif method == "logistic_normal_softmax":
            self.layer = L.LogisticNormalSoftmaxLatent(**kw)
        elif method == "gumbel_softmax_top_k":
            if not 1 <= top_k < k:
                raise SystemExit(f"--top-k must be in [1, {k - 1}]; got {top_k}.")
            self.layer = L.GumbelSoftmaxTopKLatent(k=top_k, temperature=temperature, **kw)
        else:
            raise SystemExit(f"Unknown --method {method!r}.")
        if self.kind == "bernoulli":
            self.shape, self.code_size = (n,), n
        elif method == "invertible_gaussian":
            self.shape, self.code_size = (n, 2 * (k - 1)), n * k
        elif method == "logistic_normal_softmax":
            self.shape, self.code_size = (n, 2 * k), n * k
        else:
            self.shape, self.code_size = (n, k), n * k
        self.params_size = int(np.prod(self.shape))
        self.bound_note = None
        if method == "stochastic_times_smooth":
            self.bound_note = ("decoder input sqrt(sigmoid(logits)) * b depends "
                               "on x: not a bound of a generative model")

    # -- the law used by the bounds ------------------------------------------

    def gate_logits(self, params):
        """logit of P(b = 1) of the discrete law of Bernoulli-family methods."""
        layer = self.layer
        if self.method == "hard_concrete":
            tau = layer.temperature_value(params.dtype)
            return params - tau * (math.log(-layer.low) - math.log(layer.high))
        if self.method == "gaussian_relaxed_bernoulli":
            x = params / layer.scale
            normal = tfd.Normal(tf.zeros([], x.dtype), tf.ones([], x.dtype))
            return normal.log_cdf(x) - normal.log_cdf(-x)
        if self.method == "stochastic_times_smooth":
            half = 0.5 * tf.math.log_sigmoid(params)
            return half - tf.math.log_sigmoid(-params) + tf.math.log1p(tf.exp(half))
        return params

    def log_weights(self, params, decoder, x, num_samples, seed):
        """`log p(x|b) + log p(b) - log q(b|x)` for `num_samples` draws: [k, B]."""
        batch = tf.shape(x)[0]
        if self.kind == "bernoulli":
            logits = self.gate_logits(params)                       # [B, n]
            u = tf.random.stateless_uniform(
                tf.concat([[num_samples], tf.shape(logits)], 0), seed, alg="philox")
            b = tf.cast(u < tf.math.sigmoid(logits), x.dtype)       # [k, B, n]
            log_q = tf.reduce_sum(b * tf.math.log_sigmoid(logits)
                                  + (1. - b) * tf.math.log_sigmoid(-logits), -1)
            prior_logits = self.layer.prior_logits_value(x.dtype)   # fixed or learned
            log_p = tf.reduce_sum(b * tf.math.log_sigmoid(prior_logits)
                                  + (1. - b) * tf.math.log_sigmoid(-prior_logits), -1)
            code = b
            if self.method == "stochastic_times_smooth":
                code = b * tf.exp(0.5 * tf.math.log_sigmoid(params))
        elif self.kind == "categorical":
            logits = params
            if self.method == "decoupled_straight_through_gumbel_softmax":
                logits = logits / self.layer.forward_temperature
            log_probs = tf.math.log_softmax(logits)                 # [B, n, K]
            u = tf.random.stateless_uniform(
                tf.concat([[num_samples], tf.shape(logits)], 0), seed,
                minval=np.finfo(np.float32).tiny, maxval=1., alg="philox")
            gumbel = -tf.math.log(-tf.math.log(u))
            b = tf.one_hot(tf.argmax(log_probs + gumbel, -1), self.num_classes,
                           dtype=x.dtype)                            # [k, B, n, K]
            log_q = tf.reduce_sum(b * log_probs, [-2, -1])
            log_p = (-tf.cast(self.num_latents, x.dtype) * math.log(self.num_classes)
                     * tf.ones_like(log_q))
            code = b
        elif self.kind == "subset":
            # Hard k-subsets (the Gumbel-top-k set) scored by the exact
            # subset probability of drawing k classes without replacement;
            # uniform prior over the C(K, k) subsets of each variable.
            u = tf.random.stateless_uniform(
                tf.concat([[num_samples], tf.shape(params)], 0), seed,
                minval=np.finfo(np.float32).tiny, maxval=1., alg="philox")
            top = tf.math.top_k(params - tf.math.log(-tf.math.log(u)), k=self.top_k).indices
            b = tf.reduce_sum(tf.one_hot(top, self.num_classes, dtype=x.dtype), -2)
            subset_law = GumbelSoftmaxTopK(k=self.top_k, temperature=1., logits=params,
                                           hard=True)
            log_q = tf.reduce_sum(subset_law.log_prob(b), -1)        # [k, B]
            log_p = (-tf.cast(self.num_latents, x.dtype)
                     * math.log(math.comb(self.num_classes, self.top_k)) * tf.ones_like(log_q))
            code = b
        elif self.method == "invertible_gaussian":
            # q and the prior push Gaussians through the same map (softmax++
            # with the same temperature and delta), so the Jacobians cancel
            # and log q(z) - log p(z) is the Gaussian log-ratio at the
            # pre-image y, exactly. Computed there it stays finite where the
            # smallest coordinates of z underflow in float32 (at temperature
            # 0.1 they do; both log-densities are then -inf and their
            # difference NaN).
            dist = self.layer.distribution(params)
            loc = tf.convert_to_tensor(dist.loc)                     # [B, n, K-1]
            scale = tf.convert_to_tensor(dist.scale)
            eps = tf.random.stateless_normal(
                tf.concat([[num_samples], tf.shape(loc)], 0), seed, dtype=loc.dtype,
                alg="philox")
            y = loc + scale * eps
            code = tfp.bijectors.SoftmaxCentered().forward(
                y / dist.temperature - tf.math.log(dist.delta))       # [k, B, n, K]
            log_q = tf.reduce_sum(tfd.Normal(loc, scale).log_prob(y), [-2, -1])
            log_p = tf.reduce_sum(tfd.Normal(tf.zeros([], loc.dtype), 1.).log_prob(y), [-2, -1])
        else:
            dist = self.layer.distribution(params)
            z = dist.sample(num_samples, seed=seed)                  # [k, B, n, K]
            log_q = tf.reduce_sum(dist.log_prob(z), -1)
            log_p = tf.reduce_sum(self.prior(dist).log_prob(z), -1)
            code = z
        pixel_logits = decoder(tf.reshape(code, [-1, self.code_size]))
        pixel_logits = tf.reshape(pixel_logits, [num_samples, batch, -1])
        log_px = -tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.broadcast_to(x, tf.shape(pixel_logits)), logits=pixel_logits), -1)
        return log_px + log_p - log_q

    def prior(self, dist):
        """The prior of the continuous methods, as in the layers' divergences."""
        if self.method == "invertible_gaussian":
            loc = tf.convert_to_tensor(dist.loc)
            return InvertibleGaussian(loc=tf.zeros_like(loc), scale=tf.ones_like(loc),
                                      temperature=dist.temperature, delta=dist.delta)
        return tfd.Dirichlet(tf.ones([self.num_classes]))

    def prior_sample(self, num, seed):
        """Decoder inputs drawn from the prior: [num, code_size]."""
        n, k = self.num_latents, self.num_classes
        if self.kind == "bernoulli":
            prior_probs = tf.math.sigmoid(self.layer.prior_logits_value(tf.float32))
            b = tf.cast(tf.random.stateless_uniform([num, n], seed) < prior_probs, tf.float32)
            if self.method == "stochastic_times_smooth":
                b = prior_probs * b   # the gate value s = P(open) of the prior.
            return b
        if self.kind == "categorical":
            idx = tf.random.stateless_uniform([num, n], seed, maxval=k, dtype=tf.int32)
            return tf.reshape(tf.one_hot(idx, k), [num, n * k])
        if self.kind == "subset":  # uniform k-subsets: the top k of i.i.d. noise.
            top = tf.math.top_k(tf.random.stateless_uniform([num, n, k], seed),
                                k=self.top_k).indices
            return tf.reshape(tf.reduce_sum(tf.one_hot(top, k), -2), [num, n * k])
        params = tf.zeros([num] + list(self.shape))
        if self.method == "invertible_gaussian":
            # softplus^{-1}(1): scale 1, the prior's.
            params = tf.concat([params[..., :k - 1],
                                tf.fill(tf.shape(params[..., k - 1:]), math.log(math.e - 1.))], -1)
            dist = self.prior(self.layer.distribution(params))
        else:
            dist = tfd.Dirichlet(tf.ones([num, n, k]))
        return tf.reshape(dist.sample(seed=seed), [num, n * k])


# --------------------------------------------------------------------------
# The Keras model.
# --------------------------------------------------------------------------

def bce_sum(x, logits):
    return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), -1)


class VAE(keras.Model):
    """Encoder -> latent layer -> decoder, with the training objective in
    `train_step` (and the demo's relaxed test loss in `test_step`)."""

    def __init__(self, latent, num_pixels, hidden, binarize, estimator=None,
                 seed=0, estimator_samples=None, activation="relu",
                 output_bias=None, **kwargs):
        super().__init__(**kwargs)
        self.latent = latent
        self.binarize = binarize
        self.estimator = estimator
        self.estimator_samples = (ESTIMATOR_SAMPLES.get(estimator)
                                  if estimator_samples is None else estimator_samples)
        x = keras.Input((num_pixels,))
        h = x
        for units in hidden:
            h = keras.layers.Dense(units, activation=activation)(h)
        params = keras.layers.Dense(latent.params_size)(h)
        if len(latent.shape) > 1:
            params = keras.layers.Reshape(latent.shape)(params)
        self.encoder = keras.Model(x, params, name="encoder")
        z = keras.Input((latent.code_size,))
        h = z
        for units in reversed(hidden):
            h = keras.layers.Dense(units, activation=activation)(h)
        # output_bias: initial pixel logits, e.g. the logits of the training
        # images' mean (the decoder then starts at the data's average image).
        bias_init = ("zeros" if output_bias is None
                     else keras.initializers.Constant(np.asarray(output_bias, np.float32)))
        self.decoder = keras.Model(
            z, keras.layers.Dense(num_pixels, bias_initializer=bias_init)(h), name="decoder")
        code = latent.layer(self.encoder(x))
        if latent.code_size != int(np.prod(code.shape[1:])):
            raise ValueError(f"latent output {code.shape} does not match code size")
        code = keras.layers.Reshape((latent.code_size,))(code)
        self.autoencoder = keras.Model(x, self.decoder(code), name="autoencoder")
        self.seed_generator = keras.random.SeedGenerator(seed)
        # The divergence's weight in the training loss (KLWarmUp ramps it
        # to 1); the recorded loss and the bounds always use weight 1.
        self.kl_scale = tf.Variable(1., trainable=False, name="kl_scale")
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("loss", "reconstruction", "kl")}
        if estimator == "reinforce":
            self.baseline = relaxtfp.estimators.MovingAverageBaseline(decay=0.99)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, x, training=False):
        return self.autoencoder(x, training=training)

    def _binarized(self, x):
        if self.binarize != "dynamic":
            return x
        u = keras.random.uniform(tf.shape(x), seed=self.seed_generator)
        return tf.cast(u < x, x.dtype)

    def _objective(self, x, training):
        """(reconstruction, divergence), batch means."""
        if self.estimator is None:
            logits = self.autoencoder(x, training=training)
            reconstruction = tf.reduce_mean(bce_sum(x, logits))
            losses = self.autoencoder.losses
            divergence = tf.add_n(losses) if losses else tf.zeros([])
            return reconstruction, divergence
        logits = self.encoder(x, training=training)                 # [B, n]
        batch = tf.cast(tf.shape(x)[0], x.dtype)

        def f(b):                                                   # [m, B, n]
            m = tf.shape(b)[0]
            pixel_logits = self.decoder(tf.reshape(b, [-1, tf.shape(b)[-1]]),
                                        training=training)
            x_rep = tf.reshape(tf.tile(x[None], [m, 1, 1]), tf.shape(pixel_logits))
            return tf.reshape(bce_sum(x_rep, pixel_logits), [m, -1])

        seed = tf.cast(self.seed_generator.next(), tf.int32)
        estimator = getattr(relaxtfp.estimators, self.estimator)
        options = dict(num_samples=self.estimator_samples)
        if self.estimator == "reinforce":
            options["baseline"] = self.baseline
        surrogate = estimator(f, logits, seed=seed, **options)
        if isinstance(surrogate, tuple):
            # rebar returns (surrogate, variance objective); the temperature
            # and the control-variate weight stay at rebar's defaults here, so
            # the variance objective is not used.
            surrogate = surrogate[0]
        kl = tf.reduce_sum(relaxtfp.layers.bernoulli.bernoulli_kl_from_logits(
            logits, prior_logits=self.latent.layer.prior_logits_value(logits.dtype)), -1)
        return surrogate / batch, tf.reduce_mean(kl)

    def _record(self, reconstruction, divergence):
        loss = reconstruction + divergence
        for name, value in (("loss", loss), ("reconstruction", reconstruction),
                            ("kl", divergence)):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def train_step(self, data):
        x = self._binarized(data)
        with tf.GradientTape() as tape:
            reconstruction, divergence = self._objective(x, training=True)
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            loss = (reconstruction + self.kl_scale * divergence) / replicas
        variables = self.trainable_variables
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(
            [(g, v) for g, v in zip(grads, variables) if g is not None])
        return self._record(reconstruction, divergence)

    def test_step(self, data):
        # The demo's "test loss": the training objective at a relaxed
        # (training-mode) sample, on fixed test pixels.
        reconstruction, divergence = self._objective(data, training=True)
        return self._record(reconstruction, divergence)


# --------------------------------------------------------------------------
# Evaluation and pictures.
# --------------------------------------------------------------------------

def evaluate_bounds(vae, x_test, num_samples, batch_size, seed, jit):
    """(-ELBO, -IWAE) averaged over the test images, in nats."""
    latent = vae.latent

    @tf.function(jit_compile=jit, reduce_retracing=True)
    def batch_bounds(x, seed):
        params = vae.encoder(x, training=False)
        w = latent.log_weights(params, vae.decoder, x, num_samples, seed)
        elbo = tf.reduce_mean(w, 0)
        iwae = tf.reduce_logsumexp(w, 0) - math.log(num_samples)
        return tf.reduce_sum(elbo), tf.reduce_sum(iwae)

    total_elbo = total_iwae = 0.
    for i, start in enumerate(range(0, len(x_test), batch_size)):
        x = tf.constant(x_test[start:start + batch_size])
        elbo, iwae = batch_bounds(x, tf.constant([seed, i], tf.int32))
        total_elbo += float(elbo)
        total_iwae += float(iwae)
    n = len(x_test)
    return -total_elbo / n, -total_iwae / n


def save_grid(images, shape, path, rows, title):
    cols = int(math.ceil(len(images) / rows))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9 + 0.4))
    for ax, image in zip(np.ravel(axes), images):
        ax.imshow(np.reshape(image, shape), cmap="gray", vmin=0., vmax=1.)
    for ax in np.ravel(axes):
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)


def save_pictures(vae, data, x_test, output_dir, method, seed):
    shape = data.image_shape
    x = x_test[:8]
    recon = tf.math.sigmoid(vae.autoencoder(tf.constant(x), training=False)).numpy()
    save_grid(np.concatenate([x, recon]), shape,
              os.path.join(output_dir, "reconstructions.png"), 2,
              f"{method}: test images (top) and reconstructions from hard latents")
    code = vae.latent.prior_sample(64, tf.constant([seed, 7]))
    samples = tf.math.sigmoid(vae.decoder(code, training=False)).numpy()
    save_grid(samples, shape, os.path.join(output_dir, "prior_samples.png"), 8,
              f"{method}: decoder means of 64 prior draws")


class EpochTimer(keras.callbacks.Callback):
    """Wall seconds of each epoch's training batches (validation excluded)."""

    def __init__(self):
        super().__init__()
        self.seconds = []
        self.cpu_seconds = []
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = (time.perf_counter(), time.process_time())

    def _stop(self):
        if self._start is not None:
            self.seconds.append(time.perf_counter() - self._start[0])
            self.cpu_seconds.append(time.process_time() - self._start[1])
            self._start = None

    def on_test_begin(self, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()


class KLWarmUp(keras.callbacks.Callback):
    """KL warm-up (Sonderby et al. 2016): the divergence's weight in the
    training loss is (epoch + 1) / epochs for the first `epochs` epochs,
    then 1. The weight is set before each epoch, so a resumed run gets the
    weight of the epoch it resumes at."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.model.kl_scale.assign(min(1., (epoch + 1) / self.epochs))


# --------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--method", default="correlated_relaxed_bernoulli", choices=METHODS)
    p.add_argument("--preset", default="relaxit", choices=sorted(PRESETS))
    p.add_argument("--latent", choices=("bernoulli", "categorical"),
                   help="latent type (default: the preset's; paper: 200 Bernoulli "
                        "or 20 x 10 categorical)")
    p.add_argument("--dataset", default="mnist", choices=("mnist", "digits"))
    p.add_argument("--data-dir", help="folder with the four MNIST IDX files (.gz or raw)")
    p.add_argument("--tfds-data-dir", help="tfds data folder (default: tfds's)")
    p.add_argument("--epochs", type=int, help="override the preset's epochs")
    p.add_argument("--batch-size", type=int, help="override the preset's batch size")
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--temperature", type=float,
                   help="(initial) temperature; default: the preset's")
    p.add_argument("--temperature-floor", type=float, metavar="TAU",
                   help="paper preset: the floor of the annealed temperature (default 0.5)")
    p.add_argument("--anneal-rate", type=float, metavar="R",
                   help="paper preset: the decay rate per epoch of the temperature "
                        "(default 0.05)")
    p.add_argument("--kl-warmup", type=int, default=0, metavar="EPOCHS",
                   help="ramp the divergence's weight in the training loss linearly to 1 "
                        "over this many epochs (default 0: weight 1 throughout); the "
                        "reported losses and bounds always use weight 1")
    p.add_argument("--learning-rate-decay", type=float, default=1., metavar="F",
                   help="decay the learning rate exponentially, step by step, to F times "
                        "its initial value at the last step (default 1: constant)")
    p.add_argument("--activation", choices=("relu", "leaky_relu", "swish"), default="relu",
                   help="activation of the hidden layers (default relu)")
    p.add_argument("--decoder-bias", choices=("zeros", "data-mean"), default="zeros",
                   help="initial output bias of the decoder: zeros, or the logits of the "
                        "mean training image")
    p.add_argument("--learn-prior", action="store_true",
                   help="Bernoulli methods: learn the prior's logits (a factorized prior) "
                        "instead of the fixed Bernoulli(0.5)")
    p.add_argument("--top-k", type=int, default=2,
                   help="gumbel_softmax_top_k: the size k of each latent subset (k of the "
                        "preset's 10 classes; default 2)")
    p.add_argument("--correlation", choices=("identity", "learned"), default="identity",
                   help="correlated_relaxed_bernoulli: R = I (the demo's) or learned")
    p.add_argument("--binarize", choices=("none", "dynamic"),
                   help="default: the preset's (relaxit: none, paper: dynamic)")
    p.add_argument("--estimator-samples", type=int, metavar="N",
                   help="unbiased estimators: samples of the latents per image and step "
                        "(pairs for arm/disarm); default: reinforce 1, rloo 2, arm 1, "
                        "disarm 1, rebar 1")
    p.add_argument("--iwae-k", type=int, default=100)
    p.add_argument("--eval-batch-size", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output-dir", default="mnist_vae_output")
    p.add_argument("--save", metavar="PATH.keras")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint in OUTPUT_DIR/checkpoint")
    p.add_argument("--strategy", choices=("default", "mirrored"), default="default")
    p.add_argument("--no-jit", action="store_true", help="do not compile with XLA")
    p.add_argument("--steps-per-execution", type=int, default=50,
                   help="training steps per compiled call (fewer host round trips; "
                        "the progress bar moves in such chunks)")
    p.add_argument("--max-train", type=int, help="use only the first N training images")
    p.add_argument("--max-test", type=int, help="use only the first N test images")
    p.add_argument("--verbose", type=int, default=1, help="Keras fit verbosity")
    p.add_argument("--smoke", action="store_true",
                   help="tiny run for the tests: 1 epoch on 256 images, k = 4")
    args = p.parse_args(argv)
    preset = dict(PRESETS[args.preset])
    if args.latent:
        preset["latent"] = args.latent
    if preset["latent"] == "categorical":
        preset["num_latents"] = 20
    for key in ("epochs", "batch_size", "learning_rate", "temperature", "binarize"):
        if getattr(args, key) is not None:
            preset[key] = getattr(args, key)
    if args.estimator_samples is not None and args.estimator_samples < 1:
        p.error("--estimator-samples must be >= 1 (rloo: >= 2), "
                f"got {args.estimator_samples}")
    if not 0. < args.learning_rate_decay <= 1.:
        p.error(f"--learning-rate-decay must be in (0, 1], got {args.learning_rate_decay}")
    if args.kl_warmup < 0:
        p.error(f"--kl-warmup must be a number of epochs >= 0, got {args.kl_warmup}")
    if (args.temperature_floor is not None or args.anneal_rate is not None) and \
            not preset["anneal"]:
        p.error("--temperature-floor and --anneal-rate need a preset that anneals "
                "(--preset paper)")
    if preset["anneal"]:
        # The schedule starts from --temperature when it is given.
        preset["anneal"] = dict(preset["anneal"], initial=preset["temperature"])
        for key, value in (("floor", args.temperature_floor), ("rate", args.anneal_rate)):
            if value is not None:
                preset["anneal"][key] = value
    if args.smoke:
        preset["epochs"] = args.epochs or 1
        args.max_train = args.max_train or 256
        args.max_test = args.max_test or 64
        args.iwae_k = 4
    if args.dataset == "digits":
        # 64 pixels: a smaller network, same structure.
        preset["hidden"] = tuple(min(h, 128) for h in preset["hidden"])
    return args, preset


def learning_rate_schedule(cfg, decay, num_train):
    """The preset's learning rate, decayed exponentially step by step to
    `decay` times its value at the run's last step (constant for decay 1)."""
    if decay == 1.:
        return cfg["learning_rate"]
    steps = cfg["epochs"] * math.ceil(num_train / cfg["batch_size"])
    return keras.optimizers.schedules.ExponentialDecay(
        cfg["learning_rate"], decay_steps=max(steps - 1, 1), decay_rate=decay)


def main(argv=None):
    args, cfg = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    try:
        data = vae_data.load_dataset(args.dataset, args.data_dir, args.tfds_data_dir)
    except vae_data.DataUnavailableError as error:
        log(f"error: {error}")
        return 2
    x_train = data.train[:args.max_train]
    x_test = data.test[:args.max_test]
    if cfg["binarize"] == "dynamic":
        rng = np.random.default_rng(0)   # the test set is binarized once.
        x_test = (rng.random(x_test.shape) < x_test).astype(np.float32)
    log(f"data: {data.name} from {data.source}: {len(x_train)} train, "
        f"{len(x_test)} test images {data.image_shape}, binarization {cfg['binarize']}")
    os.makedirs(args.output_dir, exist_ok=True)
    backup = os.path.join(args.output_dir, "checkpoint")
    if not args.resume and os.path.exists(backup):
        shutil.rmtree(backup)

    strategy = (tf.distribute.MirroredStrategy() if args.strategy == "mirrored"
                else tf.distribute.get_strategy())
    estimator = args.method if args.method in ESTIMATOR_METHODS else None
    with strategy.scope():
        latent = LatentModel(args.method, cfg["latent"], cfg["num_latents"],
                             cfg["num_classes"], cfg["temperature"], args.correlation,
                             top_k=args.top_k, learn_prior=args.learn_prior,
                             seed=args.seed)
        output_bias = None
        if args.decoder_bias == "data-mean":
            mean = np.clip(x_train.mean(0), 1e-3, 1. - 1e-3)
            output_bias = np.log(mean) - np.log1p(-mean)
        vae = VAE(latent, x_train.shape[1], cfg["hidden"], cfg["binarize"],
                  estimator=estimator, seed=args.seed + 1,
                  estimator_samples=args.estimator_samples,
                  activation=args.activation, output_bias=output_bias)
        learning_rate = learning_rate_schedule(cfg, args.learning_rate_decay, len(x_train))
        vae.compile(optimizer=keras.optimizers.Adam(learning_rate),
                    jit_compile=not args.no_jit,
                    steps_per_execution=args.steps_per_execution)
        vae(tf.constant(x_train[:2]))   # builds the weights (BackupAndRestore needs them)
    train = (tf.data.Dataset.from_tensor_slices(x_train)
             .shuffle(len(x_train), seed=args.seed, reshuffle_each_iteration=True)
             .batch(cfg["batch_size"]).prefetch(tf.data.AUTOTUNE))
    test = tf.data.Dataset.from_tensor_slices(x_test).batch(cfg["batch_size"])
    timer = EpochTimer()
    callbacks = [keras.callbacks.BackupAndRestore(backup), timer]
    has_temperature = latent.layer.temperature is not None
    if cfg["anneal"] and has_temperature and estimator is None:
        callbacks.append(L.TemperatureAnnealing(**cfg["anneal"]))
    if args.kl_warmup > 0:
        callbacks.append(KLWarmUp(args.kl_warmup))
    with contextlib.redirect_stdout(sys.stderr):   # stdout: the JSON line only.
        history = vae.fit(train, epochs=cfg["epochs"], validation_data=test,
                          callbacks=callbacks, verbose=args.verbose, shuffle=False)
    log("evaluating the test bounds ...")
    start = time.perf_counter()
    neg_elbo, neg_iwae = evaluate_bounds(vae, x_test, args.iwae_k, args.eval_batch_size,
                                     args.seed, jit=not args.no_jit)
    eval_seconds = time.perf_counter() - start
    save_pictures(vae, data, x_test, args.output_dir, args.method, args.seed)
    if args.save:
        vae.autoencoder.save(args.save)
    seconds = timer.seconds
    result = {
        "method": args.method, "preset": args.preset, "latent": cfg["latent"],
        "dataset": data.name, "data_source": data.source,
        "binarize": cfg["binarize"], "epochs_run": len(seconds),
        "epochs": cfg["epochs"], "batch_size": cfg["batch_size"],
        "seed": args.seed, "estimator_samples": vae.estimator_samples,
        "temperature_final": (
            float(latent.layer.temperature.numpy()) if has_temperature else None),
        "bound_kind": "continuous" if latent.kind == "continuous" else "discrete",
        "bound_note": latent.bound_note, "iwae_k": args.iwae_k,
        "test_neg_elbo": neg_elbo, "test_neg_iwae": neg_iwae,
        "test_loss_relaxed": history.history.get("val_loss", [None])[-1],
        "train_loss_last_epoch": history.history.get("loss", [None])[-1],
        "seconds_first_epoch": seconds[0] if seconds else None,
        "seconds_per_epoch": float(np.median(seconds[1:] or seconds)) if seconds else None,
        "cpu_seconds_per_epoch": (float(np.median(timer.cpu_seconds[1:] or timer.cpu_seconds))
                                  if seconds else None),
        "steps_per_execution": args.steps_per_execution,
        "anneal": cfg["anneal"] if has_temperature and estimator is None else None,
        "kl_warmup_epochs": args.kl_warmup,
        "learning_rate": cfg["learning_rate"],
        "learning_rate_decay": args.learning_rate_decay,
        "activation": args.activation, "decoder_bias": args.decoder_bias,
        "learn_prior": args.learn_prior,
        "eval_seconds": eval_seconds, "strategy": args.strategy,
        "jit_compile": not args.no_jit,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
