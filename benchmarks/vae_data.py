"""Image data for the VAE harness (`python -m benchmarks.vae`) and
`benchmarks/estimator_variance.py`: MNIST (tfds or IDX files) and digits.

Three sources, each returning an `ImageData` of float32 pixel intensities in
[0, 1], one flattened image per row:

* `load_mnist_tfds(data_dir=None)`: `tfds.load("mnist")`. It first asks tfds
  for an already prepared copy (`download=False`, which fails in a fraction of
  a second when there is none) and only downloads when the download host
  answers, so a machine without internet gets an error at once instead of
  tfds's minutes of retries.
* `load_mnist_idx(data_dir)`: the four original IDX files of LeCun et al.
  (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
  `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`), gzipped (`.gz`) or
  raw; the dotted spelling `train-images.idx3-ubyte` is accepted too.
* `load_digits()`: scikit-learn's 8x8 handwritten digits (1797 images, the
  UCI optdigits test set), which ship inside the scikit-learn wheel and so
  load offline. It is a small real data set, not MNIST: its numbers cannot
  be compared with MNIST results.

When a source is unavailable the loaders raise `DataUnavailableError` with a
message that says how to provide the data; nothing is substituted.
"""

import dataclasses
import gzip
import os
import socket
import zlib

import numpy as np

__all__ = [
    "DataUnavailableError",
    "IDX_FILES",
    "ImageData",
    "load_dataset",
    "load_digits",
    "load_mnist_idx",
    "load_mnist_tfds",
    "read_idx",
]

# The four files of the original MNIST distribution, by split and kind.
IDX_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

# IDX type codes (third byte of the magic number) and their big-endian dtypes.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

HOW_TO_PROVIDE_MNIST = (
    "How to provide MNIST: (1) pass --data-dir DIR, a folder holding the four "
    "original IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
    "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each raw or .gz); or "
    "(2) install tensorflow-datasets and run `tfds.load('mnist')` once on a "
    "machine with internet (or pass --tfds-data-dir to a prepared tfds folder); "
    "or (3) use --dataset digits, scikit-learn's 8x8 digits, which ship with "
    "scikit-learn and need no download (a different, smaller data set).")

# The host that tfds downloads MNIST from.
_TFDS_MNIST_HOST = ("storage.googleapis.com", 443)


class DataUnavailableError(RuntimeError):
    """The requested data set cannot be loaded; the message says what to do."""


@dataclasses.dataclass
class ImageData:
    """A train/test split of images, flattened, intensities in [0, 1].

    Attributes:
      train: float32 array `[num_train, height * width]`.
      test: float32 array `[num_test, height * width]`.
      image_shape: `(height, width)`.
      name: the data set's name (`"mnist"` or `"digits"`).
      source: where the data came from, for the run's record.
    """

    train: np.ndarray
    test: np.ndarray
    image_shape: tuple
    name: str
    source: str


def read_idx(path):
    """Reads one IDX file (raw, or gzipped when the name ends in `.gz`).

    Args:
      path: Path of the file.

    Returns:
      A numpy array with the file's shape and native-endian dtype.

    Raises:
      ValueError: If the file is not a well-formed IDX file, or a `.gz` file
        is not a complete, intact gzip stream; the message names the file.
      OSError: If the file cannot be opened (missing, no permission).
    """
    if str(path).endswith(".gz"):
        # A corrupt .gz fails inside the read with one of three exceptions,
        # none naming the file: gzip.BadGzipFile (wrong magic bytes or CRC),
        # zlib.error (a damaged deflate stream) or EOFError (a cut-off one).
        try:
            with gzip.open(path, "rb") as f:
                data = f.read()
        except (gzip.BadGzipFile, zlib.error, EOFError) as error:
            raise ValueError(
                f"{path} is not a readable gzip file ({type(error).__name__}: "
                f"{error}).") from error
    else:
        with open(path, "rb") as f:
            data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number "
                         f"{data[:4].hex() if data else 'empty file'}).")
    dtype = _IDX_DTYPES[data[2]]
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: IDX header truncated.")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
                  for i in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{path}: IDX header announces shape {shape} ({expected} bytes of "
            f"data) but the file holds {len(data) - header} bytes.")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _find_idx(data_dir, stem):
    """The path of IDX file `stem` in `data_dir`, raw or .gz, or None."""
    dotted = stem.replace("-idx", ".idx")        # train-images.idx3-ubyte
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        path = os.path.join(data_dir, name)
        if os.path.isfile(path):
            return path
    return None


def _to_unit_interval(images, max_value):
    images = np.asarray(images, dtype=np.float32)
    return (images.reshape(images.shape[0], -1) / np.float32(max_value))


