"""MkDocs hook: links between files of the repository become links between pages of the site.

The README, CONTRIBUTING.md, bench/README.md and docs/*.md link to each other as files of the
repository (``docs/METRICS.md``, ``../bench/README.md``), which is right on a code host. In the
site they are pages (``METRICS.md``, ``benchmarks.md``), some of them included into a page with
pymdownx.snippets. A Markdown preprocessor that runs after the snippets rewrites each such link,
resolved from the file that holds it, to the page that shows that file. A link to a file the site
does not show is left alone, so ``mkdocs build --strict`` reports it.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from markdown import Extension
from markdown.preprocessors import Preprocessor

#: repository file -> the page of the site that shows it (docs/*.md are added by on_files)
PAGES: dict[str, str] = {
    "README.md": "index.md",
    "CONTRIBUTING.md": "contributing.md",
    "bench/README.md": "benchmarks.md",
}
SOURCES: dict[str, str] = {page: source for source, page in PAGES.items()}

LINK = re.compile(r"\]\((?P<target>[^)\s#]+\.md)(?P<anchor>#[^)\s]*)?\)")

_current: dict[str, str] = {"page": "index.md"}


def _rewrite(line: str, source: str, page: str) -> str:
    """``line`` with its repository links, written from ``source``, pointing at site pages."""

    def replace(match: re.Match[str]) -> str:
        target = match.group("target")
        if "://" in target:
            return match.group(0)
        path = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        if path not in PAGES:
            return match.group(0)
        relative = posixpath.relpath(PAGES[path], posixpath.dirname(page) or ".")
        return f"]({relative}{match.group('anchor') or ''})"

    return LINK.sub(replace, line)


class RepositoryLinks(Preprocessor):
    """Rewrites repository links of the current page's Markdown, after snippets are included."""

    def run(self, lines: list[str]) -> list[str]:
        page = _current["page"]
        source = SOURCES.get(page, f"docs/{page}")
        out = []
        fenced = False
        for line in lines:
            if line.lstrip().startswith("```"):
                fenced = not fenced
            out.append(line if fenced else _rewrite(line, source, page))
        return out


class RepositoryLinksExtension(Extension):
    def extendMarkdown(self, md: Any) -> None:  # noqa: N802 (Markdown's name)
        # pymdownx.snippets runs at priority 32: below it, the included text is already there
        md.preprocessors.register(RepositoryLinks(md), "repository_links", 31)


def on_config(config: Any) -> Any:
    config.markdown_extensions.append(RepositoryLinksExtension())
    return config


def on_files(files: Any, config: Any) -> Any:
    for file in files.documentation_pages():
        if file.src_uri not in SOURCES:
            PAGES[f"docs/{file.src_uri}"] = file.src_uri
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    _current["page"] = page.file.src_uri
    return markdown
