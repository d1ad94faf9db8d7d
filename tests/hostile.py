"""A corpus of hostile strings, and a reader of a terminal's raw bytes that finds every escape
sequence termchat would never write itself (the hostile-output tests count them: must be 0)."""

from __future__ import annotations

import re
from collections import Counter

from termchat.render.trim import ERASE_BELOW

ESC = "\x1b"
ST = ESC + "\\"

CORPUS: dict[str, str] = {
    # CSI, including private modes and window operations
    "csi-clear-screen": f"{ESC}[2J",
    "csi-clear-scrollback": f"{ESC}[3J",
    "csi-cursor-up-far": f"{ESC}[777A",
    "csi-cursor-to": f"{ESC}[1;777H",
    "csi-conceal": f"{ESC}[8m",
    "csi-blink": f"{ESC}[5m",
    "csi-mouse-tracking": f"{ESC}[?1000h{ESC}[?1006h",
    "csi-alt-screen": f"{ESC}[?1049h",
    "csi-window-report-title": f"{ESC}[21t",
    "csi-window-resize": f"{ESC}[8;5;5t",
    "csi-status-report": f"{ESC}[5n",
    "csi-device-attributes": f"{ESC}[c{ESC}[>c",
    "csi-scroll-region": f"{ESC}[1;3r",
    "csi-printer": f"{ESC}[5i",
    # OSC 0/2/4/8/52/1337, terminated by BEL, by ST, or not at all
    "osc0-title": f"{ESC}]0;PWNED-TITLE\x07",
    "osc2-title": f"{ESC}]2;PWNED-TITLE{ST}",
    "osc4-palette": f"{ESC}]4;1;rgb:ff/00/00\x07",
    "osc8-hyperlink": f"{ESC}]8;;https://evil.example/{ST}click{ESC}]8;;{ST}",
    "osc52-clipboard": f"{ESC}]52;c;cm0gLXJmIH4K\x07",
    "osc52-clipboard-st": f"{ESC}]52;c;cm0gLXJmIH4K{ST}",
    "osc1337-file": f"{ESC}]1337;File=name=eA==;inline=1:AAAA\x07",
    "osc-unterminated": f"{ESC}]0;never ends",
    # DCS, APC, PM, SOS strings
    "dcs": f"{ESC}P$qm{ST}",
    "apc-graphics": f"{ESC}_Gf=24,s=1,v=1;AAAA{ST}",
    "pm": f"{ESC}^privacy message{ST}",
    "sos": f"{ESC}Xstart of string{ST}",
    # 8-bit C1 controls
    "c1-csi": "\x9b2J",
    "c1-osc": "\x9d0;PWNED-TITLE\x07",
    "c1-dcs": "\x90$qm\x9c",
    "c1-apc": "\x9fapc\x9c",
    "c1-reverse-index": "\x8d",
    "c1-next-line": "\x85",
    # other escapes
    "esc-reset": f"{ESC}c",
    "esc-alignment-test": f"{ESC}#8",
    "esc-line-drawing": f"{ESC}(0",
    "esc-reverse-index": f"{ESC}M",
    "esc-save-restore": f"{ESC}7{ESC}8",
    "esc-alone": ESC,
    # C0 controls
    "c0": "\x07\x08\x0b\x0c\x0e\x0f",
    "carriage-return": "safe\rEVIL",
    # bidi
    "bidi-override": "\u202eevil\u202c",
    "bidi-isolates": "\u2066a\u2067b\u2068c\u2069",
    "bidi-marks": "\u200e\u200f\u061c",
    # zero-width and invisible characters
    "invisible": "in\u200bvi\u200csi\u200dble\u2060\u00ad\u180e\u115f\u1160\u3164\uffa0",
    # rich markup and emoji codes: must print literally
    "markup-link": "[link=https://evil.example]click[/link]",
    "markup-close": "[/i]",
    "markup-style": "[bold red on white]styled",
    "emoji-code": ":warning:",
}

ALL = "".join(f"<{value}>" for value in CORPUS.values())
"""Every payload once, each between `<` and `>`."""


# --- what termchat writes itself ---------------------------------------------------------------

