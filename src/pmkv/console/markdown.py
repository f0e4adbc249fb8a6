"""Story descriptions as HTML, safely: markdown-it-py with raw HTML disabled.

markdown-it escapes every HTML tag in the source and its link validator drops
``javascript:``/``vbscript:``/``file:`` URLs, so a description cannot inject script.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "table"
)


def render_markdown(source: object) -> Markup:
    """HTML for markdown ``source`` (non-strings render as nothing)."""
    if not isinstance(source, str) or not source:
        return Markup("")
    return Markup(_MD.render(source))  # markdown-it escaped all raw HTML
