"""The test bounds (-ELBO and -IWAE) of a trained VAE, with a progress bar."""

import math
import sys

from tqdm import tqdm

from benchmarks.vae import backend
from benchmarks.vae.backend import tf


def evaluate_bounds(vae, x_test, num_samples, batch_size, seed, jit, progress=False):
    """(-ELBO, -IWAE) averaged over the test images, in nats.

    Each batch of `batch_size` images gets `num_samples` latent draws from
    the law `vae.latent.log_weights` scores (seed `[seed, batch index]`).
    `progress=True` shows a tqdm bar on stderr, counted in test images.
    """
    latent = vae.latent

    def batch_bounds(x, seed):
        params = vae.encoder(x, training=False)
        w = latent.log_weights(params, vae.decoder, x, num_samples, seed)
        elbo = tf.reduce_mean(w, 0)
        iwae = tf.reduce_logsumexp(w, 0) - math.log(num_samples)
        return tf.reduce_sum(elbo), tf.reduce_sum(iwae)

    if backend.JAX:
        if jit:
            import jax
            batch_bounds = jax.jit(batch_bounds)
    else:
        batch_bounds = tf.function(batch_bounds, jit_compile=jit, reduce_retracing=True)

    total_elbo = total_iwae = 0.
    with tqdm(total=len(x_test), desc=f"test bounds, k = {num_samples}", unit="image",
              file=sys.stderr, disable=not progress) as bar:
        for i, start in enumerate(range(0, len(x_test), batch_size)):
            x = tf.constant(x_test[start:start + batch_size])
            elbo, iwae = batch_bounds(x, backend.seed(seed, i))
            total_elbo += float(elbo)
            total_iwae += float(iwae)
            bar.update(len(x))
    n = len(x_test)
    return -total_elbo / n, -total_iwae / n

