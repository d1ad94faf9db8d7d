"""`termchat themes`: every theme, built-in and the user's, each with a sample drawn in it."""

from __future__ import annotations

import sys

from termchat.config import load_config
from termchat.errors import ConfigError, stderr_line


def themes_command() -> None:
    """List the colour themes, each with a preview (`--theme NAME` or `theme = NAME` picks one)."""
    from termchat.render.preview import print_preview
    from termchat.render.renderer import Renderer
    from termchat.themes import list_themes, load_theme, user_theme_dir

    try:
        chosen = load_config().theme
    except ConfigError:
        chosen = ""  # the chat says what is wrong with the file; the themes still list
    user = [user_theme_dir()]
    failed = False
    for name in list_themes(user):
        try:
            theme = load_theme(name, user)
            renderer = Renderer(theme=theme)
        except ConfigError as error:
            sys.stderr.write(stderr_line(str(error)))
            failed = True
            continue
        mark = "  (chosen in config)" if name == chosen else ""
        where = "" if theme.path is None or theme.path.parent not in user else "  (yours)"
        print_preview(renderer, f"{name} — {theme.description}{where}{mark}")
    if failed:
        raise SystemExit(2)
