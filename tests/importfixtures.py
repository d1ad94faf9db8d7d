"""Small files in the layouts of other clients, written by the tests for `sessions import`.

Each builder follows its project's own schema (llm's migrations, oterm's store and upgrades,
aichat's serde_yaml session, ollama's manifest and blobs, a ChatGPT export's mapping tree).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

LLM_SCHEMA = """
CREATE TABLE _llm_migrations (name TEXT PRIMARY KEY, applied_at TEXT);
CREATE TABLE conversations (id TEXT PRIMARY KEY, name TEXT, model TEXT);
CREATE TABLE responses (
    id TEXT PRIMARY KEY, model TEXT, prompt TEXT, system TEXT, prompt_json TEXT,
    options_json TEXT, response TEXT, response_json TEXT,
    conversation_id TEXT REFERENCES conversations(id), duration_ms INTEGER,
    datetime_utc TEXT, input_tokens INTEGER, output_tokens INTEGER, token_details TEXT,
    schema_id TEXT, resolved_model TEXT);
CREATE TABLE tools (id INTEGER PRIMARY KEY, hash TEXT, name TEXT, description TEXT,
    input_schema TEXT, plugin TEXT);
CREATE TABLE tool_calls (id INTEGER PRIMARY KEY, response_id TEXT REFERENCES responses(id),
    tool_id INTEGER REFERENCES tools(id), name TEXT, arguments TEXT, tool_call_id TEXT);
CREATE TABLE tool_results (id INTEGER PRIMARY KEY, response_id TEXT REFERENCES responses(id),
    tool_id INTEGER REFERENCES tools(id), name TEXT, output TEXT, tool_call_id TEXT,
    instance_id INTEGER, exception TEXT);
CREATE TABLE parts (id INTEGER PRIMARY KEY, response_id TEXT REFERENCES responses(id),
    direction TEXT, role TEXT, part_type TEXT, "order" INTEGER, content TEXT,
    content_json TEXT, tool_call_id TEXT, server_executed INTEGER);
CREATE UNIQUE INDEX idx_parts_response_order ON parts (response_id, direction, "order");
"""


def llm_logs(path: Path) -> Path:
    """A logs.db: a zebra conversation with reasoning and a tool call, one conversation without
    responses, and one whose tool call arguments are not JSON."""
    conn = sqlite3.connect(path)
    conn.executescript(LLM_SCHEMA)
    conn.executemany(
        "INSERT INTO conversations VALUES (?, ?, ?)",
        [
            ("01zebra", "tell me about zebras", "qwen3"),
            ("02empty", "nothing here", "qwen3"),
            ("03broken", "broken call", "qwen3"),
        ],
    )
    response = (
        "INSERT INTO responses (id, model, prompt, system, response, conversation_id, "
        "duration_ms, datetime_utc, input_tokens, output_tokens, resolved_model) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    conn.executemany(
        response,
        [
            ("r1", "qwen3", "tell me about zebras", "Be brief.", "Stripes.", "01zebra",
             1500, "2025-01-02T03:04:05.000001", 12, 3, "qwen3:8b"),
            ("r2", "qwen3", "what time is it?", "Be brief.", "", "01zebra",
             200, "2025-01-02T03:05:00", None, None, None),
            ("r3", "qwen3", "", "Be brief.", "It is noon.", "01zebra",
             300, "2025-01-02T03:05:01+00:00", None, None, None),
            ("r9", "qwen3", "call it", None, "", "03broken",
             1, "2025-01-03T00:00:00", None, None, None),
        ],
    )  # fmt: skip
    conn.execute(
        'INSERT INTO parts (response_id, direction, role, part_type, "order", content) '
        "VALUES ('r1', 'output', 'assistant', 'reasoning', 0, 'They asked about zebras.')"
    )
    conn.execute("INSERT INTO tools (id, hash, name) VALUES (1, 'h', 'clock')")
    conn.execute(
        "INSERT INTO tool_calls (response_id, tool_id, name, arguments, tool_call_id) "
        "VALUES ('r2', 1, 'clock', '{\"tz\": \"UTC\"}', 'call_1'), "
        "('r9', 1, 'clock', '{not json', 'call_2')"
    )
    conn.execute(
        "INSERT INTO tool_results (response_id, tool_id, name, output, tool_call_id) "
        "VALUES ('r3', 1, 'clock', '12:00', 'call_1')"
    )
    conn.commit()
    conn.close()
    return path


OTERM_SCHEMA = """
CREATE TABLE "chat" ("id" INTEGER, "name" TEXT, "model" TEXT NOT NULL, "system" TEXT,
    "provider" TEXT DEFAULT "ollama", "parameters" TEXT DEFAULT "{}", "tools" TEXT DEFAULT "[]",
    "thinking" BOOLEAN DEFAULT 0, PRIMARY KEY("id" AUTOINCREMENT));
