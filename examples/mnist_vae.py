"""A discrete-latent VAE on MNIST with a relaxtfp latent layer.

    python examples/mnist_vae.py --dataset digits --epochs 100   # offline
    python examples/mnist_vae.py --data-dir DIR                  # MNIST IDX files in DIR
    python examples/mnist_vae.py --method straight_through_gumbel_softmax
    KERAS_BACKEND=jax python examples/mnist_vae.py --dataset digits  # Keras on JAX

The encoder maps an image, binarized at 0.5, to the parameters of 20 latent
variables (Bernoulli, or categorical with 10 classes). A `relaxtfp.layers`
latent layer (`relaxtfp.substrates.jax.layers` when Keras runs on JAX) draws
a relaxed or straight-through sample while training and adds, with
`add_loss`, the closed-form KL of the discrete law behind it to a uniform
prior. The decoder maps the sample to pixel logits, and `fit` minimises the
summed binary cross-entropy plus that KL.

Built with `inference_mode="hard"`, the layer returns at inference
(`training=False`) a sample b of that discrete law, and `layer.divergence`
gives KL(q(b|x) || p(b)) per image. The example then prints the discrete
bound on the test set, in nats per image (lower is better):

    -ELBO = E_q[-log p(x|b)] + KL(q(b|x) || p(b)),

with the expectation averaged over `--samples` draws of b. It saves
`reconstructions.png` (test images over their reconstructions from hard
latents) and `prior_samples.png` (decoder means of uniform prior draws) in
`--output-dir`, and prints one JSON line with the result (`test_kl`: the
KL term, how many nats the code carries about an image).

The methods offered are the layers for which this bound is the ELBO of the
discrete model. The harness `python -m benchmarks.vae` (see
benchmarks/README.md) runs every layer and estimator, with the presets,
importance-weighted bounds and reports of the docs' tables.
"""

import argparse
import gzip
import json
import os

METHODS = {  # name: (latent kind, the relaxtfp.layers class used)
    "correlated_relaxed_bernoulli": ("bernoulli", "CorrelatedRelaxedBernoulliLatent, R = I"),
    "straight_through_relaxed_bernoulli": ("bernoulli", "StraightThroughRelaxedBernoulliLatent"),
    "straight_through_bernoulli": ("bernoulli", "StraightThroughBernoulliLatent"),
    "hard_concrete": ("bernoulli", "HardConcreteLatent, gates scored open/closed"),
    "gaussian_relaxed_bernoulli": ("bernoulli", "GaussianRelaxedBernoulliLatent, scale 0.5"),
    "gumbel_softmax": ("categorical", "GeneralizedGumbelSoftmaxLatent, one-hot weights"),
    "straight_through_gumbel_softmax": ("categorical", "StraightThroughGumbelSoftmaxLatent"),
    "decoupled_straight_through_gumbel_softmax": (
        "categorical", "DecoupledStraightThroughGumbelSoftmaxLatent"),
}
LATENTS, CLASSES = 20, 10


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--method", default="correlated_relaxed_bernoulli", choices=METHODS,
                   metavar="METHOD", help="the latent layer: " + "; ".join(
                       f"{name} ({kind}): {layer}" for name, (kind, layer) in METHODS.items()))
    p.add_argument("--dataset", default="mnist", choices=("mnist", "digits"),
                   help="MNIST, or scikit-learn's 8x8 digits (offline; not MNIST)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="MNIST: folder of the four IDX files (raw or .gz); default: "
                        "keras.datasets.mnist (downloads once)")
    p.add_argument("--epochs", type=int, default=10, help="training epochs")
    p.add_argument("--samples", type=int, default=10,
                   help="latent draws per test image for the -ELBO")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and noise")
    p.add_argument("--output-dir", default="mnist_vae_output", help="folder of the PNGs")
    p.add_argument("--smoke", action="store_true",
                   help="tiny run for the tests: 1 epoch, 256 training images")
    return p.parse_args()


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow is imported: --help answers at once.

# Silences TensorFlow's start-up messages except the oneDNN notice, which
# is printed before this applies (README, "Troubleshooting").
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

import relaxtfp  # noqa: E402

# The layers for Keras' backend: `relaxtfp.layers` on TensorFlow, the same
# layers on TFP's JAX substrate with KERAS_BACKEND=jax.
if keras.backend.backend() == "jax":
    from relaxtfp.substrates import jax as rtfp  # noqa: E402
else:
    rtfp = relaxtfp


def read_idx(data_dir, name):
    """One MNIST IDX file as a uint8 array: a 4-byte magic number whose last
    byte is the rank, the big-endian dimensions, then the data."""
    path = os.path.join(data_dir, name)
    with (open(path, "rb") if os.path.exists(path) else gzip.open(path + ".gz")) as f:
        raw = f.read()
    shape = np.frombuffer(raw, ">u4", count=raw[3], offset=4)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * raw[3]).reshape(shape)


def load_images(dataset, data_dir):
    """(train, test) float32 images in [0, 1], one flattened image per row,
    and the image shape."""
    if dataset == "digits":
        from sklearn.datasets import load_digits
        images = load_digits().images.reshape(-1, 64).astype("float32") / 16.
        images = images[np.random.default_rng(0).permutation(len(images))]
        return images[300:], images[:300], (8, 8)
    if data_dir:
        train, test = (read_idx(data_dir, f"{s}-images-idx3-ubyte") for s in ("train", "t10k"))
    else:
        (train, _), (test, _) = keras.datasets.mnist.load_data()
    return (train.reshape(-1, 784).astype("float32") / 255.,
            test.reshape(-1, 784).astype("float32") / 255., (28, 28))


