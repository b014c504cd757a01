"""A griffe extension for the API reference: the package's docstrings read as Markdown.

The docstrings are written for readers of the source and for doctest: ``>>>`` examples at the top
level of a docstring (run by ``tests/test_docstrings.py``) and Sphinx roles such as
``:func:`track``` or ``:class:`~ayr_analysis.store.SnapshotStore```. Before mkdocstrings renders
a docstring, this extension

- wraps each run of example lines (prompts, continuation lines and the expected output up to the
  next blank line) in a ``pycon`` code fence, where Markdown would read ``>>>`` as nested quotes;
- ends a line that announces a literal block (``::``) with one colon (the block is code already);
- turns each role into the name as code, linked to its entry in the reference when there is one
  (an *optional* cross-reference: a name the reference does not show stays plain code and is no
  error, so the strict build fails only on links written in Markdown).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

FENCE = "```"
ROLE = re.compile(
    r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj|const):"
    r"`(?:(?P<title>[^`<]+?)\s*<(?P<target>[^`>]+)>|(?P<plain>[^`]+))`"
)


def fence_doctests(text: str) -> str:
    """``text`` with each block of doctest lines inside a ``pycon`` fence (see the module)."""
    out: list[str] = []
    in_fence = False  # inside a code fence written in the docstring itself
    in_example = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if in_example:
            if stripped and line.startswith(indent):
                out.append(line)
                continue
            out.append(indent + FENCE)
            in_example = False
        if stripped.startswith(FENCE):
            in_fence = not in_fence
        elif not in_fence and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(indent + FENCE + "pycon")
            out.append(line)
            in_example = True
            continue
        out.append(line)
    if in_example:
        out.append(indent + FENCE)
    return "\n".join(out)


def _identifier(obj: griffe.Object, target: str) -> str:
    """The full path ``target`` names, seen from ``obj`` (``target`` itself when unknown)."""
    target = target.lstrip(".")
    if target.startswith("ayr_analysis"):
        return target
    head, _, rest = target.partition(".")
    scope: griffe.Object | None = obj
    while scope is not None:
        try:
            path = scope.resolve(head)
        except (griffe.NameResolutionError, AttributeError, ValueError):
            scope = scope.parent
            continue
        return f"{path}.{rest}" if rest else path
    return target


def roles_as_links(text: str, obj: griffe.Object) -> str:
    """``text`` with each Sphinx role outside code fences as an optional cross-reference, and
    ``::`` at the end of a line as ``:``."""

    def replace(match: re.Match[str]) -> str:
        target = (match.group("target") or match.group("plain")).strip()
        title = match.group("title")
        if title is None:
            title = target[1:].rsplit(".", 1)[-1] if target.startswith("~") else target
        identifier = _identifier(obj, target.lstrip("~"))
        return f'<autoref identifier="{identifier}" optional><code>{title}</code></autoref>'

    out = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(FENCE):
            fenced = not fenced
        if not fenced:
            line = ROLE.sub(replace, line)
            if line.endswith("::"):  # reST's "a literal block follows": the block is code already
                line = line[:-1]
        out.append(line)
    return "\n".join(out)


class DocstringsAsMarkdown(griffe.Extension):
    """Doctest examples as code, Sphinx roles as links, in every docstring of the package."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        docstring = obj.docstring
        if docstring is None or not obj.path.startswith("ayr_analysis"):
            return
        text = docstring.value
        if ">>>" in text:
            text = fence_doctests(text)
        if ":`" in text or "::" in text:
            text = roles_as_links(text, obj)
        docstring.value = text
