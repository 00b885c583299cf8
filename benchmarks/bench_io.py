"""Where a benchmark writes its results, and writing them: shared by the
benchmark scripts.

`benchmarks/results/` holds the committed tables of the full runs, which the
docs include. A quick (smoke) run must never write over them: its default
outputs go to the scratch folder `bench_output/` at the repository root
(ignored by git). An output path given on the command line is used as given:
regenerating a committed table names its file.
"""

import json
import os
import shlex

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, "benchmarks", "results")
SCRATCH_DIR = os.path.join(ROOT, "bench_output")


def in_results(path):
    """Whether `path` is `benchmarks/results/` or lies inside it (links
    resolved)."""
    results = os.path.realpath(RESULTS_DIR)
    target = os.path.realpath(path)
    return os.path.commonpath([results, target]) == results


def resolve_outputs(args, defaults, scratch):
    """Fills in a run's default output paths.

    `defaults` maps an attribute of `args` to its path relative to the output
    folder: `RESULTS_DIR` for a full run, `SCRATCH_DIR` when `scratch` (a
    quick run). An attribute left at None gets that default; a path given
    (or an empty string: write nothing) is kept."""
    folder = SCRATCH_DIR if scratch else RESULTS_DIR
    for attr, relative in defaults.items():
        if getattr(args, attr) is None:
            setattr(args, attr, os.path.join(folder, relative))
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


# Options whose value is a folder of this machine: a recorded command shows a
# placeholder instead, so that committed results and the docs that include
# them carry no machine path.
_MACHINE_PATH_OPTIONS = {"--data-dir": "DIR", "--torch-python": "TORCH_VENV/bin/python"}


def recorded_command(script, argv):
    """`python SCRIPT ARGS` as a results file records it, with the values of
    `--data-dir` and `--torch-python` replaced by placeholders."""
    args = list(argv)
    for i, arg in enumerate(args):
        option, eq, _ = arg.partition("=")
        if option in _MACHINE_PATH_OPTIONS:
            if eq:
                args[i] = f"{option}={_MACHINE_PATH_OPTIONS[option]}"
            elif i + 1 < len(args):
                args[i + 1] = _MACHINE_PATH_OPTIONS[option]
    return " ".join(["python", script, shlex.join(args)]).strip()
