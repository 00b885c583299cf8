"""The VAE harness: a discrete-latent VAE on MNIST with any relaxtfp
relaxation or estimator, scored by bounds on the discrete model.

Run it from the repository root (the package `benchmarks.vae` must be
importable from there):

    python -m benchmarks.vae --dataset digits --epochs 100        # offline
    python -m benchmarks.vae --preset relaxit --data-dir DIR       # 10 epochs
    python -m benchmarks.vae --preset paper --latent categorical \
        --method gumbel_softmax --data-dir DIR

Presets:

* `--preset relaxit` (default): the reference library's demo set-up,
  784-400-20-400-784 with ReLU, batch 128, Adam 1e-3, 10 epochs, grey-level
  pixels as Bernoulli targets (no binarization, as in the demo), temperature
  0.1 fixed. The demo reports "test loss": summed BCE plus the Bernoulli KL
  at a relaxed (training-mode) sample, per test image; the harness prints the
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

    python -m benchmarks.vae --preset paper --temperature-floor 0.1 \
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
latents `b` drawn from the discrete law behind the relaxation (the layer's
`distribution(params).discrete_law()`), with the decoder evaluated at them
and the layer's `prior_law()`, the prior of the training loss (uniform, or
the learned one with `--learn-prior`):

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
objective, which the harness does not set up.

Speed: the training step is compiled with XLA (`--no-jit` turns it off), the
images are in-memory tensors fed by `tf.data` with prefetch, dynamic
binarization runs inside the compiled step, and `--steps-per-execution`
(default 50) runs that many steps per call, which removes most of the
per-step host overhead on a small CPU model.

`examples/mnist_vae.py` is the short version to read first: one latent
layer, `fit`, the discrete -ELBO. This package keeps everything the docs'
tables were made with: presets, every method's bound, the estimators'
training steps, resume, a distribution strategy and the JSON report.
Modules: `options` (presets, methods, the command line; no TensorFlow),
`model` (the latent model of each method and the Keras VAE), `bounds`,
`pictures` and `run` (`main`); the data loaders are `benchmarks.vae_data`.

Outputs: progress bars on stderr (a bar per epoch, clipped to the epoch's
steps, and one for the bound scoring), `reconstructions.png` (test images over their
reconstructions from hard latents) and `prior_samples.png` in
`--output-dir`, and ONE line of JSON results on stdout (everything else goes
to stderr). `--save PATH.keras` writes the trained autoencoder
(image -> pixel logits); `--resume` continues an interrupted run from the
checkpoints in `--output-dir/checkpoint`; `--strategy mirrored` trains under
`tf.distribute.MirroredStrategy`.

Data: `tfds.load("mnist")` by default; `--data-dir DIR` reads the four IDX
files (the report records `"IDX files in --data-dir"`, never the folder);
`--dataset digits` uses scikit-learn's 8x8 digits (offline). If the data
cannot be loaded the run stops with a message; it never substitutes other
data.
"""
