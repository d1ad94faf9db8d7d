"""Profiles: `[profiles.NAME]` read and checked, `--profile`, `/profile NAME` switching servers
mid-conversation (the next request goes to the other server with its headers and key), each
reply recording where it came from, and the key never written anywhere.

Two loopback fake servers, a real SQLite file, the real renderer into a buffer.
"""

from __future__ import annotations

import io
import shlex
import sys
from pathlib import Path

import pytest
from appdriver import run_chat, write_config
from fakeserver import FakeServer
from terminal import termchat

from termchat import profiles as profiles_module
from termchat.app import ChatApp
from termchat.cli.chat import ChatOptions
from termchat.commands import run_command
from termchat.errors import ConfigError
from termchat.profiles import Profile, read_key, read_profiles
from termchat.store import SessionStore

SECRET = "sk-test-7f3a9c1e5b"


def two_servers_config(home: Path, local: FakeServer, cloud: FakeServer) -> Path:
    return write_config(
        home,
        f"""# my servers
[profiles.local]
host = "{local.url}"
model = "qwen3"

[profiles.cloud]
backend = "openai"
host = "{cloud.openai_url}"
api_key_env = "CLOUD_KEY"
model = "llama3.2"
headers = {{ X-Team = "blue" }}
options = {{ temperature = 0.25 }}
""",
    )


def table_row(text: str, name: str) -> list[str]:
    """The words of the table row whose name column is `name` (a mark `●` may come first)."""
    for line in text.splitlines():
        words = line.split()
        if name in words[:2] and "backend" not in words:
            return words
    raise AssertionError(f"no row {name!r} in {text!r}")


