"""Checks of `benchmarks/pytorch_reference.py` that need no PyTorch: the
relaxtfp side of each compared step runs under `tf.function` and XLA without
retracing, the driver's aggregation is right, and without torch the script
exits with status 2 and says how to install it. No timing is asserted."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests import utils

_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "benchmarks", "pytorch_reference.py")


bench = utils.load_script("benchmarks/pytorch_reference.py")

_CASES = [(name, variant, mode)
          for name in bench.CLASSES
          for variant in bench.VARIANTS
          if variant == "sample" or bench.CLASSES[name]["log_prob"] is not None
          for mode in ("function", "xla")]


@pytest.mark.parametrize("name,variant,mode", _CASES,
                         ids=["-".join(c) for c in _CASES])
def test_relaxtfp_step_runs_once_traced(name, variant, mode):
    """Two calls with different seeds: one trace, finite results that differ
    (the seed is a real input), and gradients reach every parameter."""
    names, tensors = bench.tf_tensors(name, 40)
    step = bench.make_tf_step(name, names, variant != "sample")
    fn = bench.compile_tf_step(step, mode)
    first = fn(tf.constant([1, 2], tf.int32), *tensors).numpy()
    second = fn(tf.constant([3, 4], tf.int32), *tensors).numpy()
    assert fn.experimental_get_tracing_count() == 1
    assert np.isfinite(first) and np.isfinite(second)
    assert first != second


@pytest.mark.parametrize("name", list(bench.CLASSES))
def test_parameters_have_the_requested_size(name):
    names, tensors = bench.tf_tensors(name, 1000)
    sizes = {n: int(np.prod(t.shape)) for n, t in zip(names, tensors)}
    assert max(sizes.values()) == 1000


def test_summarize_takes_medians_over_rounds():
    def rnd(torch_ms, fn_ms, xla_ms):
        return dict(
            torch=dict(rows=[dict(distribution="HardConcrete", variant="sample",
                                  mode="torch", ms=torch_ms,
                                  params_without_gradient=[])]),
            tf=dict(rows=[dict(distribution="HardConcrete", variant="sample",
                               mode="function", ms=fn_ms, traces=1),
                          dict(distribution="HardConcrete", variant="sample",
                               mode="xla", ms=xla_ms, traces=1)]))

    rows = bench.summarize([rnd(10., 5., 2.), rnd(20., 30., 4.), rnd(40., 10., 8.)])
    assert len(rows) == 1
    row = rows[0]
    assert row["torch_ms"] == 20.
    assert row["function_ms"] == 10.
    assert row["xla_ms"] == 4.
    # Per-round ratios 0.5, 1.5, 0.25: their median, not 10 / 20.
    assert row["function_ratio"] == pytest.approx(0.5)
    assert row["xla_ratio"] == pytest.approx(0.2)


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None,
                    reason="torch is importable here, so it cannot be missing")
def test_missing_torch_exits_2_with_install_message(tmp_path):
    proc = subprocess.run(
        [sys.executable, _SCRIPT, "--torch-python", sys.executable,
         "--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "r.md")],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert "pip install torch==2.13.0" in proc.stderr
    assert "relaxit" in proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_quick_outputs_default_to_scratch_not_results():
    io = bench.bench_io
    quick = bench.parse_args(["--quick"])
    assert (quick.elements, quick.rounds, quick.repeats) == (10**4, 1, 2)
    for path in (quick.json, quick.markdown):
        assert path.startswith(io.SCRATCH_DIR + os.sep) and not io.in_results(path), path
    full = bench.parse_args([])
    assert (full.elements, full.rounds, full.repeats) == (10**6, 5, 10)
    assert full.json == os.path.join(io.RESULTS_DIR, "pytorch_reference.json")
    assert full.markdown == os.path.join(io.RESULTS_DIR, "pytorch_reference.md")
    assert bench.parse_args(["--quick", "--json", ""]).json == ""
