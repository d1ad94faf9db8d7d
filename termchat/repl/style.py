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
    # The theme in use and its style. Asked for on every style lookup of every redraw, so the
    # theme is recognised by identity (/theme sets a new object), not by comparing its styles.
    built: list[tuple[Theme, BaseStyle]] = []

    def style() -> BaseStyle:
        theme = current()
        if not built or built[0][0] is not theme:
            themed = repl_styles(theme)
            # the theme's rule replaces the REPL's own for a class (merged, the own rule's
            # colours would show through where the theme sets none)
            own = [(name, rule) for name, rule in STYLE.style_rules if name not in themed]
            built[:] = [(theme, Style([*own, *themed.items()]))]
        return built[0][1]

    return DynamicStyle(style)
