"""Checks of `benchmarks/throughput.py`: its factory table is complete, each
timed step traces once for repeated calls with the same shapes, and the
script runs end to end in its quick mode, writing nowhere under
benchmarks/results/. No timing is asserted here."""

import json
import math
import os
import pathlib

import numpy as np
import pytest
import tensorflow as tf

import relaxtfp.distributions as rd

from tests import utils


bench = utils.load_script("benchmarks/throughput.py")

# Every class the script times now: the exported ones, the table entries whose
# module already defines the class, and TFP's reference distributions.
_CLASSES = (bench.resolve_classes(include_unexported=True)
            + [(name, spec, None) for name, spec in bench.REFERENCES.items()])


def _small_inputs(spec):
    """Parameters for a small cell: 64 scalars, or a batch of 4 with K = 10."""
    m, k = (64, None) if spec.event == "scalar" else (4, 10)
    params = spec.params(m, k, np.random.default_rng(0))
    names = tuple(sorted(params))
    return names, [tf.constant(params[p]) for p in names]


def test_every_exported_class_has_a_factory():
    resolved = {name for name, _, _ in bench.resolve_classes()}
    assert resolved == set(rd.__all__)


def test_missing_factory_fails_loudly():
    name = rd.__all__[0]
    partial = {k: v for k, v in bench.FACTORIES.items() if k != name}
    with pytest.raises(KeyError, match=name):
        bench.resolve_classes(factories=partial)


@pytest.mark.parametrize("name,spec,module", _CLASSES,
                         ids=[c[0] for c in _CLASSES])
def test_step_does_not_retrace(name, spec, module):
    """A second call with the same shapes and another seed reuses the trace,
    and the seed is a real input: the two results differ."""
    names, tensors = _small_inputs(spec)
    step = tf.function(bench.make_step(spec, module, names), autograph=False)
    first = step(tf.constant([1, 2], tf.int32), *tensors)
    second = step(tf.constant([3, 4], tf.int32), *tensors)
    assert step.experimental_get_tracing_count() == 1, name
    assert np.isfinite(first.numpy()) and np.isfinite(second.numpy()), name
    assert first.numpy() != second.numpy(), name


def test_floor_does_not_retrace():
    floor = tf.function(bench._floor_step("uniform", (64,)), autograph=False)
    param = tf.ones([64])
    floor(tf.constant([1, 2], tf.int32), param)
    floor(tf.constant([3, 4], tf.int32), param)
    assert floor.experimental_get_tracing_count() == 1


def _results_files():
    """{path: modification time} of every file under benchmarks/results/."""
    return {p: p.stat().st_mtime_ns
            for p in pathlib.Path(bench.bench_io.RESULTS_DIR).rglob("*") if p.is_file()}


def test_quick_outputs_go_to_scratch_never_to_results():
    io = bench.bench_io
    quick = bench.parse_args(["--quick"])
    for path in (quick.json, quick.markdown):
        assert path.startswith(io.SCRATCH_DIR + os.sep) and not io.in_results(path), path
    full = bench.parse_args([])
    assert full.json == os.path.join(io.RESULTS_DIR, "throughput.json")
    assert full.markdown == os.path.join(io.RESULTS_DIR, "throughput.md")
    assert bench.parse_args(["--quick", "--json", ""]).json == ""
    for flag in ("--json", "--markdown"):
        with pytest.raises(SystemExit):
            bench.parse_args(["--quick", flag, os.path.join(io.RESULTS_DIR, "x")])


def test_quick_mode_smoke(tmp_path, monkeypatch):
    """A quick run with the default outputs writes them to the scratch folder
    and leaves benchmarks/results/ as it was."""
    monkeypatch.setattr(bench.bench_io, "SCRATCH_DIR", str(tmp_path))
    json_path = tmp_path / "throughput.json"
    md_path = tmp_path / "throughput.md"
    argv = ["--quick", "--max-elements", "1000", "--modes", "function",
            "--budget", "0", "--min-repeats", "1", "--max-repeats", "2"]
    assert bench.parse_args(argv).json == str(json_path)   # checked before running
    before = _results_files()
    result = bench.main(argv)
    assert _results_files() == before
    rows = json.loads(json_path.read_text())["rows"]
    assert rows == json.loads(json.dumps(result["rows"]))
    timed = {r["distribution"] for r in rows}
    assert timed == set(rd.__all__) | set(bench.REFERENCES)
    for r in rows:
        assert r["mode"] == "function" and r["elements"] <= 1000
        assert r["tracing_count"] == 1, r
        for key in ("step_ms", "floor_ms", "ratio_to_floor"):
            assert math.isfinite(r[key]) and r[key] > 0, r
        if r["tfp_reference"] is not None:
            assert math.isfinite(r["vs_tfp"]) and r["vs_tfp"] > 0, r
        else:
            assert r["vs_tfp"] is None
    table = md_path.read_text()
    assert table.count("\n| ") == len(rows) + 1  # Header row plus one per cell.
    for name in timed:
        assert f"| {name} |" in table


@pytest.mark.parametrize("name,spec,module", _CLASSES,
                         ids=[c[0] for c in _CLASSES])
def test_no_intermediate_larger_than_batch_times_k(name, spec, module):
    """Every statically shaped tensor of the step (forward and backward) has at
    most 2 x elements entries, with elements = batch x K
    and a batch (64) larger than K (8), so a per-batch K x K tensor shows."""
    m, k = (512, None) if spec.event == "scalar" else (64, 8)
    params = spec.params(m, k, np.random.default_rng(0))
    names = tuple(sorted(params))
    tensors = [tf.constant(params[p]) for p in names]
    elements = m if k is None else m * k
    largest = bench.max_intermediate_elements(spec, module, tensors, names)
    bound = 2 * elements
    if name == "GumbelSoftmaxTopK":
        # log_prob's exact set probability is a dynamic program over the
        # subsets of the drawn set: k 2^(k-1) terms per batch member (k = 5
        # in the benchmark), documented in the class; sampling is O(batch K).
        bound = max(bound, m * 5 * 2 ** 4)
    assert largest <= bound, (name, largest, elements)
