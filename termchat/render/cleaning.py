"""Parsed Markdown made safe to draw: every token sanitized, links and images shown as text."""

from __future__ import annotations

from markdown_it.token import Token

from termchat.render.code import known_lexer
from termchat.render.sanitize import sanitize, show_hidden


def clean_tokens(tokens: list[Token]) -> list[Token]:
    """Sanitize every token and rewrite links and images for display."""
    out: list[Token] = []
    for token in tokens:
        if token.content:
            token.content = sanitize(token.content)
        if token.info:
            token.info = sanitize(token.info)
            if token.type == "fence" and not known_lexer(token.info.partition(" ")[0]):
                # rich would fall back to plain text anyway, after a slow lookup every time
                token.info = "text"
        if token.children:
            token.children = _clean_inline(token.children)
        out.append(token)
    return out


def _clean_inline(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    skip_close = 0
    for index, token in enumerate(tokens):
        if token.content:
            token.content = sanitize(token.content)
        if token.type == "link_open":
            href = sanitize(str(token.attrs.get("href", "")))
            token.attrs["href"] = href
            if token.markup == "autolink" or _link_text(tokens, index) == href:
                skip_close += 1  # the text already is the target: show it once
                tokens[index + 1].content = show_hidden(tokens[index + 1].content)  # exactly
                continue
        elif token.type == "link_close" and skip_close:
            skip_close -= 1
            continue
        elif token.type == "image":
            out.extend(_image_as_link(token))
            continue
        out.append(token)
    return out


def _link_text(tokens: list[Token], index: int) -> str | None:
    """The plain text of a link that holds a single text token, else None."""
    if index + 2 < len(tokens) and tokens[index + 2].type == "link_close":
        middle = tokens[index + 1]
        if middle.type == "text":
            return middle.content
    return None


def _image_as_link(token: Token) -> list[Token]:
    """An image as `image: alt (target)`; rich would draw it apart from its paragraph."""
    src = sanitize(str(token.attrs.get("src", "")))
    if src.startswith("data:"):
        src = src.split(",", 1)[0] + ",…"
    alt = sanitize(token.content)
    label = f"image: {alt}" if alt else "image"
    return [
        Token("link_open", "a", 1, attrs={"href": src}),
        Token("text", "", 0, content=label),
        Token("link_close", "a", -1),
    ]
