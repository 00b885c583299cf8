"""The presets, the methods and the command line of the VAE harness.

This module imports neither TensorFlow nor Keras, so that `--help` and a bad
option answer at once.
"""

import argparse

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


METHOD_HELP = {
    "correlated_relaxed_bernoulli": "CorrelatedRelaxedBernoulliLatent (--correlation)",
    "straight_through_relaxed_bernoulli": "StraightThroughRelaxedBernoulliLatent",
    "straight_through_bernoulli": "StraightThroughBernoulliLatent",
    "hard_concrete": "HardConcreteLatent (0/1 gates in the bounds)",
    "gaussian_relaxed_bernoulli": "GaussianRelaxedBernoulliLatent, scale 0.5",
    "stochastic_times_smooth": "StochasticTimesSmoothLatent (bound_note: not a "
                               "generative bound)",
    "gumbel_softmax": "GeneralizedGumbelSoftmaxLatent, relaxed one-hot weights",
    "straight_through_gumbel_softmax": "StraightThroughGumbelSoftmaxLatent",
    "decoupled_straight_through_gumbel_softmax":
        "DecoupledStraightThroughGumbelSoftmaxLatent, forward temperature 1",
    "invertible_gaussian": "InvertibleGaussianLatent (continuous bounds)",
    "logistic_normal_softmax": "LogisticNormalSoftmaxLatent (continuous bounds)",
    "gumbel_softmax_top_k": "GumbelSoftmaxTopKLatent, k-subsets (--top-k)",
    "reinforce": "relaxtfp.estimators.reinforce, moving-average baseline",
    "rloo": "relaxtfp.estimators.rloo",
    "arm": "relaxtfp.estimators.arm",
    "disarm": "relaxtfp.estimators.disarm",
    "rebar": "relaxtfp.estimators.rebar, temperature 0.5, weight 1",
}


def _choices(names):
    return "; ".join(f"{name}: {METHOD_HELP[name]}" for name in names)