CREATE TABLE "message" ("id" INTEGER, "chat_id" INTEGER NOT NULL, "author" TEXT NOT NULL,
    "text" TEXT NOT NULL, "images" TEXT DEFAULT "[]", PRIMARY KEY("id" AUTOINCREMENT)
    FOREIGN KEY("chat_id") REFERENCES "chat"("id") ON DELETE CASCADE);
"""


def oterm_store(path: Path) -> Path:
    """A store.db: a cat chat (reasoning in <think>, an image) and one with an unknown author."""
    conn = sqlite3.connect(path)
    conn.executescript(OTERM_SCHEMA)
    conn.execute(
        "INSERT INTO chat (id, name, model, system, parameters, thinking) VALUES "
        "(1, 'Cats', 'llama3.2', 'You are a cat.', "
        '\'{"temperature": 0.5, "max_tokens": 100}\', 1),'
        "(2, 'Robots', 'llama3.2', NULL, '{}', 0)"
    )
    conn.executemany(
        "INSERT INTO message (chat_id, author, text, images) VALUES (?, ?, ?, ?)",
        [
            (1, "me", "hi", "[]"),
            (1, "ollama", "<think>purr thoughts</think>Meow.", "[]"),
            (1, "me", "look", '["aGVsbG8="]'),
            (2, "robot", "beep", "[]"),
        ],
    )
    conn.commit()
    conn.execute("PRAGMA user_version = 22000")  # oterm keeps its version here
    conn.close()
    return path


AICHAT_SESSION = """\
model: ollama:qwen3:8b
temperature: 0.2
messages:
- role: system
  content: You are terse.
- role: user
  content: What's the weather in Paris?
- role: tool
  content:
    tool_results:
    - call:
        name: get_weather
        arguments:
          city: Paris
        id: call_9
      output:
        temp: 18
    text: ''
    sequence: false
- role: assistant
  content: |-
    <think>
    Check the tool output.
    </think>
    It is 18 °C.
- role: user
  content:
  - type: text
    text: And this picture?
  - type: image_url
    image_url:
      url: data:image/png;base64,aGVsbG8=
- role: assistant
  content: A cat.
