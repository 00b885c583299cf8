"""Loads relaxtfp's modules for the JAX substrate by rewriting their imports.

An import hook (`importlib` meta-path finder) serves every module name
`relaxtfp.substrates.jax.<path>` from the source file of `relaxtfp.<path>`,
with its import statements rewritten by `rewrite_imports`. The module objects
are new and separate from the TensorFlow ones: both substrates can be loaded
in one process, and each registers its KL divergences with its own TFP.
"""

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

__all__ = ["PREFIX", "install", "rewrite_imports"]

PREFIX = "relaxtfp.substrates.jax"
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Whole-module renames: the TensorFlow module on the left, its JAX twin on the
# right (`import A as x` and `from A import y` are rewritten alike).
_TF_SHIM = "tensorflow_probability.python.internal.backend.jax.compat.v2"
_MODULES = {
    "tensorflow_probability": "tensorflow_probability.substrates.jax",
    "tensorflow_probability.python.internal": "tensorflow_probability.substrates.jax.internal",
}
# TFP keeps these internal modules substrate-neutral (its own JAX substrate
# imports them from `tensorflow_probability.python.internal`).
_NEUTRAL_INTERNAL = frozenset({"reparameterization"})


def _rename(module):
    if module == "relaxtfp" or module.startswith("relaxtfp."):
        return PREFIX + module[len("relaxtfp"):]
    return _MODULES.get(module, module)


class _ImportRewriter(ast.NodeTransformer):
    """Rewrites `import` and `from ... import` statements, nothing else."""

    def visit_Import(self, node):
        new_nodes = []
        for alias in node.names:
            if alias.name == "tensorflow":
                # `import tensorflow as tf` -> `from <shim parent> import v2 as tf`.
                parent, _, leaf = _TF_SHIM.rpartition(".")
                new = ast.ImportFrom(module=parent, names=[
                    ast.alias(name=leaf, asname=alias.asname or "tensorflow")], level=0)
            elif alias.name.startswith("tensorflow.") or alias.name == "tf_keras":
                raise ImportError(
                    f"relaxtfp's JAX substrate cannot import {alias.name!r}; "
                    "use `import tensorflow as tf` (the TF-API shim) instead.")
            else:
                renamed = _rename(alias.name)
                if renamed != alias.name and alias.asname is None:
                    # `import a.b` binds `a`; keep that binding valid by
                    # importing the renamed module under its top-level name.
                    new = ast.Import(names=[ast.alias(name=renamed)])
                else:
                    new = ast.Import(names=[ast.alias(name=renamed, asname=alias.asname)])
            new_nodes.append(ast.copy_location(new, node))
        return new_nodes

    def visit_ImportFrom(self, node):
        if node.level or node.module is None:
            return node
        if node.module == "tensorflow_probability.python.internal":
            neutral = [a for a in node.names if a.name in _NEUTRAL_INTERNAL]
            other = [a for a in node.names if a.name not in _NEUTRAL_INTERNAL]
            out = []
            if neutral:
                out.append(ast.copy_location(
                    ast.ImportFrom(module=node.module, names=neutral, level=0), node))
            if other:
                out.append(ast.copy_location(ast.ImportFrom(
                    module=_MODULES[node.module], names=other, level=0), node))
            return out
        if node.module == "tensorflow" or node.module.startswith("tensorflow."):
            raise ImportError(
                f"relaxtfp's JAX substrate cannot import from {node.module!r}.")
        node.module = _rename(node.module)
        return node


def rewrite_imports(source, filename):
    """The code object of `source` with its imports moved to the JAX substrate."""
    tree = ast.parse(source, filename=filename)
    tree = ast.fix_missing_locations(_ImportRewriter().visit(tree))
    return compile(tree, filename, "exec", dont_inherit=True)


class _Loader(importlib.abc.SourceLoader):
    def __init__(self, fullname, path):
        self._fullname = fullname
        self._path = path

    def get_filename(self, fullname):
        return self._path

    def get_data(self, path):
        with open(path, "rb") as f:
            return f.read()

    def source_to_code(self, data, path, *, _optimize=-1):
        return rewrite_imports(importlib.util.decode_source(data), path)

    # Never write or read bytecode caches: the cached bytecode of the
    # TensorFlow module would be wrong here.
    def path_stats(self, path):
        raise OSError("no bytecode caching for rewritten modules")

    def set_data(self, path, data, *, _mode=0o666):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(PREFIX + "."):
            return None
        rest = fullname[len(PREFIX) + 1:].split(".")
        if rest[0] in ("substrates", "_version") or rest[0].startswith("_rewrite"):
            return None
        base = os.path.join(_ROOT, *rest)
        if os.path.isfile(os.path.join(base, "__init__.py")):
            filename = os.path.join(base, "__init__.py")
            spec = importlib.util.spec_from_file_location(
                fullname, filename, loader=_Loader(fullname, filename),
                submodule_search_locations=[])
        elif os.path.isfile(base + ".py"):
            filename = base + ".py"
            spec = importlib.util.spec_from_file_location(
                fullname, filename, loader=_Loader(fullname, filename))
        else:
            return None
        return spec


_FINDER = _Finder()


def install():
    """Puts the finder on `sys.meta_path` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _FINDER)