_TOKEN = re.compile(
    "|".join(
        (
            r"(?P<csi>\x1b\[(?P<params>[0-?]*)(?P<inter>[ -/]*)(?P<final>[@-~]))",
            r"(?P<string>\x1b[\]P^_X][^\x07\x1b]*(?:\x07|\x1b\\)?)",
            r"(?P<esc>\x1b[ -/]*[0-~]?)",
            r"(?P<c1>[\x80-\x9f])",
            r"(?P<bidi>[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069])",
            r"(?P<c0>[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f])",
        )
    )
)
# Private modes termchat (rich, prompt_toolkit) sets and resets: cursor keys, autowrap, cursor
# blink, cursor visibility, bracketed paste, synchronized update.
_PRIVATE_MODES = {"1", "7", "12", "25", "2004", "2026"}
_SGR_NEVER = {"5", "6", "8"}  # blink, rapid blink, conceal
_MOVES = "ABCD"


BACKGROUND_QUERY = "\x1b]11;?\x07"
"""termchat's one OSC of its own at start-up: what colour is the terminal's background?"""


def _own_csi(params: str, inter: str, final: str) -> bool:
    """Whether termchat could have written this CSI sequence."""
    if inter:
        return False
    if params.startswith("?"):
        return final in "hl" and all(p in _PRIVATE_MODES for p in params[1:].split(";"))
    if not re.fullmatch(r"[0-9;]*", params):
        return False
    numbers = [p for p in params.split(";") if p]
    if final == "m":
        return _own_sgr(numbers)
    if final in _MOVES:
        return len(numbers) <= 1 and all(int(p) < 300 for p in numbers)  # within the screen
    if final == "J":
        return numbers in ([], ["0"])  # erase below, never the whole screen
    if final == "K":
        return numbers in ([], ["0"], ["2"])
    if final == "n":
        return numbers == ["6"]  # prompt_toolkit asks where the cursor is
    if final == "c":
        return not numbers  # termchat asks the terminal what it is, after its background
    return False


def _own_sgr(numbers: list[str]) -> bool:
    """Colours and attributes, never blink or conceal; a colour's own numbers are skipped."""
    index = 0
    while index < len(numbers):
        number = numbers[index]
        if number in ("38", "48", "58"):  # extended colour: 5;N or 2;R;G;B
            size = {"5": 2, "2": 4}.get(numbers[index + 1] if index + 1 < len(numbers) else "")
            if size is None or any(int(p) > 255 for p in numbers[index + 2 : index + size]):
                return False
            index += size + 1
            continue
        if number in _SGR_NEVER or int(number) > 107:
            return False
        index += 1
    return True


def _lone_c0(text: str, index: int) -> bool:
    """No other C0 control beside text[index]: the corpus's backspace travels with its
    neighbours (`\x07\x08\x0b`), which are reported on their own if they leak."""
    around = text[max(0, index - 1) : index] + text[index + 1 : index + 2]
    return not any(ord(char) < 0x20 and char not in "\r\n\x1b" for char in around)


def foreign_sequences(raw: bytes) -> Counter[str]:
    """Every escape sequence, C1 or stray C0 control and bidi control in `raw` (a terminal's
    input) that termchat does not write itself, counted by its text (repr'd)."""
    # the cursor saved and put back around termchat's erase below is its own only there
    text = raw.decode("utf-8", "replace").replace(ERASE_BELOW, "\x1b[K\x1b[J")
    found: Counter[str] = Counter()
    for match in _TOKEN.finditer(text):
        if match.group("csi") and _own_csi(
            match.group("params"), match.group("inter"), match.group("final")
        ):
            continue
        if match.group() == "\b" and _lone_c0(text, match.start()):
            continue  # prompt_toolkit's cursor_backward(1) writes a backspace, not `ESC[D`
        if match.group() == BACKGROUND_QUERY:
            continue
        found[repr(match.group())] += 1
    return found


def split_everywhere(payloads: list[str]) -> list[str]:
    """Stream pieces that cut each payload at every offset: for a payload of n characters, n-1
    copies, the i-th cut after its i-th character (the cut pieces are consecutive chunks)."""
    pieces: list[str] = []
    for payload in payloads:
        for offset in range(1, len(payload)):
            pieces += [f"[{payload[:offset]}", f"{payload[offset:]}]"]
        pieces.append("\n")
    return pieces