def latent_layer(method, seed):
    """The method's latent layer: hard samples at inference, uniform prior.
    The temperature is set by the annealing callback."""
    latents, kw = rtfp.layers, dict(inference_mode="hard", seed=seed)
    return {   # R = I below: the correlated layer's hard latents are independent
        "correlated_relaxed_bernoulli": lambda: latents.CorrelatedRelaxedBernoulliLatent(
            correlation=np.eye(LATENTS), **kw),
        "straight_through_relaxed_bernoulli": lambda: latents.StraightThroughRelaxedBernoulliLatent(
            **kw),
        "straight_through_bernoulli": lambda: latents.StraightThroughBernoulliLatent(**kw),
        "hard_concrete": lambda: latents.HardConcreteLatent(**kw),
        "gaussian_relaxed_bernoulli":
            lambda: latents.GaussianRelaxedBernoulliLatent(scale=0.5, **kw),
        "gumbel_softmax": lambda: latents.GeneralizedGumbelSoftmaxLatent(
            values=list(range(CLASSES)), output_type="weights", **kw),
        "straight_through_gumbel_softmax": lambda: latents.StraightThroughGumbelSoftmaxLatent(**kw),
        "decoupled_straight_through_gumbel_softmax":
            lambda: latents.DecoupledStraightThroughGumbelSoftmaxLatent(**kw),
    }[method]()


def save_grid(images, shape, path, rows, title):
    cols = len(images) // rows
    fig, axes = plt.subplots(rows, cols, figsize=(cols, rows + 0.4))
    for ax, image in zip(axes.ravel(), images):
        ax.imshow(image.reshape(shape), cmap="gray", vmin=0., vmax=1.)
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)


def main(args):
    keras.utils.set_random_seed(args.seed)
    kind = METHODS[args.method][0]

    # Data: pixels binarized at 0.5, so -log p(x|b) is a log-likelihood.
    x_train, x_test, shape = load_images(args.dataset, args.data_dir)
    if args.smoke:
        args.epochs, x_train, x_test, args.samples = 1, x_train[:256], x_test[:64], 2
    x_train, x_test = ((x > 0.5).astype("float32") for x in (x_train, x_test))
    pixels = x_train.shape[1]

    # Encoder -> latent layer -> decoder.
    latent_shape = (LATENTS,) if kind == "bernoulli" else (LATENTS, CLASSES)
    code_size = int(np.prod(latent_shape))
    x = keras.Input((pixels,))
    h = keras.layers.Dense(256, activation="relu")(x)
    h = keras.layers.Dense(256, activation="relu")(h)
    params = keras.layers.Reshape(latent_shape)(keras.layers.Dense(code_size)(h))
    encoder = keras.Model(x, params, name="encoder")
    latent = latent_layer(args.method, args.seed)
    decoder = keras.Sequential([
        keras.Input((code_size,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(pixels)], name="decoder")
    code = keras.layers.Reshape((code_size,))(latent(encoder(x)))
    vae = keras.Model(x, decoder(code), name="vae")

    # Training: reconstruction (summed over pixels) + the layer's KL (add_loss).
    def reconstruction(x, logits):
        return keras.ops.sum(keras.ops.binary_crossentropy(x, logits, from_logits=True), -1)

    vae.compile(optimizer=keras.optimizers.Adam(1e-3), loss=reconstruction)
    callbacks = []
    if latent.temperature is not None:   # anneal 1 -> 0.5, as in Jang et al. (2017)
        callbacks.append(rtfp.layers.TemperatureAnnealing(
            initial=1., rate=0.05, floor=0.5))
    vae.fit(x_train, x_train, batch_size=100, epochs=args.epochs, callbacks=callbacks,
            validation_data=(x_test, x_test), verbose=2 if args.smoke else 1)

    # The discrete bound: hard latents b ~ q(b|x) (training=False) and the KL.
    nll = kl = 0.
    for start in tqdm(range(0, len(x_test), 500), desc="test -ELBO", unit="batch"):
        x_batch = x_test[start:start + 500]
        kl += float(np.sum(latent.divergence(encoder(x_batch, training=False))))
        nll += float(np.mean([np.sum(reconstruction(x_batch, vae(x_batch, training=False)))
                              for _ in range(args.samples)]))
    neg_elbo, kl = (nll + kl) / len(x_test), kl / len(x_test)
    print(json.dumps({"method": args.method, "dataset": args.dataset,
                      "epochs": args.epochs, "samples": args.samples,
                      "test_neg_elbo": round(neg_elbo, 3), "test_kl": round(kl, 3)}))

    # The pictures: reconstructions from hard latents, and prior draws.
    os.makedirs(args.output_dir, exist_ok=True)
    recon = keras.ops.sigmoid(vae(x_test[:8], training=False))
    save_grid(np.concatenate([x_test[:8], recon]), shape,
              os.path.join(args.output_dir, "reconstructions.png"), 2,
              f"{args.method}: test images (top), reconstructions (bottom)")
    rng = np.random.default_rng(args.seed)
    if kind == "bernoulli":   # the uniform prior: Bernoulli(0.5) or one class in 10
        prior = (rng.random((64, LATENTS)) < 0.5).astype("float32")
    else:
        prior = np.eye(CLASSES, dtype="float32")[rng.integers(CLASSES, size=(64, LATENTS))]
    samples = keras.ops.sigmoid(decoder(prior.reshape(64, code_size)))
    save_grid(np.asarray(samples), shape, os.path.join(args.output_dir, "prior_samples.png"),
              8, f"{args.method}: decoder means of 64 prior draws")
    print(f"test -ELBO {neg_elbo:.2f} nats per image; pictures in {args.output_dir}/")


if __name__ == "__main__":
    main(ARGS)
