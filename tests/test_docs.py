"""The documentation covers the public API (cheap checks; no Sphinx build).

`tox -e docs` builds the site with warnings as errors; these tests catch,
in the main suite, what would otherwise only fail there or silently go
missing: a public name without a reference entry, a distribution without
its page and figure, and a TFP-style docstring that the docs' converter
(docs/_ext/tfp_docstrings.py) would leave as raw Markdown.
"""

import importlib.util
import inspect
import pathlib
import re

import pytest

from relaxtfp import distributions
from relaxtfp import estimators
from relaxtfp import laplace_bridge
from relaxtfp import layers

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
QUICKSTART = (ROOT / "examples" / "quickstart.py").read_text()

_spec = importlib.util.spec_from_file_location(
    "tfp_docstrings", DOCS / "_ext" / "tfp_docstrings.py")
tfp_docstrings = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tfp_docstrings)

PUBLIC_MODULES = (distributions, laplace_bridge, estimators, layers)
# Modules whose public functions and classes must carry the math and a
# runnable example (tests/test_docstring_examples.py runs the examples).
MATH_MODULES = (distributions, laplace_bridge, estimators)


def _pages():
    return {p: p.read_text() for p in DOCS.rglob("*.md")
            if "_build" not in p.parts and "_generated" not in p.parts}


PAGES = _pages()
_DIRECTIVE = re.compile(r"^\.\. (auto\w+):: (\S+)(.*?)(?=^\.\. |^```|\Z)",
                        re.MULTILINE | re.DOTALL)


def _documented():
    """Names with an autodoc entry, and modules documented with members."""
    names, modules = set(), set()
    for text in PAGES.values():
        for kind, target, options in _DIRECTIVE.findall(text):
            if kind == "automodule":
                if ":no-members:" not in options:
                    modules.add(target)
            else:
                names.add(target)
    return names, modules


def _public(modules):
    for module in modules:
        for name in module.__all__:
            yield module, name, getattr(module, name)


@pytest.mark.parametrize(
    "qualname", [f"{m.__name__}.{n}" for m, n, _ in _public(PUBLIC_MODULES)])
def test_every_public_name_has_a_reference_entry(qualname):
    names, modules = _documented()
    module = qualname.rsplit(".", 1)[0]
    assert qualname in names or module in modules, (
        f"{qualname} appears in no autodoc directive under docs/")


@pytest.mark.parametrize("name", distributions.__all__)
def test_every_distribution_has_a_page_with_its_figure(name):
    entry = f".. autoclass:: relaxtfp.distributions.{name}\n"
    pages = [p for p, text in PAGES.items() if entry in text]
    assert len(pages) == 1, f"{name}: expected one page with `{entry.strip()}`"
    page = PAGES[pages[0]]
    assert f"/_generated/quickstart/{name}.png" in page, "figure missing"
    assert f"Showcase(\"{name}\"," in QUICKSTART, (
        f"examples/quickstart.py has no Showcase for {name}: no figure")
    relative = pages[0].relative_to(DOCS / "distributions").with_suffix("")
    toctree = (DOCS / "distributions" / "index.md").read_text()
    assert f"\n{relative}\n" in toctree, "page missing from distributions/index.md"
    for listing in ("choosing.md", "api/distributions.md"):
        assert f"distributions/{relative}.md" in PAGES[DOCS / listing], (
            f"{name} missing from docs/{listing}")


@pytest.mark.parametrize(
    "qualname,obj", [(f"{m.__name__}.{n}", o) for m, n, o in _public(MATH_MODULES)
                     if callable(o)])
def test_public_docstring_has_math_and_example(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    assert "#### Mathematical Details" in doc, qualname
    assert "```python" in doc, qualname


@pytest.mark.parametrize(
    "qualname,obj", [(f"{m.__name__}.{n}", o) for m, n, o in _public(PUBLIC_MODULES)
                     if callable(o)])
def test_docstring_converts_to_rest(qualname, obj):
    lines = (inspect.getdoc(obj) or "").splitlines()
    converted = tfp_docstrings.convert(lines)
    leftovers = [line for line in converted
                 if line.lstrip().startswith(("```", "####"))
                 or re.match(r"\s*\[\d+\]:", line)]
    assert not leftovers, leftovers
    headings = sum(line.lstrip().startswith("#### ") for line in lines)
    rubrics = sum(".. rubric::" in line for line in converted)
    assert rubrics == headings


def test_converter_on_each_markdown_construct():
    doc = inspect.cleandoc("""
        Summary with |x| and `|kept|` and _Italic Venue_, but L_0 and v_k.

        #### Mathematical Details

        * an item:

          ```none
          y = f(x)
          ```

        | a | b |
        |---|---|
        | 1 | `x` |

        Signature:

            NAME(f, *, seed, **options)

        #### References

        [1]: First Author. A Title. In _Venue_,
             2020. https://example.org
        [2]: Second Author. Another.

        Args:
          x: The input.
        """).splitlines()
    out = tfp_docstrings.convert(doc)
    text = "\n".join(out)
    assert r"with \|x\| and `|kept|` and *Italic Venue*, but L_0 and v_k." in text
    assert ".. rubric:: Mathematical Details" in text
    assert "  .. code-block:: text\n\n      y = f(x)\n" in text
    assert ".. list-table::" in text and "   * - a\n     - b\n   * - 1\n     - `x`" in text
    assert "Signature::\n\n    NAME(f, *, seed, **options)" in text
    assert ("\n- [1] First Author. A Title. In *Venue*, 2020. https://example.org"
            "\n- [2] Second Author. Another.\n\nArgs:\n  x: The input.") in text


_EXAMPLE_HELPERS = {"vae_data.py"}  # imported by mnist_vae.py, not run on its own


@pytest.mark.parametrize("script", sorted(
    p.name for p in (ROOT / "examples").glob("*.py") if p.name not in _EXAMPLE_HELPERS))
def test_every_example_is_in_the_gallery(script):
    gallery = PAGES[DOCS / "examples" / "index.md"]
    assert f"`examples/{script}`" in gallery, f"{script} is missing from docs/examples/index.md"


@pytest.mark.parametrize("table", sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks" / "results").rglob("*.md")))
def test_every_benchmark_table_is_included_in_the_docs(table):
    included = [page for page, text in PAGES.items()
                if re.search(r"```\{include\}\s+(\.\./)+" + re.escape(table), text)]
    assert included, f"{table} is included by no page under docs/"
