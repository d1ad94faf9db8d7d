"""Small one-line pieces of the display: footer, markers, durations, the stats figures."""

from __future__ import annotations

from rich.text import Text

from termchat.messages import Figure, Stats
from termchat.render.sanitize import name_text, sanitize


def one_line(text: str) -> str:
    """Untrusted text as a single sanitized line."""
    return " ".join(sanitize(text).split("\n")).strip()


def format_duration(nanoseconds: int | float | None) -> str:
    """`0.8 ms`, `52 ms`, `2.61 s`, `1 min 5.0 s`; an em dash when unknown."""
    if nanoseconds is None:
        return "—"
    seconds = nanoseconds / 1e9
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes:.0f} min {rest:.1f} s"


def rate(count: int | None, nanoseconds: int | None) -> str:
    """Tokens per second, `52.3 tok/s`; an em dash when unknown."""
    if count is None or not nanoseconds:
        return "—"
    return f"{count / nanoseconds * 1e9:.1f} tok/s"


def figure_text(figure: Figure | None, unit: str = "", *, digits: int = 0) -> str:
    """`76`, `~76 tokens`, `~52.3 tok/s`: an estimate is marked `~`; an em dash when unknown.

    Args:
        unit: Appended after a space; "token" is made plural when the figure is not one.
        digits: Digits after the point.
    """
    if figure is None:
        return "—"
    number = f"{'~' if figure.estimated else ''}{figure.value:.{digits}f}"
    if unit == "token" and figure.value != 1:
        unit = "tokens"
    return f"{number} {unit}" if unit else number


def tokens_text(count: int, *, estimated: bool = True) -> str:
    """`~312 tokens` (or `1 token`)."""
    return figure_text(Figure(count, estimated), "token")


def footer_text(
    model: str | None, stats: Stats | None, elapsed: float | None, number: int | None = None
) -> Text:
    """`#3 · qwen3 · 24 tokens · 52.3 tok/s · 2.6 s`, leaving out whatever is unknown.

    Args:
        model: Model name.
        stats: The reply's figures, if any (see `Stats` for the counting rule).
        elapsed: Wall-clock seconds of the reply, when the server gives no total duration.
        number: The reply's number in the conversation (for `/thinking N`).
    """
    parts: list[str] = []
    if number is not None:
        parts.append(f"#{number}")
    if model:
        parts.append(name_text(model))
    if stats is not None:
        if stats.tokens is not None:
            parts.append(figure_text(stats.tokens, "token"))
        if stats.speed is not None:
            parts.append(figure_text(stats.speed, "tok/s", digits=1))
        if stats.total_duration is not None:
            elapsed = stats.total_duration / 1e9
    if elapsed is not None:
        parts.append(f"{elapsed:.1f} s")
    if stats is not None and stats.done_reason == "length":
        parts.append("cut off at the length limit")
    if stats is not None and stats.profile:
        parts.append(f"via {name_text(stats.profile)}")
    return Text(" · ".join(parts), style="termchat.footer")


def short_source(source: str) -> str:
    """Where a tool came from, short enough for a table: a tools file by its file name
    (`file:/home/me/projects/tools.py` → `tools.py`); `builtin` and `mcp:NAME` as they are."""
    kind, _, rest = source.partition(":")
    if kind == "file" and rest:
        return name_text(rest.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1])
    return name_text(source)


def interrupted_text() -> Text:
    """The `[interrupted]` marker (a Text: as a str it would be read as markup)."""
    return Text("[interrupted]", style="termchat.interrupted")


def error_text(message: str) -> Text:
    """An untrusted error message as one line."""
    return Text(one_line(message), style="termchat.error")


def stats_rows(model: str | None, stats: Stats | None) -> list[tuple[str, str]]:
    """Every figure of a reply's timing, for `/stats` (`~`: termchat's count, see `Stats`)."""
    stats = stats or Stats()
    count = "—" if stats.prompt_eval_count is None else str(stats.prompt_eval_count)
    return [
        ("model", name_text(model) if model else "—"),
        ("done reason", one_line(stats.done_reason) if stats.done_reason else "—"),
        ("total duration", format_duration(stats.total_duration)),
        ("load duration", format_duration(stats.load_duration)),
        ("prompt tokens", count),
        ("prompt evaluation", format_duration(stats.prompt_eval_duration)),
        ("prompt speed", rate(stats.prompt_eval_count, stats.prompt_eval_duration)),
        *phase_rows(stats),
        ("answer tokens", figure_text(stats.tokens)),
        ("reasoning tokens", figure_text(stats.thinking_tokens)),
        ("answer generation", format_duration(stats.eval_duration)),
        ("answer speed", figure_text(stats.speed, "tok/s", digits=1)),
        *(
            [("profile", name_text(stats.profile)), ("server", name_text(stats.host or "—"))]
            if stats.profile
            else []
        ),
    ]


def phase_rows(stats: Stats) -> list[tuple[str, str]]:
    """The reply's time split by termchat's clock: to the first token, then the reasoning and
    the answer, each with its tokens and speed (rows only for what is known)."""
    rows: list[tuple[str, str]] = []
    if stats.first_token is not None:
        rows.append(("time to first token", format_duration(stats.first_token)))
    thinking = stats.thinking_tokens
    if stats.thinking_duration is not None and thinking is not None:
        rows.append(("reasoning phase", _phase(stats.thinking_duration, thinking)))
    answer = answer_tokens(stats)
    if stats.answer_duration is not None and answer is not None:
        rows.append(("answer phase", _phase(stats.answer_duration, answer)))
    return rows


def answer_tokens(stats: Stats) -> Figure | None:
    """Tokens of the answer alone: those generated less the counted reasoning (an estimate
    as soon as reasoning is taken off)."""
    total = stats.tokens
    if total is None or not stats.counted_thinking:
        return total
    return Figure(max(total.value - stats.counted_thinking, 0), estimated=True)


def _phase(nanoseconds: int, tokens: Figure) -> str:
    """`2.10 s · ~96 tokens · ~45.7 tok/s`."""
    parts = [format_duration(nanoseconds), figure_text(tokens, "token")]
    if nanoseconds > 0 and tokens.value:
        speed = Figure(tokens.value / nanoseconds * 1e9, tokens.estimated)
        parts.append(figure_text(speed, "tok/s", digits=1))
    return " · ".join(parts)
