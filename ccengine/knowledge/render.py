"""Articles' Markdown rendered safely, with markdown-it-py (CommonMark, plus tables and
strikethrough): raw HTML is not HTML (``<script>`` in a body shows as text), links and
images go only to http(s), mailto: and tel: URLs or to paths of this site (no
``javascript:``, ``data:``, ``vbscript:`` or ``file:``), and links carry
``rel="nofollow noopener noreferrer"``."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
# characters browsers ignore inside a scheme ("java\tscript:")
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")


def safe_link(url: str) -> bool:
    """Whether a link or image may point at ``url``: http(s), mailto: or tel:, or a
    relative reference (no scheme). Anything else, or unreadable, is refused."""
    cleaned = _IGNORED.sub("", html.unescape(url)).lower()
    if cleaned.startswith("//"):
        return True  # another host, over this page's scheme (http or https)
    found = _SCHEME.match(cleaned)
    if found is None:
        # no scheme: a path, a query or a fragment; a colon before any / ? # would be a
        # scheme a browser reads differently
        head = re.split(r"[/?#]", cleaned, maxsplit=1)[0]
        return ":" not in head
    return found.group(1) in SAFE_SCHEMES


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any,
               env: Any) -> str:
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    return str(self.renderToken(tokens, idx, options, env))


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md


_MD = _markdown()


def render(markdown: str) -> str:
    """The body's HTML, safe to put into a page (no raw HTML, no unsafe links)."""
    return _MD.render(markdown)


def plain_text(markdown: str, limit: int = 200) -> str:
    """The body's words without Markdown (for excerpts in search results), at most
    ``limit`` characters, cut at a word with "…"."""
    words: list[str] = []
    size = 0
    for token in _MD.parse(markdown):
        if token.type not in ("inline", "fence", "code_block"):
            continue
        if token.type == "inline":
            content = "".join(
                c.content if c.type in ("text", "code_inline")
                else " " if c.type in ("softbreak", "hardbreak") else ""
                for c in token.children or ())
        else:
            content = token.content
        for word in content.split():
            words.append(word)
            size += len(word) + 1
            if size > limit:
                text = " ".join(words)
                return text[:limit].rsplit(" ", 1)[0].rstrip() + "…"
    return " ".join(words)