def build_parser():
    """The harness's `argparse` parser (every option has a help text)."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.vae",
        description="The discrete-latent VAE harness of relaxtfp: every latent layer "
                    "and estimator, the presets of the docs' tables, the discrete test "
                    "bounds, resume, a distribution strategy and a JSON report (one line on "
                    "stdout). The docstring of benchmarks/vae/__init__.py defines every "
                    "reported quantity.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--method", default="correlated_relaxed_bernoulli", choices=METHODS,
                   metavar="METHOD",
                   help="the latent layer or estimator. Bernoulli latents: "
                        + _choices(BERNOULLI_METHODS + ESTIMATOR_METHODS)
                        + ". Categorical latents (--latent categorical): "
                        + _choices(CATEGORICAL_METHODS))
    p.add_argument("--preset", default="relaxit", choices=sorted(PRESETS),
                   help="relaxit: the reference demo (784-400-20-400-784, batch 128, "
                        "10 epochs, temperature 0.1, grey-level targets); paper: Jang et "
                        "al. (2017) Table 1 (784-512-256-latents-256-512-784, batch 100, "
                        "100 epochs, annealed temperature, dynamic binarization)")
    p.add_argument("--latent", choices=("bernoulli", "categorical"),
                   help="latent type; default: the preset's (Bernoulli: the preset's "
                        "count, 20 or 200; categorical: 20 variables of 10 classes)")
    p.add_argument("--dataset", default="mnist", choices=("mnist", "digits"),
                   help="mnist, or scikit-learn's 8x8 digits (offline, not MNIST)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="folder with the four MNIST IDX files (.gz or raw); "
                        "default: tfds.load('mnist')")
    p.add_argument("--tfds-data-dir", metavar="DIR", help="tfds data folder (default: tfds's)")
    p.add_argument("--epochs", type=int, help="override the preset's epochs")
    p.add_argument("--batch-size", type=int, help="override the preset's batch size")
    p.add_argument("--learning-rate", type=float,
                   help="Adam's learning rate; default: the preset's (1e-3)")
    p.add_argument("--temperature", type=float,
                   help="(initial) temperature; default: the preset's (relaxit 0.1, "
                        "paper 1.0)")
    p.add_argument("--temperature-floor", type=float, metavar="TAU",
                   help="paper preset: the floor of the annealed temperature (the "
                        "preset's: 0.5)")
    p.add_argument("--anneal-rate", type=float, metavar="R",
                   help="paper preset: the decay rate per epoch of the temperature "
                        "(the preset's: 0.05)")
    p.add_argument("--kl-warmup", type=int, default=0, metavar="EPOCHS",
                   help="ramp the divergence's weight in the training loss linearly to 1 "
                        "over this many epochs (0: weight 1 throughout); the reported "
                        "losses and bounds always use weight 1")
    p.add_argument("--learning-rate-decay", type=float, default=1., metavar="F",
                   help="decay the learning rate exponentially, step by step, to F times "
                        "its initial value at the last step (1: constant)")
    p.add_argument("--activation", choices=("relu", "leaky_relu", "swish"), default="relu",
                   help="activation of the hidden layers")
    p.add_argument("--decoder-bias", choices=("zeros", "data-mean"), default="zeros",
                   help="initial output bias of the decoder: zeros, or the logits of the "
                        "mean training image")
    p.add_argument("--learn-prior", action="store_true",
                   help="Bernoulli methods: learn the prior's logits (a factorized prior) "
                        "instead of the fixed Bernoulli(0.5)")
    p.add_argument("--top-k", type=int, default=2,
                   help="gumbel_softmax_top_k: the size k of each latent subset (k of "
                        "the 10 classes)")
    p.add_argument("--correlation", choices=("identity", "learned"), default="identity",
                   help="correlated_relaxed_bernoulli: R = I (the demo's) or learned")
    p.add_argument("--binarize", choices=("none", "dynamic"),
                   help="none: grey levels as Bernoulli targets; dynamic: a fresh "
                        "Bernoulli(pixel) draw at every step; default: the preset's "
                        "(relaxit none, paper dynamic)")
    p.add_argument("--estimator-samples", type=int, metavar="N",
                   help="unbiased estimators: samples of the latents per image and step "
                        "(pairs for arm/disarm); default: reinforce 1, rloo 2, arm 1, "
                        "disarm 1, rebar 1")
    p.add_argument("--iwae-k", type=int, default=100,
                   help="latent samples per test image for the bounds")
    p.add_argument("--eval-batch-size", type=int, default=100,
                   help="test images per step of the bound scoring")
    p.add_argument("--seed", type=int, default=0, help="seed of weights, noise and shuffling")
    p.add_argument("--output-dir", default="mnist_vae_output",
                   help="folder of the PNGs and of the resume checkpoint")
    p.add_argument("--save", metavar="PATH.keras",
                   help="save the trained autoencoder (image -> pixel logits) there")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint in OUTPUT_DIR/checkpoint")
    p.add_argument("--strategy", choices=("default", "mirrored"), default="default",
                   help="train under tf.distribute.MirroredStrategy with 'mirrored'")
    p.add_argument("--no-jit", action="store_true", help="do not compile with XLA")
    p.add_argument("--steps-per-execution", type=int, default=50,
                   help="training steps per compiled call (fewer host round trips)")
    p.add_argument("--max-train", type=int, help="use only the first N training images")
    p.add_argument("--max-test", type=int, help="use only the first N test images")
    p.add_argument("--verbose", type=int, default=1, choices=(0, 1),
                   help="1: progress bars (training epochs and bound scoring) on "
                        "stderr; 0: none")
    p.add_argument("--smoke", action="store_true",
                   help="tiny run for the tests: 1 epoch on 256 images, 64 test images, "
                        "k = 4")
    return p


def parse_args(argv=None):
    """The options and the configuration they give: `(args, cfg)`.

    `cfg` is the preset's dict with the command line's overrides applied
    (the preset itself is not changed).
    """
    p = build_parser()
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

