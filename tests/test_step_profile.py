"""Checks of `benchmarks/step_profile.py`: its HLO counter counts the right
instructions, and the script runs end to end on a small size. No timing is
asserted here."""

import json
import math

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
    json_path, md_path = tmp_path / "p.json", tmp_path / "p.md"
    classes = ["HardConcrete", "GeneralizedGumbelSoftmax"]
    profile.main(["--elements", "1e4", "--repeats", "2", "--classes", *classes,
                  "--json", str(json_path), "--markdown", str(md_path)])
    result = json.loads(json_path.read_text())
    assert sorted(r["distribution"] for r in result["rows"]) == sorted(classes)
    for r in result["rows"]:
        # HardConcrete's step needs at least the logistic noise, a sigmoid and
        # its log-density's logs; the Gumbel-softmax step its noise and softmax.
        assert r["xla_transcendental"] >= 3, r
        assert r["function_ops"] > 10, r
        for key in ("xla_ratio", "function_ratio"):
            assert math.isfinite(r[key]) and r[key] > 0, r
        for key in ("xla_estimate_ratio", "function_estimate_ratio"):
            assert math.isfinite(r[key]) and r[key] >= 1., r
        assert sum(r["xla_by_opcode"].values()) == r["xla_transcendental"] + r["xla_divide"]
    assert set(result["meta"]["xla_ms_per_opcode"]) >= {"log"}
    table = md_path.read_text()
    assert table.count("\n| ") == len(classes) + 1
