"""The keys a user can rebind (`[keys]` in config.toml) and the editing mode: names, defaults,
validation and how a key is shown. Pure: the REPL (repl/keys.py) turns these into bindings."""

from __future__ import annotations

import string
from typing import Any

from termchat.configfile import BadSetting

ACTIONS: dict[str, tuple[str, ...]] = {
    "toggle_thinking": ("c-t",),
    "stop": ("c-c",),
    "newline": ("escape enter", "c-j"),
    "editor": ("c-x c-e",),
}
"""Each rebindable action with its default keys (prompt_toolkit's spelling, a space between
the keys of a sequence)."""

VI_NEWLINE = ("c-j",)
"""In vi mode Escape leaves insert mode at once: an `escape enter` binding would make every
Escape wait for the next key, so the default new-line key there is Ctrl-J alone."""

EDIT_MODES = ("emacs", "vi")

_ARROWS = ("up", "down", "left", "right", "home", "end", "insert", "delete", "pageup", "pagedown")
NAMED_KEYS: frozenset[str] = frozenset(
    [
        *(f"c-{letter}" for letter in string.ascii_lowercase),
        *("c-@", "c-\\", "c-]", "c-^", "c-_", "c-space"),
        *("escape", "s-escape", "enter", "tab", "s-tab", "backspace"),
        *_ARROWS,
        *(f"{mod}-{key}" for mod in ("c", "s", "c-s") for key in _ARROWS),
        *(f"f{n}" for n in range(1, 25)),
        *(f"c-f{n}" for n in range(1, 25)),
    ]
)
"""Key names a binding may use besides single characters (all prompt_toolkit key names)."""

RESERVED: dict[str, str] = {
    "enter": "Enter sends the message",
    "c-m": "Enter sends the message",
    "c-d": "Ctrl-D quits",
    "tab": "Tab completes",
    "c-i": "Tab completes",
}
"""Keys termchat needs for what cannot be rebound."""

_ALIASES = {"esc": "escape", "return": "enter", "space": " ", "del": "delete", "bs": "backspace"}
KEY_EXAMPLES = "a key looks like c-t, f5, escape enter, c-x c-e, ctrl-t or alt-enter"


def parse_key(word: str) -> tuple[str, ...]:
    """One key as written in config.toml -> prompt_toolkit key names (`alt-x` is two).

    Raises:
        BadSetting: not a key termchat knows.
    """
    if len(word) == 1 and word.isprintable():
        return (word,)
    lower = word.lower()
    for long, short in (("ctrl-", "c-"), ("shift-", "s-"), ("control-", "c-")):
        if lower.startswith(long):
            lower = short + lower[len(long) :]
    for meta in ("alt-", "meta-", "m-", "a-"):
        if lower.startswith(meta) and len(lower) > len(meta):
            return ("escape", *parse_key(word[len(meta) :]))
    name = _ALIASES.get(lower, lower)
    if name in NAMED_KEYS or (len(name) == 1 and name.isprintable()):
        return (name,)
    raise BadSetting(f"{word!r} is not a key ({KEY_EXAMPLES})")


def parse_sequence(text: str) -> str:
    """`ctrl-x ctrl-e` -> `c-x c-e`: one binding, normalised (keys separated by one space).

    Raises:
        BadSetting: empty, or a word that is not a key.
    """
    words = text.split()
    if not words:
        raise BadSetting(f"an empty key ({KEY_EXAMPLES})")
    return " ".join(name for word in words for name in parse_key(word))


def parse_keys(table: Any) -> dict[str, list[str]]:
    """The `[keys]` table -> the keys of each action it names, normalised.

    Raises:
        BadSetting: an unknown action, a value that is not a key or list of keys, a key
            termchat needs (Enter, Ctrl-D, Tab), or one key for two actions.
    """
    if not isinstance(table, dict):
        raise BadSetting(f"keys must be a table ([keys]), not {type(table).__name__}")
    chosen: dict[str, list[str]] = {}
    for action, value in table.items():
        if action not in ACTIONS:
            raise BadSetting(
                f"[keys] unknown action {action!r}; actions: {', '.join(ACTIONS)}", inner=action
            )
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(item, str) for item in values):
            raise BadSetting(
                f"[keys] {action} must be a key or a list of keys ({KEY_EXAMPLES})", inner=action
            )
        try:
            specs = [parse_sequence(item) for item in values]
        except BadSetting as exc:
            raise BadSetting(f"[keys] {action}: {exc}", inner=action) from None
        for spec in specs:
            first = spec.split(" ", 1)[0] if spec.strip() else spec
            if len(first) == 1:
                raise BadSetting(
                    f"[keys] {action}: {spec!r} starts with a plain character, which could no "
                    "longer be typed (use c-…, escape …, or f1…f24)",
                    inner=action,
                )
            why = RESERVED.get(spec)
            if why:
                raise BadSetting(f"[keys] {action}: {spec!r} is not free ({why})", inner=action)
        chosen[action] = specs
    _check_clashes(chosen)
    return chosen


