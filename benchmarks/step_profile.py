"""Where the time of a training step goes, beyond its random numbers.

`throughput.py` times each distribution's step (sample + log_prob + gradient)
against its floor (drawing the same random numbers). This script explains the
ratio between the two at one size (default 1e6 elements; K from each class's
quick setting), in the two compiled modes, by counting the work the step adds
to its floor and timing one unit of that work on the same number of elements:

* XLA (`jit_compile=True`): the elementwise floating-point instructions of the
  step's optimized HLO (after fusion) whose output has at least half the step's
  elements, less those of the floor's own HLO, by kind: transcendental
  (exponential, log, log1p, expm1, logistic, tanh, erf, sin, cos, sqrt, rsqrt,
  power), divide, and the rest (add, multiply, select, ...). Each
  transcendental or divide opcode is costed by the extra time of 8 chained
  ones over 8 chained multiply-adds in one fused kernel, and the estimate
  "floor + costed" adds those costs to the floor. It leaves out the cheap
  instructions and memory traffic, so it is usually below the step; where it
  is above 1.5 x floor, the step cannot reach that target with that many
  transcendental functions, only with fewer (another formulation). It is an
  estimate, not a bound: in a larger kernel XLA may schedule an instruction
  better or worse than in the chain. Instructions inside loop bodies are
  counted once, although they run once per iteration.
* `tf.function`: the operations of the step's graph (forward and gradient, as
  traced, before Grappler) with an output of at least half the step's
  elements, less the floor's. Each is a separate pass over memory, costed at
  the time of one pass of the cheapest kind (the median over chains of 8
  `log`s and of 8 multiply-adds); the estimate "floor + ops" is what running
  that many passes one after the other costs at least, up to timing noise.

Run `python benchmarks/step_profile.py --help`. Writes
`benchmarks/results/step_profile.{json,md}` (with `--quick`,
`bench_output/step_profile.{json,md}`) and prints the table.
"""

import argparse
import os
import platform
import re
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_io  # noqa: E402
import throughput  # noqa: E402

TRANSCENDENTAL = frozenset((
    "exponential", "log", "log-plus-one", "exponential-minus-one", "logistic", "tanh",
    "erf", "sine", "cosine", "sqrt", "rsqrt", "cbrt", "power", "atan2"))
# `%name = f32[10000,100]{1,0} exponential(...)`: output type, shape, opcode.
_HLO_INSTRUCTION = re.compile(r"=\s+(f16|bf16|f32|f64)\[([\d,]*)\]\S*\s+([a-z][\w-]*)\(")
_NOT_ELEMENTWISE = frozenset((
    "parameter", "constant", "broadcast", "reshape", "bitcast", "copy", "transpose",
    "slice", "concatenate", "fusion", "reduce", "tuple", "get-tuple-element",
    "dynamic-slice", "dynamic-update-slice", "iota", "call", "while", "custom-call",
    "convert", "bitcast-convert", "pad", "gather", "scatter", "sort", "dot"))


def hlo_counts(hlo_text, min_elements):
    """Counts of the elementwise floating-point instructions of `hlo_text`
    with >= `min_elements` outputs: {"transcendental", "divide", "other"}, and
    under "by_opcode" the transcendental and divide ones by opcode."""
    counts = {"transcendental": 0, "divide": 0, "other": 0, "by_opcode": {}}
    for match in _HLO_INSTRUCTION.finditer(hlo_text):
        dims, opcode = match.group(2), match.group(3)
        size = int(np.prod([int(d) for d in dims.split(",") if d])) if dims else 1
        if size < min_elements or opcode in _NOT_ELEMENTWISE:
            continue
        kind = ("transcendental" if opcode in TRANSCENDENTAL
                else "divide" if opcode == "divide" else "other")
        counts[kind] += 1
        if kind != "other":
            counts["by_opcode"][opcode] = counts["by_opcode"].get(opcode, 0) + 1
    return counts


def graph_op_count(fn, args, min_elements):
    """Operations of the traced graph of the `tf.function` `fn` at `args` with
    an output of >= `min_elements` (the trace already made is reused)."""
    graph = fn.get_concrete_function(*args).graph
    count = 0
    for op in graph.get_operations():
        if any(out.shape.is_fully_defined() and out.shape.num_elements() >= min_elements
               for out in op.outputs):
            count += 1
    return count


def best_time(call, repeats):
    """Minimum wall time (s) of `call()` over `repeats` calls after a warm-up:
    the least disturbed run, on a machine shared with other jobs."""
    call()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return min(times)


