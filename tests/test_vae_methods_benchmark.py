"""`benchmarks/vae_methods.py` end to end on scikit-learn's digits (offline)
in its quick mode (writing nowhere under benchmarks/results/), and
`--merge-json` of an earlier run's results. No
quality is asserted beyond what must hold for any run: the importance-
weighted bound is computed from the same samples as the ELBO, so by
Jensen's inequality -IWAE <= -ELBO."""

import json
import os

from tests import utils

bench = utils.load_script("benchmarks/vae_methods.py")


def test_quick_outputs_default_to_scratch_not_results():
    io = bench.bench_io
    quick = bench.parse_args(["--quick"])
    for path in (quick.json, quick.markdown):
        assert path.startswith(io.SCRATCH_DIR + os.sep) and not io.in_results(path), path
    full = bench.parse_args([])
    assert full.json == os.path.join(io.RESULTS_DIR, "vae_methods.json")
    assert full.markdown == os.path.join(io.RESULTS_DIR, "vae_methods.md")
    assert bench.parse_args(["--quick", "--json", "r.json"]).json == "r.json"


def test_quick_run_and_merge(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bench.bench_io, "SCRATCH_DIR", str(tmp_path))
    common = ["--quick", "--dataset", "digits", "--seeds", "0",
              "--work-dir", str(tmp_path / "work")]
    # The first run with the default outputs: the scratch folder's.
    first_json, merged_json = tmp_path / "vae_methods.json", tmp_path / "b.json"
    argv = common + ["--methods", "straight_through_bernoulli"]
    assert bench.parse_args(argv).json == str(first_json)   # checked before running
    before = utils.results_files()
    assert bench.main(argv) == 0
    assert utils.results_files() == before
    assert "| straight_through_bernoulli |" in (tmp_path / "vae_methods.md").read_text()
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
