"""The terminal's background: the OSC 11 answer parsed (pure), and a light terminal's answer
choosing the light theme in a real pty, with nothing of the answer left at the prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakeserver import FakeServer
from terminal import Terminal

from termchat.background import from_colorfgbg, is_light, parse_background

BEL, ST = b"\x07", b"\x1b\\"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(b"\x1b]11;rgb:ffff/ffff/ffff" + BEL, (1.0, 1.0, 1.0), id="white-bel"),
        pytest.param(b"\x1b]11;rgb:0000/0000/0000" + ST, (0.0, 0.0, 0.0), id="black-st"),
        pytest.param(
            b"\x1b]11;rgb:fd/f6/e3" + BEL, (0xFD / 255, 0xF6 / 255, 0xE3 / 255), id="2-digit"
        ),
        pytest.param(b"\x1b]11;rgb:f/0/0" + BEL, (1.0, 0.0, 0.0), id="1-digit"),
        pytest.param(b"\x1b]11;rgba:ffff/ffff/ffff/ffff" + ST, (1.0, 1.0, 1.0), id="rgba"),
        pytest.param(
            b"\x1b[?62;22c\x1b]11;rgb:8080/8080/8080" + BEL, (0x8080 / 0xFFFF,) * 3, id="after-da1"
        ),
        pytest.param(b"\x1b[?62;22c", None, id="only-da1"),
        pytest.param(b"", None, id="no-answer"),
        pytest.param(b"\x1b]11;rgb:ffff/ffff" + BEL, None, id="two-channels"),
        pytest.param(b"\x1b]11;rgb:ffff/ffff/ffff", None, id="unterminated"),
        pytest.param(b"\x1b]11;rgb:gggg/0000/0000" + BEL, None, id="not-hex"),
    ],
)
def test_parse_background(answer: bytes, expected: tuple[float, float, float] | None) -> None:
    assert parse_background(answer) == expected


@pytest.mark.parametrize(
    ("rgb", "light"),
    [
        pytest.param((1.0, 1.0, 1.0), True, id="white"),
        pytest.param((0xFD / 255, 0xF6 / 255, 0xE3 / 255), True, id="solarized-light"),
        pytest.param((0.0, 0x2B / 255, 0x36 / 255), False, id="solarized-dark"),
        pytest.param((0.5, 0.5, 0.5), False, id="mid-grey"),
        pytest.param((0x1E / 255, 0x1E / 255, 0x2E / 255), False, id="near-black"),
    ],
)
def test_is_light(rgb: tuple[float, float, float], light: bool) -> None:
    assert is_light(rgb) is light


@pytest.mark.parametrize(
    ("value", "light"),
    [("15;0", False), ("0;15", True), ("0;default;7", True), ("default", None), ("", None)],
)
def test_from_colorfgbg(value: str, light: bool | None) -> None:
    assert from_colorfgbg(value) is light


def start(
    fake_server: FakeServer, home: Path, background: str | None, *args: str, delay: float = 0.0
) -> Terminal:
    term = Terminal(
        ["--host", fake_server.url, "-m", "qwen3", *args],
        home=home,
        env={"COLORFGBG": ""},
        background=background,
        answer_delay=delay,
    )
    term.wait_for("^D quit")
    return term


@pytest.mark.parametrize(
    ("background", "theme"),
    [
        pytest.param("rgb:ffff/ffff/ffff", "light", id="light-terminal"),
        pytest.param("rgb:1e1e/1e1e/2e2e", "default", id="dark-terminal"),
        pytest.param(None, "default", id="no-answer"),
    ],
)
def test_theme_follows_the_terminals_background(
    fake_server: FakeServer, tmp_path: Path, background: str | None, theme: str
) -> None:
    term = start(fake_server, tmp_path, background)
    try:
        asked = b"\x1b]11;?" in bytes(term.raw)
        assert asked
        term.line("/theme")
        term.wait_for("/theme NAME switches")
        chosen = [line.split() for line in term.transcript().split("\n") if "●" in line]
        assert [words[1] for words in chosen] == [theme]
        # the answer was read by termchat, not left for the prompt to show
        assert "rgb:" not in term.transcript() and "11;" not in term.transcript()
    finally:
        term.close()


def test_answers_that_take_an_ssh_round_trip_are_waited_for_not_typed(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """Over ssh the terminal's answers arrive a round trip later; read too early, they reached
    the prompt as typed text (`]11;rgb:ffff/…`) and the theme stayed dark."""
    term = start(fake_server, tmp_path, "rgb:ffff/ffff/ffff", delay=0.3)
    try:
        term.line("/theme")
        term.wait_for("/theme NAME switches")
        chosen = [line.split() for line in term.transcript().split("\n") if "●" in line]
        assert [words[1] for words in chosen] == ["light"]
        shown = term.transcript()
        assert "rgb:" not in shown and "11;" not in shown and "62;" not in shown
    finally:
        term.close()


def test_a_chosen_theme_is_not_asked(fake_server: FakeServer, tmp_path: Path) -> None:
    term = start(fake_server, tmp_path, "rgb:ffff/ffff/ffff", "--theme", "solarized-dark")
    try:
        term.line("/theme")
        term.wait_for("/theme NAME switches")
        assert b"\x1b]11;?" not in bytes(term.raw)
        assert [line.split()[1] for line in term.transcript().split("\n") if "●" in line] == [
            "solarized-dark"
        ]
    finally:
        term.close()
