"""One run of the VAE harness: data, model, `fit`, the test bounds, the two
pictures and one line of JSON on stdout (everything else goes to stderr).

The options are parsed before TensorFlow is imported, so `--help` and a bad
option answer at once. The Keras backend is `KERAS_BACKEND`'s, TensorFlow by
default; on `jax` the latent-layer methods run on `relaxtfp.substrates.jax`
with TensorFlow not installed at all, and the TensorFlow-only paths (the
estimators' training steps, `--strategy mirrored`, loading MNIST with
`tensorflow_datasets`) stop with a message.
"""

import contextlib
import json
import math
import os
import shutil
import sys
import time

from benchmarks.vae.options import ESTIMATOR_METHODS
from benchmarks.vae.options import parse_args


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def main(argv=None):
    args, cfg = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import numpy as np

    from benchmarks import vae_data
    from benchmarks.vae import backend
    from benchmarks.vae import bounds
    from benchmarks.vae import model
    from benchmarks.vae import pictures

    if args.strategy == "mirrored":
        backend.require_tensorflow("--strategy mirrored (tf.distribute)")
    if args.method in ESTIMATOR_METHODS:
        backend.require_tensorflow(f"--method {args.method} (an estimator's training step)")
    keras.utils.set_random_seed(args.seed)
    try:
        data = vae_data.load_dataset(args.dataset, args.data_dir, args.tfds_data_dir)
    except (vae_data.DataUnavailableError, ValueError) as error:   # ValueError: bad options
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

    if backend.JAX:
        strategy_scope = contextlib.nullcontext()
    else:
        tf = backend.tf
        strategy_scope = (tf.distribute.MirroredStrategy() if args.strategy == "mirrored"
                          else tf.distribute.get_strategy()).scope()
    estimator = args.method if args.method in ESTIMATOR_METHODS else None
    with strategy_scope:
        latent = model.LatentModel(args.method, cfg["latent"], cfg["num_latents"],
                                   cfg["num_classes"], cfg["temperature"], args.correlation,
                                   top_k=args.top_k, learn_prior=args.learn_prior,
                                   seed=args.seed)
        output_bias = None
        if args.decoder_bias == "data-mean":
            mean = np.clip(x_train.mean(0), 1e-3, 1. - 1e-3)
            output_bias = np.log(mean) - np.log1p(-mean)
        vae = model.VAE(latent, x_train.shape[1], cfg["hidden"], cfg["binarize"],
                        estimator=estimator, seed=args.seed + 1,
                        estimator_samples=args.estimator_samples,
                        activation=args.activation, output_bias=output_bias)
        learning_rate = model.learning_rate_schedule(
            cfg, args.learning_rate_decay, len(x_train))
        vae.compile(optimizer=keras.optimizers.Adam(learning_rate),
                    jit_compile=not args.no_jit,
                    steps_per_execution=args.steps_per_execution)
        vae(x_train[:2])   # builds the weights (BackupAndRestore needs them)
    if backend.JAX:
        # NumPy arrays: Keras batches them, and shuffles the training images
        # every epoch (its generator is seeded by set_random_seed above).
        train, test = x_train, x_test
        fit_options = dict(batch_size=cfg["batch_size"], shuffle=True)
    else:
        train = (tf.data.Dataset.from_tensor_slices(x_train)
                 .shuffle(len(x_train), seed=args.seed, reshuffle_each_iteration=True)
                 .batch(cfg["batch_size"]).prefetch(tf.data.AUTOTUNE))
        test = tf.data.Dataset.from_tensor_slices(x_test).batch(cfg["batch_size"])
        fit_options = dict(shuffle=False)
    timer = model.EpochTimer()
    callbacks = [keras.callbacks.BackupAndRestore(backup), timer]
    has_temperature = latent.layer.temperature is not None
    if cfg["anneal"] and has_temperature and estimator is None:
        callbacks.append(model.latents.TemperatureAnnealing(**cfg["anneal"]))
    if args.kl_warmup > 0:
        callbacks.append(model.KLWarmUp(args.kl_warmup))
    if args.verbose:
        steps = math.ceil(len(x_train) / cfg["batch_size"])
        callbacks.append(model.EpochProgress(steps, cfg["epochs"]))
    with contextlib.redirect_stdout(sys.stderr):   # stdout: the JSON line only.
        history = vae.fit(train, epochs=cfg["epochs"], validation_data=test,
                          callbacks=callbacks, verbose=0, **fit_options)
    start = time.perf_counter()
    neg_elbo, neg_iwae = bounds.evaluate_bounds(
        vae, x_test, args.iwae_k, args.eval_batch_size, args.seed, jit=not args.no_jit,
        progress=bool(args.verbose))
    eval_seconds = time.perf_counter() - start
    pictures.save_pictures(vae, data, x_test, args.output_dir, args.method, args.seed)
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
            float(np.asarray(latent.layer.temperature)) if has_temperature else None),
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
        "jit_compile": not args.no_jit, "keras_backend": keras.backend.backend(),
    }
    print(json.dumps(result), flush=True)
    return 0
