"""LiveReply on a terminal-like console, frame by frame, against a tiny ANSI screen emulator."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from rich.cells import cell_len
from test_blocks import document, random_pieces

from termchat.accumulator import Reply
from termchat.messages import ContentDelta, Done, Event, Stats, ThinkingDelta, ToolCall, ToolCalls
from termchat.render import Renderer
from termchat.render.live import LiveReply
from termchat.render.trim import ERASE_BELOW

SYNC_BEGIN, SYNC_END = "\x1b[?2026h", "\x1b[?2026l"
NUMBER = 3  # the reply's number in its conversation
CSI = re.compile(r"\x1b\[(\??[0-9;]*)([A-Za-z])")
SGR = re.compile(r"\x1b\[[0-9;]*m")
ERASE = re.compile(r"\r\x1b\[(\d+)A" + re.escape(ERASE_BELOW))


class Screen:
    """Just enough of a terminal: printing with autowrap and wide characters, CR, LF (as the
    tty's ONLCR makes it), cursor up and right, saving and restoring the cursor, erase below,
    scrolling into a history. Any other escape sequence fails the test."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.history: list[str] = []
        self.rows: list[list[str]] = [[] for _ in range(height)]
        self.row = self.col = 0
        self.saved = (0, 0)

    def feed(self, data: str) -> None:
        pos = 0
        while pos < len(data):
            char = data[pos]
            if data.startswith(("\x1b7", "\x1b8"), pos):  # save, restore the cursor
                if data[pos + 1] == "7":
                    self.saved = (self.row, self.col)
                else:
                    self.row, self.col = self.saved
                pos += 2
                continue
            if char == "\x1b":
                match = CSI.match(data, pos)
                assert match, f"unexpected escape {data[pos : pos + 12]!r}"
                self._control(*match.groups())
                pos = match.end()
                continue
            if char == "\n":
                self.col = 0
                self._line_feed()
            elif char == "\r":
                self.col = 0
            else:
                assert ord(char) >= 0x20 and not 0x7F <= ord(char) < 0xA0, repr(char)
                self._put(char)
            pos += 1

    def _control(self, params: str, final: str) -> None:
        if final == "m" or (params in ("?2026", "?25") and final in "hl"):
            return
        if final == "A":
            self.row = max(0, self.row - int(params or 1))
            self.col = min(self.col, self.width - 1)
        elif final == "C":
            self.col = min(self.col + int(params or 1), self.width - 1)
        elif final == "J" and params in ("", "0"):
            del self.rows[self.row][self.col :]
            for index in range(self.row + 1, self.height):
                self.rows[index] = []
        elif final == "K" and params in ("", "0"):  # a code block's background to the edge
            del self.rows[self.row][self.col :]
        else:
            raise AssertionError(f"unexpected sequence {params!r}{final}")

    def _line_feed(self) -> None:
        if self.row == self.height - 1:
            self.history.append(_row_text(self.rows.pop(0)))
            self.rows.append([])
        else:
            self.row += 1

    def _put(self, char: str) -> None:
        width = cell_len(char)
        row = self.rows[self.row]
        if width == 0:
            if self.col and len(row) >= self.col:
                row[self.col - 1] += char
            return
        if self.col + width > self.width:
            self.col = 0
            self._line_feed()
            row = self.rows[self.row]
        while len(row) < self.col + width:
            row.append(" ")
        row[self.col] = char
        if width == 2:
            row[self.col + 1] = ""
        self.col += width

    def text(self) -> str:
        lines = self.history + [_row_text(row) for row in self.rows]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)


def _row_text(row: list[str]) -> str:
    return "".join(row).rstrip()


