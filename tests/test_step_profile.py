"""Checks of `benchmarks/step_profile.py`: its HLO counter counts the right
instructions, and the script runs end to end on a small size. No timing is
asserted here, and a quick run never writes into benchmarks/results/."""

import json
import math
import os

import pytest
import tensorflow as tf

from tests import utils

profile = utils.load_script("benchmarks/step_profile.py")

_HLO = """
fused_computation {
  %p0 = f32[1000]{0} parameter(0)
  %e = f32[1000]{0} exponential(f32[1000]{0} %p0)
  %l = f32[1000]{0} log-plus-one(f32[1000]{0} %e)
  %d = f32[1000]{0} divide(f32[1000]{0} %l, f32[1000]{0} %p0)
  %m = f32[1000]{0} multiply(f32[1000]{0} %d, f32[1000]{0} %d)
  %c = pred[1000]{0} compare(f32[1000]{0} %m, f32[1000]{0} %p0), direction=LT
  %s = f32[1000]{0} select(pred[1000]{0} %c, f32[1000]{0} %m, f32[1000]{0} %p0)
  %b = f32[1000]{0} broadcast(f32[] %x), dimensions={}
  %small = f32[10]{0} exponential(f32[10]{0} %q)
  %u = u32[1000]{0} multiply(u32[1000]{0} %i, u32[1000]{0} %j)
  ROOT %r = f32[] reduce(f32[1000]{0} %s, f32[] %z), dimensions={0}
}
"""


def test_hlo_counts_elementwise_float_instructions_by_kind():
    # Counted: exponential and log-plus-one (transcendental), divide, multiply
    # and select (other). Not counted: the predicate compare, the broadcast, the
    # small exponential, the integer multiply and the reduce.
    assert profile.hlo_counts(_HLO, 500) == {
        "transcendental": 2, "divide": 1, "other": 2,
        "by_opcode": {"exponential": 1, "log-plus-one": 1, "divide": 1}}
    assert profile.hlo_counts(_HLO, 5)["by_opcode"]["exponential"] == 2


def test_hlo_counts_of_a_compiled_function():
    x = tf.ones([1000])
    fn = tf.function(lambda x: tf.reduce_sum(tf.math.log(x) * tf.math.exp(x)),
                     jit_compile=True)
    hlo = fn.experimental_get_compiler_ir(x)(stage="optimized_hlo")
    assert profile.hlo_counts(hlo, 500)["transcendental"] == 2


def test_runs_end_to_end(tmp_path):
    """The table's structure and counts, and each estimate equal to its
    formula in the reported numbers. No measured time is compared with
    anything: on a shared machine any timing can come out either way."""
    json_path, md_path = tmp_path / "p.json", tmp_path / "p.md"
    classes = ["HardConcrete", "GeneralizedGumbelSoftmax"]
    profile.main(["--elements", "1e4", "--repeats", "2", "--classes", *classes,
                  "--json", str(json_path), "--markdown", str(md_path)])
    result = json.loads(json_path.read_text())
    meta = result["meta"]
    assert sorted(r["distribution"] for r in result["rows"]) == sorted(classes)
    for r in result["rows"]:
        # HardConcrete's step needs at least the logistic noise, a sigmoid and
        # its log-density's logs; the Gumbel-softmax step its noise and softmax.
        assert r["xla_transcendental"] >= 3, r
        assert r["function_ops"] > 10, r
        assert r["elements"] == 10**4
        assert sum(r["xla_by_opcode"].values()) == r["xla_transcendental"] + r["xla_divide"]
        assert set(r["xla_by_opcode"]) <= set(meta["xla_ms_per_opcode"]), r
        for mode in ("xla", "function"):
            for key in ("step_ms", "floor_ms", "estimate_ms"):
                assert math.isfinite(r[f"{mode}_{key}"]), (key, r)
            assert r[f"{mode}_ratio"] == pytest.approx(
                r[f"{mode}_step_ms"] / r[f"{mode}_floor_ms"])
            assert r[f"{mode}_estimate_ratio"] == pytest.approx(
                r[f"{mode}_estimate_ms"] / r[f"{mode}_floor_ms"])
        assert r["xla_estimate_ms"] == pytest.approx(r["xla_floor_ms"] + sum(
            meta["xla_ms_per_opcode"][op] * c for op, c in r["xla_by_opcode"].items()))
        assert r["function_estimate_ms"] == pytest.approx(
            r["function_floor_ms"] + meta["function_ms_per_pass"] * r["function_ops"])
    # Unit costs are clipped at zero: a noisy timing is not a negative cost.
    assert set(meta["xla_ms_per_opcode"]) >= {"log"}
    assert all(c >= 0 for c in meta["xla_ms_per_opcode"].values())
    assert meta["function_ms_per_pass"] >= 0
    table = md_path.read_text()
    assert table.count("\n| ") == len(classes) + 1


def test_unit_costs_are_never_negative(monkeypatch):
    """Timings where a longer chain happens to run faster than the empty one
    (a busy machine) give zero costs, not negative ones."""
    times = iter([5e-3, 4e-3, 3e-3, 2e-3, 9e-3])
    monkeypatch.setattr(profile, "best_time", lambda call, repeats: next(times))
    costs = profile.UnitCosts(8, 1)
    # The XLA affine chain 5 ms; tf.function chains: empty 4, log 3, affine 2.
    assert costs.pass_s == 0.
    assert costs.xla("log") > 0.      # 9 ms against the affine chain's 5
    times = iter([5e-3, 4e-3, 3e-3, 2e-3, 1e-3])
    costs = profile.UnitCosts(8, 1)
    assert costs.xla("log") == 0.


def test_quick_outputs_default_to_scratch_not_results():
    io = profile.bench_io
    quick = profile.parse_args(["--quick"])
    for path in (quick.json, quick.markdown):
        assert path.startswith(io.SCRATCH_DIR + os.sep) and not io.in_results(path), path
    full = profile.parse_args([])
    assert full.json == os.path.join(io.RESULTS_DIR, "step_profile.json")
    assert full.markdown == os.path.join(io.RESULTS_DIR, "step_profile.md")
    assert profile.parse_args(["--quick", "--markdown", "t.md"]).markdown == "t.md"


def test_quick_run_with_default_outputs_leaves_results_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(profile.bench_io, "SCRATCH_DIR", str(tmp_path))
    argv = ["--quick", "--elements", "1e3", "--repeats", "1", "--classes", "HardConcrete"]
    args = profile.parse_args(argv)
    assert not profile.bench_io.in_results(args.json), args.json   # checked before running
    before = utils.results_files()
    profile.main(argv)
    assert utils.results_files() == before
    assert json.loads((tmp_path / "step_profile.json").read_text())["rows"]
    assert (tmp_path / "step_profile.md").read_text().startswith("1e+03 elements")
