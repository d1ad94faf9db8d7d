"""Small one-line pieces of the display: footer, markers, durations, the stats figures."""

from __future__ import annotations

from rich.text import Text

from termchat.messages import Stats
from termchat.render.sanitize import sanitize


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


def footer_text(model: str | None, stats: Stats | None, elapsed: float | None) -> Text:
    """`qwen3 · 24 tokens · 52.3 tok/s · 2.6 s`, leaving out whatever is unknown.

    Args:
        model: Model name.
        stats: The final chunk's figures, if any.
        elapsed: Wall-clock seconds of the reply; falls back to the total duration.
    """
    parts: list[str] = []
    if model:
        parts.append(one_line(model))
    if stats is not None and stats.eval_count is not None:
        parts.append(f"{stats.eval_count} token" + ("" if stats.eval_count == 1 else "s"))
    speed = stats.tokens_per_second if stats is not None else None
    if speed is not None:
        parts.append(f"{speed:.1f} tok/s")
    if elapsed is None and stats is not None and stats.total_duration is not None:
        elapsed = stats.total_duration / 1e9
    if elapsed is not None:
        parts.append(f"{elapsed:.1f} s")
    if stats is not None and stats.done_reason == "length":
        parts.append("cut off at the length limit")
    return Text(" · ".join(parts), style="termchat.footer")


def interrupted_text() -> Text:
    """The `[interrupted]` marker (a Text: as a str it would be read as markup)."""
    return Text("[interrupted]", style="termchat.interrupted")


def error_text(message: str) -> Text:
    """An untrusted error message as one line."""
    return Text(one_line(message), style="termchat.error")


def stats_rows(model: str | None, stats: Stats | None) -> list[tuple[str, str]]:
    """Every figure of a reply's timing, for `/stats`."""
    stats = stats or Stats()
    count = "—" if stats.prompt_eval_count is None else str(stats.prompt_eval_count)
    answer = "—" if stats.eval_count is None else str(stats.eval_count)
    return [
        ("model", one_line(model) if model else "—"),
        ("done reason", one_line(stats.done_reason) if stats.done_reason else "—"),
        ("total duration", format_duration(stats.total_duration)),
        ("load duration", format_duration(stats.load_duration)),
        ("prompt tokens", count),
        ("prompt evaluation", format_duration(stats.prompt_eval_duration)),
        ("prompt speed", rate(stats.prompt_eval_count, stats.prompt_eval_duration)),
        ("answer tokens", answer),
        ("answer generation", format_duration(stats.eval_duration)),
        ("answer speed", rate(stats.eval_count, stats.eval_duration)),
    ]
