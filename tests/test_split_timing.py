"""Split timing for /stats: time to first token, the reasoning and the answer, each with its
tokens and speed (termchat's clock marks, the server's counts)."""

from __future__ import annotations

from termchat.accumulator import Reply
from termchat.messages import ContentDelta, Done, Stats, ThinkingDelta
from termchat.render.parts import phase_rows, stats_rows


def test_reply_marks_become_split_timing() -> None:
    reply = Reply()
    reply.mark(10.0)  # sent
    for at, event in [
        (10.5, ThinkingDelta("Let")),
        (11.0, ThinkingDelta(" me")),
        (12.5, ContentDelta("Hi")),
        (13.0, ContentDelta(" there")),
        (13.5, Done(Stats(eval_count=6, load_duration=100_000_000))),
    ]:
        reply.feed(event)
        reply.mark(at)
    stats = reply.figures()
    assert stats is not None
    assert stats.first_token == 500_000_000
    assert stats.thinking_duration == 2_000_000_000
    assert stats.answer_duration == 1_000_000_000
    rows = dict(stats_rows("qwen3", stats))
    assert rows["load duration"] == "100 ms"
    assert rows["time to first token"] == "500 ms"
    assert rows["reasoning phase"] == "2.00 s · ~2 tokens · ~1.0 tok/s"
    assert rows["answer phase"] == "1.00 s · ~4 tokens · ~4.0 tok/s"  # 6 generated − 2 reasoning
    # Kept through the stored form.
    assert Stats.from_dict(stats.to_dict()) == stats


def test_phase_rows_without_reasoning_or_marks() -> None:
    reply = Reply()
    reply.mark(0.0)
    reply.feed(ContentDelta("Hi"))
    reply.mark(0.25)
    reply.feed(Done(Stats(eval_count=1)))
    reply.mark(0.5)
    stats = reply.figures()
    assert stats is not None
    assert [name for name, _ in phase_rows(stats)] == ["time to first token", "answer phase"]
    assert phase_rows(Stats(eval_count=3)) == []