class Writes(io.StringIO):
    """A terminal stand-in that keeps each write (one write is one frame)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Run:
    out: Writes
    live: LiveReply
    reply: Reply
    clock: Clock
    width: int
    height: int
    renderer: Renderer
    toggles: dict[int, bool] = field(default_factory=dict)

    def screen(self) -> str:
        screen = Screen(self.width, self.height)
        screen.feed(self.out.getvalue())
        return screen.text()

    def scrollback_rows(self) -> list[str]:
        """Rows each frame left in the scrollback: its rows minus those the next frame erased."""
        frames = [w for w in self.out.writes if w]
        rows_per_frame: list[list[str]] = []
        erased: list[int] = []
        for frame in frames:
            assert frame.startswith(SYNC_BEGIN) and frame.endswith(SYNC_END), repr(frame[:40])
            body = frame[len(SYNC_BEGIN) : -len(SYNC_END)].replace("\x1b[?25l", "")
            body = body.replace("\x1b[?25h", "")
            match = ERASE.match(body)
            erased.append(int(match.group(1)) if match else 0)
            body = body[match.end() :] if match else body
            body = SGR.sub("", body).replace("\x1b[K", "")
            assert "\x1b[" not in body
            rows_per_frame.append(body.split("\n")[:-1])
        kept: list[str] = []
        for index, rows in enumerate(rows_per_frame):
            live = erased[index + 1] if index + 1 < len(erased) else 0
            kept.extend(row.rstrip() for row in rows[: len(rows) - live])
        return kept


def stream(
    events: list[Event],
    *,
    width: int = 60,
    height: int = 12,
    show: bool = True,
    refresh: Callable[[int], bool] = lambda index: True,
    toggles: dict[int, bool] | None = None,
    finish: bool = True,
    interrupted: bool = False,
    error: str | None = None,
) -> Run:
    out = Writes()
    clock = Clock()
    renderer = Renderer(
        out, width=width, height=height, force_terminal=True, color_system="truecolor"
    )
    live = renderer.live_reply("qwen3", show_thinking=show, clock=clock, number=NUMBER)
    reply = Reply("qwen3")
    for index, event in enumerate(events):
        if toggles and index in toggles:
            live.set_show_thinking(toggles[index])
        reply.feed(event)
        live.update(reply)
        clock.now += 0.1
        if refresh(index):
            live.refresh()
    if finish:
        if interrupted:
            reply.interrupt()
        live.finish(reply, interrupted=interrupted, error=error)
    live.stop()
    return Run(out, live, reply, clock, width, height, renderer, toggles or {})


def static(
    run: Run, *, thinking: bool = True, extra: Callable[[Renderer], None] | None = None
) -> str:
    """The reply rendered once, with the same footer."""
    r = Renderer(io.StringIO(), width=run.width, record=True, color_system=None)
    message = run.reply.to_message()
    if thinking and message.thinking.strip():
        r.thinking_full(message.thinking)
    if message.content.strip():
        r.markdown(message.content, number_code=True)
    if extra:
        extra(r)
    r.footer("qwen3", message.stats, run.clock.now - 1000.0, NUMBER)
    return "\n".join(line.rstrip() for line in r.console.export_text().rstrip("\n").split("\n"))


def chars(cls: type[ThinkingDelta] | type[ContentDelta], text: str, size: int = 3) -> list[Event]:
    return [cls(text[i : i + size]) for i in range(0, len(text), size)]


THINKING = "The user wants 17 × 23.\n17 × 20 = 340 and 17 × 3 = 51, so 340 + 51 = 391. " * 3
ANSWER = (
    "# Result\n\n17 × 23 = **391**, see [why](https://example.com/m).\n\n"
    "- first point\n- second point that is a little longer than the others\n\n"
    "```python\n" + "\n".join(f"print({i} * 17)  # 日本語 😀" for i in range(30)) + "\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\nDone."
)
DONE = Done(Stats(eval_count=96, eval_duration=2_000_000_000))


def full_events() -> list[Event]:
    return [*chars(ThinkingDelta, THINKING), *chars(ContentDelta, ANSWER), DONE]


def test_frames_are_synchronized_and_bounded() -> None:
    run = stream(full_events(), height=10)
    frames = [w for w in run.out.writes if w]
    assert frames and all(f.startswith(SYNC_BEGIN) and f.endswith(SYNC_END) for f in frames)
    heights = [int(n) for f in frames for n in re.findall(r"\x1b\[(\d+)A", f)]
    assert heights and max(heights) <= run.height - 2
    assert "\x1b[?25l" in frames[0] and frames[-1].endswith("\x1b[?25h" + SYNC_END)


def test_final_screen_and_scrollback_equal_one_render() -> None:
    run = stream(full_events())
    expected = static(run)
    assert run.screen() == expected
    assert run.scrollback_rows() == expected.split("\n")  # every row exactly once, in order


def test_refresh_without_changes_writes_nothing() -> None:
    run = stream(chars(ContentDelta, "para one\n\npara two"), finish=False)
    before = len(run.out.writes)
    run.live._stopped = False  # stream() stopped it; look at refresh alone
    run.live.refresh()
    run.live.refresh()
    assert len(run.out.writes) == before


def test_collapsed_thinking_is_one_line_then_a_summary() -> None:
    run = stream(full_events(), show=False)
    frames = [SGR.sub("", w) for w in run.out.writes]
    assert any("▸ Thinking… " in f and " tokens" in f for f in frames)
    screen = run.screen()
    thinking_tokens = len(chars(ThinkingDelta, THINKING))
    summary = (
        f"▸ Thought for {thinking_tokens * 0.1:.1f} s · ~{thinking_tokens} tokens  "
        "(/thinking 3 to show)"
    )
    assert screen.split("\n")[0] == summary
    assert "The user wants" not in screen
    assert screen == summary + "\n" + static(run, thinking=False)


def test_toggle_collapsed_to_expanded_prints_reasoning_so_far() -> None:
    events = full_events()
    run = stream(events, show=False, toggles={20: True})
    assert run.screen() == static(run)


def test_toggle_expanded_to_collapsed_leaves_nothing_of_the_reasoning() -> None:
    run = stream(full_events(), show=True, toggles={15: False})
    frames = [SGR.sub("", w) for w in run.out.writes]
    assert any("┃ The user wants" in f for f in frames[:15])  # it was shown while it streamed
    screen = run.screen().split("\n")
    assert screen[0].startswith("▸ Thought for ")
    assert not any(line.startswith(("┃", "▾")) for line in screen)
    assert run.scrollback_rows() == screen


def test_reasoning_taller_than_the_terminal_shows_its_last_rows_then_all_of_it() -> None:
    thinking = "".join(f"line {n} of the reasoning\n" for n in range(30))
    run = stream([*chars(ThinkingDelta, thinking), *chars(ContentDelta, "Answer."), DONE])
    frames = [SGR.sub("", w) for w in run.out.writes]
    assert any("▾ Thinking · " in f and " more rows above" in f for f in frames)
    heights = [int(n) for f in frames for n in re.findall(r"\x1b\[(\d+)A", f)]
    assert max(heights) <= run.height - 2
    assert run.screen() == static(run)
    assert run.scrollback_rows() == run.screen().split("\n")


@pytest.mark.parametrize(
    ("show", "note"),
    [
        pytest.param(
            False,
            "^T: reasoning will be shown from the next reply · /thinking 3 shows this one's",
            id="show",
        ),
        pytest.param(True, "^T: reasoning will be hidden from the next reply", id="hide"),
    ],
)
def test_ctrl_t_after_the_reasoning_says_it_changes_the_next_reply(show: bool, note: str) -> None:
    events = full_events()
    answer_started = len(chars(ThinkingDelta, THINKING)) + 3
    run = stream(events, show=show, toggles={answer_started: not show}, width=100)
    frames = [SGR.sub("", w) for w in run.out.writes]
    assert any(note in f for f in frames)
    assert note not in run.screen()  # a live note: gone when the reply is
    assert ("┃ The user wants" in run.screen()) is show  # this reply stays as it was


def test_interrupted_and_error_are_shown_under_the_partial_reply() -> None:
    events = chars(ContentDelta, "Partial answer\n\nstill go")
    run = stream(events, interrupted=True, error="connection reset \x1b]0;x\x07by peer")

    def markers(r: Renderer) -> None:
        r.interrupted_marker()
        r.error("connection reset by peer")

    assert run.screen() == static(run, extra=markers)


@pytest.mark.parametrize(
    "events",
    [
        pytest.param([DONE], id="empty"),
        pytest.param([*chars(ThinkingDelta, "only thinking\nhere"), DONE], id="only-thinking"),
        pytest.param(
            [
                *chars(ThinkingDelta, "I should call a tool."),
                ToolCalls((ToolCall("get_time", {}),)),
                DONE,
            ],
            id="thinking-then-tool-calls",
        ),
        pytest.param([*chars(ContentDelta, "no thinking at all"), DONE], id="no-thinking"),
        pytest.param([*chars(ThinkingDelta, "\n\n  \n"), *chars(ContentDelta, "a")], id="blank"),
        pytest.param([ContentDelta("x" * 500 + " " + "日本語😀" * 60), DONE], id="long-wide-line"),
    ],
)
def test_edge_cases(events: list[Event]) -> None:
    run = stream(events)
    assert run.screen() == static(run)
    assert run.scrollback_rows() == run.screen().split("\n")


def test_thinking_then_tool_calls_ends_the_thinking_phase() -> None:
    events = [*chars(ThinkingDelta, "hmm"), ToolCalls((ToolCall("t", {}),)), DONE]
    run = stream(events, show=False)
    assert run.screen().split("\n")[0].startswith("▸ Thought for 0.1 s · ~1 token ")


def test_stop_without_finish_erases_the_live_region_and_shows_the_cursor() -> None:
    out = Writes()
    renderer = Renderer(out, width=40, height=10, force_terminal=True, color_system="truecolor")
    live = renderer.live_reply("qwen3", show_thinking=True)
    live.refresh()  # the waiting line
    assert "qwen3" in SGR.sub("", out.getvalue())
    live.stop()
    live.stop()
    screen = Screen(40, 10)
    screen.feed(out.getvalue())
    assert screen.text() == ""
    assert out.getvalue().endswith("\x1b[?25h" + SYNC_END)


def test_without_a_terminal_the_output_is_the_same_text() -> None:
    out = io.StringIO()
    renderer = Renderer(out, width=60, record=True, color_system=None)
    clock = Clock()
    live = renderer.live_reply("qwen3", show_thinking=True, clock=clock, number=NUMBER)
    reply = Reply("qwen3")
    for event in full_events():
        reply.feed(event)
        live.update(reply)
        clock.now += 0.1
        live.refresh()
    live.finish(reply)
    run = Run(Writes(), live, reply, clock, 60, 12, renderer)
    text = "\n".join(line.rstrip() for line in renderer.console.export_text().rstrip().split("\n"))
    assert text == static(run)
    assert "\x1b" not in out.getvalue()


def test_hostile_content_reaches_the_terminal_as_text_only() -> None:
    hostile = (
        "a\x1b]52;c;aGk=\x07b \x1b[2J\x1b[H c\u202ed \x9b31m\n\n\x1b]0;t\x07```\nx\x1b[1A\n```\n"
    )
    run = stream([*chars(ThinkingDelta, "t\x1b[5mhink"), *chars(ContentDelta, hostile), DONE])
    assert run.screen() == static(run)  # the emulator fails on any unexpected sequence
    assert "\u202e" not in run.out.getvalue()


def test_terminal_resize_mid_stream() -> None:
    events = full_events()
    out = Writes()
    clock = Clock()
    renderer = Renderer(out, width=70, height=12, force_terminal=True, color_system="truecolor")
    live = renderer.live_reply("qwen3", show_thinking=True, clock=clock)
    reply = Reply("qwen3")
    erase_counts = []
    for index, event in enumerate(events):
        if index == len(events) // 2:
            renderer.console.size = (35, 12)
        reply.feed(event)
        live.update(reply)
        clock.now += 0.1
        before = len(out.writes)
        live.refresh()
        erase_counts += [int(n) for w in out.writes[before:] for n in ERASE.findall(w)]
    live.finish(reply)
    assert max(erase_counts) <= 2 * (12 - 2)  # rows that a rewrapping terminal made taller
    text = SGR.sub("", out.getvalue())
    assert "Done." in text and "second point" in text


@pytest.mark.parametrize("seed", range(40))
def test_random_streams_end_as_one_render(seed: int) -> None:
    rng = random.Random(seed)
    thinking = "\n".join(
        " ".join(
            rng.choice(["reason", "about", "日本語", "x" * rng.randint(1, 30)]) for _ in range(n)
        )
        for n in [rng.randint(0, 30) for _ in range(rng.randint(0, 4))]
    )
    content = document(rng)
    events: list[Event] = [ThinkingDelta(p) for p in random_pieces(rng, thinking)]
    events += [ContentDelta(p) for p in random_pieces(rng, content)]
    events.append(DONE)
    show = rng.random() < 0.7
    toggles = {rng.randrange(len(events)): not show} if rng.random() < 0.3 else None
    run = stream(
        events,
        width=rng.choice([30, 60, 100]),
        height=rng.choice([6, 12, 40]),
        show=show,
        refresh=lambda _: rng.random() < 0.4,
        toggles=toggles,
    )
    screen = run.screen()
    assert run.scrollback_rows() == screen.split("\n")
    if show and not toggles:
        assert screen == static(run)
    else:
        assert screen.split("\n")[-1] == static(run).split("\n")[-1]


def test_open_code_block_goes_to_scrollback_line_by_line() -> None:
    code = "\n".join(f"value_{i} = {i}" for i in range(40))
    events = chars(ContentDelta, f"```python\n{code}\n\n   \n\n```\n\nafter", size=5)
    run = stream(events, height=8)
    assert run.screen() == static(run)  # the blank lines before the closing fence are dropped
    closing = next(i for i, w in enumerate(run.out.writes) if "after" in SGR.sub("", w))
    before = SGR.sub("", "".join(run.out.writes[:closing]))
    assert before.count("value_5 = 5") >= 1  # printed while the block was still open
    rows = run.scrollback_rows()
    assert sum("value_5 = 5" in row for row in rows) == 1


def _styled_row(output: str, words: str) -> str:
    """The last row of raw output (styles kept) that shows `words`."""
    rows = [row for row in output.split("\n") if words in SGR.sub("", row)]
    assert rows, words
    row = rows[-1]
    row = row[row.rfind("\r") + 1 :].replace(ERASE_BELOW, "")
    return re.sub(r"\x1b\[\d*A", "", row).replace("\x1b[K", "")


@pytest.mark.parametrize("size", [1, 7, 40])
def test_streamed_code_is_coloured_as_the_whole_block_is(size: int) -> None:
    """Each code line printed while its block grows has the colours the whole block gives it:
    the lines deep inside a multi-line string stay string-coloured (keywords in it are not
    keywords), however far the string began and however the lines arrive."""
    body = "".join(f"{word} if else return for while def class\n" for word in "abcdefgh")
    code = f'x = 1\ntext = """first\n{body}"""\ny = {{"k": 2}}  # done\n'
    events = chars(ContentDelta, f"```python\n{code}```\n\nafter", size=size)
    run = stream(events, width=70, height=8)
    whole = Renderer(io.StringIO(), width=70, force_terminal=True, color_system="truecolor")
    whole.markdown(run.reply.to_message().content, number_code=True)
    expected = whole.console.file.getvalue()  # type: ignore[attr-defined]
    for line in ["x = 1", *body.splitlines(), 'y = {"k": 2}']:
        assert _styled_row(run.out.getvalue(), line) == _styled_row(expected, line), line
