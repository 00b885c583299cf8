"""One training step of relaxtfp against the PyTorch reference library.

The reference is `relaxit` ("Just Relax It", on PyPI), built on PyTorch and
pyro. For every Bernoulli-family relaxation that both libraries have, one
*step* at `--elements` elements (1e6 by default) is timed on each side:

1. build the distribution from its parameters;
2. draw a reparameterized sample (`rsample` in relaxit, `sample(seed=...)` in
   relaxtfp);
3. optionally score it with `log_prob` (the `+log_prob` rows, only where
   relaxit's `log_prob` can be called on its own sample);
4. take the gradient of `sum(sample)` (plus `sum(log_prob)`) with respect to
   the parameters passed to the constructor.

relaxit runs eagerly in PyTorch (how it is used); relaxtfp runs under
`tf.function` and under `tf.function(jit_compile=True)` (XLA), with the seed
passed as a tensor so that the function traces once.

The two libraries never share a process: this script is the driver and starts
itself as a worker, `--torch-python` (a Python with torch and relaxit) for the
relaxit side and the current Python (with TensorFlow) for the relaxtfp side,
alternating A B A B ... for `--rounds` rounds. Each worker reports the median
of `--repeats` timed calls per step; the driver reports, per step, the median
over rounds of each side and the median over rounds of the per-round ratio.

Run `python benchmarks/pytorch_reference.py --help`. See `benchmarks/README.md`.
Writes `benchmarks/results/pytorch_reference.{json,md}` by default; a
`--quick` run (1e4 elements, 1 round, 2 repeats) writes
`bench_output/pytorch_reference.{json,md}`.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench_io  # noqa: E402

INSTALL_MESSAGE = """\
PyTorch and relaxit are needed for the reference side of this benchmark, and
`{python}` cannot import them ({error}).
Install them in a separate virtual environment (CPU wheel only; a plain
`pip install torch` downloads a multi-GB CUDA build):

    python3 -m venv TORCH_VENV
    TORCH_VENV/bin/pip install torch==2.13.0 \\
        --extra-index-url https://download.pytorch.org/whl/cpu
    TORCH_VENV/bin/pip install --no-deps relaxit==1.2.1
    TORCH_VENV/bin/pip install pyro-ppl   # relaxit's one other dependency

