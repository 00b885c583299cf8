"""The documentation covers the public API (cheap checks; no Sphinx build).

`tox -e docs` builds the site with warnings as errors; these tests catch,
in the main suite, what would otherwise only fail there or silently go
missing: a public name without a reference entry, a distribution without
its page and figure, a TFP-style docstring that the docs' converter
(docs/_ext/tfp_docstrings.py) would leave as raw Markdown, a documented
command of an example or harness that its parser no longer accepts, and a
machine path in a page.
"""

import ast
import importlib
import importlib.util
import inspect
import pathlib
import re
import sys

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


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "examples").glob("*.py")))
def test_every_example_is_in_the_gallery(script):
    gallery = PAGES[DOCS / "examples" / "index.md"]
    assert f"`examples/{script}`" in gallery, f"{script} is missing from docs/examples/index.md"


@pytest.mark.parametrize("table", sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks" / "results").rglob("*.md")))
def test_every_benchmark_table_is_included_in_the_docs(table):
    included = [page for page, text in PAGES.items()
                if re.search(r"```\{include\}\s+(\.\./)+" + re.escape(table), text)]
    assert included, f"{table} is included by no page under docs/"


# Documented commands of the examples and the harnesses, with the parser that
# must accept them. The examples' parsers are read from their source, up to
# their `if __name__ == "__main__":` (tests never import an example).
_ENTRY_POINTS = {
    "examples/mnist_vae.py": "example",
    "examples/reinforce_acrobot.py": "example",
    "-m benchmarks.vae": "benchmarks.vae.options",
    "-m benchmarks.policy_gradient": "benchmarks.policy_gradient",
}
_COMMAND_PAGES = sorted([*DOCS.rglob("*.md"), ROOT / "README.md",
                         ROOT / "benchmarks" / "README.md"])


def _documented_commands():
    """(page, entry point, argv) of every such command in a fenced block."""
    found = []
    for page in _COMMAND_PAGES:
        if "_build" in page.parts or "_generated" in page.parts:
            continue
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split("#")[0].strip()
                for entry in _ENTRY_POINTS:
                    marker = "python " + entry
                    if marker in line:
                        argv = line.split(marker, 1)[1].split()
                        found.append((str(page.relative_to(ROOT)), entry, argv))
    return found


def _example_parser(relative_path):
    source = (ROOT / relative_path).read_text()
    tree = ast.parse(source)
    head = []
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            break
        head.append(node)
    namespace = {"__doc__": ast.get_docstring(tree)}
    exec(compile(ast.Module(head, []), relative_path, "exec"), namespace)
    return namespace["parse_args"]


@pytest.mark.parametrize("page, entry, argv", _documented_commands())
def test_documented_commands_parse(page, entry, argv, monkeypatch, capsys):
    if _ENTRY_POINTS[entry] == "example":
        monkeypatch.setattr(sys, "argv", [entry, *argv])
        parse = _example_parser(entry)
    else:
        module = importlib.import_module(_ENTRY_POINTS[entry])
        parse = lambda: module.parse_args(argv)   # noqa: E731
    if "--help" in argv:
        with pytest.raises(SystemExit) as stop:
            parse()
        assert stop.value.code == 0 and "(default:" in capsys.readouterr().out
    else:
        parse()


def test_every_example_and_harness_command_is_documented():
    entries = {entry for _, entry, _ in _documented_commands()}
    assert entries == set(_ENTRY_POINTS)


@pytest.mark.parametrize("page", ["README.md", "benchmarks/README.md", *sorted(
    str(p.relative_to(ROOT)) for p in (DOCS / "examples").glob("*.md"))])
def test_no_machine_paths_in_the_docs(page):
    # Data folders are written DIR; no page names this machine's folders.
    assert not re.findall(r"/work/|/home/|/tmp/", (ROOT / page).read_text()), page
