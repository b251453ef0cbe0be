"""HTML a student wrote, made safe to show an instructor: no scripts, no event handlers (nh3, i.e. ammonia).

`SanitizeNotebook` cleans what a submission can put into the autograded notebook that the formgrader
and the feedback display as HTML: markdown cells the student wrote or changed, and HTML, SVG or
JavaScript outputs. `clean_page` cleans a whole feedback page, keeping its layout (tags, classes and
style sheets) and its embedded images, and dropping every script.
"""
from __future__ import annotations

import re

import nh3
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

from helpers.grading.execute import finding

PAGE_TAGS = {"html", "head", "body", "title", "meta", "style", "main", "section"}
ATTRIBUTES = {"*": {"class", "id", "style", "title", "lang", "dir", "tabindex", "role", "aria-label", "aria-hidden",
                    "data-mime-type", "colspan", "rowspan", "align", "width", "height", "alt", "src", "href",
                    "charset", "name", "content"}}
IMAGE_DATA = ("data:image/png;", "data:image/jpeg;", "data:image/gif;")


def _links(tag: str, attribute: str, value: str) -> str | None:
    """Keep embedded images (data: URLs) only in <img src>; every other URL must not be `javascript:` or data."""
    if attribute in ("src", "href"):
        lowered = value.strip().lower()
        if lowered.startswith("data:"):
            return value if tag == "img" and attribute == "src" and lowered.startswith(IMAGE_DATA) else None
        if lowered.startswith(("javascript:", "vbscript:")):
            return None
    return value


def _active(html: str) -> bool:
    """Whether HTML holds a script, an event handler or a javascript: URL."""
    return re.search(r"<script|\son[a-z]+\s*=|javascript:", html, re.IGNORECASE) is not None


def clean_fragment(html: str) -> str:
    """A piece of HTML from a student (a markdown cell, an output), with only harmless tags and attributes."""
    return nh3.clean(html, attributes={"*": {"class", "title", "alt", "src", "href", "width", "height"}},
                     url_schemes={"http", "https", "mailto", "data"}, attribute_filter=_links)


def clean_page(html: str) -> str:
    """A whole page (a feedback file): its layout kept, every script and event handler removed."""
    return "<!DOCTYPE html>\n" + nh3.clean(html, tags=nh3.ALLOWED_TAGS | PAGE_TAGS, attributes=ATTRIBUTES,
                                           clean_content_tags={"script"}, url_schemes={"http", "https", "mailto",
                                                                                       "data"},
                                           attribute_filter=_links, strip_comments=True)


class SanitizeNotebook(NbGraderPreprocessor):
    """Clean the markdown cells the student wrote or changed, and HTML, SVG and JavaScript outputs."""

    instructor_markdown = List(Unicode(), help="Source of every markdown cell of the released notebook.").tag(
        config=True)

    def preprocess(self, nb, resources):
        instructor = set(self.instructor_markdown)
        for number, cell in enumerate(nb.cells, start=1):
            if cell.cell_type in ("markdown", "raw") and cell.source not in instructor and nh3.is_html(cell.source):
                cleaned = clean_fragment(cell.source)
                if _active(cell.source) and not _active(cleaned):
                    finding(resources, f"cell {number}: HTML that could run script (removed)")
                cell.source = cleaned
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                for kind in [k for k in data if "javascript" in k or k in ("image/svg+xml", "text/html",
                                                                           "text/markdown")]:
                    if kind in ("text/html", "text/markdown"):
                        text = data[kind] if isinstance(data[kind], str) else "".join(data[kind])
                        data[kind] = clean_fragment(text)
                    else:
                        del data[kind]
                if "data" in output and not data:
                    data["text/plain"] = "(an output that cannot be shown safely was removed)"
        return nb, resources
