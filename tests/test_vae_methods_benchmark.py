"""`benchmarks/vae_methods.py` end to end on scikit-learn's digits (offline)
in its quick mode, and `--merge-json` of an earlier run's results. No
quality is asserted beyond what must hold for any run: the importance-
weighted bound is computed from the same samples as the ELBO, so by
Jensen's inequality -IWAE <= -ELBO."""

import json

from tests import utils


def test_quick_run_and_merge(tmp_path, capsys):
    bench = utils.load_script("benchmarks/vae_methods.py")
    common = ["--quick", "--dataset", "digits", "--seeds", "0",
              "--work-dir", str(tmp_path / "work")]
    first_json, merged_json = tmp_path / "a.json", tmp_path / "b.json"
    assert bench.main(common + ["--methods", "straight_through_bernoulli",
                                "--markdown", str(tmp_path / "a.md"),
                                "--json", str(first_json)]) == 0
    assert bench.main(common + ["--methods", "gumbel_softmax_top_k",
                                "--merge-json", str(first_json),
                                "--markdown", str(tmp_path / "b.md"),
                                "--json", str(merged_json)]) == 0
    capsys.readouterr()
    # --json holds this invocation's results; the table also the merged ones.
    results = json.loads(first_json.read_text()) + json.loads(merged_json.read_text())
    assert [r["method"] for r in results] == ["straight_through_bernoulli",
                                              "gumbel_softmax_top_k"]
    assert [r["latent"] for r in results] == ["bernoulli", "categorical"]
    for r in results:
        assert r["bound_kind"] == "discrete"
        assert r["test_neg_iwae"] <= r["test_neg_elbo"] + 1e-4
        assert r["test_neg_elbo"] > 0
    table = (tmp_path / "b.md").read_text()
    for name in ("straight_through_bernoulli", "gumbel_softmax_top_k"):
        assert f"| {name} |" in table
    # --table-only runs nothing and tabulates the saved results.
    assert bench.main(["--table-only", "--dataset", "digits", "--seeds", "0", "1",
                       "--methods", "straight_through_bernoulli", "gumbel_softmax_top_k",
                       "--json", str(first_json), "--markdown", str(tmp_path / "c.md")]) == 0
    table = (tmp_path / "c.md").read_text()
    assert "| straight_through_bernoulli | bernoulli | discrete | 0 |" in table
    assert "gumbel_softmax_top_k" not in table
