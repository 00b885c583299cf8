"""Regenerates the figures and tables that the documentation embeds.

Runs the two example scripts and stores what they produce in
`docs/_generated/` (not under version control; see docs/README.md):

* `python examples/quickstart.py --output-dir docs/_generated/quickstart`:
  one PNG per distribution (density from `log_prob` over a histogram of
  samples); its printed table goes to `quickstart_table.txt`;
* `python examples/laplace_bridge.py --seed 3 --output-dir
  docs/_generated/laplace_bridge`: the three simplex densities and the KL
  curve; its printed output goes to `laplace_bridge_output.txt`.

Each `.txt` file starts with the exact command that produced it. The docs
build (`docs/conf.py`) calls `main()` when an output is missing, so a clean
checkout builds without running this by hand; run it to refresh the outputs
after changing the library:

    python docs/generate.py [--smoke]
"""

import argparse
import os
import pathlib
import shlex
import subprocess
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
OUT = DOCS / "_generated"

# (name of the captured output, script, arguments); `{out}` is the output
# folder of that script.
RUNS = (
    ("quickstart_table.txt", "quickstart.py",
     ["--output-dir", "{out}/quickstart"]),
    ("laplace_bridge_output.txt", "laplace_bridge.py",
     ["--seed", "3", "--output-dir", "{out}/laplace_bridge"]),
)


def expected_outputs():
    """The files a complete run leaves in `docs/_generated`."""
    return [OUT / name for name, _, _ in RUNS] + [
        OUT / "laplace_bridge" / "laplace_bridge_densities.png",
        OUT / "laplace_bridge" / "laplace_bridge_kl.png",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="pass --smoke to the examples (fast, coarse)")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    # The checkout goes first on the path, so that the examples import this
    # relaxtfp even where it is not installed.
    path = os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=path)
    for name, script, script_args in RUNS:
        script_args = [a.replace("{out}", "docs/_generated") for a in script_args]
        if args.smoke:
            script_args.append("--smoke")
        command = ["python", f"examples/{script}", *script_args]
        print("running:", shlex.join(command), file=sys.stderr, flush=True)
        result = subprocess.run([sys.executable, *command[1:]], cwd=ROOT, env=env,
                                capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"{script} failed with exit status {result.returncode}")
        (OUT / name).write_text(f"$ {shlex.join(command)}\n\n{result.stdout}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
