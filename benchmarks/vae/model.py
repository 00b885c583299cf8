"""The latent model of each method (its Keras latent layer and the law its
bounds use) and the Keras VAE with the training objective of every method."""

import math
import sys
import time

import keras
import numpy as np

from benchmarks.vae import backend
from benchmarks.vae.backend import relaxtfp
from benchmarks.vae.backend import tf
from benchmarks.vae.backend import tfd
from benchmarks.vae.backend import tfp
from benchmarks.vae.options import BERNOULLI_METHODS
from benchmarks.vae.options import CONTINUOUS_METHODS
from benchmarks.vae.options import ESTIMATOR_METHODS
from benchmarks.vae.options import ESTIMATOR_SAMPLES

latents = relaxtfp.layers


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
            self.layer = latents.CorrelatedRelaxedBernoulliLatent(
                temperature=temperature,
                correlation=None if correlation == "learned" else np.eye(n),
                **kw)
        elif method == "straight_through_relaxed_bernoulli":
            self.layer = latents.StraightThroughRelaxedBernoulliLatent(
                temperature=temperature, **kw)
        elif method in ("straight_through_bernoulli",) + ESTIMATOR_METHODS:
            self.layer = latents.StraightThroughBernoulliLatent(**kw)
        elif method == "hard_concrete":
            self.layer = latents.HardConcreteLatent(temperature=temperature, **kw)
        elif method == "gaussian_relaxed_bernoulli":
            self.layer = latents.GaussianRelaxedBernoulliLatent(scale=0.5, **kw)
        elif method == "stochastic_times_smooth":
            self.layer = latents.StochasticTimesSmoothLatent(**kw)
        elif method == "gumbel_softmax":
            self.layer = latents.GeneralizedGumbelSoftmaxLatent(
                values=list(range(k)), temperature=temperature,
                output_type="weights", **kw)
        elif method == "straight_through_gumbel_softmax":
            self.layer = latents.StraightThroughGumbelSoftmaxLatent(
                temperature=temperature, **kw)
        elif method == "decoupled_straight_through_gumbel_softmax":
            self.layer = latents.DecoupledStraightThroughGumbelSoftmaxLatent(
                forward_temperature=1., temperature=temperature, **kw)
        elif method == "invertible_gaussian":
            self.layer = latents.InvertibleGaussianLatent(temperature=temperature, **kw)
        elif method == "logistic_normal_softmax":
            self.layer = latents.LogisticNormalSoftmaxLatent(**kw)
        elif method == "gumbel_softmax_top_k":
            if not 1 <= top_k < k:
                raise SystemExit(f"--top-k must be in [1, {k - 1}]; got {top_k}.")
            self.layer = latents.GumbelSoftmaxTopKLatent(k=top_k, temperature=temperature, **kw)
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

    def discrete_law(self, params):
        """The law of the hard latents behind the layer's relaxation: its
        distribution's `discrete_law()`. The correlated gates have no joint
        pmf in closed form; their marginals are taken independent (exact at
        the identity correlation of the presets)."""
        dist = self.layer.distribution(params)
        if self.method == "correlated_relaxed_bernoulli":
            return tfd.Bernoulli(logits=dist.logits_parameter(), dtype=dist.dtype)
        return dist.discrete_law()

    def log_weights(self, params, decoder, x, num_samples, seed):
        """`log p(x|b) + log p(b) - log q(b|x)` for `num_samples` draws: [k, B]."""
        batch = backend.shape(x)[0]
        if self.kind == "bernoulli":
            q = self.discrete_law(params)                           # batch [B, n]
            u = backend.uniform(backend.leading(num_samples, params), seed)
            b = tf.cast(u < q.probs_parameter(), x.dtype)           # [k, B, n]
            log_q = tf.reduce_sum(q.log_prob(b), -1)
            log_p = tf.reduce_sum(self.layer.prior_law(x.dtype).log_prob(b), -1)
            code = b
            if self.method == "stochastic_times_smooth":
                code = b * tf.exp(0.5 * tf.math.log_sigmoid(params))
        elif self.kind == "categorical":
            q = self.discrete_law(params)                           # batch [B, n]
            log_probs = tf.math.log_softmax(q.logits_parameter())   # [B, n, K]
            u = backend.uniform(backend.leading(num_samples, params), seed,
                                minval=np.finfo(np.float32).tiny)
            gumbel = -tf.math.log(-tf.math.log(u))
            b = tf.one_hot(tf.argmax(log_probs + gumbel, -1), self.num_classes,
                           dtype=x.dtype)                            # [k, B, n, K]
            log_q = tf.reduce_sum(q.log_prob(b), -1)
            log_p = tf.reduce_sum(self.layer.prior_law(x.dtype).log_prob(b), -1)
            code = b
        elif self.kind == "subset":
            # Hard k-subsets (the Gumbel-top-k set) scored by the exact
            # subset probability of drawing k classes without replacement;
            # uniform prior over the C(K, k) subsets of each variable.
            u = backend.uniform(backend.leading(num_samples, params), seed,
                                minval=np.finfo(np.float32).tiny)
            top = tf.math.top_k(params - tf.math.log(-tf.math.log(u)), k=self.top_k).indices
            b = tf.reduce_sum(tf.one_hot(top, self.num_classes, dtype=x.dtype), -2)
            log_q = tf.reduce_sum(self.discrete_law(params).log_prob(b), -1)  # [k, B]
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
            eps = backend.normal(backend.leading(num_samples, loc), seed, dtype=loc.dtype)
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
            labels=tf.broadcast_to(x, backend.shape(pixel_logits)), logits=pixel_logits), -1)
        return log_px + log_p - log_q

    def prior(self, dist):
        """The prior of the continuous methods, as in the layers' divergences."""
        if self.method == "invertible_gaussian":
            loc = tf.convert_to_tensor(dist.loc)
            return relaxtfp.distributions.InvertibleGaussian(
                loc=tf.zeros_like(loc), scale=tf.ones_like(loc),
                temperature=dist.temperature, delta=dist.delta)
        return tfd.Dirichlet(tf.ones([self.num_classes]))

    def prior_sample(self, num, seed):
        """Decoder inputs drawn from the prior: [num, code_size]."""
        n, k = self.num_latents, self.num_classes
        if self.kind == "bernoulli":
            prior_probs = tf.math.sigmoid(self.layer.prior_logits_value(tf.float32))
            b = tf.cast(backend.uniform([num, n], seed) < prior_probs, tf.float32)
            if self.method == "stochastic_times_smooth":
                b = prior_probs * b   # the gate value s = P(open) of the prior.
            return b
        if self.kind == "categorical":
            idx = backend.uniform([num, n], seed, minval=0, maxval=k, dtype=tf.int32)
            return tf.reshape(tf.one_hot(idx, k), [num, n * k])
        if self.kind == "subset":  # uniform k-subsets: the top k of i.i.d. noise.
            top = tf.math.top_k(backend.uniform([num, n, k], seed),
                                k=self.top_k).indices
            return tf.reshape(tf.reduce_sum(tf.one_hot(top, k), -2), [num, n * k])
        params = tf.zeros([num] + list(self.shape))
        if self.method == "invertible_gaussian":
            # softplus^{-1}(1): scale 1, the prior's.
            params = tf.concat([params[..., :k - 1],
                                tf.fill(backend.shape(params[..., k - 1:]),
                                        math.log(math.e - 1.))], -1)
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
        if estimator is not None:
            backend.require_tensorflow(f"--method {estimator} (an estimator's training step)")
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
        self.kl_scale = keras.Variable(1., trainable=False, name="kl_scale")
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
        u = keras.random.uniform(backend.shape(x), seed=self.seed_generator)
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
        # The closed-form KL of Bernoulli(sigmoid(logits)) to the layer's
        # prior, per example: the divergence the latent layer adds.
        kl = self.latent.layer.divergence(logits)
        return surrogate / batch, tf.reduce_mean(kl)

    def _record(self, reconstruction, divergence):
        loss = reconstruction + divergence
        for name, value in (("loss", loss), ("reconstruction", reconstruction),
                            ("kl", divergence)):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def train_step(self, *args):
        if backend.JAX:
            return self._jax_train_step(*args)
        return self._tf_train_step(*args)

    def test_step(self, *args):
        # The demo's "test loss": the training objective at a relaxed
        # (training-mode) sample, on fixed test pixels.
        if backend.JAX:
            return self._jax_test_step(*args)
        reconstruction, divergence = self._objective(args[0], training=True)
        return self._record(reconstruction, divergence)

    def _tf_train_step(self, data):
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

    # On JAX, Keras' steps are pure functions of the model's state: the
    # objective runs in a `keras.StatelessScope` that maps every variable to
    # its value in `state` (the seed generator's and the metrics' updates are
    # read back from the scope), and the gradient is `jax.value_and_grad`'s.

    def _stateless_objective(self, trainable, non_trainable, metrics, data, binarize):
        mapping = (list(zip(self.trainable_variables, trainable))
                   + list(zip(self.non_trainable_variables, non_trainable))
                   + list(zip(self.metrics_variables, metrics)))
        with keras.StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
            x = self._binarized(data) if binarize else data
            reconstruction, divergence = self._objective(x, training=True)
            loss = reconstruction + self.kl_scale * divergence
            logs = self._record(reconstruction, divergence)

        def updated(variables):
            return [value if (value := scope.get_current_value(v)) is not None else old
                    for v, old in variables]

        return loss, (logs, updated(zip(self.non_trainable_variables, non_trainable)),
                      updated(zip(self.metrics_variables, metrics)))

    def _jax_train_step(self, state, data):
        import jax
        trainable, non_trainable, optimizer_variables, metrics = state
        (_, (logs, non_trainable, metrics)), grads = jax.value_and_grad(
            self._stateless_objective, has_aux=True)(
                trainable, non_trainable, metrics, data, True)
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable)
        return logs, (trainable, non_trainable, optimizer_variables, metrics)

    def _jax_test_step(self, state, data):
        trainable, non_trainable, metrics = state
        # The test loss's objective runs in training mode (a relaxed sample),
        # as on TensorFlow; no binarization of the fixed test pixels.
        _, (logs, non_trainable, metrics) = self._stateless_objective(
            trainable, non_trainable, metrics, data, False)
        return logs, (trainable, non_trainable, metrics)


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


