"""Every VAE method of the harness `benchmarks.vae`, a fixed budget, several seeds.

    python benchmarks/vae_methods.py --data-dir DIR --epochs 10 --seeds 0 1 2
    python benchmarks/vae_methods.py --dataset digits --epochs 20      # offline, small
    python benchmarks/vae_methods.py --quick --dataset digits          # a minute or two

Each (method, seed) runs `python -m benchmarks.vae` in its own process with the
same preset, budget (`--epochs`) and data, and the script collects the one
JSON line each run prints. It writes a markdown table (mean +- sample
standard deviation over seeds of the test -ELBO and -IWAE bounds, the
demo-style relaxed test loss, and the median seconds per training epoch) to
`--markdown` (default `benchmarks/results/vae_methods.md`, which the docs
include) and the raw results to `--json` (default
`benchmarks/results/vae_methods.json`). A `--quick` run writes them to
`bench_output/vae_methods.{md,json}` instead, so that it leaves the
committed full runs in `benchmarks/results/` alone.

Bernoulli-family relaxations and the unbiased estimators run with Bernoulli
latents; categorical relaxations with the categorical latent of the preset
(20 variables of 10 classes). Timings depend on the machine and on what else
runs on it: the table records the core count and load average.
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_io  # noqa: E402

BERNOULLI = ("correlated_relaxed_bernoulli", "straight_through_relaxed_bernoulli",
             "straight_through_bernoulli", "hard_concrete", "gaussian_relaxed_bernoulli",
             "stochastic_times_smooth", "reinforce", "rloo", "arm", "disarm", "rebar")
CATEGORICAL = ("gumbel_softmax", "straight_through_gumbel_softmax",
               "decoupled_straight_through_gumbel_softmax", "invertible_gaussian",
               "logistic_normal_softmax", "gumbel_softmax_top_k")

QUANTITIES = """\
How the columns differ. `-ELBO` and `-IWAE` are bounds on the test negative
log-likelihood, in nats per image, computed from `k` samples of the latent law
named in `bound` (`discrete`: hard latents of the discrete law behind the
relaxation, decoder scored on them; `continuous`: relaxed samples and their
densities, for methods whose hard law has no closed-form pmf).
`relaxed loss` is the quantity the reference library's demo reports as
"test loss" (127.56 after 10 epochs in its MNIST demo): the training
objective, summed Bernoulli cross-entropy at a RELAXED sample plus the
divergence the layer adds, per test image. It is not a bound on the discrete
model, and with `--preset relaxit` the targets are grey-level pixels (as in
the demo), so no row is a log-likelihood of binary images there.
`s/epoch` is the median wall time of the training batches of an epoch after
the first (which includes XLA compilation), validation excluded; `CPU
s/epoch` is the process CPU time over the same span (all threads), which
depends less on what else runs on the machine.
"""


def run_one(method, seed, args):
    latent = "categorical" if method in CATEGORICAL else "bernoulli"
    command = [sys.executable, "-m", "benchmarks.vae", "--method", method,
               "--seed", str(seed),
               "--preset", args.preset, "--latent", latent, "--dataset", args.dataset,
               "--epochs", str(args.epochs), "--iwae-k", str(args.iwae_k),
               "--verbose", "0",
               "--output-dir", str(pathlib.Path(args.work_dir).resolve() / f"{method}_seed{seed}")]
    if args.data_dir:   # the run starts in the repository root: absolute paths
        command += ["--data-dir", os.path.abspath(args.data_dir)]
    if args.max_train:
        command += ["--max-train", str(args.max_train)]
    if args.max_test:
        command += ["--max-test", str(args.max_test)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"{method} seed {seed} failed (exit {result.returncode}):\n"
                           + result.stderr[-3000:])
    return json.loads(lines[-1])


def mean_sd(values, digits=2):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def markdown(results, args, wall):
    by_method = {}
    for r in results:
        by_method.setdefault(r["method"], []).append(r)
    first = results[0]
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    lines = [
        "# VAE methods benchmark (`benchmarks/vae_methods.py`)",
        "",
        f"Data: {first['dataset']} ({first['data_source']}), binarization "
        f"`{first['binarize']}`; preset `{args.preset}`; {args.epochs} epochs; batch "
        f"{first['batch_size']}; seeds as listed per method; k = {args.iwae_k}"
        + (f"; first {args.max_train} train / {args.max_test} test images"
           if args.max_train or args.max_test else "") + ".",
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"load average at the end {load[0]:.1f}" if load else "",
        ("Tabulated with --table-only from the results saved by the runs (which were "
         "made with --resume, possibly over several invocations)." if args.table_only
         else f"Total wall time {wall / 60:.1f} min."),
        "",
        "| method | latent | bound | seeds | -ELBO (nats) | -IWAE (nats) | relaxed loss "
        "| s/epoch | CPU s/epoch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method, runs in by_method.items():
        note = " (*)" if runs[0]["bound_note"] else ""
        lines.append(
            f"| {method}{note} | {runs[0]['latent']} | {runs[0]['bound_kind']} | "
            f"{' '.join(str(r['seed']) for r in runs)} | "
            f"{mean_sd([r['test_neg_elbo'] for r in runs])} | "
            f"{mean_sd([r['test_neg_iwae'] for r in runs])} | "
            f"{mean_sd([r['test_loss_relaxed'] for r in runs])} | "
            f"{mean_sd([r['seconds_per_epoch'] for r in runs])} | "
            f"{mean_sd([r['cpu_seconds_per_epoch'] for r in runs])} |")
    notes = {r["bound_note"] for r in results if r["bound_note"]}
    lines.append("")
    for note in sorted(notes):
        lines.append(f"(*) {note}.")
    lines += ["", QUANTITIES]
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="mnist", choices=("mnist", "digits"))
    p.add_argument("--data-dir", help="folder of the four MNIST IDX files")
    p.add_argument("--preset", default="relaxit", choices=("relaxit", "paper"))
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--methods", nargs="+", default=list(BERNOULLI + CATEGORICAL),
                   choices=BERNOULLI + CATEGORICAL)
    p.add_argument("--iwae-k", type=int, default=100)
    p.add_argument("--max-train", type=int)
    p.add_argument("--max-test", type=int)
    p.add_argument("--work-dir", default="/tmp/vae_methods")
    p.add_argument("--markdown", help="default: benchmarks/results/vae_methods.md, with "
                   "--quick bench_output/vae_methods.md; '' for none")
    p.add_argument("--json", help="default: benchmarks/results/vae_methods.json, with "
                   "--quick bench_output/vae_methods.json; '' for none")
    p.add_argument("--merge-json", nargs="+", default=[], metavar="FILE",
                   help="results (--json files) of earlier runs to put in the table "
                        "before this run's")
    p.add_argument("--resume", action="store_true",
                   help="reuse the (method, seed) results already in --json (written "
                        "after every run) instead of running them again")
    p.add_argument("--table-only", action="store_true",
                   help="run nothing: write the table from the results in --json "
                        "(with --resume semantics: those of --methods and --seeds)")
    p.add_argument("--quick", action="store_true",
                   help="2 epochs, 2 seeds, k = 10, at most 2000/500 images")
    args = p.parse_args(argv)
    bench_io.resolve_outputs(
        args, {"markdown": "vae_methods.md", "json": "vae_methods.json"}, args.quick)
    if args.quick:
        args.epochs, args.seeds, args.iwae_k = 2, args.seeds[:2], 10
        args.max_train = args.max_train or 2000
        args.max_test = args.max_test or 500
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    results = []
    for path in args.merge_json:
        results.extend(json.loads(pathlib.Path(path).read_text()))
    done = {}
    if (args.resume or args.table_only) and args.json and pathlib.Path(args.json).exists():
        done = {(r["method"], r["seed"]): r
                for r in json.loads(pathlib.Path(args.json).read_text())}
    this_run = []
    # Seed-major order: every method once before any method a second time,
    # so that a run stopped early (and resumed, or tabulated with
    # --table-only) covers every method.
    for seed in args.seeds:
        for method in args.methods:
            if (method, seed) in done:
                this_run.append(done[(method, seed)])
                results.append(done[(method, seed)])
                continue
            if args.table_only:
                continue
            r = run_one(method, seed, args)
            this_run.append(r)
            if args.json:  # Saved as it goes, so that --resume can continue.
                pathlib.Path(args.json).parent.mkdir(parents=True, exist_ok=True)
                pathlib.Path(args.json).write_text(json.dumps(this_run, indent=1))
            print(f"{method} seed {seed}: -ELBO {r['test_neg_elbo']:.2f} "
                  f"-IWAE {r['test_neg_iwae']:.2f} {r['seconds_per_epoch']:.2f} s/epoch",
                  file=sys.stderr, flush=True)
            results.append(r)
    order = {m: i for i, m in enumerate(args.methods)}
    results.sort(key=lambda r: (order.get(r["method"], -1), r["seed"]))
    table = markdown(results, args, time.perf_counter() - start)
    for path, text in ((args.markdown, table + "\n"), (args.json, json.dumps(this_run, indent=1))):
        if path:
            pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
            pathlib.Path(path).write_text(text)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
