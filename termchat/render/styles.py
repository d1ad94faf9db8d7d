"""Turns a loaded termchat theme into a validated rich Theme."""

from __future__ import annotations

from rich.errors import StyleSyntaxError
from rich.style import Style
from rich.theme import Theme as RichTheme

from termchat.errors import ConfigError
from termchat.themes import Theme

# Syntax themes rich provides itself, besides Pygments styles.
_RICH_CODE_THEMES = {"ansi_dark", "ansi_light"}


def rich_theme(theme: Theme) -> RichTheme:
    """Build the rich Theme for `theme`, checking every style and the code theme.

    Raises:
        ConfigError: A style string rich cannot parse, or an unknown code theme.
    """
    styles: dict[str, Style] = {}
    for name, value in theme.styles.items():
        try:
            styles[name] = Style.parse(value) if value.strip() else Style.null()
        except StyleSyntaxError as error:
            raise ConfigError(
                f"Theme {theme.name!r}: bad style for {name!r}: {value!r} ({error})"
            ) from None
    check_code_theme(theme.code_theme, theme.name)
    return RichTheme(styles)


def check_code_theme(code_theme: str, theme_name: str = "") -> None:
    """Raise ConfigError unless `code_theme` names a Pygments style (or rich's ANSI themes)."""
    if code_theme in _RICH_CODE_THEMES:
        return
    from pygments.styles import get_style_by_name
    from pygments.util import ClassNotFound

    try:
        get_style_by_name(code_theme)
    except ClassNotFound:
        where = f"Theme {theme_name!r}: " if theme_name else ""
        raise ConfigError(
            f"{where}unknown code_theme {code_theme!r} (any Pygments style name, "
            "e.g. monokai, github-dark, one-dark, or ansi_dark / ansi_light)"
        ) from None