def effective_keys(chosen: dict[str, list[str]], edit_mode: str) -> dict[str, list[str]]:
    """Every action's keys: the chosen ones, else the defaults (for the editing mode)."""
    keys = {action: list(default) for action, default in ACTIONS.items()}
    if edit_mode == "vi":
        keys["newline"] = list(VI_NEWLINE)
    keys.update({action: list(specs) for action, specs in chosen.items()})
    return keys


def _check_clashes(chosen: dict[str, list[str]]) -> None:
    """No key (or the start of a sequence) may mean two actions."""
    for mode in EDIT_MODES:
        owners: dict[str, str] = {}
        for action, specs in effective_keys(chosen, mode).items():
            for spec in specs:
                for other, owner in owners.items():
                    if owner == action:
                        continue
                    if _overlap(spec, other):
                        # Name the user's own key first: it is the one to change.
                        mine, theirs = (action, owner) if action in chosen else (owner, action)
                        key, clash = (spec, other) if mine == action else (other, spec)
                        raise BadSetting(
                            f"[keys] {mine}: {key!r} clashes with {theirs} ({clash!r})",
                            inner=mine,
                        )
                owners[spec] = action


def _overlap(one: str, two: str) -> bool:
    """The same key, or one the start of the other (`escape` and `escape enter`)."""
    return one == two or one.startswith(two + " ") or two.startswith(one + " ")


def parse_edit_mode(value: Any) -> str:
    """`edit_mode = "vi"` or `"emacs"`.

    Raises:
        BadSetting: anything else.
    """
    if not isinstance(value, str) or value.strip().lower() not in EDIT_MODES:
        raise BadSetting(f"edit_mode must be {' or '.join(map(repr, EDIT_MODES))}, not {value!r}")
    return value.strip().lower()


def key_label(spec: str) -> str:
    """`c-x c-e` -> `Ctrl-X Ctrl-E`, `escape enter` -> `Alt-Enter`, `f5` -> `F5`."""
    words = spec.split()
    shown: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "escape" and index + 1 < len(words):
            shown.append("Alt-" + _one_label(words[index + 1]))
            index += 2
            continue
        shown.append(_one_label(word))
        index += 1
    return " ".join(shown)


def _one_label(name: str) -> str:
    if len(name) == 1:
        return "Space" if name == " " else name
    *prefix, last = name.split("-")
    head = [{"c": "Ctrl", "s": "Shift"}.get(part, part) for part in prefix]
    return "-".join([*head, last.upper() if len(last) == 1 else last.capitalize()])


def short_label(spec: str) -> str:
    """For the toolbar: `c-t` -> `^T`; any other key as `key_label` shows it."""
    if len(spec) == 3 and spec.startswith("c-") and spec[2].isalpha():
        return "^" + spec[2].upper()
    return key_label(spec)


def keys_label(specs: list[str] | tuple[str, ...]) -> str:
    """Several keys of one action: `Alt-Enter, Ctrl-J`."""
    return ", ".join(key_label(spec) for spec in specs)


def help_rows(
    rows: tuple[tuple[str, str], ...], chosen: dict[str, list[str]], edit_mode: str
) -> list[tuple[str, str]]:
    """The keys table of /help with the keys in effect: a row that shows an action's default
    keys shows the chosen ones instead; vi mode adds its own row."""
    effective = effective_keys(chosen, edit_mode)
    by_default = {keys_label(default): action for action, default in ACTIONS.items()}
    shown = []
    for label, text in rows:
        action = by_default.get(label)
        shown.append((keys_label(effective[action]), text) if action else (label, text))
    if edit_mode == "vi":
        shown.append(("Esc (vi mode)", "normal mode: 0 $ w b x dd …; i or a types again"))
    return shown