def load_mnist_idx(data_dir):
    """MNIST from the four original IDX files in `data_dir` (raw or .gz).

    Args:
      data_dir: Folder holding the files.

    Returns:
      `ImageData` with 28x28 images scaled by 1/255 (labels are checked
      against the images' count but not returned: the VAE does not use them).

    Raises:
      DataUnavailableError: If the folder or a file is missing, or a file is
        malformed.
    """
    if not os.path.isdir(data_dir):
        raise DataUnavailableError(
            f"--data-dir {data_dir!r} is not a folder. {HOW_TO_PROVIDE_MNIST}")
    arrays = {}
    for (split, kind), stem in IDX_FILES.items():
        path = _find_idx(data_dir, stem)
        if path is None:
            raise DataUnavailableError(
                f"{stem} (or {stem}.gz) not found in {data_dir!r}. "
                f"{HOW_TO_PROVIDE_MNIST}")
        try:
            arrays[split, kind] = read_idx(path)
        except (ValueError, OSError) as error:
            raise DataUnavailableError(
                f"Cannot read {path}: {error}. {HOW_TO_PROVIDE_MNIST}") from error
    for split in ("train", "test"):
        images, labels = arrays[split, "images"], arrays[split, "labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataUnavailableError(
                f"{split} IDX files in {data_dir!r} have shapes {images.shape} "
                f"and {labels.shape}, expected [N, H, W] images and N labels.")
    shape = arrays["train", "images"].shape[1:]
    return ImageData(
        train=_to_unit_interval(arrays["train", "images"], 255.),
        test=_to_unit_interval(arrays["test", "images"], 255.),
        image_shape=tuple(int(s) for s in shape), name="mnist",
        # The folder is not recorded: results must not carry machine paths.
        source="IDX files in --data-dir")


def _host_reachable(address, timeout=3.):
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def load_mnist_tfds(data_dir=None):
    """MNIST through `tfds.load("mnist")`, failing fast when offline.

    Args:
      data_dir: Optional tfds data folder (tfds's default otherwise).

    Returns:
      `ImageData` with 28x28 images scaled by 1/255.

    Raises:
      DataUnavailableError: If tensorflow-datasets is not installed, or no
        prepared copy exists and the download host cannot be reached.
    """
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise DataUnavailableError(
            "The default data source, tensorflow-datasets, is not installed "
            f"({error}). {HOW_TO_PROVIDE_MNIST}") from error

    def load(download):
        return tfds.load("mnist", split=["train", "test"], batch_size=-1,
                         as_supervised=True, data_dir=data_dir,
                         download=download)

    try:
        splits = load(download=False)
        source = "tfds (prepared copy)"
    except Exception as first_error:  # tfds raises AssertionError and others.
        if not _host_reachable(_TFDS_MNIST_HOST):
            raise DataUnavailableError(
                "tfds.load('mnist') found no prepared copy and cannot reach "
                f"the download host {_TFDS_MNIST_HOST[0]} (offline?). "
                f"{HOW_TO_PROVIDE_MNIST}") from first_error
        try:
            splits = load(download=True)
            source = "tfds (downloaded)"
        except Exception as error:
            raise DataUnavailableError(
                f"tfds.load('mnist') failed: {error}. {HOW_TO_PROVIDE_MNIST}"
            ) from error
    (train, _), (test, _) = splits
    train, test = np.asarray(train), np.asarray(test)
    return ImageData(
        train=_to_unit_interval(train, 255.), test=_to_unit_interval(test, 255.),
        image_shape=tuple(int(s) for s in train.shape[1:3]), name="mnist",
        source=source)


def load_digits(num_test=300, seed=0):
    """scikit-learn's 8x8 digits, split at random into train and test.

    Args:
      num_test: Python int, the size of the test split. Default 300 (of 1797).
      seed: Python int, the seed of the split's permutation. Default 0.

    Returns:
      `ImageData` with 8x8 images; the pixels (0..16) are scaled by 1/16.

    Raises:
      DataUnavailableError: If scikit-learn is not installed.
    """
    try:
        from sklearn import datasets
    except ImportError as error:
        raise DataUnavailableError(
            "--dataset digits needs scikit-learn, which ships the data "
            f"(`pip install scikit-learn`): {error}") from error
    images = datasets.load_digits().images                   # [1797, 8, 8], 0..16
    order = np.random.default_rng(seed).permutation(len(images))
    images = _to_unit_interval(images[order], 16.)
    return ImageData(train=images[num_test:], test=images[:num_test],
                     image_shape=(8, 8), name="digits",
                     source="scikit-learn load_digits (UCI optdigits, 8x8)")


def load_dataset(name, data_dir=None, tfds_data_dir=None):
    """The data set chosen on the command line.

    Args:
      name: `"mnist"` or `"digits"`.
      data_dir: For MNIST, a folder of IDX files; `None` uses tfds.
      tfds_data_dir: For MNIST through tfds, an optional tfds data folder.

    Returns:
      `ImageData`.

    Raises:
      DataUnavailableError: If the data cannot be loaded.
      ValueError: If `name` is unknown, or `data_dir` is given with digits.
    """
    if name == "digits":
        if data_dir is not None:
            raise ValueError("--data-dir applies to --dataset mnist only.")
        return load_digits()
    if name != "mnist":
        raise ValueError(f"Unknown dataset {name!r}: use 'mnist' or 'digits'.")
    if data_dir is not None:
        return load_mnist_idx(data_dir)
    return load_mnist_tfds(tfds_data_dir)