"""


def aichat_session(path: Path, text: str = AICHAT_SESSION) -> Path:
    """An aichat session file (serde_yaml's style)."""
    path.write_text(text, encoding="utf-8")
    return path


def _node(
    key: str, parent: str | None, children: list[str], message: dict[str, Any] | None
) -> dict[str, Any]:
    return {"id": key, "parent": parent, "children": children, "message": message}


def _message(
    key: str, role: str, content: dict[str, Any], when: float, **extra: Any
) -> dict[str, Any]:
    return {
        "id": key,
        "author": {"role": role, "name": extra.pop("name", None), "metadata": {}},
        "create_time": when,
        "content": content,
        "status": "finished_successfully",
        "recipient": extra.pop("recipient", "all"),
        "metadata": extra.pop("metadata", {}),
    }


def _text(*parts: str) -> dict[str, Any]:
    return {"content_type": "text", "parts": list(parts)}


def chatgpt_export(path: Path) -> Path:
    """conversations.json: one conversation with a regenerated reply (a branch), reasoning,
    a python tool call and its output; one whose current_node is missing."""
    t = 1_700_000_000.0
    nodes = [
        _node("root", None, ["sys"], None),
        _node("sys", "root", ["ctx"], _message("sys", "system", _text(""), t,
              metadata={"is_visually_hidden_from_conversation": True})),
        _node("ctx", "sys", ["u1"], _message("ctx", "user", {
            "content_type": "user_editable_context", "user_profile": "I am a teacher.",
            "user_instructions": "Answer in English."}, t)),
        _node("u1", "ctx", ["a1", "a1b"], _message("u1", "user", _text("Hello"), t + 1)),
        _node("a1", "u1", [], _message("a1", "assistant", _text("Hi!"), t + 2,
              metadata={"model_slug": "gpt-4o"})),
        _node("a1b", "u1", ["u2"], _message("a1b", "assistant", _text("Hello there!"), t + 3,
              metadata={"model_slug": "gpt-4o"})),
        _node("u2", "a1b", ["th"], _message("u2", "user", {
            "content_type": "multimodal_text", "parts": [
                {"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-A1"},
                "What does print(2+2) show?"]}, t + 4)),
        _node("th", "u2", ["recap"], _message("th", "assistant", {
            "content_type": "thoughts",
            "thoughts": [{"summary": "Plan", "content": "Run it in python."}],
            "source_analysis_msg_id": "x"}, t + 5, metadata={"model_slug": "o3"})),
        _node("recap", "th", ["c1"], _message("recap", "assistant", {
            "content_type": "reasoning_recap", "content": "Thought for 2 seconds"}, t + 6)),
        _node("c1", "recap", ["out"], _message("c1", "assistant", {
            "content_type": "code", "language": "unknown", "text": "print(2+2)"}, t + 7,
            recipient="python", metadata={"model_slug": "o3"})),
        _node("out", "c1", ["a2"], _message("out", "tool", {
            "content_type": "execution_output", "text": "4"}, t + 8, name="python")),
        _node("a2", "out", [], _message("a2", "assistant", _text("It prints 4."), t + 9,
              metadata={"model_slug": "o3"})),
    ]  # fmt: skip
    good = {
        "title": "Greetings and code",
        "create_time": t,
        "update_time": t + 9,
        "mapping": {node["id"]: node for node in nodes},
        "current_node": "a2",
        "conversation_id": "conv-1",
        "id": "conv-1",
        "default_model_slug": "o3",
    }
    broken = {**good, "title": "Broken", "id": "conv-2", "conversation_id": "conv-2",
              "current_node": "nowhere"}  # fmt: skip
    path.write_text(json.dumps([good, broken]), encoding="utf-8")
    return path


def ollama_saved(home: Path, messages: list[dict[str, Any]] | None) -> Path:
    """~/.ollama/models as `ollama run`'s /save mychat leaves it; the manifest's path. With
    `messages` None, a plain model (no messages layer)."""
    models = home / ".ollama" / "models"
    blobs = models / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)

    def layer(media: str, data: str) -> dict[str, Any]:
        digest = hashlib.sha256(data.encode()).hexdigest()
        (blobs / f"sha256-{digest}").write_text(data, encoding="utf-8")
        return {"mediaType": f"application/vnd.ollama.image.{media}",
                "digest": f"sha256:{digest}", "size": len(data)}  # fmt: skip

    layers = [layer("model", "GGUF…"), layer("system", "Talk like a pirate.")]
    layers.append(layer("params", json.dumps({"temperature": 0.7, "stop": ["<|end|>"]})))
    name = "plain" if messages is None else "mychat"
    host, space = ("hf.co", "someone") if messages is None else ("registry.ollama.ai", "library")
    if messages is not None:
        layers.append(layer("messages", json.dumps(messages)))
    manifest = models / "manifests" / host / space / name / "latest"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    document = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution."
                "manifest.v2+json", "config": layers[0], "layers": layers}  # fmt: skip
    manifest.write_text(json.dumps(document), encoding="utf-8")
    return manifest
