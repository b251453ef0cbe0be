"""The feedback page: nbconvert's HTMLExporter, with the finished page sanitised (helpers.grading.sanitize).

A student's notebook is their own text; a feedback page is opened by the instructor too (in the
formgrader, on the course's server), so nothing in it may run: no scripts, no event handlers.
"""
from __future__ import annotations

from nbconvert.exporters import HTMLExporter

from helpers.grading.sanitize import clean_page


class FeedbackExporter(HTMLExporter):
    """HTMLExporter whose pages keep their layout and lose every script."""

    def from_notebook_node(self, nb, resources=None, **kw):
        page, resources = super().from_notebook_node(nb, resources, **kw)
        return clean_page(page), resources
