"""Parts of the VAE harness `benchmarks.vae`.

The bounds for the continuous InvertibleGaussian latent: computed in the
Gaussian space, they equal the densities' log-ratio where that is finite, and
stay finite where the simplex point underflows (temperature 0.1, the relaxit
preset, gave NaN bounds before). The command-line options that change the
annealing schedule, the estimators' number of samples, the KL warm-up, the
learning-rate decay, the activation, the decoder's output bias and the
learned prior (which the bounds and the prior draws must use). The command
line answers before TensorFlow is imported, and the progress bar's total is
the epoch's steps.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests import substrates
from tests import utils

# The harness computes with the libraries of the active Keras backend
# (benchmarks.vae.backend): run on the substrate of the test run, with
# KERAS_BACKEND set to match (tox and CI set both).
sub = substrates.current()
tf, tfp, tfd, relaxtfp = sub.tf, sub.tfp, sub.tfd, sub.rtfp

import keras  # noqa: E402

from benchmarks.vae import backend as vae_backend  # noqa: E402
from benchmarks.vae import model as vae_model  # noqa: E402
from benchmarks.vae import options  # noqa: E402
from benchmarks.vae import run  # noqa: E402

def _model(temperature):
    latent = vae_model.LatentModel("invertible_gaussian", "categorical", num_latents=3,
                             num_classes=4, temperature=temperature,
                             correlation="identity", seed=0)
    return latent, (lambda code: tf.zeros([tf.shape(code)[0], 5]))  # log p(x|z) constant


def test_log_weights_equal_the_density_ratio_in_the_interior():
    latent, decoder = _model(temperature=1.)
    params = tf.random.stateless_normal([2, 3, 6], seed=sub.seed(1, 2)) * 0.5
    x = tf.zeros([2, 5])
    w = latent.log_weights(params, decoder, x, num_samples=7, seed=(3, 4))
    # The same draws, scored by the simplex densities (finite at temperature 1).
    dist = latent.layer.distribution(params)
    eps = vae_backend.normal([7, 2, 3, 3], (3, 4))   # The harness's own draw.
    y = dist.loc + dist.scale * eps
    z = tf.math.softmax(tf.concat([y / dist.temperature - tf.math.log(dist.delta),
                                   tf.zeros([7, 2, 3, 1])], -1))
    ratio = tf.reduce_sum(latent.prior(dist).log_prob(z) - dist.log_prob(z), -1)
    log_px = -5. * np.log(2.)  # sigmoid cross-entropy of logit 0 at label 0, 5 pixels
    np.testing.assert_allclose(np.asarray(w), log_px + np.asarray(ratio), rtol=1e-4, atol=1e-3)


def test_log_weights_finite_where_the_simplex_point_underflows():
    latent, decoder = _model(temperature=0.1)
    # Spread pre-images: softmax++ of y / 0.1 underflows to exact zeros.
    params = tf.concat([tf.fill([2, 3, 3], 8.), tf.fill([2, 3, 3], 3.)], -1)
    params = params * tf.constant([1., -1., 0.5, 1., 1., 1.])
    dist = latent.layer.distribution(params)
    z = dist.sample(5, seed=(5, 6))
    assert np.any(np.asarray(z) == 0.)  # the situation that made the old bound NaN
    w = latent.log_weights(params, decoder, tf.zeros([2, 5]), num_samples=5, seed=(5, 6))
    assert w.shape == (5, 2) and np.all(np.isfinite(np.asarray(w)))


def test_anneal_options_change_the_paper_schedule():
    _, cfg = options.parse_args(["--preset", "paper"])
    assert cfg["anneal"] == dict(initial=1.0, rate=0.05, floor=0.5)
    _, cfg = options.parse_args(["--preset", "paper", "--temperature", "2",
                             "--temperature-floor", "0.1", "--anneal-rate", "0.02"])
    assert cfg["anneal"] == dict(initial=2.0, rate=0.02, floor=0.1)
    assert options.PRESETS["paper"]["anneal"]["floor"] == 0.5   # the preset is not mutated


def test_anneal_options_need_an_annealing_preset(capsys):
    with pytest.raises(SystemExit):
        options.parse_args(["--preset", "relaxit", "--temperature-floor", "0.1"])
    assert "--temperature-floor" in capsys.readouterr().err


@substrates.tensorflow_only("the estimators' training steps are TensorFlow-only in the "
                            "harness (they stop with a message on JAX)")
@pytest.mark.parametrize("requested, expected", [(None, 2), (5, 5)])
def test_estimator_samples_reach_the_estimator(monkeypatch, requested, expected):
    seen = []
    rloo = relaxtfp.estimators.rloo

    def spy(f, logits, **kwargs):
        seen.append(kwargs["num_samples"])

        def f_spy(b):
            seen.append(b.shape[0])
            return f(b)
        return rloo(f_spy, logits, **kwargs)

    monkeypatch.setattr(relaxtfp.estimators, "rloo", spy)
    latent = vae_model.LatentModel("rloo", "bernoulli", num_latents=3, num_classes=2,
                             temperature=1., correlation="identity", seed=0)
    model = vae_model.VAE(latent, 6, (4,), "none", estimator="rloo", estimator_samples=requested)
    reconstruction, _ = model._objective(tf.fill([2, 6], 0.5), training=True)
    assert seen == [expected, expected]
    assert np.isfinite(np.asarray(reconstruction))


@substrates.tensorflow_only("calls the TensorFlow train_step directly; on JAX Keras' "
                            "step is a pure function of the model's state")
def test_kl_warmup_ramps_the_divergence_weight_of_the_training_loss():
    latent = vae_model.LatentModel("straight_through_bernoulli", "bernoulli", num_latents=3,
                             num_classes=2, temperature=1., correlation="identity", seed=0)
    model = vae_model.VAE(latent, 6, (4,), "none")
    model.compile(optimizer="sgd")
    x = tf.fill([2, 6], 0.5)
    warmup = vae_model.KLWarmUp(4)
    warmup.set_model(model)
    scales = []
    for epoch in (0, 1, 3, 7):
        warmup.on_epoch_begin(epoch)
        scales.append(float(np.asarray(model.kl_scale)))
    assert scales == [0.25, 0.5, 1., 1.]
    # The training step weights the divergence by the scale; the recorded
    # loss does not. A stand-in objective whose divergence is sum(w^2) of one
    # kernel: one SGD step moves w by -lr * scale * 2w.
    w = model.encoder.trainable_variables[0]
    model._objective = lambda x, training: (tf.zeros([]), tf.reduce_sum(tf.square(w)))
    lr = float(np.asarray(model.optimizer.learning_rate))
    for epoch, scale in ((1, 0.5), (5, 1.)):
        warmup.on_epoch_begin(epoch)
        before = np.asarray(w).copy()
        for tracker in model.metrics:      # running means over an epoch
            tracker.reset_state()
        logs = model.train_step(x)
        np.testing.assert_allclose(np.asarray(w), before * (1. - 2. * lr * scale), rtol=1e-6)
        np.testing.assert_allclose(np.asarray(logs["loss"]), np.sum(before ** 2), rtol=1e-6)


@pytest.mark.parametrize("argv", [["--kl-warmup", "-1"], ["--estimator-samples", "0"]])
def test_bad_counts_are_refused(capsys, argv):
    with pytest.raises(SystemExit):
        options.parse_args(argv)
    assert argv[0] in capsys.readouterr().err


def test_learned_prior_enters_the_bounds_and_the_prior_draws():
    # q = p (params equal to the prior's logits) and a constant decoder:
    # every log weight is then log p(x|b) = -5 log 2 exactly. Bounds that
    # kept the fixed Bernoulli(0.5) prior would vary with b.
    latent = vae_model.LatentModel("correlated_relaxed_bernoulli", "bernoulli", num_latents=4,
                             num_classes=2, temperature=0.5, correlation="identity",
                             seed=0, learn_prior=True)
    latent.layer.build((None, 4))
    prior_logits = tf.constant([-3., -1., 0.5, 2.5])
    latent.layer.prior_logits.assign(prior_logits)
    params = tf.tile(prior_logits[None], [3, 1])
    decoder = lambda code: tf.zeros([tf.shape(code)[0], 5])   # noqa: E731
    w = np.asarray(latent.log_weights(params, decoder, tf.fill([3, 5], 0.5), 64,
                                      sub.seed(1, 2)))
    np.testing.assert_allclose(w, np.full((64, 3), -5. * np.log(2.)), rtol=1e-5)
    draws = np.asarray(latent.prior_sample(4000, sub.seed(3, 4)))
    # Frequencies of the learned prior's probabilities; 4000 draws: sd <= 0.008,
    # so 0.04 is over 5 sd (false failure < 1e-6 per unit).
    np.testing.assert_allclose(draws.mean(0), 1. / (1. + np.exp(-np.asarray(prior_logits))),
                               atol=0.04)


def test_learn_prior_needs_a_bernoulli_method():
    with pytest.raises(SystemExit, match="--learn-prior needs a Bernoulli method"):
        vae_model.LatentModel("gumbel_softmax", "categorical", num_latents=3, num_classes=4,
                        temperature=1., correlation="identity", seed=0, learn_prior=True)


def test_activation_and_decoder_bias_options_build_the_networks():
    latent = vae_model.LatentModel("straight_through_bernoulli", "bernoulli", num_latents=3,
                             num_classes=2, temperature=1., correlation="identity", seed=0)
    bias = np.array([-1., 0., 2., 0.5, -0.5, 1.], np.float32)
    model = vae_model.VAE(latent, 6, (4,), "none", activation="swish", output_bias=bias)
    np.testing.assert_array_equal(np.asarray(model.decoder.layers[-1].bias), bias)
    assert model.encoder.layers[1].activation is keras.activations.swish
    # A zero code gives the decoder's hidden layer swish(bias) = 0 for zero
    # biases, so the pixel logits are the output bias.
    np.testing.assert_allclose(np.asarray(model.decoder(tf.zeros([1, 3])))[0], bias)


def test_learning_rate_decay_reaches_its_factor_at_the_last_step():
    _, cfg = options.parse_args(["--preset", "paper", "--epochs", "3", "--batch-size", "10",
                             "--learning-rate", "0.01", "--learning-rate-decay", "0.1"])
    schedule = vae_model.learning_rate_schedule(cfg, 0.1, num_train=95)   # 10 steps an epoch
    rates = [float(schedule(step)) for step in (0, 15, 29)]
    np.testing.assert_allclose(rates, [0.01, 0.01 * 0.1 ** (15 / 29), 0.001], rtol=1e-5)
    assert vae_model.learning_rate_schedule(cfg, 1., num_train=95) == 0.01


@pytest.mark.parametrize("value", ["0", "1.5"])
def test_learning_rate_decay_out_of_range_is_refused(capsys, value):
    with pytest.raises(SystemExit):
        options.parse_args(["--learning-rate-decay", value])
    assert "--learning-rate-decay must be in (0, 1]" in capsys.readouterr().err


def test_tuned_options_run_end_to_end_and_are_recorded(capsys, tmp_path):
    pytest.importorskip("sklearn")   # --dataset digits
    argv = ["--smoke", "--dataset", "digits", "--preset", "paper", "--epochs", "2",
            "--method", "correlated_relaxed_bernoulli", "--learn-prior",
            "--activation", "swish", "--decoder-bias", "data-mean",
            "--learning-rate", "0.002", "--learning-rate-decay", "0.1",
            "--kl-warmup", "2", "--output-dir", str(tmp_path)]
    assert run.main(argv) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["epochs_run"] == 2
    assert np.isfinite(result["test_neg_elbo"]) and np.isfinite(result["test_neg_iwae"])
    assert {k: result[k] for k in ("learning_rate", "learning_rate_decay", "activation",
                                   "decoder_bias", "learn_prior", "kl_warmup_epochs")} == {
        "learning_rate": 0.002, "learning_rate_decay": 0.1, "activation": "swish",
        "decoder_bias": "data-mean", "learn_prior": True, "kl_warmup_epochs": 2}


def test_stochastic_times_smooth_prior_draws_use_the_learned_gate_value():
    # The decoder input of an open gate is s = P(open) of the prior: the
    # learned probability, not the fixed 0.5.
    latent = vae_model.LatentModel("stochastic_times_smooth", "bernoulli", num_latents=3,
                             num_classes=2, temperature=1., correlation="identity",
                             seed=0, learn_prior=True)
    latent.layer.build((None, 3))
    latent.layer.prior_logits.assign([-1., 0.5, 2.])
    draws = np.asarray(latent.prior_sample(200, sub.seed(1, 2)))
    s = 1. / (1. + np.exp(-np.array([-1., 0.5, 2.])))
    for j in range(3):
        np.testing.assert_allclose(np.unique(draws[:, j]), [0., s[j]], rtol=1e-6)


def test_options_answer_without_tensorflow_and_every_option_is_explained():
    # Run in a fresh interpreter: --help must not wait for TensorFlow.
    code = ("import sys; from benchmarks.vae import options; options.parse_args([]); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(utils.ROOT), check=True).stdout.split()
    assert out == ["False", "False"]
    parser = options.build_parser()
    for action in parser._actions:
        assert action.help, f"{action.option_strings} has no help text"
    words = " ".join(parser.format_help().split())
    assert "(default: relaxit)" in words
    assert "(default: correlated_relaxed_bernoulli)" in words
    for method in options.METHODS:   # each choice is described
        assert f"{method}: " in words, method


def test_epoch_progress_is_clipped_to_the_epochs_steps():
    # Keras reports the last step of each compiled call: with 50 steps per
    # execution and a 12-step epoch, step index 49. The bar must show 12/12.
    progress = vae_model.EpochProgress(steps=12, epochs=3)
    progress.on_epoch_begin(0)
    bar = progress._bar
    progress.on_train_batch_end(49)
    assert bar.n == 12 and bar.total == 12
    progress.on_epoch_end(0, {"loss": 1.5})
    assert bar.n == 12


_DISCRETE_METHODS = [
    ("correlated_relaxed_bernoulli", "bernoulli"),
    ("straight_through_relaxed_bernoulli", "bernoulli"),
    ("straight_through_bernoulli", "bernoulli"), ("hard_concrete", "bernoulli"),
    ("gaussian_relaxed_bernoulli", "bernoulli"), ("stochastic_times_smooth", "bernoulli"),
    ("rloo", "bernoulli"), ("gumbel_softmax", "categorical"),
    ("straight_through_gumbel_softmax", "categorical"),
    ("decoupled_straight_through_gumbel_softmax", "categorical"),
    ("gumbel_softmax_top_k", "categorical")]


@pytest.mark.parametrize("method,latent", [
    pytest.param(m, latent, id=m) for m, latent in _DISCRETE_METHODS])
def test_discrete_bounds_score_hard_latents_under_the_discrete_law(method, latent):
    """The discrete bounds draw hard latents from the layer's
    `discrete_law()` and score them under it and the layer's `prior_law`:
    with a decoder that ignores its input, log p(x|b) is a constant c, so the
    mean log-weight is c - KL(q || p) up to Monte Carlo error, and the
    log-weights are finite for every method."""
    latent_model = vae_model.LatentModel(method, latent, num_latents=3, num_classes=4,
                                         temperature=0.5, correlation="identity", seed=0)
    params = 1.5 * tf.random.stateless_normal((2,) + latent_model.shape, seed=sub.seed(1, 2))
    latent_model.layer(params)      # builds the layer (its categorical prior needs K)
    x = tf.zeros([2, 5])
    w = latent_model.log_weights(params, lambda code: tf.zeros([tf.shape(code)[0], 5]), x,
                                 4000, sub.seed(3, 4))
    assert np.all(np.isfinite(np.asarray(w)))
    if method in ("gumbel_softmax_top_k", "stochastic_times_smooth"):
        return   # no closed-form KL of the subset law; STS decodes b * sqrt(p)
    constant = -5. * np.log(2.)       # sigmoid cross-entropy of logit 0 at x = 0
    q = latent_model.discrete_law(params)
    kl = tf.reduce_sum(tfd.kl_divergence(q, latent_model.layer.prior_law()), -1)
    # The standard error of the mean of 4000 log-weights is at most 0.017
    # for these parameters (measured over every method), so 0.1 is 5.9
    # standard errors: a false-failure rate below 1e-8 (normal
    # approximation). Scoring under another law or prior moves the mean by
    # a KL difference of order 1.
    np.testing.assert_allclose(np.mean(np.asarray(w), 0), constant - np.asarray(kl), atol=0.1)
