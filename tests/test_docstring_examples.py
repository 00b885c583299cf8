"""Every `#### Examples` block in a public docstring runs as a test.

TFP-style docstrings put runnable code in ```python fences. Each fence found
in the docstring of a public class, method or function of relaxtfp is
executed in a fresh namespace, so the examples cannot go stale.
"""

import inspect
import re

import pytest

import relaxtfp
from relaxtfp import distributions
from relaxtfp import estimators
from relaxtfp import laplace_bridge
from relaxtfp import layers

_FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _public_objects():
    """Public classes and functions, and the public methods of the classes,
    including those they inherit from relaxtfp's mixins and base classes
    (each method once, under the class that defines it)."""
    seen = set()
    for module in (distributions, estimators, laplace_bridge, layers):
        for name in module.__all__:
            obj = getattr(module, name)
            yield f"{module.__name__}.{name}", obj
            if not inspect.isclass(obj):
                continue
            for klass in inspect.getmro(obj):
                if not klass.__module__.startswith("relaxtfp"):
                    continue
                for attr, member in vars(klass).items():
                    if (attr.startswith("_") or not callable(member)
                            or id(member) in seen):
                        continue
                    seen.add(id(member))
                    yield f"{klass.__module__}.{klass.__qualname__}.{attr}", member


def _examples():
    for qualname, obj in _public_objects():
        doc = inspect.getdoc(obj) or ""
        for i, block in enumerate(_FENCE.findall(doc)):
            yield pytest.param(inspect.cleandoc(block), id=f"{qualname}[{i}]")


EXAMPLES = list(_examples())


def test_every_public_distribution_has_an_example():
    documented = {p.id.split("[")[0] for p in EXAMPLES}
    for name in distributions.__all__:
        assert f"relaxtfp.distributions.{name}" in documented, name


@pytest.mark.parametrize("code", EXAMPLES)
def test_docstring_example_runs(code):
    exec(compile(code, "<docstring example>", "exec"), {"relaxtfp": relaxtfp})