def test_profile_switch_mid_conversation_sends_the_next_request_to_the_other_server(
    private_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUD_KEY", SECRET)
    with FakeServer() as local, FakeServer() as cloud:
        two_servers_config(private_home, local, cloud)

        async def script(app: ChatApp, out: io.StringIO) -> None:
            local.queue_reply(content="A1 from local")
            await app.send("Q1")
            await run_command(app, "/profile")
            assert table_row(out.getvalue(), "local")[0] == "●"
            assert table_row(out.getvalue(), "cloud")[0] == "cloud"
            await run_command(app, "/profile cloud")
            assert "the next reply comes from" in out.getvalue()
            cloud.queue_reply(content="A2 from cloud")
            await app.send("Q2")
            await run_command(app, "/stats")

        run_chat(ChatOptions(profile="local"), script)
        assert len(local.chat_requests()) == 1
        (request,) = [r for r in cloud.requests if r.path == "/v1/chat/completions"]
        assert request.headers.get("authorization") == f"Bearer {SECRET}"
        assert request.headers.get("x-team") == "blue"
        body = request.body
        assert body["model"] == "llama3.2" and body["temperature"] == 0.25
        assert [(m["role"], m["content"]) for m in body["messages"]] == [
            ("user", "Q1"),
            ("assistant", "A1 from local"),
            ("user", "Q2"),
        ]
        assert not any("authorization" in r.headers for r in local.requests)

    with SessionStore.open(private_home / "sessions.db") as store:
        (summary,) = store.list_sessions()
        replies = [m for m in store.load_messages(summary.id) if m.role == "assistant"]
    origins = [(m.stats.profile, m.stats.host) for m in replies if m.stats]
    assert origins == [("local", local.url), ("cloud", cloud.openai_url)]
    exported = termchat("sessions", "export", summary.id, "-f", "json", home=private_home)
    assert exported.returncode == 0, exported.stderr
    assert '"profile": "cloud"' in exported.stdout
    for text in (exported.stdout, exported.stderr):
        assert SECRET not in text
    for path in private_home.iterdir():  # the database, its WAL, the history: nowhere
        assert SECRET.encode() not in path.read_bytes(), path


def test_profile_listing_marks_the_one_in_use_and_stats_name_the_server(
    private_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUD_KEY", SECRET)
    with FakeServer() as local, FakeServer() as cloud:
        two_servers_config(private_home, local, cloud)

        async def script(app: ChatApp, out: io.StringIO) -> None:
            await run_command(app, "/profile")
            cloud_row = table_row(out.getvalue(), "cloud")
            assert cloud_row[0] == "●" and "$CLOUD_KEY (set)" in " ".join(cloud_row)
            assert table_row(out.getvalue(), "local")[0] == "local"
            cloud.queue_reply(content="hello")
            await app.send("hi")
            await run_command(app, "/stats")
            shown = " ".join(out.getvalue().split())
            assert "profile cloud" in shown and f"server {cloud.openai_url}" in shown
            assert "via cloud" in shown  # the reply's footer

        run_chat(ChatOptions(profile="cloud"), script)


def test_profile_mistakes_are_one_clear_line(
    private_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeServer() as local, FakeServer() as cloud:
        two_servers_config(private_home, local, cloud)

        async def script(app: ChatApp, out: io.StringIO) -> None:
            await run_command(app, "/profile nowhere")
            await run_command(app, "/profile cloud")  # CLOUD_KEY is not set

        run_chat(ChatOptions(), script)
        # The same through the command line: one line, exit status 2, no traceback.
        done = termchat("--profile", "nowhere", "-p", "hi", home=private_home)
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "profiles: cloud, local" in done.stderr


@pytest.mark.parametrize(
    ("table", "said"),
    [
        pytest.param(
            {"x": {"hots": "a"}},
            "[profiles.x]: unknown key 'hots'; valid keys: backend, host, api_key_env",
            id="unknown-key",
        ),
        pytest.param({"x": {"backend": "vllm"}}, "backend must be ollama or openai", id="backend"),
        pytest.param(
            {"x": {"options": {"temprature": 1}}},
            "[profiles.x] options: unknown option 'temprature'; valid options:",
            id="option",
        ),
        pytest.param(
            {"x": {"headers": {"Authorization": "Bearer k"}}},
            "use api_key_env or api_key_cmd",
            id="secret-header",
        ),
        pytest.param(
            {"x": {"api_key_env": "A", "api_key_cmd": "pass x"}}, "not both", id="two-keys"
        ),
    ],
)
def test_read_profiles_names_file_table_key_and_choices(table: dict, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        read_profiles(table, Path("/etc/tc.toml"))
    assert said in str(caught.value) and "/etc/tc.toml" in str(caught.value)


def test_config_file_with_a_bad_profile_fails_at_start_naming_it(private_home: Path) -> None:
    write_config(private_home, '[profiles.lab]\nhost = "http://x"\nmodle = "q"\n')
    done = termchat("-m", "qwen3", "-p", "hi", home=private_home)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "[profiles.lab]: unknown key 'modle'" in done.stderr
    assert str(private_home / "config.toml") in done.stderr


def _command(code: str) -> str:
    return shlex.join([sys.executable, "-c", code])


def test_read_key_runs_the_key_command_without_a_shell() -> None:
    profile = Profile("p", api_key_cmd=_command("print('sekrit'); print('second line')"))
    assert read_key(profile, {}) == "sekrit"
    literal = Profile("p", api_key_cmd="echo $HOME; echo x")  # no shell: `$HOME;` is a word
    assert read_key(literal, {}) == "$HOME; echo x"


@pytest.mark.parametrize(
    ("command", "said"),
    [
        pytest.param(
            _command("import sys; print('sekrit'); sys.exit(3)"),
            "failed (exit status 3)",
            id="exit",
        ),
        pytest.param(_command("pass"), "printed no key", id="empty"),
        pytest.param("/nonexistent/keytool show x", "could not run", id="missing"),
        pytest.param(_command("import time; time.sleep(30)"), "took longer than", id="timeout"),
        pytest.param("pass 'unclosed", "cannot be read", id="quoting"),
    ],
)
def test_read_key_failures_are_clear_and_never_repeat_the_output(
    command: str, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profiles_module, "KEY_TIMEOUT", 0.5)
    with pytest.raises(ConfigError) as caught:
        read_key(Profile("lab", api_key_cmd=command), {})
    assert said in str(caught.value) and "Profile lab" in str(caught.value)
    assert "sekrit" not in str(caught.value)


def test_read_key_from_an_unset_variable_names_it() -> None:
    with pytest.raises(ConfigError, match=r"\$LAB_KEY is not set"):
        read_key(Profile("lab", api_key_env="LAB_KEY"), {})


def test_continue_with_a_profile_uses_its_server_and_model(private_home: Path) -> None:
    with FakeServer() as local, FakeServer() as cloud:
        two_servers_config(private_home, local, cloud)
        local.queue_reply(content="A1")
        first = termchat("--profile", "local", "-p", "Q1", home=private_home)
        assert first.returncode == 0, first.stderr
        cloud.queue_reply(content="A2")
        again = termchat(
            "--profile", "cloud", "-c", "-p", "Q2", home=private_home, env={"CLOUD_KEY": SECRET}
        )
        assert again.returncode == 0, again.stderr
        body = cloud.last_chat("/v1/chat/completions")
        assert body["model"] == "llama3.2"  # the profile's model, not the saved conversation's
        assert [m["content"] for m in body["messages"]] == ["Q1", "A1", "Q2"]
        assert len(local.chat_requests()) == 1
