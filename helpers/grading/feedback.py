"""The feedback exporter: nbconvert's HTMLExporter, rendering each piece of a lesson's text once.

A class's notebooks share almost all their markdown and code (the lesson's), so a grading process
keeps the HTML of every markdown source and highlighted code it has rendered and reuses it for the
next student. The page is otherwise exactly what nbgrader's `generate_feedback` makes.
"""
from __future__ import annotations

import json

from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.highlight import Highlight2HTML


class RememberingHighlight(Highlight2HTML):
    """pygments highlighting, remembered by (source, language, metadata)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._html: dict[tuple, str] = {}

    def __call__(self, source, language=None, metadata=None):
        key = (source, language, json.dumps(metadata, sort_keys=True, default=str))
        if key not in self._html:
            self._html[key] = super().__call__(source, language, metadata)
        return self._html[key]


class FeedbackExporter(HTMLExporter):
    """HTMLExporter that renders a markdown source or a piece of code once per process."""

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
        return super().from_notebook_node(nb, resources, **kw)

