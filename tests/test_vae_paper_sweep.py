"""Checks of `benchmarks/vae_paper_sweep.py` that need no PyTorch: the grid
is the one its stored results came from, only that run writes into
benchmarks/results/ by default, the table is sorted and labelled by the
overrides, and without torch the script exits with status 2 and says
so. With PyTorch installed (not in CI), a two-setting run on 300 random
28 x 28 images in IDX files written here checks the end-to-end path."""

import gzip
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests import utils

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SCRIPT = os.path.join(_ROOT, "benchmarks", "vae_paper_sweep.py")
sweep = utils.load_script("benchmarks/vae_paper_sweep.py")


def test_stored_results_come_from_the_grid_in_the_script():
    with open(os.path.join(_ROOT, "benchmarks", "results", "vae_paper", "sweep.json")) as f:
        stored = json.load(f)
    settings = [{k: v for k, v in r.items() if k in sweep.BASE} for r in stored["results"]]
    assert settings == [dict(sweep.BASE, **o) for o in sweep.GRID]
    with open(os.path.join(_ROOT, "benchmarks", "results", "vae_paper", "sweep.md")) as f:
        assert f.read() == sweep.markdown_table(stored["results"], stored["epochs"])


def test_only_the_committed_run_writes_into_results_by_default():
    io = sweep.bench_io
    full = sweep.parse_args(["--data-dir", "d"])
    assert full.json == os.path.join(io.RESULTS_DIR, "vae_paper", "sweep.json")
    assert full.markdown == os.path.join(io.RESULTS_DIR, "vae_paper", "sweep.md")
    for extra in (["--quick"], ["--epochs", "2"], ["--grid", "g.json"], ["--max-train", "10"],
                  ["--hidden", "32,16"]):
        args = sweep.parse_args(["--data-dir", "d", *extra])
        for path in (args.json, args.markdown):
            assert path.startswith(os.path.join(io.SCRATCH_DIR, "vae_paper_sweep") + os.sep)
            assert not io.in_results(path), (extra, path)
    quick = sweep.parse_args(["--data-dir", "d", "--quick"])
    assert (quick.epochs, quick.max_train, quick.iwae_k) == (2, 1000, 10)
    # A path given on the command line is used as given.
    assert sweep.parse_args(["--data-dir", "d", "--epochs", "2",
                             "--json", full.json]).json == full.json


def test_table_sorted_by_final_elbo_and_labelled_by_overrides():
    results = [dict(sweep.BASE, **{"elbo@2": 110., "iwae": 100., "train_last": 109.}),
               dict(sweep.BASE, act="swish", **{"elbo@2": 104.5, "iwae": 96.,
                                                "train_last": 103.})]
    lines = sweep.markdown_table(results, 2).splitlines()
    assert lines[0] == "| setting | -ELBO @2 | -IWAE | train loss |"
    assert lines[2] == "| act=swish | 104.50 | 96.00 | 103.00 |"
    assert lines[3] == "| base (the example's settings) | 110.00 | 100.00 | 109.00 |"


def _write_idx(path, images):
    header = np.array([2051, len(images), 28, 28], ">i4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + images.astype(np.uint8).tobytes())


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs PyTorch")
def test_two_settings_run_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    for name, n in (("train-images-idx3-ubyte.gz", 300), ("t10k-images-idx3-ubyte.gz", 50)):
        _write_idx(tmp_path / name, rng.integers(0, 256, (n, 28, 28)))
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps([{}, {"learned_prior": 1, "act": "swish"}]))
    proc = subprocess.run(
        [sys.executable, _SCRIPT, "--data-dir", str(tmp_path), "--grid", str(grid),
         "--epochs", "2", "--hidden", "32,16", "--eval-every", "1", "--iwae-k", "3",
         "--json", str(tmp_path / "s.json"), "--markdown", str(tmp_path / "s.md")],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((tmp_path / "s.json").read_text())["results"]
    assert len(results) == 2
    assert all(np.isfinite(r["elbo@2"]) and r["iwae"] <= r["elbo@2"] + 1e-3 for r in results)


def test_missing_torch_exits_2_with_message(tmp_path):
    # A torch that cannot be imported, whatever is installed.
    (tmp_path / "torch.py").write_text("raise ImportError('no torch here')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, _SCRIPT, "--data-dir", str(tmp_path),
         "--json", str(tmp_path / "s.json"), "--markdown", str(tmp_path / "s.md")],
        capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "needs PyTorch (pip install torch)" in proc.stderr
    assert not (tmp_path / "s.json").exists()
