"""Tests of `benchmarks/vae_data.py`, the data loaders of the VAE harness.

The IDX tests write tiny synthetic IDX files (raw and gzipped) in a temporary
folder; no real MNIST is read. The digits test needs scikit-learn (it ships
the data), and is skipped without it.
"""

import gzip
import re
import struct
import sys

import numpy as np
import pytest

from benchmarks import vae_data


def idx_bytes(array, type_code=0x08):
    """The IDX encoding of `array` (big-endian header and data)."""
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(
        ">" + "I" * array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=dtype).tobytes()


def write_mnist_like(folder, num_train=5, num_test=3, size=4, gz=False, dotted=False,
                     seed=0):
    """Writes the four MNIST-named IDX files; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        ("train", "images"): rng.integers(0, 256, (num_train, size, size), dtype=np.uint8),
        ("train", "labels"): rng.integers(0, 10, num_train, dtype=np.uint8),
        ("test", "images"): rng.integers(0, 256, (num_test, size, size), dtype=np.uint8),
        ("test", "labels"): rng.integers(0, 10, num_test, dtype=np.uint8),
    }
    for key, stem in vae_data.IDX_FILES.items():
        name = stem.replace("-idx", ".idx") if dotted else stem
        data = idx_bytes(arrays[key])
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_read_idx_round_trip(tmp_path, gz):
    array = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)
    path = tmp_path / ("a.idx" + (".gz" if gz else ""))
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    out = vae_data.read_idx(path)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 5)
    np.testing.assert_array_equal(out, array)


@pytest.mark.parametrize("type_code,dtype", [(0x0B, np.int16), (0x0D, np.float32)])
def test_read_idx_multibyte_types_are_big_endian(tmp_path, type_code, dtype):
    array = np.array([[1, -2, 300], [4, 5, -600]], dtype=dtype)
    path = tmp_path / "b.idx"
    path.write_bytes(idx_bytes(array, type_code))
    out = vae_data.read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_read_idx_rejects_bad_magic_and_truncation(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="not an IDX file"):
        vae_data.read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(idx_bytes(np.zeros((4, 2), np.uint8))[:-3])
    with pytest.raises(ValueError, match="announces shape"):
        vae_data.read_idx(short)


def _corrupt_gzip(kind):
    """Bytes named .gz that are not an intact gzip of an IDX file."""
    valid = gzip.compress(idx_bytes(np.zeros((40, 5), np.uint8)), mtime=0)
    if kind == "random-bytes":          # no gzip magic: gzip.BadGzipFile
        return np.random.default_rng(0).bytes(64)
    if kind == "bad-deflate-block":     # block type 11 is reserved: zlib.error
        damaged = bytearray(valid)
        damaged[10] |= 0x06             # the first deflate byte follows the 10-byte header
        return bytes(damaged)
    if kind == "cut-off-stream":        # EOFError
        return valid[:len(valid) // 2]
    # A valid gzip of an IDX file whose data ends early.
    return gzip.compress(idx_bytes(np.zeros((40, 5), np.uint8))[:-7])


_CORRUPT_GZ = ("random-bytes", "bad-deflate-block", "cut-off-stream", "truncated-idx")


@pytest.mark.parametrize("kind", _CORRUPT_GZ)
def test_read_idx_corrupt_gz_is_a_value_error_naming_the_file(tmp_path, kind):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(_corrupt_gzip(kind))
    with pytest.raises(ValueError, match=re.escape(str(path))):
        vae_data.read_idx(path)


@pytest.mark.parametrize("kind", _CORRUPT_GZ)
def test_load_mnist_idx_corrupt_gz_names_the_file(tmp_path, kind):
    write_mnist_like(tmp_path, gz=True)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(_corrupt_gzip(kind))
    with pytest.raises(vae_data.DataUnavailableError,
                       match=f"Cannot read {re.escape(str(path))}.*How to provide MNIST"):
        vae_data.load_mnist_idx(str(tmp_path))


@pytest.mark.parametrize("gz,dotted", [(False, False), (True, False), (False, True)],
                         ids=["raw", "gz", "dotted-names"])
def test_load_mnist_idx(tmp_path, gz, dotted):
    arrays = write_mnist_like(tmp_path, gz=gz, dotted=dotted)
    data = vae_data.load_mnist_idx(str(tmp_path))
    assert data.name == "mnist" and data.image_shape == (4, 4)
    assert data.train.shape == (5, 16) and data.test.shape == (3, 16)
    assert data.train.dtype == np.float32
    np.testing.assert_allclose(
        data.train, arrays["train", "images"].reshape(5, 16) / 255., rtol=1e-6)
    np.testing.assert_allclose(
        data.test, arrays["test", "images"].reshape(3, 16) / 255., rtol=1e-6)
    assert data.train.min() >= 0. and data.train.max() <= 1.
    # The run's record names the option, not the machine's folder.
    assert data.source == "IDX files in --data-dir"
    assert str(tmp_path) not in data.source


def test_missing_data_dir_and_file_give_clear_errors(tmp_path):
    with pytest.raises(vae_data.DataUnavailableError,
                       match=r"is not a folder.*--data-dir.*--dataset digits"):
        vae_data.load_mnist_idx(str(tmp_path / "nowhere"))
    write_mnist_like(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(vae_data.DataUnavailableError,
                       match=r"t10k-labels-idx1-ubyte \(or t10k-labels-idx1-ubyte.gz\) "
                             r"not found.*How to provide MNIST"):
        vae_data.load_mnist_idx(str(tmp_path))


def test_mismatched_counts_and_corrupt_file_are_errors(tmp_path):
    write_mnist_like(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(
        idx_bytes(np.zeros(4, np.uint8)))                   # 5 images, 4 labels
    with pytest.raises(vae_data.DataUnavailableError, match="expected"):
        vae_data.load_mnist_idx(str(tmp_path))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"not idx at all")
    with pytest.raises(vae_data.DataUnavailableError, match="Cannot read"):
        vae_data.load_mnist_idx(str(tmp_path))


def test_load_dataset_dispatch(tmp_path):
    write_mnist_like(tmp_path, gz=True)
    assert vae_data.load_dataset("mnist", str(tmp_path)).train.shape == (5, 16)
    with pytest.raises(ValueError, match="Unknown dataset"):
        vae_data.load_dataset("cifar", None)
    with pytest.raises(ValueError, match="--data-dir applies to --dataset mnist"):
        vae_data.load_dataset("digits", str(tmp_path))


def test_tfds_unavailable_gives_clear_error(monkeypatch):
    """Without tensorflow-datasets (simulated), the default source fails at
    once with the how-to message, and nothing else is loaded instead."""
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(vae_data.DataUnavailableError,
                       match=r"tensorflow-datasets, is not installed.*--data-dir"):
        vae_data.load_dataset("mnist", None)


def test_tfds_offline_fails_fast(monkeypatch):
    """A tfds without a prepared copy and an unreachable host: one
    `download=False` attempt, no download attempt, a clear error."""
    calls = []

    class FakeTfds:
        @staticmethod
        def load(name, **kwargs):
            calls.append(kwargs["download"])
            raise AssertionError("could not find data")

    monkeypatch.setitem(sys.modules, "tensorflow_datasets", FakeTfds)
    monkeypatch.setattr(vae_data, "_host_reachable", lambda address: False)
    with pytest.raises(vae_data.DataUnavailableError, match="offline"):
        vae_data.load_mnist_tfds()
    assert calls == [False]


def test_load_digits_shapes_and_range():
    pytest.importorskip("sklearn")
    data = vae_data.load_digits()
    assert data.name == "digits" and data.image_shape == (8, 8)
    assert data.train.shape == (1497, 64) and data.test.shape == (300, 64)
    assert data.train.dtype == np.float32
    both = np.concatenate([data.train, data.test])
    assert both.min() == 0. and both.max() == 1.
    # Pixels are k / 16 for integers k (the raw values 0..16).
    np.testing.assert_allclose(both * 16., np.round(both * 16.), atol=1e-5)
    # The split is a permutation of scikit-learn's images: none lost or repeated.
    from sklearn import datasets
    raw = datasets.load_digits().data
    np.testing.assert_array_equal(np.unique(np.round(both * 16.), axis=0, return_counts=True)[1],
                                  np.unique(raw, axis=0, return_counts=True)[1])
    np.testing.assert_array_equal(np.unique(np.round(both * 16.), axis=0),
                                  np.unique(raw, axis=0))
    again = vae_data.load_digits()
    np.testing.assert_array_equal(again.test, data.test)
