"""Where a benchmark writes its results, and writing them: shared by the
benchmark scripts.

`benchmarks/results/` holds the committed tables of the full runs, which the
docs include. A quick (smoke) run must never write over them: its default
outputs go to the scratch folder `bench_output/` at the repository root
(ignored by git), and an explicit output path inside `benchmarks/results/`
is refused.
"""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, "benchmarks", "results")
SCRATCH_DIR = os.path.join(ROOT, "bench_output")


def in_results(path):
    """Whether `path` is `benchmarks/results/` or lies inside it (links
    resolved)."""
    results = os.path.realpath(RESULTS_DIR)
    target = os.path.realpath(path)
    return os.path.commonpath([results, target]) == results


def resolve_outputs(parser, args, defaults, scratch, refuse_results=None):
    """Fills in and checks a run's output paths.

    `defaults` maps an attribute of `args` to its path relative to the output
    folder: `RESULTS_DIR` for a full run, `SCRATCH_DIR` when `scratch` (a
    quick run). An attribute left at None gets that default; an empty string
    stays empty (write nothing). When `refuse_results` (default: `scratch`),
    a path inside `benchmarks/results/` is an error (`parser.error`, exit
    status 2), so a quick run cannot overwrite a committed result, even when
    asked to."""
    folder = SCRATCH_DIR if scratch else RESULTS_DIR
    for attr, relative in defaults.items():
        if getattr(args, attr) is None:
            setattr(args, attr, os.path.join(folder, relative))
    if scratch if refuse_results is None else refuse_results:
        for attr in defaults:
            path = getattr(args, attr)
            if path and in_results(path):
                parser.error(
                    f"--{attr.replace('_', '-')} {path}: a quick run does not write "
                    f"into {RESULTS_DIR} (the committed full-run results); choose a "
                    f"path elsewhere or leave it out (default: under {SCRATCH_DIR})")
    return args


def write_outputs(result, table, json_path, markdown_path):
    """Writes `result` as indented JSON to `json_path` and `table` to
    `markdown_path`, creating their folders; an empty or None path is skipped."""
    for path, write in ((json_path, lambda f: json.dump(result, f, indent=1)),
                        (markdown_path, lambda f: f.write(table))):
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            with open(path, "w") as f:
                write(f)
