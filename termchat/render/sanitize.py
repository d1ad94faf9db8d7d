"""Makes untrusted text (model, tool and server output) safe to show on a terminal.

Rich-free: the REPL, the CLI and the JSON writers use it too. By what the text is:

- `sanitize`: prose (answers, reasoning, titles, error bodies). Control sequences and bidi
  controls are removed; everything printable stays, joiners included (emoji and scripts need
  them).
- `one_line`: sanitized, on one line (a title, an error message for stderr).
- `name_text`: a name (a model, a file): sanitized, on one line, its invisible characters
  shown (`<U+200B>`) so that no name passes for another; `show_hidden` does the last part
  for longer sanitized text that holds names (a tool's result).
- `escape_for_display`: text whose every character matters (tool names and arguments, the
  call to approve): every control and invisible character is shown (`␛`, `␍`, `<U+202E>`).
- `json_text`: JSON that keeps every character, with controls, bidi and invisible characters
  written as `\\uXXXX` escapes (other non-ASCII stays readable).

The display's last line of defence is elsewhere: render.console.SafeConsole (everything rich
draws) and repl.output.SafeOutput (everything prompt_toolkit draws).
"""

from __future__ import annotations

import json
import re
from typing import Any

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
# Characters that show nothing (or a blank) yet make two strings that look alike differ: zero-width
# space, non-joiner and joiner, word joiner, invisible operators, soft hyphen, Mongolian vowel
# separator, combining grapheme joiner, Hangul fillers. Kept in prose, shown in names.
_HIDDEN = "\u200b-\u200d\u2060-\u2064\u00ad\u180e\u034f\u115f\u1160\u3164\uffa0"
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
_VISIBLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_HIDDEN}{_INVISIBLE}]")


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


def has_controls(text: str) -> bool:
    """Whether `sanitize` would change `text` (a cheap test for text that is usually clean)."""
    return _SUSPICIOUS.search(text) is not None


# In JSON text these can only stand inside strings (json.dumps escapes C0 controls itself).
_JSON_ESCAPED = re.compile(f"[\x7f-\x9f\u2028\u2029{_HIDDEN}{_INVISIBLE}]")


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON spells a character beyond the BMP as its UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(value: Any, *, indent: int | None = None, default: Any = None) -> str:
    """`value` as JSON that is safe to write to a terminal, and reads back to the same value.

    As `json.dumps(value, ensure_ascii=False)`, but DEL, C1 controls, bidi controls, line and
    paragraph separators and invisible characters are `\\uXXXX` escapes too (C0 controls
    already are), so no raw control reaches a terminal and none hides in the text; other
    non-ASCII characters stay readable.

    Args:
        value: What `json.dumps` takes.
        indent: As for `json.dumps`.
        default: As for `json.dumps` (a function for values it cannot write).
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=default)
    return _JSON_ESCAPED.sub(_json_escape, text)


_HIDDEN_ONLY = re.compile(f"[{_HIDDEN}]")


def show_hidden(text: str) -> str:
    """`text` (already sanitized) with each invisible character shown as `<U+200B>`: for output
    that may hold names, such as a tool's result listing files, where a zero-width space or a
    Hangul filler could make one name pass for another."""
    return _HIDDEN_ONLY.sub(_picture, text) if _HIDDEN_ONLY.search(text) else text


def one_line(text: str) -> str:
    """Untrusted text (a title, a server's message) as one line: sanitized, each run of
    whitespace (line breaks included) one space."""
    return " ".join(sanitize(text).split())


def name_text(text: str) -> str:
    """A name from outside (a model, a file) as one line: sanitized, line breaks as spaces, and
    its invisible characters shown (`<U+200B>`), so that no name passes for another."""
    return show_hidden(one_line(text))


_QUANTIZATION = re.compile(r"(?i)i?q\d\w*|b?f\d+|fp\d+|int\d+|mxfp\d+|latest")
"""Tag parts that name a file format rather than a model (`Q4_K_M`, `bf16`, `latest`)."""


def short_name(model: str) -> str:
    """A model's name without what the user rarely needs to read: the path before its last
    part, the quantization tag and a `-GGUF` suffix (`hf.co/unsloth/Qwen3-8B-GGUF:Q4_K_M` →
    `Qwen3-8B`, `qwen3:latest` → `qwen3`; `qwen3:8b` stays), sanitized, its invisible
    characters shown (`<U+200B>`)."""
    name = name_text(model).rsplit("/", 1)[-1]
    base, colon, tag = name.partition(":")
    kept = [part for part in tag.split("-") if part and not _QUANTIZATION.fullmatch(part)]
    base = re.sub(r"(?i)[-._]gguf$", "", base) or base
    return base + (":" + "-".join(kept) if colon and kept else "")
