"""Every example runs in smoke mode (and is listed here)."""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# script -> smoke-mode arguments ({out} is replaced by a temporary directory).
SMOKE_RUNS = {
    "laplace_bridge.py": ["--smoke", "--output-dir", "{out}"],
    "mnist_vae.py": ["--smoke", "--dataset", "digits", "--output-dir", "{out}"],
    "quickstart.py": ["--smoke", "--output-dir", "{out}"],
    "reinforce_acrobot.py": ["--smoke", "--estimator", "reinforce", "--output-dir", "{out}"],
}


def test_every_example_is_listed():
    scripts = {p.name for p in EXAMPLES.glob("*.py") if "__main__" in p.read_text()}
    assert scripts == set(SMOKE_RUNS), scripts ^ set(SMOKE_RUNS)


@pytest.mark.parametrize("script", sorted(SMOKE_RUNS))
def test_example_runs_in_smoke_mode(script, tmp_path):
    args = [a.replace("{out}", str(tmp_path)) for a in SMOKE_RUNS[script]]
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert list(tmp_path.glob("*.png")), "the example saved no plot"
