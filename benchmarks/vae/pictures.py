"""The two pictures of a run: test images over their reconstructions, and
decoder means of draws from the prior."""

import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.vae import backend  # noqa: E402
from benchmarks.vae.backend import tf  # noqa: E402


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
    recon = np.asarray(tf.math.sigmoid(vae.autoencoder(tf.constant(x), training=False)))
    save_grid(np.concatenate([x, recon]), shape,
              os.path.join(output_dir, "reconstructions.png"), 2,
              f"{method}: test images (top) and reconstructions from hard latents")
    code = vae.latent.prior_sample(64, backend.seed(seed, 7))
    samples = np.asarray(tf.math.sigmoid(vae.decoder(code, training=False)))
    save_grid(samples, shape, os.path.join(output_dir, "prior_samples.png"), 8,
              f"{method}: decoder means of 64 prior draws")

