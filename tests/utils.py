"""Statistical and numerical helpers for relaxtfp's tests.

Statistical tests follow TFP's DKWM approach: for n i.i.d. draws, the
Dvoretzky-Kiefer-Wolfowitz-Massart inequality gives

    P(sup_x |F_n(x) - F(x)| > eps) <= 2 exp(-2 n eps^2),

so with eps = sqrt(log(2 / delta) / (2 n)) a correct sampler fails the test
with probability at most `delta` (the false-failure rate). Each test also
shows *power*: that a law differing from the right one by the error that
matters would be rejected. If sup |F_wrong - F| >= 2 eps, then samples from
the wrong law satisfy sup |F_n - F| >= eps with probability >= 1 - delta.
"""

import importlib.util
import math
import pathlib

import numpy as np
from scipy import special

ROOT = pathlib.Path(__file__).resolve().parents[1]

__all__ = [
    "assert_cdf_matches",
    "assert_detectable",
    "assert_mean_within_clt",
    "assert_proportion_matches",
    "cdf_from_density_on_unit_interval",
    "clt_halfwidth",
    "dkwm_epsilon",
    "hoeffding_epsilon",
    "load_script",
    "results_files",
    "max_cdf_discrepancy",
]


def dkwm_epsilon(n, false_fail_rate):
    """Half-width of the DKWM band for `n` samples at `false_fail_rate`."""
    return math.sqrt(math.log(2. / false_fail_rate) / (2. * n))


def hoeffding_epsilon(n, false_fail_rate, num_tests=1):
    """Two-sided Hoeffding bound for a proportion, union-bounded over tests."""
    return math.sqrt(math.log(2. * num_tests / false_fail_rate) / (2. * n))


def clt_halfwidth(std, n, false_fail_rate):
    """Two-sided normal-approximation half-width for a sample mean."""
    z = -special.ndtri(false_fail_rate / 2.)
    return z * std / math.sqrt(n)


def max_cdf_discrepancy(samples, grid, cdf_values):
    """max over `grid` of |F_n - F|, with F_n(t) = #{X_i <= t} / n.

    `cdf_values[i]` is F(grid[i]) = P(X <= grid[i]). Put grid points at an
    atom and just below it so that an error in the atom's size shows.
    """
    samples = np.sort(np.asarray(samples, np.float64).ravel())
    n = samples.size
    right = np.searchsorted(samples, grid, side="right") / n
    return float(np.max(np.abs(right - cdf_values)))


def assert_cdf_matches(samples, grid, cdf_values, false_fail_rate, atol=0.):
    """Asserts the DKWM test accepts `samples` against F on `grid`.

    `atol` absorbs a known numerical error in `cdf_values` (quadrature).
    """
    n = np.asarray(samples).size
    eps = dkwm_epsilon(n, false_fail_rate)
    dev = max_cdf_discrepancy(samples, grid, cdf_values)
    assert dev <= eps + atol, (
        f"empirical CDF deviates by {dev:.5f} > DKWM bound {eps:.5f} "
        f"(+ atol {atol:.1e}) at false-failure rate {false_fail_rate}")
    return dev, eps


def assert_detectable(cdf_true, cdf_wrong, n, false_fail_rate, atol=0.):
    """Asserts that n samples would reject `cdf_wrong` w.p. >= 1 - delta."""
    eps = dkwm_epsilon(n, false_fail_rate)
    gap = float(np.max(np.abs(np.asarray(cdf_true) - np.asarray(cdf_wrong))))
    assert gap >= 2. * eps + 2. * atol, (
        f"the alternative is only {gap:.5f} away in CDF; {n} samples resolve "
        f"{2 * eps:.5f} at false-failure rate {false_fail_rate}")
    return gap


def assert_proportion_matches(count, n, p, false_fail_rate, num_tests=1):
    """Asserts |count/n - p| is within the Hoeffding bound."""
    eps = hoeffding_epsilon(n, false_fail_rate, num_tests)
    phat = count / n
    assert abs(phat - p) <= eps, (
        f"frequency {phat:.5f} vs probability {p:.5f}: beyond {eps:.5f}")


def assert_mean_within_clt(values, expected, false_fail_rate, axis=0):
    """Asserts the sample mean of `values` (along `axis`) is within the CLT
    half-width of `expected`, elementwise (union-bounded)."""
    values = np.asarray(values, np.float64)
    n = values.shape[axis]
    mean = values.mean(axis=axis)
    std = values.std(axis=axis, ddof=1)
    k = max(1, mean.size)
    half = clt_halfwidth(std, n, false_fail_rate / k)
    bad = np.abs(mean - expected) > half + 1e-12
    assert not np.any(bad), (
        f"sample mean {mean} vs expected {expected}: half-width {half}")


def cdf_from_density_on_unit_interval(log_prob_fn, grid, atom_at_zero=0.,
                                      num_points=400_001, max_logit=40.):
    """F(t) = P(X = 0) + integral_0^t exp(log_prob(x)) dx for t in `grid`.

    Integrates in w = logit(x), where dx = sigmoid(w) sigmoid(-w) dw removes
    the endpoint behaviour, by the trapezoid rule on a fine grid. Returns the
    CDF at `grid` (points in [0, 1); a point at 1 gets 1 - P(X = 1) added by
    the caller) and the total integrated interior mass, so that the caller
    can check normalization.
    """
    w = np.linspace(-max_logit, max_logit, num_points)
    x = special.expit(w)
    dens = np.exp(np.asarray(log_prob_fn(x), np.float64)) * x * special.expit(-w)
    dens[~np.isfinite(dens)] = 0.
    cum = np.concatenate([[0.], np.cumsum((dens[1:] + dens[:-1]) / 2. * np.diff(w))])
    grid = np.asarray(grid, np.float64)
    with np.errstate(divide="ignore"):
        wg = special.logit(np.clip(grid, 0., 1.))
    cdf = atom_at_zero + np.interp(wg, w, cum, left=0., right=cum[-1])
    cdf = np.where(grid < 0., 0., cdf)
    return cdf, float(cum[-1])


def load_script(relative_path):
    """Imports a script of the repository (`"benchmarks/acrobot.py"`) as a
    module, by path: benchmarks and examples are not packages."""
    path = ROOT / relative_path
    name = "relaxtfp_script_" + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def results_files():
    """{path: modification time} of every file under benchmarks/results/, the
    committed results that no quick or smoke run may write over."""
    return {p: p.stat().st_mtime_ns
            for p in (ROOT / "benchmarks" / "results").rglob("*") if p.is_file()}
