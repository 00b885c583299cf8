"""Sphinx extension: render TFP-style Markdown docstrings as reStructuredText.

relaxtfp's docstrings follow TensorFlow Probability's conventions, which are
Markdown, not reStructuredText:

* section headings written ``#### Mathematical Details``, ``#### Examples``,
  ``#### References``;
* code in fenced blocks (```` ```none ````, ```` ```python ````), possibly
  indented inside a bullet list;
* references written ``[1]: Author. Title. _Venue_, year. URL`` with
  indented continuation lines;
* ``_underscored_`` italics, and ``|x|`` absolute values in prose.

Autodoc hands docstrings to Sphinx as reST, where these come out as plain
paragraphs, literal blocks of the wrong kind, "unknown target name" errors
(``Representations_``) and "undefined substitution" errors (``|x|``). The
``autodoc-process-docstring`` handler below rewrites them before napoleon
parses the Google-style ``Args:``/``Returns:``/``Raises:`` sections (it is
connected with a priority that runs it first):

* ``#### Heading`` becomes ``.. rubric:: Heading``;
* a fence becomes a ``.. code-block::`` directive (``none`` -> ``text``)
  at the fence's indentation, its body re-indented under it;
* each ``[n]: ...`` reference (with its continuation lines) becomes one
  bullet item ``[n] ...``;
* in prose, ``|`` is escaped and ``_italic_`` becomes ``*italic*``;
  text between backticks is left alone.

`convert` is a pure function of the docstring lines, so the test suite can
check it without building the documentation (tests/test_docs.py).
"""

import re

_FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(\s*)#{2,6}\s+(.*\S)\s*$")
_REFERENCE = re.compile(r"^(\s*)\[(\d+)\]:\s*(.*)$")
# Markdown italics `_text_`: an underscore at a word start, text, an
# underscore at a word end. `L_0` or `v_k` (underscores inside words) do not
# match.
_ITALIC = re.compile(r"(?<![\w`*])_(?=\S)([^_`]*?\S)_(?![\w`])")
_LANGUAGES = {"": "text", "none": "text", "py": "python"}
_TABLE_ROW = re.compile(r"^(\s*)\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|[\s:|-]*-[\s:|-]*\|\s*$")
# Napoleon's section headers: their indented bodies are not literal blocks.
_SECTION = re.compile(
    r"^\s*(Args|Arguments|Attributes|Example|Examples|Keyword Args|Methods|"
    r"Note|Notes|Other Parameters|Parameters|Raises|References|Returns|"
    r"See Also|Todo|Warning|Warnings|Warns|Yields):\s*$")


def _indent_of(line):
    return len(line) - len(line.lstrip())


def _table(rows, indent):
    """A Markdown pipe table (header, rule, body rows) as a list-table."""
    cells = [[_fix_prose(c.strip()) for c in row.strip()[1:-1].split("|")]
             for row in rows]
    out = ["", f"{indent}.. list-table::", f"{indent}   :header-rows: 1", ""]
    for row in cells:
        for j, cell in enumerate(row):
            out.append(f"{indent}   {'* -' if j == 0 else '  -'} {cell}")
    out.append("")
    return out


def _fix_prose(line):
    """Escapes `|` and converts `_italic_`, outside backtick spans."""
    parts = re.split(r"(`[^`]*`)", line)
    for i in range(0, len(parts), 2):  # Even indices lie outside backticks.
        text = parts[i].replace("|", r"\|")
        parts[i] = _ITALIC.sub(r"*\1*", text)
    return "".join(parts)


def convert(lines):
    """Converts TFP-style Markdown docstring lines to reST lines.

    Args:
      lines: list of `str`, the docstring lines (already dedented, as
        autodoc passes them).

    Returns:
      A new list of `str`.
    """
    out = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            indent, lang = fence.group(1), fence.group(2).lower()
            out += ["", f"{indent}.. code-block:: {_LANGUAGES.get(lang, lang)}", ""]
            i += 1
            while i < n and not _FENCE.match(lines[i]):
                body = lines[i]
                # Strip the fence's own indentation, then indent under the
                # directive.
                if body.startswith(indent):
                    body = body[len(indent):]
                out.append(f"{indent}    {body}" if body.strip() else "")
                i += 1
            i += 1  # The closing fence.
            out.append("")
            continue
        heading = _HEADING.match(line)
        if heading:
            out += ["", f"{heading.group(1)}.. rubric:: {heading.group(2)}", ""]
            i += 1
            continue
        reference = _REFERENCE.match(line)
        if reference:
            indent, number, text = reference.groups()
            words = [text.strip()]
            i += 1
            # Continuation lines are indented deeper than the `[n]:` line.
            while (i < n and lines[i].strip() and not _REFERENCE.match(lines[i])
                   and len(lines[i]) - len(lines[i].lstrip()) > len(indent)):
                words.append(lines[i].strip())
                i += 1
            # A list needs a blank line before it and after it; consecutive
            # references are items of the same list.
            if out and out[-1].strip() and not out[-1].lstrip().startswith("- ["):
                out.append("")
            out.append(f"{indent}- [{number}] {_fix_prose(' '.join(words))}")
            if i < n and lines[i].strip() and not _REFERENCE.match(lines[i]):
                out.append("")
            continue
        if (_TABLE_ROW.match(line) and i + 1 < n
                and _TABLE_RULE.match(lines[i + 1])):
            rows = [line]
            i += 2
            while i < n and _TABLE_ROW.match(lines[i]):
                rows.append(lines[i])
                i += 1
            out += _table(rows, _TABLE_ROW.match(line).group(1))
            continue
        fixed = _fix_prose(line)
        # Markdown's indented code block: a line ending in ":", a blank line,
        # then a block indented deeper (and not a fence). In reST that block
        # would be a block quote, its `*` and `|` read as markup; "::" makes
        # it a literal block.
        if (line.rstrip().endswith(":") and not line.rstrip().endswith("::")
                and not _SECTION.match(line) and i + 2 < n
                and not lines[i + 1].strip() and lines[i + 2].strip()
                and not _FENCE.match(lines[i + 2])
                and _indent_of(lines[i + 2]) > _indent_of(line)):
            fixed = fixed.rstrip() + ":"
        out.append(fixed)
        i += 1
    return out


def process_docstring(app, what, name, obj, options, lines):
    lines[:] = convert(lines)


def setup(app):
    # Napoleon connects its own handler at the default priority (500); a
    # lower number runs earlier.
    app.connect("autodoc-process-docstring", process_docstring, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
