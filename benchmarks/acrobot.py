"""Acrobot-v1 policy-gradient benchmark: every estimator of
`benchmarks/policy_gradient.py`, several seeds each.

For each estimator the training of `benchmarks.policy_gradient` runs for `--seeds` seeds (0, 1,
...) and `--episodes` episodes; the script writes a markdown table (median
over seeds of the episodes until the running return reaches the reward
threshold -100, with a run that never reaches it counting as infinitely
many; per-seed episodes to the threshold; mean and range of the final
running return; wall time) and a JSON file with the result line
per estimator. The PNG (return per episode, mean and min-max band
over the seeds) for each estimator goes to the same folder.

Run:

    python benchmarks/acrobot.py                          # 4 estimators x 5 seeds x 300 episodes
    python benchmarks/acrobot.py --estimators a2c reinforce --seeds 3
    python benchmarks/acrobot.py --quick                  # 2 seeds x 3 episodes of 50 steps

Outputs go to `--output-dir`: by default `benchmarks/results/acrobot/` (the
committed full runs), and for a `--quick` run `bench_output/acrobot/`.

The target of issue 5: with the best estimator, the median over 5 seeds is
at most 300 episodes.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
from benchmarks import bench_io  # noqa: E402
from benchmarks import policy_gradient as pg  # noqa: E402


def markdown(results, target=300):
    lines = [
        "| estimator | seeds | episodes | median episodes to -100 | per seed | "
        "final running return, mean [min, max] | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        med = r["median_episodes_to_threshold"]
        med_s = "not reached" if med is None else f"{med:g}"
        if target is not None and med is not None and med <= target:
            med_s += " (meets target)"
        per = ", ".join("-" if c is None else str(c) for c in r["episodes_to_threshold"])
        final = r["final_running_return"]
        mean = sum(final) / len(final)
        lines.append(
            f"| {r['estimator']} | {r['seeds']} | {r['episodes']} | {med_s} | {per} | "
            f"{mean:.1f} [{min(final):.1f}, {max(final):.1f}] | {r['seconds']:.0f} |")
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--estimators", nargs="+", choices=pg.ESTIMATORS,
                        default=list(pg.ESTIMATORS),
                        help="the estimators to run (see python -m benchmarks.policy_gradient "
                             "--help)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0, 1, ... per estimator")
    parser.add_argument("--episodes", type=int, default=300, help="episodes per seed")
    parser.add_argument("--max-steps", type=int, default=500,
                        help="time limit of an episode (Acrobot-v1: 500)")
    parser.add_argument("--output-dir",
                        help="default: benchmarks/results/acrobot, with --quick "
                             "bench_output/acrobot")
    parser.add_argument("--merge", nargs="+", metavar="DIR",
                        help="do not train: merge the acrobot.json files of earlier runs "
                             "(e.g. estimators run in parallel) into one table in --output-dir")
    parser.add_argument("--quick", action="store_true",
                        help="2 seeds x 3 episodes capped at 50 steps (checks the script)")
    args = parser.parse_args(argv)
    if args.output_dir == "":
        parser.error("--output-dir: needs a folder")
    bench_io.resolve_outputs(args, {"output_dir": "acrobot"}, args.quick)
    if args.quick:
        args.seeds, args.episodes, args.max_steps = 2, 3, 50
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.output_dir, exist_ok=True)

    results = []
    if args.merge:
        for folder in args.merge:
            with open(os.path.join(folder, "acrobot.json")) as fh:
                merged = json.load(fh)
            for r in merged:
                # Redraw each estimator's figure from its saved returns.
                name = r["estimator"]
                with open(os.path.join(folder, f"acrobot_{name}_returns.json")) as fh:
                    returns = json.load(fh)
                with open(os.path.join(args.output_dir, f"acrobot_{name}_returns.json"),
                          "w") as fh:
                    json.dump(returns, fh)
                r["plot"] = f"acrobot_{name}.png"   # next to acrobot.json
                pg.plot(os.path.join(args.output_dir, r["plot"]), name, returns)
                results.append(r)
        args.episodes = results[0]["episodes"]
        args.max_steps = results[0]["max_steps"]
        args.seeds = results[0]["seeds"]
    for name in [] if args.merge else args.estimators:
        run_args = pg.parse_args([
            "--estimator", name, "--seeds", str(args.seeds),
            "--episodes", str(args.episodes), "--max-steps", str(args.max_steps),
            "--output-dir", args.output_dir])
        result = pg.run(run_args)
        print(json.dumps(result), flush=True)
        results.append(result)

    # The target applies to the environment's own time limit only.
    table = markdown(results, target=300 if args.max_steps == 500 else None)
    header = (f"Acrobot-v1, {args.episodes} episodes (time limit {args.max_steps} steps), "
              f"{args.seeds} seed(s); running return = EMA 0.05 of the episode return, "
              "initialised with the first episode.\n\n")
    with open(os.path.join(args.output_dir, "acrobot.md"), "w") as fh:
        fh.write(header + table + "\n")
    with open(os.path.join(args.output_dir, "acrobot.json"), "w") as fh:
        json.dump(results, fh, indent=1)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
