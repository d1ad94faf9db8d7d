"""Presets: `[presets.NAME]` read and checked, applied to the request (system, options, think),
`{{input}}` one-shots through the pipe runner, `/preset NAME` recorded with the conversation,
and `/preset save` written into the config file and read back.

Loopback fake server, real SQLite file, the real renderer into a buffer, the real program
for the pipe.
"""

from __future__ import annotations

import io
import stat
import tomllib
from pathlib import Path

import pytest
from appdriver import run_chat, write_config
from fakeserver import FakeServer
from terminal import termchat

from termchat.app import ChatApp
from termchat.cli.chat import ChatOptions
from termchat.commands import run_command
from termchat.errors import ConfigError
from termchat.presets import Preset, preset_table, read_presets, save_preset
from termchat.store import SessionStore

REVIEW = """# presets I use
[presets.review]
system = "You review code changes."
prompt = "Review this diff; say what could break:\\n\\n{{input}}\\n\\nBe brief."
options = { temperature = 0.1, num_ctx = 8192 }
think = "off"

[presets.deep]
model = "qwen3"
think = "high"
options = { seed = 7 }
"""


def test_preset_one_shot_puts_piped_input_into_the_prompt(
    fake_server: FakeServer, private_home: Path
) -> None:
    write_config(private_home, REVIEW)
    fake_server.queue_reply(content="Looks fine.")
    diff = "--- a/x.py\n+++ b/x.py\n@@\n-x = 1\n+x = 2"
    done = termchat(
        "--host",
        fake_server.url,
        "-m",
        "qwen3",
        "--preset",
        "review",
        home=private_home,
        stdin=diff,
    )
    assert done.returncode == 0, done.stderr
    assert "Looks fine." in done.stdout
    body = fake_server.last_chat()
    assert body["messages"] == [
        {"role": "system", "content": "You review code changes."},
        {
            "role": "user",
            "content": f"Review this diff; say what could break:\n\n{diff}\n\nBe brief.",
        },
    ]
    assert body["options"] == {"temperature": 0.1, "num_ctx": 8192}
    assert body["think"] is False


def test_preset_flag_loses_to_explicit_flags(fake_server: FakeServer, private_home: Path) -> None:
    write_config(private_home, REVIEW)
    fake_server.queue_reply(content="ok")
    done = termchat(
        "--host",
        fake_server.url,
        "--preset",
        "deep",
        "-o",
        "seed=9",
        "--no-think",
        "-p",
        "hi",
        home=private_home,
    )
    assert done.returncode == 0, done.stderr
    body = fake_server.last_chat()
    assert body["model"] == "qwen3" and body["options"] == {"seed": 9} and body["think"] is False
    assert body["messages"] == [{"role": "user", "content": "hi"}]  # no template: as typed


def test_slash_preset_mid_conversation_changes_the_next_request_and_is_recorded(
    fake_server: FakeServer, private_home: Path
) -> None:
    write_config(private_home, REVIEW)

    async def script(app: ChatApp, out: io.StringIO) -> None:
        fake_server.queue_reply(content="A1")
        await app.send("Q1")
        await run_command(app, "/preset review")
        said = " ".join(out.getvalue().split())
        assert "Preset review:" in said and "applies to the first message" in said
        fake_server.queue_reply(content="A2")
        await app.send("Q2")
        await run_command(app, "/preset")
        rows = [line.split() for line in out.getvalue().splitlines()]
        assert ["●", "review"] in [row[:2] for row in rows]

    run_chat(ChatOptions(host=fake_server.url, model="qwen3"), script)
    body = fake_server.last_chat()
    assert [m["content"] for m in body["messages"]] == [
        "You review code changes.",
        "Q1",
        "A1",
        "Q2",  # the template is for the first message of a conversation only
    ]
    assert body["options"] == {"temperature": 0.1, "num_ctx": 8192} and body["think"] is False
    with SessionStore.open(private_home / "sessions.db") as store:
        (summary,) = store.list_sessions()
        assert store.session_preset(summary.id) == "review"
        record = store.get_session(summary.id)
    assert record.system == "You review code changes." and record.think is False


