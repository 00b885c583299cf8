"""Checks of `benchmarks/estimator_variance.py`: every method really makes
the same number of evaluations of `f` per estimate, and the quick mode runs
end to end, writes every output (to the scratch folder, never into
benchmarks/results/), and measures no bias where there is none (and a bias
where there is one)."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tests import utils

bench = utils.load_script("benchmarks/estimator_variance.py")

# The relaxation modules whose docs pages include a snippet.
_MODULES = ("straight_through_bernoulli", "straight_through_relaxed_bernoulli",
            "correlated_relaxed_bernoulli", "gaussian_relaxed_bernoulli",
            "hard_concrete", "stochastic_times_smooth", "rebar_relaxation")
_CAT_MODULES = ("straight_through_gumbel_softmax", "decoupled_straight_through_gumbel_softmax",
                "generalized_gumbel_softmax", "invertible_gaussian", "logistic_normal_softmax")


@pytest.mark.parametrize("budget", [6, 12])
def test_every_method_evaluates_f_budget_times(budget):
    """Counts the points `f` is actually evaluated at, inside the library
    (antithetic pairs, REBAR's relaxed evaluations, RELAX's control variate
    built on `f`), for one estimate of a 3-variable toy problem."""
    for method in bench.METHODS:
        calls = []
        target = tf.constant(0.45)

        def f(b, calls=calls):
            calls.append(int(b.shape[0]))
            return tf.reduce_sum(tf.math.square(b - target), axis=-1)

        logits = tf.constant([[0.3, -0.2, 0.1]])           # one replica, 3 latents
        cv = None
        if method.name in ("rebar_tuned", "relax"):
            net = bench._mlp(4, "float32", 3) if method.name == "relax" else None
            cv = bench.ControlVariate(
                tf.float32, net, (lambda z, net=net: net(z)[..., 0]) if net else None)
        grad = bench.gradient(method.name, f, logits, tf.constant([1, 2]), budget, cv)
        assert grad.shape == logits.shape
        assert np.all(np.isfinite(grad.numpy()))
        assert sum(calls) == budget, (method.name, calls)
        assert bench.budgets(budget)[method.name][1] == budget


@pytest.mark.parametrize("budget", [21, 42])
def test_every_categorical_method_evaluates_f_budget_times(budget):
    """The same count for the categorical toy problem (ARSM's 1 + K(K-1)/2
    evaluations per sample, rebar's 3), on two replicas of one K = 4
    variable."""
    c = tf.constant(bench.CAT_VALUES)
    for method in bench.CAT_METHODS:
        calls = []

        def f(z, calls=calls):
            calls.append(int(z.shape[0]))
            return tf.math.square(tf.reduce_sum(z * c, axis=-1) - bench.CAT_TARGET)

        logits = tf.constant([bench.CAT_LOGITS] * 2)
        grad = bench.cat_gradient(method.name, f, logits, tf.constant([1, 2]), budget)
        k = bench.CAT_K - 1 if method.name == "invertible_gaussian" else bench.CAT_K
        assert grad.shape == (2, k)
        assert np.all(np.isfinite(grad.numpy()))
        assert sum(calls) == budget, (method.name, calls)
        assert bench.cat_budgets(budget)[method.name][1] == budget


def test_categorical_exact_gradient_matches_enumeration():
    from tests.estimators import exact

    c = tf.constant(bench.CAT_VALUES, tf.float64)

    def f(z):
        return tf.math.square(tf.reduce_sum(z * c, axis=-1) - bench.CAT_TARGET)

    _, grad, _ = exact.exact_gradients(f, tf.constant(bench.CAT_LOGITS, tf.float64),
                                       categorical=True)
    np.testing.assert_allclose(bench.cat_exact(), np.asarray(grad), rtol=1e-10)


def test_budget_that_a_method_cannot_meet_is_refused():
    with pytest.raises(ValueError, match="not a multiple"):
        bench.parse_args(["--budget", "4"])          # rebar and relax need 3 per sample
    with pytest.raises(ValueError, match="not a multiple"):
        bench.parse_args(["--cat-budget", "14"])     # rebar needs 3 per sample


def test_quick_outputs_default_to_scratch_not_results():
    io = bench.bench_io
    quick = bench.parse_args(["--quick"])
    outputs = ("markdown", "json", "plot", "snippet_dir")
    for attr in outputs:
        path = getattr(quick, attr)
        assert path.startswith(io.SCRATCH_DIR + os.sep) and not io.in_results(path), path
    full = bench.parse_args([])
    assert full.json == os.path.join(io.RESULTS_DIR, "estimator_variance.json")
    assert full.snippet_dir == os.path.join(io.RESULTS_DIR, "estimator_variance")
    given = bench.parse_args(["--quick", "--plot", "x.png", "--snippet-dir", ""])
    assert (given.plot, given.snippet_dir) == ("x.png", "")


def test_quick_mode_end_to_end(tmp_path, monkeypatch):
    """`--quick` with every other argument at its default: its outputs go to
    the scratch folder and benchmarks/results/ is left as it was."""
    monkeypatch.setattr(bench.bench_io, "SCRATCH_DIR", str(tmp_path))
    md_path, json_path = tmp_path / "estimator_variance.md", tmp_path / "estimator_variance.json"
    png_path, snippet_dir = tmp_path / "estimator_variance.png", tmp_path / "estimator_variance"
    assert bench.parse_args(["--quick"]).json == str(json_path)   # checked before running
    before = utils.results_files()
    bench.main(["--quick"])
    assert utils.results_files() == before
    text = md_path.read_text()
    results = json.loads(json_path.read_text())
    assert "python benchmarks/estimator_variance.py --quick" in text
    # Three tables (two toy targets and the VAE), each with every method, and
    # the categorical table with its methods (some of the same names).
    for method in bench.METHODS:
        extra = method.name in bench.CAT_METHOD_BY_NAME
        assert text.count(f"| {method.name} |") == 3 + extra, method.name
    for method in bench.CAT_METHODS:
        assert f"| {method.name} |" in text, method.name
    assert "Categorical toy problem" in text
    assert 0 < png_path.stat().st_size < 200_000
    for module in _MODULES:
        snippet = (snippet_dir / f"{module}.md").read_text()
        assert f"| {module} |" in snippet
    assert "| rebar |" in (snippet_dir / "rebar_relaxation.md").read_text()
    for module in _CAT_MODULES:
        snippet = (snippet_dir / f"{module}.md").read_text()
        assert f"| {module} |" in snippet and "Categorical toy problem" in snippet

    # Categorical toy: each unbiased estimator's mean within 5 standard errors
    # of the exact gradient in every coordinate (Bonferroni over 4 unbiased
    # rows x 4 coordinates: a correct estimator fails for under 1e-5 of
    # seeds); the straight-through Gumbel-softmax bias is resolved.
    cat = results["categorical"]
    np.testing.assert_allclose(cat["exact"], bench.cat_exact())
    for method in bench.CAT_METHODS:
        s = cat["methods"][method.name]
        assert s["replicas"] == bench.QUICK["cat_replicas"]
        assert s["total_variance"] > 0
        if method.unbiased:
            bias, se = np.array(s["bias"]), np.array(s["bias_se"])
            assert np.all(np.abs(bias) <= 5 * se + 1e-6), (method.name, s)
    s = cat["methods"]["straight_through_gumbel_softmax"]
    assert s["max_z"] > 5, s

    # Toy problem: each unbiased estimator's mean within 5 standard errors of
    # the exact gradient (plus float32 rounding of the mean, which matters
    # only for DisARM: with one variable at theta = 0 it returns the exact
    # gradient, with zero spread). Normal tail beyond 5 s.e.: 5.7e-7 per
    # test, so with 7 unbiased rows x 2 targets a correct estimator fails
    # for under 1e-5 of seeds.
    for toy in results["toy"]:
        assert toy["exact"] == pytest.approx(0.25 * (1 - 2 * toy["target"]))
        for method in bench.METHODS:
            s = toy["methods"][method.name]
            assert s["replicas"] == bench.QUICK["toy_replicas"]
            if method.unbiased:
                assert abs(s["bias"]) <= 5 * s["bias_se"] + 1e-6, (toy["target"], s)
    # Power: the biased relaxations whose bias the table reports are
    # resolved at t = 0.45 (stochastic-times-smooth halves the gradient;
    # the Gaussian gate's clipped density is not the Bernoulli's).
    toy = results["toy"][0]
    for name in ("stochastic_times_smooth", "gaussian_relaxed_bernoulli"):
        s = toy["methods"][name]
        assert abs(s["bias"]) > 5 * s["bias_se"], (name, s)

    vae = results["vae"]
    assert vae["dataset"] == "digits" and vae["reference_norm"] > 0
    for method in bench.METHODS:
        s = vae["methods"][method.name]
        assert np.isfinite([s["total_variance"], s["relative_bias"]]).all()
        assert s["total_variance"] > 0
        if method.unbiased:
            # Distance to the reference at most 1.5 times its pure-noise
            # value (an unbiased method's ratio concentrates near 1 over the
            # 4 x 200 coordinates).
            assert s["bias_to_noise"] < 1.5, (method.name, s)

    # --from-json measures nothing and rewrites the same table.
    md_again = tmp_path / "again.md"
    bench.main(["--from-json", str(json_path), "--markdown", str(md_again),
                "--plot", str(tmp_path / "again.png"), "--snippet-dir", ""])
    assert md_again.read_text() == text
