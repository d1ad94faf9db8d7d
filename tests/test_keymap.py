"""Tests for the rebindable keys: reading `[keys]`, showing keys, matching them while a reply
streams."""

from __future__ import annotations

import pytest
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.key_binding.key_processor import KeyPress
from prompt_toolkit.keys import Keys

from termchat.commands import KEYS_HELP
from termchat.configfile import BadSetting
from termchat.keymap import (
    ACTIONS,
    NAMED_KEYS,
    effective_keys,
    help_rows,
    key_label,
    parse_edit_mode,
    parse_keys,
    short_label,
)
from termchat.repl.keys import KeyMap


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        pytest.param({"stop": "c-g"}, {"stop": ["c-g"]}, id="prompt-toolkit-name"),
        pytest.param({"stop": "Ctrl-G"}, {"stop": ["c-g"]}, id="ctrl-spelled-out"),
        pytest.param({"newline": "alt-enter"}, {"newline": ["escape enter"]}, id="alt"),
        pytest.param(
            {"newline": ["c-o", "esc  return"]}, {"newline": ["c-o", "escape enter"]}, id="list"
        ),
        pytest.param({"editor": "ctrl-x e"}, {"editor": ["c-x e"]}, id="sequence"),
        pytest.param({"toggle_thinking": "F2"}, {"toggle_thinking": ["f2"]}, id="function-key"),
    ],
)
def test_parse_keys_normalises(table: dict[str, object], keys: dict[str, list[str]]) -> None:
    assert parse_keys(table) == keys


@pytest.mark.parametrize(
    ("table", "message", "inner"),
    [
        pytest.param({"stopp": "c-g"}, "unknown action 'stopp'; actions: toggle_thinking", "stopp"),
        pytest.param({"stop": "c-gg"}, "'c-gg' is not a key (a key looks like c-t", "stop"),
        pytest.param({"stop": 3}, "stop must be a key or a list of keys", "stop"),
        pytest.param({"stop": []}, "stop must be a key or a list of keys", "stop"),
        pytest.param({"stop": ""}, "an empty key", "stop"),
        pytest.param({"stop": "enter"}, "'enter' is not free (Enter sends", "stop"),
        pytest.param({"editor": "c-d"}, "'c-d' is not free (Ctrl-D quits)", "editor"),
        pytest.param({"editor": "x y"}, "'x y' starts with a plain character", "editor"),
        pytest.param({"editor": "space"}, "' ' starts with a plain character", "editor"),
        pytest.param({"newline": "c-t"}, "'c-t' clashes with toggle_thinking", "newline"),
        pytest.param({"stop": "escape"}, "'escape' clashes with newline ('escape enter')", "stop"),
    ],
)
def test_parse_keys_rejects_with_the_choices(
    table: dict[str, object], message: str, inner: str
) -> None:
    with pytest.raises(BadSetting) as caught:
        parse_keys(table)
    assert message in str(caught.value) and str(caught.value).startswith("[keys] ")
    assert caught.value.inner == inner


def test_parse_edit_mode() -> None:
    assert parse_edit_mode(" VI ") == "vi"
    with pytest.raises(BadSetting, match="edit_mode must be 'emacs' or 'vi', not 'vim'"):
        parse_edit_mode("vim")


def test_every_key_name_is_one_prompt_toolkit_binds() -> None:
    kb = KeyBindings()
    for name in sorted(NAMED_KEYS):
        kb.add(name)(lambda event: None)  # raises ValueError for a name it does not know
    assert len(kb.bindings) == len(NAMED_KEYS)


def test_effective_keys_defaults_and_vi_newline() -> None:
    assert effective_keys({}, "emacs") == {a: list(k) for a, k in ACTIONS.items()}
    assert effective_keys({}, "vi")["newline"] == ["c-j"]  # Escape must not wait in vi
    assert effective_keys({"newline": ["escape enter"]}, "vi")["newline"] == ["escape enter"]


@pytest.mark.parametrize(
    ("spec", "label", "short"),
    [
        pytest.param("c-t", "Ctrl-T", "^T", id="ctrl"),
        pytest.param("escape enter", "Alt-Enter", "Alt-Enter", id="alt"),
        pytest.param("c-x c-e", "Ctrl-X Ctrl-E", "Ctrl-X Ctrl-E", id="sequence"),
        pytest.param("f5", "F5", "F5", id="function"),
        pytest.param("c-s-up", "Ctrl-Shift-Up", "Ctrl-Shift-Up", id="modifiers"),
    ],
)
def test_key_labels(spec: str, label: str, short: str) -> None:
    assert key_label(spec) == label
    assert short_label(spec) == short


def test_help_rows_show_the_keys_in_effect() -> None:
    assert help_rows(KEYS_HELP, {}, "emacs") == list(KEYS_HELP)
    rows = dict(help_rows(KEYS_HELP, {"stop": ["c-g"], "newline": ["c-o", "f4"]}, "emacs"))
    assert rows["Ctrl-G"].startswith("stop the reply")
    assert rows["Ctrl-O, F4"] == "new line"
    assert "Ctrl-C" not in rows and "Alt-Enter, Ctrl-J" not in rows
    vi = dict(help_rows(KEYS_HELP, {}, "vi"))
    assert vi["Ctrl-J"] == "new line" and "Esc (vi mode)" in vi


def _press(key: str | Keys, data: str = "") -> KeyPress:
    return KeyPress(key, data or (key if isinstance(key, str) else ""))


def test_stream_keys_match_sequences_and_give_back_typing() -> None:
    keys = KeyMap({"toggle_thinking": ["escape t"], "stop": ["c-g"]}, "emacs").stream_keys()
    assert keys.feed(_press("a")) == (None, [_press("a")])
    assert keys.feed(_press(Keys.Escape)) == (None, [])  # perhaps the start of Alt-t
    assert keys.feed(_press("t")) == ("toggle_thinking", [])
    assert keys.feed(_press(Keys.Escape)) == (None, [])
    action, typed = keys.feed(_press("x"))  # not a binding: both keys are typing
    assert action is None and [p.key for p in typed] == [Keys.Escape, "x"]
    assert keys.feed(_press(Keys.ControlG))[0] == "stop"
    assert keys.feed(_press(Keys.ControlC))[0] == "stop"  # Ctrl-C still stops a reply


def test_stream_keys_ctrl_c_can_be_given_another_job() -> None:
    keys = KeyMap({"toggle_thinking": ["c-c"], "stop": ["c-g"]}, "emacs").stream_keys()
    assert keys.feed(_press(Keys.ControlC))[0] == "toggle_thinking"
