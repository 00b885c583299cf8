"""Every example runs in smoke mode (and is listed here), answers `--help`
before importing TensorFlow, and imports nothing but the public API.

On the JAX test run (no TensorFlow installed) the examples that run on
`relaxtfp.substrates.jax` with `KERAS_BACKEND=jax` run in smoke mode there
instead."""

import gzip
import json
import os
import pathlib
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

from tests import substrates

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# script -> smoke-mode arguments ({out} is replaced by a temporary directory).
SMOKE_RUNS = {
    "laplace_bridge.py": ["--smoke", "--output-dir", "{out}"],
    "mnist_vae.py": ["--smoke", "--dataset", "digits", "--output-dir", "{out}"],
    "quickstart.py": ["--smoke", "--output-dir", "{out}"],
    "reinforce_acrobot.py": ["--smoke", "--estimator", "reinforce", "--output-dir", "{out}"],
}


# The examples that run with KERAS_BACKEND=jax, and their smoke arguments on
# the JAX test run ({idx}: synthetic MNIST IDX files, as scikit-learn's
# digits need scikit-learn).
JAX_SMOKE_RUNS = {
    "mnist_vae.py": ["--smoke", "--method", "hard_concrete", "--data-dir", "{idx}",
                     "--output-dir", "{out}"],
    "quickstart.py": ["--smoke", "--output-dir", "{out}"],
}


def _write_idx(folder, rng):
    """MNIST-shaped IDX image files: training gzipped, test raw (both accepted)."""
    for name, count, compress in (("train-images-idx3-ubyte", 300, True),
                                  ("t10k-images-idx3-ubyte", 70, False)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        data = bytes([0, 0, 8, 3]) + struct.pack(">III", count, 28, 28) + images.tobytes()
        if compress:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def test_every_example_is_listed():
    scripts = {p.name for p in EXAMPLES.glob("*.py") if "__main__" in p.read_text()}
    assert scripts == set(SMOKE_RUNS), scripts ^ set(SMOKE_RUNS)


@substrates.tensorflow_only("the examples on TensorFlow; JAX runs: test_example_runs_on_jax")
@pytest.mark.parametrize("script", sorted(SMOKE_RUNS))
def test_example_runs_in_smoke_mode(script, tmp_path):
    args = [a.replace("{out}", str(tmp_path)) for a in SMOKE_RUNS[script]]
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert list(tmp_path.glob("*.png")), "the example saved no plot"


@pytest.mark.parametrize("script", sorted(SMOKE_RUNS))
def test_example_help_does_not_import_tensorflow(script):
    # The script's own __main__ path, in a fresh interpreter; --help exits
    # from argparse, after which TensorFlow must not have been imported.
    code = ("import runpy, sys\n"
            f"sys.argv = [{script!r}, '--help']\n"
            "try:\n"
            f"    runpy.run_path({str(EXAMPLES / script)!r}, run_name='__main__')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('tensorflow' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "(default:" in result.stdout
    assert result.stdout.split()[-1] == "False"


@pytest.mark.parametrize("script", sorted(SMOKE_RUNS))
def test_example_uses_only_the_public_api(script):
    text = (EXAMPLES / script).read_text()
    for private in ("relaxtfp.internal", "sys.path", "import benchmarks", "from benchmarks"):
        assert private not in text, f"{script} uses {private}"
    # A module below a public namespace (relaxtfp.layers.bernoulli.x, or
    # `from relaxtfp.distributions.gumbel_softmax_top_k import`) is private;
    # `relaxtfp.substrates.jax` mirrors `relaxtfp`, with the same namespaces.
    text = text.replace("relaxtfp.substrates.jax.", "relaxtfp.")
    assert not re.findall(r"relaxtfp\.\w+\.[a-z_]+(?:\.| import)", text)


@pytest.mark.skipif(substrates.selected() != "jax",
                    reason="KERAS_BACKEND=jax needs JAX, which the TensorFlow run lacks")
@pytest.mark.parametrize("script", sorted(JAX_SMOKE_RUNS))
def test_example_runs_on_jax(script, tmp_path):
    (tmp_path / "idx").mkdir()
    _write_idx(tmp_path / "idx", np.random.default_rng(1))
    args = [a.replace("{out}", str(tmp_path / "out")).replace("{idx}", str(tmp_path / "idx"))
            for a in JAX_SMOKE_RUNS[script]]
    env = dict(os.environ, MPLBACKEND="Agg", KERAS_BACKEND="jax")
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert list((tmp_path / "out").glob("*.png")), "the example saved no plot"


@substrates.tensorflow_only("the default method on TensorFlow; on JAX see test_example_runs_on_jax")
def test_mnist_vae_reads_the_idx_files_of_data_dir(tmp_path):
    _write_idx(tmp_path, np.random.default_rng(0))
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "mnist_vae.py"), "--smoke", "--data-dir", str(tmp_path),
         "--output-dir", str(tmp_path / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [json.loads(text) for text in result.stdout.splitlines() if text.startswith("{")]
    assert line["dataset"] == "mnist" and np.isfinite(line["test_neg_elbo"])
    assert (tmp_path / "out" / "reconstructions.png").exists()
