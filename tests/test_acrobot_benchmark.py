"""`benchmarks/acrobot.py` end to end in its quick mode, and `--merge` of
two runs made separately (as the published table was: estimators run in
parallel processes). No learning is asserted: the quick runs are 3 episodes
of 50 steps."""

import json

from tests import utils


def test_quick_runs_and_merge(tmp_path, capsys):
    bench = utils.load_script("benchmarks/acrobot.py")
    first, second, merged = tmp_path / "a", tmp_path / "b", tmp_path / "merged"
    assert bench.main(["--quick", "--estimators", "reinforce", "--output-dir", str(first)]) == 0
    assert bench.main(["--quick", "--estimators", "rloo", "--output-dir", str(second)]) == 0
    for folder, name in ((first, "reinforce"), (second, "rloo")):
        (result,) = json.loads((folder / "acrobot.json").read_text())
        assert result["estimator"] == name and result["seeds"] == 2
        assert len(json.loads((folder / f"acrobot_{name}_returns.json").read_text())) == 2
        assert result["replay_mismatches"] == 0
    capsys.readouterr()
    assert bench.main(["--merge", str(first), str(second), "--output-dir", str(merged)]) == 0
    table = (merged / "acrobot.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split("|")[1].strip() for row in rows[1:]] == ["reinforce", "rloo"]
    # 50-step episodes: the -100 target does not apply and is not claimed.
    assert "meets target" not in table
    for name in ("reinforce", "rloo"):
        assert (merged / f"acrobot_{name}.png").stat().st_size > 1000