# The TensorFlow op behind each costed HLO opcode; its argument stays in
# (0.25, 1) along the chain below, where every one of them is finite.
_OPCODE_OPS = {
    "exponential": tf.math.exp, "log": tf.math.log, "log-plus-one": tf.math.log1p,
    "exponential-minus-one": tf.math.expm1, "logistic": tf.math.sigmoid,
    "tanh": tf.math.tanh, "erf": tf.math.erf, "sine": tf.math.sin,
    "cosine": tf.math.cos, "sqrt": tf.math.sqrt, "rsqrt": tf.math.rsqrt,
    "cbrt": lambda y: tf.math.pow(y, 1. / 3.), "power": lambda y: tf.math.pow(y, 1.7),
    "atan2": lambda y: tf.math.atan2(y, 0.5), "divide": lambda y: 0.3 / y,
}


def _chain(op, length):
    def fn(x):
        y = x
        for _ in range(length):
            y = op(y) * 0.25 + 0.5
        return tf.reduce_sum(y)
    return fn


class UnitCosts:
    """Seconds per pass over `n` float32 elements, measured on demand: one
    more instruction of an opcode in a fused XLA kernel (the extra time of 8
    chained ones over 8 chained multiply-adds), and one elementwise op under
    `tf.function` (`pass_s`)."""

    length = 8

    def __init__(self, n, repeats):
        self.x = tf.constant(
            np.random.default_rng(0).uniform(0.25, 1., n).astype(np.float32))
        self.repeats = repeats
        self._xla = {}
        self._affine = self._timed(_chain(tf.identity, self.length), True)
        fn_none = self._timed(_chain(tf.identity, 0), False)
        fn_log = self._timed(_chain(tf.math.log, self.length), False)
        fn_affine = self._timed(_chain(tf.identity, self.length), False)
        # A tf.function chain link is 3 passes (op, multiply, add), or 2 when
        # the op is the (free) identity; the median of the two estimates. On a
        # busy machine a chain can time below the empty one; that difference
        # is noise, not a negative cost, so it is clipped at 0 as the XLA
        # costs are, and an estimate is never below its floor.
        self.pass_s = max(statistics.median([(fn_log - fn_none) / (3 * self.length),
                                             (fn_affine - fn_none) / (2 * self.length)]),
                          0.)

    def _timed(self, fn, jit):
        f = tf.function(fn, jit_compile=jit, autograph=False)
        return best_time(lambda: f(self.x).numpy(), self.repeats)

    def measured(self):
        """{opcode: seconds} of the XLA costs measured so far."""
        return dict(self._xla)

    def xla(self, opcode):
        if opcode not in self._xla:
            chain = self._timed(_chain(_OPCODE_OPS[opcode], self.length), True)
            self._xla[opcode] = max(chain - self._affine, 0.) / self.length
        return self._xla[opcode]


def profile(name, spec, module, n, repeats, costs):
    _, k, m = next(c for c in throughput.cells(spec, (n,), None, quick=True) if c[0] == n)
    rng = np.random.default_rng(0)
    params = spec.params(m, k, rng)
    names = tuple(sorted(params))
    tensors = [tf.constant(params[p]) for p in names]
    noise_shape = spec.shape_of_noise(m, k)
    floor_param = tf.constant(rng.normal(size=noise_shape).astype(np.float32))
    seed = tf.constant([1, 2], tf.int32)
    step_fn = throughput.make_step(spec, module, names)
    floor_fn = throughput._floor_step(spec.noise, noise_shape)
    row = dict(distribution=name, k=k, elements=n, noise=spec.noise)
    step_args, floor_args = (seed, *tensors), (seed, floor_param)
    compiled = {}
    for mode in ("xla", "function"):
        step = compiled[mode, "step"] = throughput.compile_in_mode(step_fn, mode)
        floor = compiled[mode, "floor"] = throughput.compile_in_mode(floor_fn, mode)
        step_s = best_time(lambda: step(*step_args).numpy(), repeats)
        floor_s = best_time(lambda: floor(*floor_args).numpy(), repeats)
        row[f"{mode}_step_ms"] = 1e3 * step_s
        row[f"{mode}_floor_ms"] = 1e3 * floor_s
        row[f"{mode}_ratio"] = step_s / floor_s
    half = n // 2
    step_hlo = compiled["xla", "step"].experimental_get_compiler_ir(*step_args)(
        stage="optimized_hlo")
    floor_hlo = compiled["xla", "floor"].experimental_get_compiler_ir(*floor_args)(
        stage="optimized_hlo")
    step_counts, floor_counts = hlo_counts(step_hlo, half), hlo_counts(floor_hlo, half)
    for kind in ("transcendental", "divide", "other"):
        row[f"xla_{kind}"] = max(step_counts[kind] - floor_counts[kind], 0)
    extra = {op: count - floor_counts["by_opcode"].get(op, 0)
             for op, count in step_counts["by_opcode"].items()}
    row["xla_by_opcode"] = {op: c for op, c in sorted(extra.items()) if c > 0}
    row["xla_estimate_ms"] = row["xla_floor_ms"] + 1e3 * sum(
        costs.xla(op) * c for op, c in row["xla_by_opcode"].items())
    row["xla_estimate_ratio"] = row["xla_estimate_ms"] / row["xla_floor_ms"]
    row["function_ops"] = (graph_op_count(compiled["function", "step"], step_args, half)
                           - graph_op_count(compiled["function", "floor"], floor_args, half))
    row["function_estimate_ms"] = (
        row["function_floor_ms"] + 1e3 * costs.pass_s * row["function_ops"])
    row["function_estimate_ratio"] = row["function_estimate_ms"] / row["function_floor_ms"]
    return row