then pass `--torch-python TORCH_VENV/bin/python`."""

# Correlated gates: event size D; elements = batch x D.
CORRELATED_D = 10
VARIANTS = ("sample", "sample+log_prob")

# relaxtfp class -> relaxit class, and what relaxit's `log_prob` is worth (see
# docs/differences.md). `log_prob` is None when the
# `+log_prob` step cannot run on relaxit's side.
CLASSES = {
    "StraightThroughBernoulli": dict(
        relaxit="StraightThroughBernoulli",
        log_prob=("correct (Bernoulli pmf), but run with validate_args=False: its "
                  "rsample b + p - stopgrad(p) is not exactly 0/1 and fails validation"),
        note=""),
    "StochasticTimesSmooth": dict(
        relaxit="StochasticTimesSmooth",
        log_prob=None,
        note=("relaxit's log_prob is the Bernoulli pmf and raises ValueError on "
              "its own rsample (values sqrt(p), not {0, 1}) under torch's "
              "default validation: no +log_prob row")),
    "GaussianRelaxedBernoulli": dict(
        relaxit="GaussianRelaxedBernoulli",
        log_prob="correct (clipped Gaussian with atoms)",
        note=("relaxit's rsample draws its noise without reparameterization: "
              "no gradient reaches `scale`")),
    "HardConcrete": dict(
        relaxit="HardConcrete",
        log_prob="correct, but computed with raw powers (-inf/NaN for large beta)",
        note=("relaxit draws ONE uniform shared by all elements (review: shared "
              "noise), so its step draws 1 random number instead of one per element")),
    "RebarRelaxation": dict(
        relaxit="RebarRelaxation",
        log_prob="WRONG: omits the (l^2+l+1)/(l+1) factor its sampler uses",
        note=("relaxit draws ONE uniform shared by all elements when "
              "sample_shape=() (review: shared noise)")),
    "CorrelatedRelaxedBernoulli": dict(
        relaxit="CorrelatedRelaxedBernoulli",
        log_prob=("WRONG: clipped-Normal formula unrelated to the copula "
                  "sampler, not summed over the event"),
        note=f"event size D = {CORRELATED_D}, batch = elements / D"),
}


# ---------------------------------------------------------------------------
# Shared parameter values (NumPy, float32), the same on both sides.


def _base_params(name, n, seed=0):
    """Parameter arrays for `name` at `n` elements, as NumPy float32."""
    import numpy as np

    rng = np.random.default_rng(seed)
    f32 = np.float32
    if name == "CorrelatedRelaxedBernoulli":
        d = CORRELATED_D
        b = max(1, n // d)
        corr = np.full((d, d), 0.3) + 0.7 * np.eye(d)
        probs = 1. / (1. + np.exp(-rng.normal(size=(b, d))))
        return dict(probs=probs.astype(f32), correlation=corr.astype(f32),
                    temperature=np.asarray(0.5, f32))
    logits = rng.normal(size=n).astype(f32)
    if name in ("StraightThroughBernoulli", "StochasticTimesSmooth"):
        return dict(logits=logits)
    if name == "GaussianRelaxedBernoulli":
        # A per-element scale: with a scalar scale relaxit would share one
        # noise value across the whole batch.
        return dict(loc=(0.5 + 0.2 * logits).astype(f32),
                    scale=np.full(n, 0.5, f32))
    if name == "HardConcrete":
        return dict(logits=logits, temperature=np.asarray(0.5, f32))
    if name == "RebarRelaxation":
        probs = (1. / (1. + np.exp(-logits))).astype(f32)
        return dict(probs=probs, temperature=np.asarray(0.5, f32))
    raise KeyError(name)


# ---------------------------------------------------------------------------
# relaxtfp side (TensorFlow).


def tf_tensors(name, n, seed=0):
    """(names, tensors): the float parameters of relaxtfp's `name`, in the
    order the step function takes them."""
    import tensorflow as tf

    params = _base_params(name, n, seed)
    names = tuple(sorted(params))
    return names, [tf.constant(params[p]) for p in names]


def make_tf_step(name, names, with_log_prob):
    """`step(seed, *params) -> scalar` for relaxtfp's `name`: build, sample,
    optionally `log_prob`, and the gradient of the sum with respect to every
    parameter. Returns the loss plus the sum of each gradient (one scalar that
    depends on all the work)."""
    import tensorflow as tf

    sys.path.insert(0, ROOT)
    import relaxtfp.distributions as rd

    cls = getattr(rd, name)
    extra = dict(low=-0.1, high=1.1) if name == "HardConcrete" else {}

    def step(seed, *params):
        with tf.GradientTape() as tape:
            tape.watch(params)
            dist = cls(**dict(zip(names, params)), **extra)
            x = dist.sample(seed=seed)
            loss = tf.reduce_sum(x)
            if with_log_prob:
                loss = loss + tf.reduce_sum(dist.log_prob(x))
        grads = tape.gradient(loss, params,
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return loss + tf.add_n([tf.reduce_sum(g) for g in grads])

    return step


def compile_tf_step(step, mode):
    import tensorflow as tf

    return tf.function(step, jit_compile=(mode == "xla"), autograph=False)


def _median_time(call, repeats):
    call(0)  # Warm-up: tracing, compilation, allocations.
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        call(i + 1)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def tf_worker(names_wanted, n, repeats):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    import tensorflow_probability as tfp

    seeds = [tf.constant([i, 1234], tf.int32) for i in range(repeats + 1)]
    rows = []
    for name in names_wanted:
        names, tensors = tf_tensors(name, n)
        for variant in VARIANTS:
            if variant != "sample" and CLASSES[name]["log_prob"] is None:
                continue
            for mode in ("function", "xla"):
                fn = compile_tf_step(
                    make_tf_step(name, names, variant != "sample"), mode)
                seconds = _median_time(
                    lambda i: fn(seeds[i], *tensors).numpy(), repeats)
                rows.append(dict(distribution=name, variant=variant, mode=mode,
                                 ms=1e3 * seconds,
                                 traces=fn.experimental_get_tracing_count()))
    threads = dict(intra_op=tf.config.threading.get_intra_op_parallelism_threads(),
                   inter_op=tf.config.threading.get_inter_op_parallelism_threads())
    return dict(rows=rows, versions=dict(tensorflow=tf.__version__,
                                         tensorflow_probability=tfp.__version__),
                threads=threads)


# ---------------------------------------------------------------------------
# relaxit side (PyTorch).


def torch_worker(names_wanted, n, repeats, threads=None):
    import torch
    import relaxit
    import relaxit.distributions as rx

    default_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)

    rows = []
    for name in names_wanted:
        base = _base_params(name, n)
        t = {k: torch.tensor(v) for k, v in base.items()}
        # relaxit's parameterization of the same distribution; every tensor
        # passed here is a leaf that requires grad.
        if name in ("StraightThroughBernoulli", "StochasticTimesSmooth"):
            leaves = dict(logits=t["logits"])
            def build(p, cls=getattr(rx, name), **kw):
                return cls(logits=p["logits"], **kw)
        elif name == "GaussianRelaxedBernoulli":
            leaves = dict(loc=t["loc"], scale=t["scale"])
            def build(p, **kw):
                return rx.GaussianRelaxedBernoulli(p["loc"], p["scale"], **kw)
        elif name == "HardConcrete":
            leaves = dict(alpha=torch.exp(t["logits"]), beta=t["temperature"])
            xi, gamma = torch.tensor(1.1), torch.tensor(-0.1)
            def build(p, **kw):
                return rx.HardConcrete(p["alpha"], p["beta"], xi, gamma, **kw)
        elif name == "RebarRelaxation":
            leaves = dict(theta=t["probs"], lambd=t["temperature"])
            def build(p, **kw):
                return rx.RebarRelaxation(p["theta"], p["lambd"], **kw)
        elif name == "CorrelatedRelaxedBernoulli":
            leaves = dict(pi=t["probs"], R=t["correlation"], tau=t["temperature"])
            def build(p, **kw):
                return rx.CorrelatedRelaxedBernoulli(p["pi"], p["R"], p["tau"], **kw)
        else:
            raise KeyError(name)
        leaves = {k: v.detach().clone().requires_grad_(True) for k, v in leaves.items()}
        keys = sorted(leaves)
        for variant in VARIANTS:
            if variant != "sample" and CLASSES[name]["log_prob"] is None:
                continue
            with_lp = variant != "sample"
            # torch's default validation, except where relaxit's log_prob
            # rejects relaxit's own straight-through sample.
            kw = (dict(validate_args=False)
                  if with_lp and name == "StraightThroughBernoulli" else {})
            no_grad = []

            def step(_, build=build, with_lp=with_lp, no_grad=no_grad, kw=kw):
                dist = build(leaves, **kw)
                x = dist.rsample()
                loss = x.sum()
                if with_lp:
                    loss = loss + dist.log_prob(x).sum()
                grads = torch.autograd.grad(loss, [leaves[k] for k in keys],
                                            allow_unused=True)
                no_grad[:] = [k for k, g in zip(keys, grads) if g is None]
                return loss.item() + sum(g.sum().item() for g in grads if g is not None)

            seconds = _median_time(step, repeats)
            rows.append(dict(distribution=name, variant=variant, mode="torch",
                             ms=1e3 * seconds, params_without_gradient=no_grad))
    return dict(rows=rows, versions=dict(torch=torch.__version__,
                                         relaxit=relaxit.__version__),
                threads=dict(torch_num_threads=torch.get_num_threads(),
                             torch_default_num_threads=default_threads,
                             torch_num_interop_threads=torch.get_num_interop_threads()))


# ---------------------------------------------------------------------------
# Driver.

_MARK = "PYTORCH_REFERENCE_JSON:"


def check_torch(python):
    """None if `python` imports torch and relaxit, else the error text."""
    try:
        proc = subprocess.run(
            [python, "-c", "import torch, relaxit.distributions"],
            capture_output=True, text=True, timeout=300)
    except OSError as err:
        return str(err)
    if proc.returncode == 0:
        return None
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


def run_worker(python, side, args):
    cmd = [python, os.path.abspath(__file__), "--worker", side,
           "--elements", str(args.elements), "--repeats", str(args.repeats),
           "--classes", *args.classes]
    if side == "torch" and args.torch_threads:
        cmd += ["--torch-threads", str(args.torch_threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{side} worker failed ({proc.returncode}):\n{proc.stderr}")
    for line in proc.stdout.splitlines():
        if line.startswith(_MARK):
            return json.loads(line[len(_MARK):])
    raise RuntimeError(f"{side} worker printed no result:\n{proc.stdout}\n{proc.stderr}")


def summarize(rounds):
    """Per (distribution, variant): the median over rounds of each side's
    per-round median, and the median over rounds of the per-round ratios
    relaxtfp / torch (below 1: relaxtfp is faster)."""
    by_key = {}
    for rnd in rounds:
        for side in ("torch", "tf"):
            for row in rnd[side]["rows"]:
                key = (row["distribution"], row["variant"])
                entry = by_key.setdefault(key, {})
                entry.setdefault(row["mode"], []).append(row)
    out = []
    for (name, variant), modes in by_key.items():
        torch_ms = [r["ms"] for r in modes.get("torch", [])]
        row = dict(distribution=name, relaxit=CLASSES[name]["relaxit"], variant=variant,
                   relaxit_log_prob=CLASSES[name]["log_prob"] if variant != "sample" else None,
                   note=CLASSES[name]["note"], torch_ms_per_round=torch_ms,
                   torch_ms=statistics.median(torch_ms) if torch_ms else None)
        if modes.get("torch"):
            row["params_without_gradient"] = modes["torch"][-1].get(
                "params_without_gradient", [])
        for mode in ("function", "xla"):
            ms = [r["ms"] for r in modes.get(mode, [])]
            row[f"{mode}_ms_per_round"] = ms
            row[f"{mode}_ms"] = statistics.median(ms) if ms else None
            row[f"{mode}_traces"] = max((r["traces"] for r in modes.get(mode, [])),
                                        default=None)
            ratios = [a / b for a, b in zip(ms, torch_ms)]
            row[f"{mode}_ratio_per_round"] = ratios
            row[f"{mode}_ratio"] = statistics.median(ratios) if ratios else None
        out.append(row)
    order = list(CLASSES)
    out.sort(key=lambda r: (order.index(r["distribution"]), VARIANTS.index(r["variant"])))
    return out


def _fmt(x):
    if x is None:
        return ""
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def markdown(result):
    m = result["meta"]
    lines = [
        f"One step at {m['elements']:.0e} elements, float32: build + "
        "reparameterized sample (+ log_prob) + gradient of the sum w.r.t. the "
        "constructor's parameters. relaxit runs eagerly in PyTorch; relaxtfp under "
        "`tf.function` and XLA. Median over "
        f"{m['rounds']} interleaved rounds (each: the median of {m['repeats']} "
        "calls after one warm-up, one process per library). Ratio = relaxtfp / "
        "relaxit, the median of the per-round ratios: below 1 means relaxtfp is "
        "faster.",
        "",
        f"Command: `{m['command']}`. Machine: {m['machine']}. "
        f"torch {m['versions'].get('torch')} ({m['torch_threads'].get('torch_num_threads')} "
        f"intra-op threads{_threads_note(m)}), relaxit {m['versions'].get('relaxit')}, "
        f"TF {m['versions'].get('tensorflow')}, TFP "
        f"{m['versions'].get('tensorflow_probability')} (default threads), relaxtfp "
        f"{m['versions'].get('relaxtfp')}{_git_note(m)}. Load average (1 min) before each worker: "
        f"{', '.join(f'{x:.1f}' for x in m['load_average_1min'])}. {m['date']}.",
        "",
        "| relaxtfp class | step | relaxit (ms) | tf.function (ms) | XLA (ms) "
        "| tf.function / relaxit | XLA / relaxit | traces | relaxit's log_prob |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        traces = max(t for t in (r["function_traces"], r["xla_traces"]) if t is not None)
        lines.append(
            f"| {r['distribution']} | {r['variant']} | {_fmt(r['torch_ms'])} | "
            f"{_fmt(r['function_ms'])} | {_fmt(r['xla_ms'])} | "
            f"{_fmt(r['function_ratio'])} | {_fmt(r['xla_ratio'])} | {traces} | "
            f"{r['relaxit_log_prob'] or ''} |")
    lines.append("")
    lines.append("Notes on relaxit's side (from the reference review; they change what "
                 "its step computes):")
    lines.append("")
    for name in result["meta"]["classes"]:
        if CLASSES[name]["note"]:
            lines.append(f"- {name}: {CLASSES[name]['note']}.")
    no_grad = {r["distribution"]: r["params_without_gradient"] for r in result["rows"]
               if r.get("params_without_gradient")}
    for name, keys in no_grad.items():
        lines.append(f"- {name}: relaxit returned no gradient for {', '.join(keys)} "
                     "(measured in this run).")
    return "\n".join(lines) + "\n"


def _threads_note(meta):
    t = meta["torch_threads"]
    if t.get("torch_num_threads") == t.get("torch_default_num_threads"):
        return ", torch's default"
    return f"; torch's default is {t.get('torch_default_num_threads')}"


def _git_note(meta):
    g = meta.get("git")
    if not g or not g.get("head"):
        return ""
    dirty = g.get("relaxtfp_modified")
    return f" (commit {g['head']}" + (
        f", with uncommitted changes to {', '.join(dirty)})" if dirty else ")")


def _git_state():
    """HEAD and whether relaxtfp/ differs from it (the run times the working tree)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "relaxtfp"],
                               cwd=ROOT, capture_output=True, text=True).stdout.split("\n")
    except OSError:
        return None
    return dict(head=head, relaxtfp_modified=[ln[3:] for ln in dirty if ln.strip()])