def learning_rate_schedule(cfg, decay, num_train):
    """The preset's learning rate, decayed exponentially step by step to
    `decay` times its value at the run's last step (constant for decay 1)."""
    if decay == 1.:
        return cfg["learning_rate"]
    steps = cfg["epochs"] * math.ceil(num_train / cfg["batch_size"])
    return keras.optimizers.schedules.ExponentialDecay(
        cfg["learning_rate"], decay_steps=max(steps - 1, 1), decay_rate=decay)




class EpochProgress(keras.callbacks.Callback):
    """A tqdm bar per epoch on stderr, counted in training steps.

    Keras reports the last step of each compiled call, which with
    `steps_per_execution` runs past the epoch's end (`500/469`); the bar
    is clipped to the epoch's `steps`, and the epoch's losses are shown when
    it ends.
    """

    def __init__(self, steps, epochs):
        super().__init__()
        self.steps, self.epochs = steps, epochs
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        from tqdm import tqdm
        self._bar = tqdm(total=self.steps, desc=f"epoch {epoch + 1}/{self.epochs}",
                         unit="step", file=sys.stderr, leave=True)

    def on_train_batch_end(self, batch, logs=None):
        self._bar.update(min(batch + 1, self.steps) - self._bar.n)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.update(self.steps - self._bar.n)
        self._bar.set_postfix({k: f"{float(v):.2f}" for k, v in (logs or {}).items()})
        self._bar.close()
