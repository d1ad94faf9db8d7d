"""The REPL's prompt_toolkit style, following the theme in use (also after /theme)."""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.styles import BaseStyle, DynamicStyle, Style

from termchat.render.styles import repl_styles
from termchat.repl.dialogs import STYLE
from termchat.themes import Theme


def themed_style(current: Callable[[], Theme]) -> BaseStyle:
    """The REPL's style (see `dialogs.STYLE`) with the prompt and toolbar in the colours of
    the theme `current` returns, read again whenever the screen is drawn."""
    cache: dict[str, BaseStyle] = {}

    def style() -> BaseStyle:
        theme = current()
        key = repr(sorted(theme.styles.items()))
        if key not in cache:
            cache.clear()
            themed = repl_styles(theme)
            # the theme's rule replaces the REPL's own for a class (merged, the own rule's
            # colours would show through where the theme sets none)
            own = [(name, rule) for name, rule in STYLE.style_rules if name not in themed]
            cache[key] = Style([*own, *themed.items()])
        return cache[key]

    return DynamicStyle(style)
