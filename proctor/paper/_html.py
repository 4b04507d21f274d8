"""The paper's HTML page: its Markdown rendered with raw HTML off and every URL checked.

The Markdown holds untrusted text (escaped by :func:`proctor.paper._escape.md_escape`, but the
page does not rely on that): raw HTML is escaped rather than passed through, a link may point only
to a relative path or an ``http``, ``https`` or ``mailto`` URL, an image only to a plain figure file
name next to the page, and text is written with ``=`` and ``:`` as character references too, so no
``onerror=`` or ``javascript:`` appears in the page's source even as inert text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML

from proctor.paper._escape import is_figure_name

_SCHEME = re.compile(r"^([^/?#]*?):")
_SAFE_SCHEMES = {"http", "https", "mailto"}
_LANG = re.compile(r"[^A-Za-z0-9_-]")


def _defang(text: str) -> str:
    return escapeHtml(text).replace("=", "&#61;").replace(":", "&#58;")


def safe_link(url: str) -> bool:
    """Whether ``url`` may become an ``href``: relative, or ``http(s):``/``mailto:``; no control characters."""
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        return False
    scheme = _SCHEME.match(url)
    return scheme is None or scheme.group(1).lower() in _SAFE_SCHEMES


class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 - markdown-it's name
        return safe_link(url)


class _Renderer(RendererHTML):
    """CommonMark's HTML renderer with text defanged, raw HTML escaped and images limited to figures."""

    def text(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        return _defang(tokens[idx].content)

    html_block = html_inline = text

    def code_inline(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        return f"<code>{_defang(tokens[idx].content)}</code>"

    def code_block(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        return f"<pre><code>{_defang(tokens[idx].content)}</code></pre>\n"

    def fence(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        lang = _LANG.sub("", (tokens[idx].info or "").split(" ")[0])
        cls = f' class="language-{lang}"' if lang else ""
        return f"<pre><code{cls}>{_defang(tokens[idx].content)}</code></pre>\n"

    def image(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        alt = _defang(self.renderInlineAsText(token.children, options, env)) if token.children else ""
        src = str(token.attrGet("src") or "")
        return f'<img src="{escapeHtml(src)}" alt="{alt}">' if is_figure_name(src) else alt


def html_page(markdown: str, title: str) -> str:
    """One HTML page from the paper's Markdown (CommonMark with tables, raw HTML off)."""
    md = _Markdown("commonmark", {"html": False}, renderer_cls=_Renderer).enable("table")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>"
            f"{_defang(' '.join(title.split()))}</title></head><body>{md.render(markdown)}</body></html>\n")
