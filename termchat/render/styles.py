"""Turns a loaded termchat theme into a validated rich Theme."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from rich.color import Color, ColorParseError, ColorType
from rich.control import Control
from rich.errors import StyleSyntaxError
from rich.segment import ControlType, Segment
from rich.style import Style
from rich.theme import Theme as RichTheme

if TYPE_CHECKING:
    from rich.syntax import SyntaxTheme

from termchat.errors import ConfigError
from termchat.themes import Theme

# Syntax themes rich provides itself, besides Pygments styles, and termchat's own `plain`.
_RICH_CODE_THEMES = {"ansi_dark", "ansi_light"}
PLAIN_CODE = "plain"
"""The code theme without colours: Pygments' `bw` style (bold keywords, italic comments)."""


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
    if code_theme in _RICH_CODE_THEMES or code_theme == PLAIN_CODE:
        return
    from pygments.styles import get_style_by_name
    from pygments.util import ClassNotFound

    try:
        get_style_by_name(code_theme)
    except ClassNotFound:
        where = f"Theme {theme_name!r}: " if theme_name else ""
        raise ConfigError(
            f"{where}unknown code_theme {code_theme!r} (any Pygments style name, "
            "e.g. monokai, github-dark, one-dark; ansi_dark / ansi_light; plain: no colours)"
        ) from None


CodeTheme: TypeAlias = "str | SyntaxTheme"
"""What code blocks are drawn with: a Pygments style name, or that style on another
background (see `code_theme`)."""


def code_theme(theme: Theme) -> CodeTheme:
    """The syntax theme for `theme`'s code blocks: its `code_theme`, on its `code_background`
    when it sets one (`default`: the terminal's own background).

    Raises:
        ConfigError: An unknown code theme or a colour rich cannot parse.
    """
    check_code_theme(theme.code_theme, theme.name)
    if theme.code_theme == PLAIN_CODE:
        return _plain_code()
    if not theme.code_background or theme.code_theme in _RICH_CODE_THEMES:
        return theme.code_theme
    from rich.syntax import PygmentsSyntaxTheme  # with Pygments: only for such a theme

    try:
        background = Style(bgcolor=theme.code_background)
    except ColorParseError:
        raise ConfigError(
            f"Theme {theme.name!r}: bad code_background {theme.code_background!r}"
        ) from None
    syntax = PygmentsSyntaxTheme(theme.code_theme)
    syntax._background_style = background  # what rich draws the block on
    return syntax


def _plain_code() -> SyntaxTheme:
    """Pygments' black-and-white style with its colours left out: on any background."""
    from pygments.styles import get_style_by_name
    from rich.syntax import ANSISyntaxTheme

    style_map = {
        token: Style(bold=rule["bold"], italic=rule["italic"], underline=rule["underline"])
        for token, rule in get_style_by_name("bw")
        if rule["bold"] or rule["italic"] or rule["underline"]
    }
    return ANSISyntaxTheme(style_map)


def raw_control(sequence: str) -> Control:
    """A control segment carrying `sequence` as it is (rich writes it only to a terminal).

    Only for sequences termchat builds itself (the OSC 52 clipboard write): never for text
    that came from a model, a tool or a server.
    """
    control = Control()
    control.segment = Segment(sequence, None, [(ControlType.BELL,)])
    return control


REPL_CLASSES = {
    "prompt": "termchat.prompt",
    "bottom-toolbar": "termchat.toolbar",
    "bottom-toolbar.model": "termchat.toolbar.model",
    "bottom-toolbar.key": "termchat.toolbar.key",
    "bottom-toolbar.problem": "termchat.toolbar.problem",
    "bottom-toolbar.warning": "termchat.toolbar.problem",
}
"""The REPL's prompt_toolkit style classes and the theme's styles they are drawn in."""


def repl_styles(theme: Theme) -> dict[str, str]:
    """prompt_toolkit style strings for the REPL's prompt and toolbar, from `theme` (a style
    the theme leaves out, or cannot be parsed, is left to the REPL's own)."""
    out: dict[str, str] = {}
    for name, key in REPL_CLASSES.items():
        value = theme.styles.get(key)
        if value is None:
            continue
        try:
            style = Style.parse(value) if value.strip() else Style.null()
        except StyleSyntaxError:
            continue
        out[name] = _prompt_toolkit_style(style, toolbar=name == "bottom-toolbar")
    return out


def _prompt_toolkit_style(style: Style, *, toolbar: bool) -> str:
    parts = []
    for attribute in ("bold", "italic", "underline", "reverse"):
        if getattr(style, attribute):
            parts.append(attribute)
        elif attribute == "reverse" and toolbar:
            parts.append("noreverse")  # prompt_toolkit draws its toolbar reversed by default
    if style.color is not None and not style.color.is_default:
        parts.append(_prompt_toolkit_colour(style.color))
    if style.bgcolor is not None and not style.bgcolor.is_default:
        parts.append("bg:" + _prompt_toolkit_colour(style.bgcolor))
    return " ".join(parts)


def _prompt_toolkit_colour(color: Color) -> str:
    if color.type == ColorType.STANDARD and color.name:  # the terminal's own 16 colours
        return "ansi" + color.name.replace("_", "")
    return color.get_truecolor().hex
