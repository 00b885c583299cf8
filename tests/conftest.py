"""Test-suite configuration shared by every test module."""

import os
import re

# Quiet TensorFlow's C++ start-up logging (oneDNN, CPU feature lines).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tests import substrates  # noqa: E402

SUBSTRATE = substrates.selected()

# Fixed default seed, overridable to vary the seed as TFP's --vary_seed does.
TEST_SEED = int(os.environ.get("RELAXTFP_TEST_SEED", "17"))

_IMPORTS_TENSORFLOW = re.compile(
    r"^(import tensorflow\b|from tensorflow\b|import tf_keras\b|"
    r"from relaxtfp(\.[\w.]+)? import|import relaxtfp\b)", re.MULTILINE)


def pytest_ignore_collect(collection_path, config):
    """On JAX, skip the TensorFlow-only test modules.

    A test module that imports TensorFlow or relaxtfp's TensorFlow modules at
    its top is TensorFlow-only; the modules that run on both substrates get
    everything from the `substrate` fixture instead.
    """
    if SUBSTRATE != "jax" or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    if _IMPORTS_TENSORFLOW.search(collection_path.read_text()):
        return True
    return None


def pytest_report_header(config):
    return f"relaxtfp substrate: {SUBSTRATE} (RELAXTFP_TEST_SUBSTRATE)"


@pytest.fixture(scope="session")
def substrate():
    """The `tests.substrates.Substrate` of this run."""
    return substrates.current()


@pytest.fixture
def seed():
    """A stateless seed pair derived from RELAXTFP_TEST_SEED."""
    return (TEST_SEED, 42)


@pytest.fixture
def rng():
    """A NumPy generator seeded from RELAXTFP_TEST_SEED."""
    return np.random.default_rng(TEST_SEED)


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_functions():
    """On JAX, drop the compiled functions of a test module after it.

    JAX keeps every executable it compiled for the life of the process; the
    suite compiles thousands (each test traces its own functions), and one
    process holding all of them has aborted inside XLA's compiler late in a
    full run, while each module passes on its own.
    """
    yield
    if SUBSTRATE == "jax":
        import jax
        jax.clear_caches()


@pytest.fixture(autouse=True)
def _reset_eager():
    # Keep every test independent of functions compiled by another.
    if SUBSTRATE == "tensorflow":
        import tensorflow as tf
        tf.config.run_functions_eagerly(False)
    yield
