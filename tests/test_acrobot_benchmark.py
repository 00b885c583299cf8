"""`benchmarks/acrobot.py` end to end in its quick mode, and `--merge` of
two runs made separately (as the published table was: estimators run in
parallel processes). A quick run writes nowhere under benchmarks/results/.
No learning is asserted: the quick runs are 3 episodes of 50 steps."""

import json
import os

from tests import substrates
from tests import utils

# The Acrobot agent (benchmarks/policy_gradient.py) trains with TensorFlow.
pytestmark = substrates.tensorflow_only("the Acrobot benchmark's agent is TensorFlow code")

bench = utils.load_script("benchmarks/acrobot.py")


def test_quick_output_defaults_to_scratch_not_results():
    io = bench.bench_io
    quick = bench.parse_args(["--quick"])
    assert quick.output_dir == os.path.join(io.SCRATCH_DIR, "acrobot")
    assert not io.in_results(quick.output_dir)
    full = bench.parse_args([])
    assert full.output_dir == os.path.join(io.RESULTS_DIR, "acrobot")
    # A folder given on the command line is used as given.
    assert bench.parse_args(["--quick", "--output-dir", "elsewhere"]).output_dir == "elsewhere"


def test_quick_runs_and_merge(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(bench.bench_io, "SCRATCH_DIR", str(tmp_path / "scratch"))
    first, second, merged = tmp_path / "scratch" / "acrobot", tmp_path / "b", tmp_path / "merged"
    # The first run with the default output folder: the scratch one.
    argv = ["--quick", "--estimators", "reinforce"]
    assert bench.parse_args(argv).output_dir == str(first)
    before = utils.results_files()
    assert bench.main(argv) == 0
    assert utils.results_files() == before
    assert bench.main(["--quick", "--estimators", "rloo", "--output-dir", str(second)]) == 0
    for folder, name in ((first, "reinforce"), (second, "rloo")):
        (result,) = json.loads((folder / "acrobot.json").read_text())
        assert result["estimator"] == name and result["seeds"] == 2
        assert len(json.loads((folder / f"acrobot_{name}_returns.json").read_text())) == 2
        assert result["replay_mismatches"] == 0
        assert result["plot"] == f"acrobot_{name}.png"   # no machine path recorded
    capsys.readouterr()
    assert bench.main(["--merge", str(first), str(second), "--output-dir", str(merged)]) == 0
    table = (merged / "acrobot.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split("|")[1].strip() for row in rows[1:]] == ["reinforce", "rloo"]
    # 50-step episodes: the -100 target does not apply and is not claimed.
    assert "meets target" not in table
    for name in ("reinforce", "rloo"):
        assert (merged / f"acrobot_{name}.png").stat().st_size > 1000
