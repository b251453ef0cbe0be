"""The feedback exporter: nbconvert's HTMLExporter, doing less work for a class of the same lesson.

- A class's notebooks share almost all their markdown and code (the lesson's), so a grading process
  keeps the HTML of every markdown source and highlighted code it has rendered and reuses it.
- HTMLExporter parses every page it makes with BeautifulSoup, to give images without alt text one
  and JupyterLab's cell wrappers a tabindex; that parse is half the export's time. A feedback page
  (nbgrader's template) usually has neither, and then the parse would only re-serialize the page, so
  only pages that have one are parsed.

The page says what nbgrader's `generate_feedback` with nbconvert's HTMLExporter would.
"""
from __future__ import annotations

import re

import nbconvert.exporters.html
from bs4 import BeautifulSoup
from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.highlight import Highlight2HTML

# what HTMLExporter's BeautifulSoup pass changes: <img> without alt, JupyterLab input and output wrappers
SOUP_CHANGES = re.compile(r"<img\b(?![^>]*\balt=)|jp-Cell-inputWrapper|jp-OutputArea-output", re.IGNORECASE)


class _NothingToChange:
    """Stands in for BeautifulSoup on a page its selectors find nothing in."""

    def __init__(self, html: str) -> None:
        self.html = html

    def select(self, _selector: str) -> list:
        return []

    def __str__(self) -> str:
        return self.html


def _soup_if_needed(html: str, features: str):
    return BeautifulSoup(html, features=features) if SOUP_CHANGES.search(html) else _NothingToChange(html)


class RememberingHighlight(Highlight2HTML):
    """pygments highlighting, remembered by what it depends on: the source, the language and the cell's
    "magics_language" (the rest of a cell's metadata, such as its execution times, does not matter)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._html: dict[tuple, str] = {}

    def __call__(self, source, language=None, metadata=None):
        key = (source, language, (metadata or {}).get("magics_language"))
        if key not in self._html:
            self._html[key] = super().__call__(source, language, metadata)
        return self._html[key]


class FeedbackExporter(HTMLExporter):
    """HTMLExporter that renders each markdown source and piece of code once per process, and parses a
    page with BeautifulSoup only when that changes it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._markdown: dict[str, str] = {}
        self._highlighters: dict[str | None, RememberingHighlight] = {}

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        if cell.get("attachments") or self.embed_images:    # the HTML depends on more than the source
            return super().markdown2html(context, source)
        if source not in self._markdown:
            self._markdown[source] = super().markdown2html(context, source)
        return self._markdown[source]

    def from_notebook_node(self, nb, resources=None, **kw):
        info = nb.metadata.get("language_info", {})
        lexer = info.get("pygments_lexer", info.get("name", None))
        if lexer not in self._highlighters:
            self._highlighters[lexer] = RememberingHighlight(pygments_lexer=lexer, parent=self)
        self.filters = {**self.filters, "highlight_code": self._highlighters[lexer]}
        nbconvert.exporters.html.BeautifulSoup = _soup_if_needed
        try:
            return super().from_notebook_node(nb, resources, **kw)
        finally:
            nbconvert.exporters.html.BeautifulSoup = BeautifulSoup

