"""The frame log: one JSON line per frame, appended when the reply ends; nothing when unset."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from termchat.accumulator import Reply
from termchat.messages import ContentDelta, Done, Stats
from termchat.render import Renderer
from termchat.render.framelog import ENV, FrameLog


def stream_reply(renderer: Renderer, pieces: list[str]) -> None:
    live = renderer.live_reply("qwen3", show_thinking=True)
    reply = Reply("qwen3")
    for piece in pieces:
        reply.feed(ContentDelta(piece))
        live.update(reply)
        live.refresh()
        live.refresh()  # nothing new: logged with 0 bytes
    reply.feed(Done(Stats(eval_count=len(pieces))))
    live.finish(reply)


def test_frame_log_records_every_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "frames.jsonl"
    monkeypatch.setenv(ENV, str(path))
    renderer = Renderer(io.StringIO(), width=60, height=20, force_terminal=True)
    stream_reply(renderer, ["Hello ", "**world**", "\n\nSecond ", "paragraph."])
    frames = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(frames) == 2 * 4 + 1  # two ticks per piece, then the final frame
    assert all(set(f) == {"start", "end", "cpu", "shown", "bytes"} for f in frames)
    assert all(f["end"] >= f["start"] and f["cpu"] >= 0 for f in frames)
    assert [f["shown"] for f in frames[::2]] == [6, 15, 24, 34, 34]
    assert all(f["bytes"] > 0 for f in frames[::2]) and not any(f["bytes"] for f in frames[1::2])


def test_frame_log_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert FrameLog.from_env() is None


def test_frame_log_unwritable_path_is_ignored(tmp_path: Path) -> None:
    log = FrameLog(tmp_path / "missing" / "frames.jsonl")
    log.record(log.now(), 1, 1)
    log.close()  # no error: a debugging aid never breaks a chat
    log.close()
