"""Code highlighted line by line as a block streams is coloured as the whole block is.

A regex lexer goes on from the state it was in where new lines begin, so a line deep inside a
multi-line string or comment keeps the string's colour; where the lexer's state cannot be read
or is far up, a few lines of context are lexed again, so a frame never costs the whole block.
Known limit: what a lexer matches only whole (Go's raw string and block comment, a shell
here-document: errors or plain words until they end) is coloured as far as it has arrived.
"""

from __future__ import annotations

import itertools
import random

import pytest
from pygments.lexer import RegexLexer
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text

from termchat.render.code import CONTEXT_LINES, FAR, TAB_SIZE, CodeRows
from termchat.render.styles import CodeTheme

SAMPLES = {
    "python": (
        'import os\n\nclass A:\n    """Doc\n    if else\n    """\n    def f(self, x):\n'
        '        s = """a\n  for while\nreturn\n"""  # c\n        return [i for i in x]\n'
    ),
    "rust": 'fn main() {\n    /* a\n    let mut\n    fn */\n    let x = "s\\\n  q";\n}\n',
    "go": 'package main\n\nfunc main() {\n\t// for\n\tfmt.Println("x", `r`)\n}\n',
    "toml": '[a]\nb = 1\nc = """\nmulti [x]\nd = 2\n"""\n[d]\ne = [1,\n  2]\n',
    "bash": 'for f in *; do\n  echo "$f\nif then\nfi"\ndone\n',
    "diff": "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-x\n+y\n context\n",
    "dart": 'var a = "${x + 1} and ${y}";\nvar b = """\nif ${z}\n""";\n',
}


def styles(text: Text) -> list[Style]:
    """The style of each character of a line (however the spans are cut)."""
    out = [Style()] * len(text)
    for span in text.spans:
        for index in range(span.start, min(span.end, len(text))):
            out[index] = (
                out[index] + Style.parse(span.style)
                if isinstance(span.style, str)
                else out[index] + span.style
            )
    return out


def whole(language: str, code: str) -> list[Text]:
    """Each line of `code` highlighted as rich highlights the whole block."""
    syntax = Syntax("", language, theme="monokai", word_wrap=True, tab_size=TAB_SIZE)
    return syntax.highlight(code.expandtabs(TAB_SIZE)).split("\n")[: code.count("\n")]


def streamed(language: str, code: str, rng: random.Random) -> list[Text]:
    """The lines `CodeRows` keeps when `code` arrives in random pieces, each frame drawing the
    line in progress too; the line in progress is checked against the whole at every step."""
    rows = CodeRows(language, "monokai")
    done = 0
    while done < len(code):
        done = min(len(code), done + rng.randint(1, 12))
        *lines, partial = code[:done].split("\n")
        shown = rows.highlight(lines, partial)
        if partial:
            assert shown is not None
            assert shown.plain == partial.expandtabs(TAB_SIZE)
    return rows._texts


@pytest.mark.parametrize("language", sorted(SAMPLES))
@pytest.mark.parametrize("seed", range(5))
def test_lines_are_coloured_as_in_the_whole_block(language: str, seed: int) -> None:
    code = SAMPLES[language] * 3
    got = streamed(language, code, random.Random(seed))
    expected = whole(language, code)
    assert len(got) == len(expected)
    for number, (line, want) in enumerate(zip(got, expected, strict=True)):
        assert line.plain == want.plain, number
        assert styles(line) == styles(want), (number, line.plain)


def test_a_string_longer_than_any_context_stays_a_string() -> None:
    body = "".join(f"    if x: return {n}  # not code\n" for n in range(60))
    code = f'text = """\n{body}"""\nif x:\n    pass\n'
    got = streamed("python", code, random.Random(1))
    assert [styles(line) for line in got] == [styles(line) for line in whole("python", code)]
    assert len(set(styles(got[30])[4:])) == 1  # one colour: no keyword inside


