"""Makes untrusted text (model, tool and server output) safe to show on a terminal."""

from __future__ import annotations

import re

# Characters that can start or be part of something a terminal would act on, or that hide or
# reorder text: C0 controls (bar \t and \n), DEL, C1 controls, bidi marks, embeddings,
# overrides and isolates, the BOM, line/paragraph separators, interlinear annotation marks and
# the Unicode tag block (used to smuggle invisible text).
_INVISIBLE = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
_SUSPICIOUS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_INVISIBLE}]")

# Every removal stops at a newline, so sanitizing is line-local:
# sanitize(a + b) == sanitize(a) + sanitize(b) whenever `a` ends with "\n". The streaming
# renderer relies on that to sanitize complete lines as they arrive.
_STRING_BODY = "[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\\\|\x9c)?"  # up to BEL or ST, else to the line end
_SEQUENCE = re.compile(
    "|".join(
        (
            # OSC (title, OSC 8 hyperlink, OSC 52 clipboard...), DCS, SOS, PM, APC strings.
            f"(?:\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f]){_STRING_BODY}",
            # CSI: parameters, intermediates, final byte (missing when cut short).
            "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]?",
            # Any other escape: intermediates and a final byte (ESC 7, ESC c, ESC ( B, ...).
            "\x1b[ -/]*[0-~]?",
        )
    )
)
_LEFTOVER = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_SEPARATORS = str.maketrans({"\u2028": " ", "\u2029": " "})


def sanitize(text: str) -> str:
    """Remove terminal control sequences and invisible reordering characters from `text`.

    Keeps newlines, tabs and all printable Unicode (CJK, emoji, combining marks, ZWJ). Drops
    CSI/OSC/DCS/SOS/PM/APC and other escape sequences (terminated or not), C0 and C1 controls,
    carriage returns and bidi controls. Never raises; cheap when there is nothing to remove.

    Args:
        text: Untrusted text. The caller keeps the original for storage.

    Returns:
        Text that is safe to wrap in a rich `Text` and print.
    """
    if not _SUSPICIOUS.search(text):
        return text
    text = _SEQUENCE.sub("", text)
    text = _LEFTOVER.sub("", text)
    return text.translate(_SEPARATORS)


_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_CONTROL_PICTURES[0x7F] = "\u2421"  # ␡
_VISIBLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200d{_INVISIBLE}]")


def _picture(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code in _CONTROL_PICTURES:
        return _CONTROL_PICTURES[code]
    return f"<U+{code:04X}>"


def escape_for_display(text: str, *, multiline: bool = False) -> str:
    """Show every control or invisible character of `text` visibly instead of removing it.

    For text whose every character matters to the user, such as the arguments of a tool call
    awaiting approval: ESC becomes `␛`, other C0 controls their control pictures (`␍`, `␀`, ...),
    DEL `␡`, and C1 controls, bidi marks and zero-width characters `<U+202E>`-style tags, so
    nothing can hide or reorder part of a command. The result is plain text: wrap it in `Text`.

    Args:
        text: Untrusted text.
        multiline: Keep newlines and tabs as they are (otherwise they show as `␊` and `␉`).

    Returns:
        A string with no control characters (except newlines and tabs when `multiline`).
    """
    if multiline:
        return "\n".join(
            "\t".join(_VISIBLE.sub(_picture, part) for part in line.split("\t"))
            for line in text.split("\n")
        )
    return _VISIBLE.sub(_picture, text)