def run(args):
    classes = throughput.resolve_classes()
    if args.classes:
        unknown = set(args.classes) - {c[0] for c in classes}
        if unknown:
            raise SystemExit(f"--classes: unknown distributions {sorted(unknown)}")
        classes = [c for c in classes if c[0] in set(args.classes)]
    t_start = time.perf_counter()
    costs = UnitCosts(args.elements, args.repeats)
    rows = []
    for name, spec, module in classes:
        row = profile(name, spec, module, args.elements, args.repeats, costs)
        rows.append(row)
        print(f"{name:40s} XLA {row['xla_step_ms']:8.2f} ms (x{row['xla_ratio']:.1f}), "
              f"{row['xla_transcendental']} transcendental; function "
              f"{row['function_step_ms']:8.2f} ms (x{row['function_ratio']:.1f}), "
              f"{row['function_ops']} ops", file=sys.stderr, flush=True)
    meta = dict(
        tensorflow=tf.__version__, python=platform.python_version(),
        machine=platform.machine(), cpu_count=os.cpu_count(), elements=args.elements,
        repeats=args.repeats, statistic="minimum",
        xla_ms_per_opcode={op: 1e3 * c for op, c in sorted(costs.measured().items())},
        function_ms_per_pass=1e3 * costs.pass_s, wall_s=time.perf_counter() - t_start)
    return dict(meta=meta, rows=rows)


def markdown_table(result):
    meta = result["meta"]
    costs = ", ".join(f"{op} {ms:.2f}" for op, ms in meta["xla_ms_per_opcode"].items())
    lines = [
        f"{meta['elements']:.0e} elements, float32, best of {meta['repeats']} calls, "
        f"TF {meta['tensorflow']}, {meta['cpu_count']} CPUs. Costs of one pass here "
        f"(ms): in a fused XLA kernel {costs}; one elementwise op under tf.function "
        f"{meta['function_ms_per_pass']:.2f}. transc., divide, other: the step's "
        f"elementwise XLA instructions beyond the floor's; estimate: (floor + the "
        f"costs of its transcendental and divide instructions) / floor; ops: the "
        f"tf.function graph's batch-sized operations beyond the floor's; estimate: "
        f"(floor + ops x the cost of one pass) / floor. See the script's docstring.",
        "",
        "| distribution | K | XLA step (floor), ms | x floor | transc. | divide | other "
        "| estimate x floor | function step (floor), ms | x floor | ops "
        "| estimate x floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['distribution']} | {'' if r['k'] is None else r['k']} "
            f"| {r['xla_step_ms']:.3g} ({r['xla_floor_ms']:.3g}) | {r['xla_ratio']:.1f} "
            f"| {r['xla_transcendental']} | {r['xla_divide']} | {r['xla_other']} "
            f"| {r['xla_estimate_ratio']:.1f} "
            f"| {r['function_step_ms']:.3g} ({r['function_floor_ms']:.3g}) "
            f"| {r['function_ratio']:.1f} | {r['function_ops']} "
            f"| {r['function_estimate_ratio']:.1f} |")
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--elements", type=lambda s: int(float(s)),
                   help="elements per step (default 1e6; --quick: 1e5)")
    p.add_argument("--quick", action="store_true",
                   help="1e5 elements and 5 repeats: a short check")
    p.add_argument("--classes", nargs="+", help="only these distributions")
    p.add_argument("--repeats", type=int,
                   help="timed calls per measurement (default 15; --quick: 5)")
    p.add_argument("--json", help="default: benchmarks/results/step_profile.json, with "
                   "--quick bench_output/step_profile.json; '' for none")
    p.add_argument("--markdown", help="default: benchmarks/results/step_profile.md, with "
                   "--quick bench_output/step_profile.md; '' for none")
    args = p.parse_args(argv)
    bench_io.resolve_outputs(
        args, {"json": "step_profile.json", "markdown": "step_profile.md"}, args.quick)
    if args.elements is None:
        args.elements = 10**5 if args.quick else 10**6
    if args.repeats is None:
        args.repeats = 5 if args.quick else 15
    return args


def main(argv=None):
    args = parse_args(argv)
    result = run(args)
    table = markdown_table(result)
    bench_io.write_outputs(result, table, args.json, args.markdown)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