def test_a_guessed_state_is_never_taken_for_a_known_one() -> None:
    """Lines lexed from a guess (no state known near them: inside a template literal of
    indented lines, where JavaScript's lexer starts no match at a line start) do not leave
    their guessed state for the lines after: past the literal's end and the few lines guessed
    from inside it, the code is coloured as in the whole block."""
    body = "".join(f"  <li>item {n}</li>\n" for n in range(FAR + 8))
    code = "const t = `\n" + body + "`;\n" + "".join(f"let v{n} = {n};\n" for n in range(20))
    got = streamed("javascript", code, random.Random(0))
    expected = whole("javascript", code)
    after = code[: code.index("`;")].count("\n") + CONTEXT_LINES + 1
    assert [styles(line) for line in got[after:]] == [styles(line) for line in expected[after:]]


def test_each_frame_lexes_about_its_new_lines_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lexed characters stay within a few times the block's length, also for a lexer that
    starts few matches at a line start (JavaScript's indented lines): no frame lexes the
    block from its top."""
    lexed: list[int] = []
    plain = RegexLexer.get_tokens_unprocessed

    def counting(self: RegexLexer, text: str, stack: tuple[str, ...] = ("root",)):  # type: ignore[no-untyped-def]
        lexed.append(len(text))
        return plain(self, text, stack)

    monkeypatch.setattr(RegexLexer, "get_tokens_unprocessed", counting)
    for language, line in [
        ("python", "    value = compute(1, 2)  # note\n"),
        ("javascript", "    total += compute(1, 2);\n"),
    ]:
        lexed.clear()
        code = "function f() {\n" if language == "javascript" else "def f():\n"
        code += line * 400
        rows = CodeRows(language, "monokai")
        lines = code.split("\n")[:-1]
        for count in range(1, len(lines) + 1):
            rows.highlight(lines[:count], "    to")
        assert sum(lexed) < (CONTEXT_LINES + 2) * len(code), language


# --- one row drawn without wrapping ------------------------------------------------------

ODD_LINES = [
    "",
    " ",
    "x = 1   ",
    "\u6f22\u5b57 = '\u6f22\u5b57\u6f22\u5b57'  # wide",
    "e\u0301t\u00e9 = 'caf\u0065\u0301'",
    "s = '\U0001f600\U0001f600'",
    "print(" + "a" * 70 + ")",
    "# " + "word " * 30,
    "\u200b\u200b\u200bzero = 'width'",
]


def code_themes() -> list[CodeTheme]:
    """rich's and Pygments' themes, and termchat's own (plain; another background)."""
    from termchat.render.styles import code_theme
    from termchat.themes import load_theme

    themes: list[CodeTheme] = ["monokai", "friendly", "ansi_dark", "ansi_light", "solarized-dark"]
    themes += [code_theme(load_theme(name, [])) for name in ("monochrome", "light", "default")]
    return themes


@pytest.mark.parametrize("theme", code_themes())
def test_a_line_that_fits_is_drawn_as_rich_draws_it(theme: CodeTheme) -> None:
    """`one_row` gives the segments `render_lines` gives, for every line, language and width
    it takes, and it takes each line that fits (so the comparison is not vacuous)."""
    from rich.console import Console

    from termchat.render.onerow import one_row

    console = Console(width=100, force_terminal=True, color_system="truecolor")
    rng = random.Random(7)
    under = [None, Style(), Style(bgcolor="red", bold=True)]
    taken = 0
    for language, code in [*SAMPLES.items(), ("python", "\n".join(ODD_LINES) + "\n")]:
        rows = CodeRows(language, theme)
        lines = code.expandtabs(TAB_SIZE).split("\n")[:-1]
        rows.highlight(lines)
        for text in rows._texts:
            for width in sorted({1, 2, 5, 20, 40, 98, *rng.sample(range(1, 99), 6)}):
                for fill, style in itertools.product((True, False), under):
                    style = style or rows.style  # the block's own background, as drawn
                    options = console.options.update(
                        width=width, height=None, justify="left", no_wrap=False
                    )
                    expected = console.render_lines(text, options, style=style, pad=fill)
                    row = one_row(
                        console, text, width, style, justify="left", overflow="fold", pad=fill
                    )
                    if row is not None:
                        taken += 1
                        assert [row] == expected, (text.plain, width, fill, style)
                    elif cell_fits(text.plain, width):
                        raise AssertionError(f"not taken: {text.plain!r} at {width}")
    assert taken > 500


def cell_fits(plain: str, width: int) -> bool:
    from rich.cells import cell_len

    return "\t" not in plain and len(plain) <= width and cell_len(plain) <= width
