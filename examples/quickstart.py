"""Quickstart: sample every relaxtfp distribution and check it against its law.

For each distribution in `relaxtfp.distributions` this script

  * draws samples with a fixed stateless seed,
  * prints a table of sample means against the analytic `mean()`, with the
    Monte Carlo standard error, and
  * saves one PNG per distribution: the density from `log_prob` over a
    histogram of the samples (point masses and discrete values as bars).

Simplex distributions are shown with K = 2 categories, where the simplex is
the interval [0, 1] and `log_prob([x, 1 - x])` is the density of the first
coordinate; the correlated relaxed Bernoulli shows the first coordinate's
marginal, obtained by integrating the joint `log_prob` over the second.

Run:

    python examples/quickstart.py --output-dir quickstart_output
    KERAS_BACKEND=jax python examples/quickstart.py   # on TFP's JAX substrate

`--smoke` draws fewer samples (used by the test suite).
"""

import argparse
import dataclasses
import itertools
import os
import sys
from typing import Callable


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--num-samples", type=int, default=100_000,
                        help="samples per distribution")
    parser.add_argument("--seed", type=int, default=0, help="stateless seed")
    parser.add_argument("--output-dir", default="quickstart_output",
                        help="where the PNGs go")
    parser.add_argument("--smoke", action="store_true",
                        help="a fast run with 2000 samples (for the test suite)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    # Answer --help and reject bad flags before TensorFlow loads (seconds).
    ARGS = parse_args()

# Silences TensorFlow's start-up messages except the oneDNN notice, which
# is printed before this applies (README, "Troubleshooting").
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import special  # noqa: E402
from tqdm import tqdm  # noqa: E402

import relaxtfp  # noqa: E402

# TFP's JAX substrate when KERAS_BACKEND=jax (as for the Keras examples),
# else TensorFlow. Both take NumPy arrays as parameters and values.
if os.environ.get("KERAS_BACKEND") == "jax":
    import jax  # noqa: E402

    jax.config.update("jax_enable_x64", True)  # The float64 showcases below.
    from relaxtfp.substrates import jax as rtfp  # noqa: E402
else:
    rtfp = relaxtfp

tfd = rtfp.distributions


def f64(x):
    """A float64 constant: the showcases compare means to 5 decimals."""
    return np.asarray(x, np.float64)


@dataclasses.dataclass
class Showcase:
    """One distribution to sample and plot.

    kind: how to compare samples with `log_prob`:
      "mixed"     scalar law on [0, 1] with atoms at 0 and 1 and a density;
      "unit"      scalar law with a density on (0, 1);
      "discrete"  scalar law on finitely many values;
      "onehot"    one-hot vectors (categorical forward law);
      "subset"    k-hot vectors (a set of k categories);
      "simplex2"  K = 2 simplex law; plotted as the first coordinate;
      "joint2"    a 2-D law on (0, 1)^2; plotted as the first marginal.
    """

    name: str
    make: Callable[[], object]
    kind: str


def showcases():
    """The gallery, one entry per public distribution that exists."""
    entries = [
        Showcase("HardConcrete", lambda: tfd.HardConcrete(f64(0.5), logits=f64(0.3)), "mixed"),
        Showcase("GaussianRelaxedBernoulli",
                 lambda: tfd.GaussianRelaxedBernoulli(loc=f64(0.4), scale=f64(0.5)), "mixed"),
        Showcase("StraightThroughBernoulli",
                 lambda: tfd.StraightThroughBernoulli(probs=f64(0.3)), "discrete"),
        Showcase("StochasticTimesSmooth",
                 lambda: tfd.StochasticTimesSmooth(probs=f64(0.3)), "discrete"),
        Showcase("StraightThroughRelaxedBernoulli",
                 lambda: tfd.StraightThroughRelaxedBernoulli(f64(0.5), probs=f64(0.3)), "discrete"),
        Showcase("RebarRelaxation",
                 lambda: tfd.RebarRelaxation(f64(1.5), logits=f64(0.3)), "unit"),
        Showcase("CorrelatedRelaxedBernoulli",
                 lambda: tfd.CorrelatedRelaxedBernoulli(
                     f64(0.6), logits=f64([0.5, -0.5]), correlation=f64([[1., 0.7], [0.7, 1.]])),
                 "joint2"),
        Showcase("StraightThroughGumbelSoftmax",
                 lambda: tfd.StraightThroughGumbelSoftmax(f64(0.5), logits=f64([1., 0., -1., 0.5])),
                 "onehot"),
        Showcase("DecoupledStraightThroughGumbelSoftmax",
                 lambda: tfd.DecoupledStraightThroughGumbelSoftmax(
                     f64(2.), f64(0.5), logits=f64([1., 0., -1., 0.5])), "onehot"),
        Showcase("GumbelSoftmaxTopK",
                 lambda: tfd.GumbelSoftmaxTopK(
                     2, f64(0.5), logits=f64([1., 0., -1., 0.5]), hard=True),
                 "subset"),
        Showcase("GeneralizedGumbelSoftmax",
                 lambda: tfd.GeneralizedGumbelSoftmax(
                     f64([0., 1.]), f64(0.7), logits=f64([0.4, -0.2])),
                 "simplex2"),
        Showcase("InvertibleGaussian",
                 lambda: tfd.InvertibleGaussian(f64([0.3]), f64([0.8]), f64(0.7)), "simplex2"),
        Showcase("LogisticNormalSoftmax",
                 lambda: tfd.LogisticNormalSoftmax(f64([0.5, -0.2]), scale=f64([0.7, 0.4])),
                 "simplex2"),
    ]
    return [e for e in entries if e.name in tfd.__all__]


def _logit_grid(num=4001, max_logit=40.):
    """Points w = logit(x) and weights for integrals over x in (0, 1):
    dx = sigmoid(w) sigmoid(-w) dw, so densities with integrable endpoint
    singularities become smooth, fast-decaying integrands in w."""
    w = np.linspace(-max_logit, max_logit, num)
    x, one_minus_x = special.expit(w), special.expit(-w)
    weights = np.gradient(w) * x * one_minus_x
    return x, one_minus_x, weights


def reference_mean(entry, dist):
    """The analytic `mean()`, or, where a law has no closed-form mean, the
    mean integrated from `exp(log_prob)` (which also checks the density)."""
    try:
        return np.asarray(dist.mean(), np.float64), "mean()"
    except NotImplementedError:
        pass
    # The second coordinate is sigmoid(-w), never 1 - x, which rounds to 0.
    x, y, wts = _logit_grid()
    if entry.kind == "unit":
        return np.array(np.sum(x * np.exp(np.asarray(dist.log_prob(x))) * wts)), "integral"
    if entry.kind == "simplex2":
        dens = np.exp(np.asarray(dist.log_prob(np.stack([x, y], axis=-1))))
        m0 = np.sum(x * dens * wts)
        return np.array([m0, 1. - m0]), "integral"
    if entry.kind == "joint2":
        x, _, wts = _logit_grid(num=1201, max_logit=30.)
        pts = np.stack(np.broadcast_arrays(x[:, None], x[None, :]), axis=-1)
        dens = np.exp(np.asarray(dist.log_prob(pts))) * wts[:, None] * wts[None, :]
        return np.array([np.sum(x[:, None] * dens), np.sum(x[None, :] * dens)]), "integral"
    if entry.kind == "subset":
        # Inclusion probabilities: sum over every k-subset S of P(S) 1_S.
        num_classes = dist.event_shape[-1]
        k_hot = np.array([np.isin(np.arange(num_classes), subset).astype(np.float64)
                          for subset in itertools.combinations(range(num_classes), dist.k)])
        return np.exp(np.asarray(dist.log_prob(k_hot))) @ k_hot, "sum"
    return None, "n/a"


def plot_mixed(ax, dist, x):
    """Density over (0, 1) against a histogram; atoms as bars at 0 and 1."""
    interior = x[(x > 0) & (x < 1)]
    n = x.size
    bins = np.linspace(0., 1., 41)
    counts, edges = np.histogram(interior, bins=bins)
    width = edges[1] - edges[0]
    ax.bar(edges[:-1], counts / (n * width), width=width, align="edge", alpha=0.4,
           label="samples (interior)")
    grid = np.linspace(1e-4, 1. - 1e-4, 400)
    ax.plot(grid, np.exp(np.asarray(dist.log_prob(grid))), "C1", label="exp(log_prob)")
    atoms = np.exp(np.asarray(dist.log_prob(np.array([0., 1.]))))
    freq = np.array([(x == 0).mean(), (x == 1).mean()])
    ax2 = ax.twinx()
    ax2.bar([-0.03, 1.03], freq, width=0.04, color="C2", alpha=0.5, label="atom frequency")
    ax2.plot([-0.03, 1.03], atoms, "kx", markersize=10, label="atom mass (log_prob)")
    ax2.set_ylabel("atom mass")
    ax2.set_ylim(0, max(1e-3, 1.3 * max(atoms.max(), freq.max())))
    ax2.legend(loc="upper right", fontsize=7)
    ax.legend(loc="upper left", fontsize=7)
    ax.set_xlabel("z")


def plot_bars(ax, labels, freq, prob):
    pos = np.arange(len(labels))
    ax.bar(pos - 0.2, freq, width=0.4, alpha=0.6, label="sample frequency")
    ax.bar(pos + 0.2, prob, width=0.4, alpha=0.6, label="exp(log_prob)")
    ax.set_xticks(pos)
    ax.set_xticklabels(labels, rotation=30, fontsize=7)
    ax.legend(fontsize=7)


def plot_discrete(ax, dist, x):
    values, counts = np.unique(x, return_counts=True)
    prob = np.exp(np.asarray(dist.log_prob(values)))
    plot_bars(ax, [f"{v:.3f}" for v in values], counts / x.size, prob)
    return abs(prob.sum() - 1.)


def plot_vectors(ax, dist, x):
    rows, counts = np.unique(x.reshape(x.shape[0], -1), axis=0, return_counts=True)
    prob = np.exp(np.asarray(dist.log_prob(rows)))
    labels = ["".join(str(int(round(v))) for v in r) for r in rows]
    plot_bars(ax, labels, counts / x.shape[0], prob)
    return abs(prob.sum() - 1.)


def plot_simplex2(ax, dist, x):
    ax.hist(x[:, 0], bins=60, range=(0., 1.), density=True, alpha=0.4, label="samples")
    grid = np.linspace(1e-4, 1. - 1e-4, 400)
    pts = np.stack([grid, 1. - grid], axis=-1)
    ax.plot(grid, np.exp(np.asarray(dist.log_prob(pts))), "C1", label="exp(log_prob)")
    ax.set_xlabel("first coordinate (K = 2)")
    ax.legend(fontsize=7)


def plot_unit(ax, dist, x):
    ax.hist(x, bins=60, range=(0., 1.), density=True, alpha=0.4, label="samples")
    grid = np.linspace(1e-4, 1. - 1e-4, 400)
    ax.plot(grid, np.exp(np.asarray(dist.log_prob(grid))), "C1", label="exp(log_prob)")
    ax.set_xlabel("z")
    ax.legend(fontsize=7)


def plot_joint2(ax, dist, x):
    # Marginal of z_1: integrate the joint density over z_2 in logit
    # coordinates (dz = sigmoid(w) sigmoid(-w) dw), where it is smooth.
    w = np.linspace(-30., 30., 1201)
    z2 = special.expit(w)
    jac = z2 * special.expit(-w)
    grid = np.linspace(5e-3, 1. - 5e-3, 120)
    pts = np.stack(np.broadcast_arrays(grid[:, None], z2[None, :]), axis=-1)
    dens = np.exp(np.asarray(dist.log_prob(pts))) * jac
    marginal = np.trapezoid(dens, w, axis=1)
    ax.hist(x[:, 0], bins=60, range=(0., 1.), density=True, alpha=0.4, label="samples z_1")
    ax.plot(grid, marginal, "C1", label="integral of exp(log_prob) dz_2")
    ax.set_xlabel("z_1")
    ax.legend(fontsize=7)


PLOTTERS = {"discrete": plot_discrete, "onehot": plot_vectors, "subset": plot_vectors,
            "simplex2": plot_simplex2, "joint2": plot_joint2, "mixed": plot_mixed,
            "unit": plot_unit}


def main(args):
    n = 2000 if args.smoke else args.num_samples
    os.makedirs(args.output_dir, exist_ok=True)

    rows = []
    for entry in tqdm(showcases(), desc="distributions", unit="dist", file=sys.stderr):
        dist = entry.make()
        x = np.asarray(dist.sample(n, seed=(args.seed, 1)))
        sample_mean = x.mean(axis=0)
        stderr = x.std(axis=0, ddof=1) / np.sqrt(n)
        mean, source = reference_mean(entry, dist)
        fig, ax = plt.subplots(figsize=(6, 4))
        PLOTTERS[entry.kind](ax, dist, x)
        ax.set_title(f"{entry.name}: {n} samples", fontsize=9)
        fig.tight_layout()
        path = os.path.join(args.output_dir, f"{entry.name}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        for j in range(np.size(sample_mean)):
            s = np.ravel(sample_mean)[j]
            e = np.ravel(stderr)[j]
            m = None if mean is None else np.ravel(mean)[j]
            rows.append((entry.name if j == 0 else "", j, s, e, m, source,
                         None if m is None else (s - m) / max(e, 1e-300)))

    # The bars go to stderr; the table to stdout, after a blank line so that
    # it never shares a line with the last bar in a terminal.
    print(file=sys.stderr)
    header = (f"{'distribution':40s} {'coord':>5s} {'sample mean':>12s} {'std err':>9s} "
              f"{'analytic':>10s} {'from':>8s} {'z':>7s}")
    print(header)
    print("-" * len(header))
    for name, j, s, e, m, source, z in rows:
        ms = "n/a" if m is None else f"{m:10.5f}"
        zs = "" if z is None else f"{z:7.2f}"
        print(f"{name:40s} {j:5d} {s:12.5f} {e:9.5f} {ms:>10s} {source:>8s} {zs:>7s}")
    print("\nanalytic: `mean()` where a closed form exists, else the integral of "
          "x * exp(log_prob(x)) (integral) or, for sets, the sum of P(S) 1_S over all "
          "k-subsets (sum).")
    print("z = (sample mean - analytic) / std err; |z| > 5.5 flags a disagreement "
          "(exit status 1).")
    print(f"Plots saved in {os.path.abspath(args.output_dir)}/")
    worst = max((abs(r[6]) for r in rows if r[6] is not None), default=0.)
    return 0 if worst < 5.5 else 1


if __name__ == "__main__":
    sys.exit(main(ARGS))