def test_preset_is_recorded_when_the_title_is_set_before_the_first_message(
    fake_server: FakeServer, private_home: Path
) -> None:
    write_config(private_home, REVIEW)

    async def script(app: ChatApp, out: io.StringIO) -> None:
        await run_command(app, "/title Reviews")  # saves the conversation before any message
        fake_server.queue_reply(content="A1")
        await app.send("Q1")

    run_chat(ChatOptions(host=fake_server.url, model="qwen3", preset="review"), script)
    with SessionStore.open(private_home / "sessions.db") as store:
        (summary,) = store.list_sessions()
        assert summary.title == "Reviews"
        assert store.session_preset(summary.id) == "review"


def test_preset_save_round_trip_keeps_the_file_and_applies_again(
    fake_server: FakeServer, private_home: Path
) -> None:
    path = write_config(private_home, '# my settings\ntheme = "default"  # keep me\n')
    path.chmod(0o644)

    async def save(app: ChatApp, out: io.StringIO) -> None:
        await run_command(app, '/system Answer in "French".\nTabs\there.')
        await run_command(app, "/set temperature 0.3")
        await run_command(app, "/set stop END|STOP")
        await run_command(app, "/think high")
        await run_command(app, "/preset save french")
        assert "Saved preset french" in out.getvalue()
        await run_command(app, "/preset save french")
        assert "has a preset 'french' already" in out.getvalue()
        await run_command(app, "/preset save bad.name")
        assert "use letters, digits" in out.getvalue()

    run_chat(ChatOptions(host=fake_server.url, model="qwen3"), save)
    text = path.read_text(encoding="utf-8")
    assert text.startswith('# my settings\ntheme = "default"  # keep me\n')
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (preset,) = read_presets(tomllib.loads(text)["presets"]).values()
    assert preset == Preset(
        "french",
        system='Answer in "French".\nTabs\there.',
        model="qwen3",
        options={"temperature": 0.3, "stop": ["END", "STOP"]},
        think="high",
        sets_think=True,
    )

    async def use(app: ChatApp, out: io.StringIO) -> None:
        await run_command(app, "/preset french")
        fake_server.queue_reply(content="Oui")
        await app.send("Hello")

    run_chat(ChatOptions(host=fake_server.url, model="qwen3"), use)
    body = fake_server.last_chat()
    assert body["messages"][0] == {"role": "system", "content": 'Answer in "French".\nTabs\there.'}
    assert body["options"] == {"temperature": 0.3, "stop": ["END", "STOP"]}
    assert body["think"] == "high"


def test_save_preset_refuses_a_file_it_cannot_extend(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("presets = { a = { model = 'x' } }\n", encoding="utf-8")
    table = preset_table("b", system=None, model="m", options={}, think=None, tools=[])
    with pytest.raises(ConfigError, match=r"Cannot add \[presets.b\]"):
        save_preset(path, "b", table)
    assert path.read_text(encoding="utf-8") == "presets = { a = { model = 'x' } }\n"


@pytest.mark.parametrize(
    ("table", "said"),
    [
        pytest.param(
            {"r": {"sytem": "x"}},
            "[presets.r]: unknown key 'sytem'; valid keys: system, prompt, model, options",
            id="unknown-key",
        ),
        pytest.param({"r": {"think": "maybe"}}, "[presets.r] think: Unknown think", id="think"),
        pytest.param({"r": {"tools": "shell"}}, "must be a list of tool names", id="tools"),
        pytest.param({"r": {"system": "{{input}}"}}, "put {{input}} in `prompt`", id="input"),
        pytest.param({"r": {"options": {"top_k": 0.5}}}, "top_k must be a int", id="option"),
    ],
)
def test_read_presets_names_file_table_key_and_choices(table: dict, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_presets(table, Path("/etc/tc.toml"))
    assert said in str(caught.value) and "/etc/tc.toml" in str(caught.value)


def test_unknown_preset_lists_the_known_ones(private_home: Path) -> None:
    write_config(private_home, REVIEW)
    done = termchat("--preset", "reveiw", "-p", "hi", home=private_home)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "No preset 'reveiw'" in done.stderr and "presets: deep, review" in done.stderr


def test_preset_fill_without_a_placeholder_puts_the_input_after_the_prompt() -> None:
    assert Preset("p", prompt="Summarize:").fill("text") == "Summarize:\n\ntext"
    assert Preset("p").fill("text") == "text"
    assert Preset("p", prompt="<{{input}}>").fill("a {{input}} b") == "<a {{input}} b>"
