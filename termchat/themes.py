"""Theme files: TOML that maps termchat's semantic style names to rich style strings."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from termchat.errors import ConfigError

DEFAULT_THEME = "default"
_KEYS = {"name", "description", "code_theme", "code_background", "styles"}


@dataclass(frozen=True)
class Theme:
    """A loaded theme.

    Attributes:
        name: The theme's name.
        code_theme: Pygments style for code blocks.
        code_background: The code blocks' background colour (`default`: the terminal's;
            empty: the Pygments style's own).
        description: One line about the theme (for `termchat themes`).
        styles: Semantic style name (`termchat.thinking`, `markdown.h1`, ...) to a rich style
            string. Styles a theme leaves out come from the default theme.
        path: The file it was read from, if any.
    """

    name: str = DEFAULT_THEME
    code_theme: str = "monokai"
    code_background: str = ""
    description: str = ""
    styles: dict[str, str] = field(default_factory=dict)
    path: Path | None = None


def theme_dirs() -> list[Path]:
    """Folders holding the built-in themes: the package's (wheel), then the repository's."""
    package = Path(__file__).resolve().parent
    return [package / "themes", package.parent / "themes"]


def user_theme_dir() -> Path:
    """The folder of the user's own themes: `themes/` next to config.toml."""
    from termchat.config import config_path

    return config_path().parent / "themes"


def list_themes(extra_dirs: Iterable[Path] = ()) -> list[str]:
    """Names of the available themes, sorted (built-in ones and any in `extra_dirs`)."""
    names = {
        path.stem
        for folder in [*extra_dirs, *theme_dirs()]
        if folder.is_dir()
        for path in folder.glob("*.toml")
    }
    return sorted(names)


def load_theme(name_or_path: str | Path | None = None, extra_dirs: Iterable[Path] = ()) -> Theme:
    """Load a theme by name or from a file.

    Args:
        name_or_path: A theme name (looked up in `extra_dirs`, then the built-in folders) or
            a path to a `.toml` file. None means the default theme.
        extra_dirs: Folders searched before the built-in ones (e.g. the user's themes).

    Returns:
        The theme, with the default theme's styles filling in what it leaves out.

    Raises:
        ConfigError: Unknown theme, unreadable file, bad TOML or wrong shape.
    """
    path = _find(str(name_or_path or DEFAULT_THEME), list(extra_dirs))
    theme = _read(path)
    default_path = _find(DEFAULT_THEME, [])
    base = theme if path == default_path else _read(default_path)
    return Theme(
        name=theme.name,
        code_theme=theme.code_theme or base.code_theme or "monokai",
        # a theme's own code_theme comes with its own background unless it names another
        code_background=theme.code_background or ("" if theme.code_theme else base.code_background),
        description=theme.description,
        styles={**base.styles, **theme.styles},
        path=path,
    )


def _find(name: str, extra_dirs: list[Path]) -> Path:
    looks_like_path = name.endswith(".toml") or "/" in name or "\\" in name
    if looks_like_path:
        path = Path(name).expanduser()
        if not path.is_file():
            raise ConfigError(f"Theme file not found: {path}")
        return path
    for folder in [*extra_dirs, *theme_dirs()]:
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    available = ", ".join(list_themes(extra_dirs)) or "none found"
    raise ConfigError(f"Unknown theme {name!r} (available: {available})")


def _read(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"Cannot read theme {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"Theme {path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"Theme {path}: unknown key {unknown[0]!r}")
    name = data.get("name", path.stem)
    code_theme = data.get("code_theme", "")
    code_background = data.get("code_background", "")
    description = data.get("description", "")
    styles = data.get("styles", {})
    if not isinstance(name, str) or not name:
        raise ConfigError(f"Theme {path}: 'name' must be a non-empty string")
    for key, value in (
        ("code_theme", code_theme),
        ("code_background", code_background),
        ("description", description),
    ):
        if not isinstance(value, str):
            raise ConfigError(f"Theme {path}: {key!r} must be a string")
    if not isinstance(styles, dict):
        raise ConfigError(f"Theme {path}: [styles] must be a table of name = style strings")
    return Theme(
        name=name,
        code_theme=code_theme,
        code_background=code_background,
        description=description,
        styles=_flatten(styles, "", path),
        path=path,
    )


def _flatten(table: dict[str, object], prefix: str, path: Path) -> dict[str, str]:
    """Style names with dots, whether the file quoted them or wrote nested tables."""
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}.", path))
        elif isinstance(value, str):
            out[name] = value
        else:
            raise ConfigError(f"Theme {path}: style {name!r} must be a string, not {value!r}")
    return out