def _machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def _load():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def drive(args, argv):
    error = check_torch(args.torch_python)
    if error is not None:
        print(INSTALL_MESSAGE.format(python=args.torch_python, error=error),
              file=sys.stderr)
        return 2
    rounds, loads = [], []
    for i in range(args.rounds):
        rnd = {}
        for side, python in (("torch", args.torch_python), ("tf", sys.executable)):
            loads.append(_load())
            t0 = time.perf_counter()
            rnd[side] = run_worker(python, side, args)
            print(f"round {i + 1}/{args.rounds}: {side} worker took "
                  f"{time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        rounds.append(rnd)
    sys.path.insert(0, ROOT)
    import relaxtfp

    versions = dict(rounds[0]["torch"]["versions"])
    versions.update(rounds[0]["tf"]["versions"], relaxtfp=relaxtfp.__version__)
    command = bench_io.recorded_command("benchmarks/pytorch_reference.py", argv)
    result = dict(
        meta=dict(command=command.strip(), machine=_machine(), elements=args.elements,
                  rounds=args.rounds, repeats=args.repeats, classes=list(args.classes),
                  versions=versions, torch_threads=rounds[0]["torch"]["threads"],
                  tf_threads=rounds[0]["tf"]["threads"], load_average_1min=loads,
                  git=_git_state(),
                  date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
        rows=summarize(rounds), rounds=rounds)
    table = markdown(result)
    print(table)
    bench_io.write_outputs(result, table, args.json, args.markdown)
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--torch-python", default="python",
                   help="Python interpreter with torch and relaxit (default: python)")
    p.add_argument("--quick", action="store_true",
                   help="1e4 elements, 1 round, 2 repeats: checks the script; writes "
                        "to bench_output/ by default")
    p.add_argument("--elements", type=lambda s: int(float(s)),
                   help="default 1e6 (--quick: 1e4)")
    p.add_argument("--rounds", type=int, help="default 5 (--quick: 1)")
    p.add_argument("--repeats", type=int,
                   help="timed calls per step and round, after one warm-up "
                        "(default 10; --quick: 2)")
    p.add_argument("--torch-threads", type=int, default=None,
                   help="torch.set_num_threads in the relaxit worker (default: torch's own)")
    p.add_argument("--classes", nargs="+", default=list(CLASSES), choices=list(CLASSES))
    p.add_argument("--json", help="default: benchmarks/results/pytorch_reference.json, "
                   "with --quick bench_output/pytorch_reference.json; '' to write none")
    p.add_argument("--markdown", help="default: benchmarks/results/pytorch_reference.md, "
                   "with --quick bench_output/pytorch_reference.md; '' to write none")
    p.add_argument("--worker", choices=("torch", "tf"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for name, full, quick in (("elements", 10**6, 10**4), ("rounds", 5, 1),
                              ("repeats", 10, 2)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return bench_io.resolve_outputs(
        args, {"json": "pytorch_reference.json", "markdown": "pytorch_reference.md"},
        args.quick)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.worker:
        work = torch_worker if args.worker == "torch" else tf_worker
        extra = dict(threads=args.torch_threads) if args.worker == "torch" else {}
        result = work(args.classes, args.elements, args.repeats, **extra)
        print(_MARK + json.dumps(result), flush=True)
        return 0
    return drive(args, argv)


if __name__ == "__main__":
    sys.exit(main())
