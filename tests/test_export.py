"""Tests for termchat.store.export: lossless JSON round trip, import validation, Markdown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from termchat.errors import StoreError
from termchat.messages import Message, Stats, ToolCall
from termchat.store import SessionStore
from termchat.store.export import export_json, export_markdown, import_file, import_json


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionStore]:
    with SessionStore.open(tmp_path / "sessions.db") as opened:
        yield opened


def rich_session(store: SessionStore) -> str:
    """A session using every field, with a retried reply and an undone exchange."""
    sid = store.create_session(
        "qwen3", system="Be brief.", options={"temperature": 0.3, "num_ctx": 4096}, think="high"
    ).id
    store.append_message(sid, Message("user", "Weather in Paris?", images=["aW1n"]))
    store.append_message(
        sid,
        Message(
            "assistant",
            "",
            thinking="I should call the tool.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_1", index=0)],
            model="qwen3",
            stats=Stats(done_reason="stop", eval_count=9, eval_duration=10**9),
        ),
    )
    store.append_message(
        sid, Message("tool", "21 °C, sunny", tool_name="get_weather", tool_call_id="call_1")
    )
    store.append_message(sid, Message("assistant", "It is **21 °C**.", model="qwen3"))
    store.truncate(sid, 3)  # /retry
    store.append_message(
        sid,
        Message("assistant", "Sunny and 21", interrupted=True, error="stopped", stats=Stats()),
    )
    store.append_message(sid, Message("user", "and tomorrow?"))
    store.truncate(sid, 4)  # /undo of a question never answered
    return sid


def test_export_json_has_every_field(store: SessionStore) -> None:
    sid = rich_session(store)
    data = export_json(store, sid)
    assert {"id", "title", "model", "system", "options", "think", "created_at", "updated_at"} <= (
        data.keys()
    )
    assert data["id"] == sid and data["think"] == "high" and data["system"] == "Be brief."
    assert [m["content"] for m in data["messages"]] == [
        "Weather in Paris?",
        "",
        "21 °C, sunny",
        "Sunny and 21",
    ]
    assert [m["content"] for m in data["alternatives"]] == ["It is **21 °C**.", "and tomorrow?"]
    fields = {
        "role",
        "content",
        "thinking",
        "tool_calls",
        "tool_name",
        "tool_call_id",
        "images",
        "attachments",
        "model",
        "stats",
        "interrupted",
        "error",
        "created_at",
        "seq",
        "gen",
        "parent_gen",
    }
    assert all(m.keys() == fields for m in data["messages"] + data["alternatives"])
    assert data["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"city": "Paris"}
    assert data["messages"][3]["interrupted"] is True


def test_export_import_export_is_identical(store: SessionStore) -> None:
    sid = rich_session(store)
    first = export_json(store, sid)
    new_id = import_json(store, json.loads(json.dumps(first)))
    second = export_json(store, new_id)
    assert new_id != sid
    assert {**first, "id": None} == {**second, "id": None}
    assert store.load_messages(new_id) == store.load_messages(sid)
    assert [a.message for a in store.alternatives(new_id, 3)] == [
        a.message for a in store.alternatives(sid, 3)
    ]


def test_imported_session_keeps_editing_behaviour(store: SessionStore) -> None:
    new_id = import_json(store, export_json(store, rich_session(store)))
    store.activate(new_id, 3, 0)
    assert store.load_messages(new_id)[-1].content == "It is **21 °C**."
    store.append_message(new_id, Message("user", "thanks"))
    assert len(store.load_messages(new_id)) == 5


def test_import_plain_message_list(store: SessionStore) -> None:
    new_id = import_json(
        store,
        [{"role": "user", "content": "hi there"}, {"role": "assistant", "content": "hello"}],
    )
    session = store.get_session(new_id)
    assert session.title == "hi there" and session.model == ""
    assert [m.content for m in store.load_messages(new_id)] == ["hi there", "hello"]


def test_import_file_reads_json_text(store: SessionStore) -> None:
    text = json.dumps({"model": "m", "title": "T", "messages": [{"role": "user"}]})
    assert store.get_session(import_file(store, text)).title == "T"


def _valid() -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "x"}]}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param("just text", "JSON object", id="not-an-object"),
        pytest.param({"model": "m"}, r"session\.messages must be a list", id="no-messages"),
        pytest.param({**_valid(), "format": "other"}, "format", id="wrong-format"),
        pytest.param({**_valid(), "version": 99}, "version", id="newer-version"),
        pytest.param({**_valid(), "model": 3}, r"session\.model", id="model-type"),
        pytest.param({**_valid(), "options": []}, r"session\.options", id="options-type"),
        pytest.param({**_valid(), "think": 1}, r"session\.think", id="think-type"),
        pytest.param({"messages": ["hi"]}, r"messages\[0\] must be an object", id="message-type"),
        pytest.param({"messages": [{"role": "bot"}]}, r"messages\[0\]\.role", id="role"),
        pytest.param(
            {"messages": [{"role": "user", "content": 5}]}, r"\.content", id="content-type"
        ),
        pytest.param(
            {"messages": [{"role": "user", "images": [1]}]}, r"images\[0\]", id="image-type"
        ),
        pytest.param(
            {"messages": [{"role": "assistant", "tool_calls": [{"function": "f"}]}]},
            r"tool_calls\[0\]",
            id="tool-call-shape",
        ),
        pytest.param(
            {"messages": [{"role": "user", "interrupted": "yes"}]},
            r"\.interrupted",
            id="interrupted-type",
        ),
        pytest.param(
            {"messages": [{"role": "user", "seq": True, "gen": 0}]}, r"\.seq", id="seq-bool"
        ),
        pytest.param(
            {"messages": [{"role": "user", "seq": 0}]}, r"\.gen is missing", id="gen-missing"
        ),
        pytest.param(
            {"messages": [], "alternatives": [{"role": "user"}]},
            r"alternatives\[0\]\.seq is missing",
            id="alternative-without-seq",
        ),
        pytest.param(
            {"messages": [{"role": "user", "seq": 1, "gen": 0, "parent_gen": 0}]},
            "invalid history",
            id="bad-tree",
        ),
    ],
)
def test_import_json_rejects_bad_input(store: SessionStore, data: Any, error: str) -> None:
    with pytest.raises(StoreError, match=error):
        import_json(store, data)
    assert store.list_sessions() == []


def test_import_file_rejects_non_json(store: SessionStore) -> None:
    with pytest.raises(StoreError, match="not JSON"):
        import_file(store, "{nope")


def test_export_unknown_session_raises_store_error(store: SessionStore) -> None:
    with pytest.raises(StoreError):
        export_json(store, "ffff")
    with pytest.raises(StoreError):
        export_markdown(store, "ffff")


def test_export_markdown_transcript(store: SessionStore) -> None:
    sid = rich_session(store)
    text = export_markdown(store, sid)
    assert text.startswith("# Weather in Paris?\n")
    assert "## User\n\nWeather in Paris?" in text
    assert "<details><summary>System prompt</summary>" in text
    assert "<details><summary>Reasoning</summary>\n\n```text\nI should call the tool.\n```" in text
    assert "<details><summary>Tool call: get_weather</summary>" in text
    assert '"city": "Paris"' in text
    assert "<details><summary>Tool result: get_weather</summary>\n\n```\n21 °C, sunny\n```" in text
    assert text.count("<details>") == text.count("</details>") == 4
    assert "*[reply cut short by an error]*" in text  # as `interrupted = mark` sends it
    assert "**Error:** stopped" in text
    assert "*[1 image(s) attached]*" in text
    assert "It is **21 °C**." not in text  # inactive alternatives are not in the transcript
    assert text.count("## Assistant") == 2 and "## Tool" not in text


def test_export_markdown_fences_survive_backticks_and_html(store: SessionStore) -> None:
    sid = store.create_session("m").id
    store.append_message(
        sid, Message("assistant", "ok", thinking="```python\nx = 1\n```\n</details>")
    )
    store.append_message(sid, Message("tool", "````", tool_name="<b>evil</b>"))
    text = export_markdown(store, sid)
    assert "\n````text\n```python\nx = 1\n```\n</details>\n````\n" in text
    assert "Tool result: &lt;b&gt;evil&lt;/b&gt;" in text
    assert "\n`````\n````\n`````\n" in text
