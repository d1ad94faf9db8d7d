"""Tests for settings: defaults < config.toml < environment < flags."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from termchat.config import (
    format_think,
    load_config,
    parse_option,
    parse_think,
    state_dir,
)
from termchat.errors import ConfigError
from termchat.filecheck import history_file_problem


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("on", True, id="on"),
        pytest.param("TRUE", True, id="true"),
        pytest.param("off", False, id="off"),
        pytest.param("auto", None, id="auto"),
        pytest.param("high", "high", id="level"),
        pytest.param(" Low ", "low", id="level-trimmed"),
    ],
)
def test_parse_think_values(text: str, value: object) -> None:
    assert parse_think(text) == value
    assert parse_think(format_think(parse_think(text))) == value


def test_parse_think_rejects_unknown() -> None:
    with pytest.raises(ConfigError, match="Unknown think value 'loud'"):
        parse_think("loud")


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        pytest.param("temperature", "0.2", 0.2, id="float"),
        pytest.param("num_ctx", "8192", 8192, id="int"),
        pytest.param("stop", "END|STOP", ["END", "STOP"], id="list"),
    ],
)
def test_parse_option_types(key: str, text: str, value: object) -> None:
    assert parse_option(key, text) == value


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        pytest.param("temprature", "1", "Unknown option 'temprature'", id="unknown"),
        pytest.param("num_ctx", "big", "needs a number", id="not-a-number"),
    ],
)
def test_parse_option_errors(key: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_option(key, text)


def test_load_config_file_then_env(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'model = "llama3.2"\nthink = "off"\nhide_thinking = true\n'
        '[options]\ntemperature = 0.3\n[tool_policies]\nrun_shell = "deny"\n'
    )
    config = load_config(
        path, {"TERMCHAT_MODEL": "qwen3", "OLLAMA_HOST": "10.0.0.5", "OLLAMA_API_KEY": "sk-1"}
    )
    assert config.model == "qwen3"  # env beats file
    assert config.think is False
    assert config.show_thinking is False
    assert config.options == {"temperature": 0.3}
    assert config.tool_policies == {"run_shell": "deny"}
    assert config.server_host() == "10.0.0.5"
    assert config.server_api_key() == "sk-1"
    flagged = config.with_flags(model="gemma3", host=None)
    assert flagged.model == "gemma3" and flagged.server_host() == "10.0.0.5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("model = ", "not valid TOML", id="bad-toml"),
        pytest.param("colour = 1", "Unknown setting", id="unknown-key"),
        pytest.param("model = 3", "model must be a str", id="wrong-type"),
        pytest.param('think = "sometimes"', "Unknown think value", id="bad-think"),
        pytest.param('[tool_policies]\nx = "maybe"', "allow, ask or deny", id="bad-policy"),
        pytest.param("think = 5", "Unknown think value 5", id="think-number"),
        pytest.param(
            '[options]\ntemperature = "hot"', "temperature must be a float", id="option-type"
        ),
        pytest.param("[options]\nnum_ctx = 1.5", "num_ctx must be a int", id="option-int"),
        pytest.param("tool_chain_limit = true", "not a boolean", id="limit-bool"),
        pytest.param("tool_chain_limit = 0", "at least 1", id="limit-zero"),
    ],
)
def test_load_config_errors_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, {})
    assert str(path) in str(info.value)


def test_state_dir_follows_termchat_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERMCHAT_HOME", str(tmp_path / "home"))
    assert state_dir() == tmp_path / "home"


HOSTS = {"OLLAMA_HOST": "env-host:1", "OLLAMA_API_KEY": "ollama-key", "OPENAI_API_KEY": "oa-key"}


@pytest.mark.parametrize(
    ("file", "flags", "host", "key"),
    [
        pytest.param("", {}, "env-host:1", "ollama-key", id="env-only"),
        pytest.param('host = "file-host"', {}, "env-host:1", "ollama-key", id="env-beats-file"),
        pytest.param(
            'host = "file-host"',
            {"host": "flag-host"},
            "flag-host",
            "ollama-key",
            id="flag-beats-env",
        ),
        pytest.param(
            "",
            {"backend": "openai", "host": "http://v/v1"},
            "http://v/v1",
            "oa-key",
            id="openai-flag-uses-openai-key",
        ),
        pytest.param(
            'backend = "openai"\nhost = "http://f/v1"',
            {},
            "http://f/v1",
            "oa-key",
            id="openai-file-ignores-ollama-host",
        ),
        pytest.param(
            'api_key = "file-key"',
            {"backend": "openai"},
            None,
            "oa-key",
            id="env-key-beats-file-key",
        ),
    ],
)
def test_config_server_host_and_key_precedence(
    tmp_path: Path, file: str, flags: dict[str, str], host: str | None, key: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(file)
    config = load_config(path, HOSTS).with_flags(**flags)
    assert config.server_host() == host
    assert config.server_api_key() == key


def test_config_file_key_used_when_env_has_none(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('api_key = "file-key"')
    assert load_config(path, {}).server_api_key() == "file-key"


def test_load_config_tool_env_and_fetch_allow_hosts(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'tool_env = ["EDITOR", "AWS_*"]\n'
        'fetch_allow_hosts = ["localhost:8080", "Intranet.Example.", "[::1]:9000", "10.0.0.5"]\n'
    )
    config = load_config(path, {})
    assert config.tool_env == ["EDITOR", "AWS_*"]
    assert config.fetch_allow_hosts == [
        "localhost:8080",
        "intranet.example",
        "[::1]:9000",
        "10.0.0.5",
    ]
    assert load_config(tmp_path / "none.toml", {}).tool_env == []
    assert load_config(tmp_path / "none.toml", {}).fetch_allow_hosts == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('tool_env = "PATH"', "tool_env must be a list", id="env-not-list"),
        pytest.param("tool_env = [1]", "tool_env: 1 is not a variable name", id="env-number"),
        pytest.param(
            'tool_env = ["MY VAR"]', "tool_env: 'MY VAR' is not a variable name", id="env-space"
        ),
        pytest.param('tool_env = ["A*B"]', "'A\\*B' is not a variable name", id="env-glob"),
        pytest.param(
            'fetch_allow_hosts = ["http://x/"]',
            "fetch_allow_hosts: 'http://x/' is not a host or host:port",
            id="allow-url",
        ),
        pytest.param(
            'fetch_allow_hosts = ["x:99999"]', "'x:99999' is not a host or host:port", id="port"
        ),
        pytest.param(
            'fetch_allow_hosts = ["x:"]', "'x:' is not a host or host:port", id="empty-port"
        ),
        pytest.param('fetch_allow_hosts = "x"', "fetch_allow_hosts must be a list", id="allow-str"),
    ],
)
def test_load_config_rejects_bad_tool_settings(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path, {})


@pytest.mark.parametrize(
    ("text", "mode", "field"),
    [
        pytest.param('api_key = "sk-1"', 0o644, "api_key", id="api-key-world"),
        pytest.param('api_key = "sk-1"', 0o640, "api_key", id="api-key-group"),
        pytest.param(
            '[mcp_servers.gh]\ncommand = "gh-mcp"\nenv = { GITHUB_TOKEN = "ghp_1" }',
            0o604,
            "mcp_servers.gh.env.GITHUB_TOKEN",
            id="mcp-token",
        ),
        pytest.param(
            '[mcp_servers.db]\nurl = "http://me:pw@127.0.0.1:9/mcp"',
            0o644,
            "mcp_servers.db.url",
            id="url-password",
        ),
    ],
)
def test_load_config_warns_when_others_can_read_a_secret(
    tmp_path: Path, text: str, mode: int, field: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    assert load_config(path, {}).warnings == [
        f"{path} holds a secret ({field}) and other users can read it "
        f"(permissions {mode:04o}); run: chmod 600 {path}"
    ]


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        pytest.param('api_key = "sk-1"', 0o600, id="private"),
        pytest.param('api_key = "sk-1"', 0o400, id="read-only-private"),
        pytest.param('model = "qwen3"\nkeep_alive = "5m"', 0o644, id="no-secret"),
        pytest.param('api_key = ""', 0o644, id="empty-key"),
        pytest.param('[tool_policies]\nget_token = "allow"', 0o644, id="tool-named-token"),
    ],
)
def test_load_config_no_warning_when_private_or_secret_free(
    tmp_path: Path, text: str, mode: int
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    assert load_config(path, {}).warnings == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a = " + "[" * 5000 + "]" * 5000, id="arrays"),
        pytest.param("a = " + "{b = " * 5000 + "1" + "}" * 5000, id="inline-tables"),
        pytest.param("[mcp_servers." + ".".join(["x"] * 5000) + "]\nk = 1", id="dotted-header"),
        pytest.param("[mcp_servers." + ".".join(["x"] * 40) + "]\nk = 1", id="40-levels"),
    ],
)
def test_load_config_deeply_nested_toml_is_one_line_naming_the_file(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == (
        f"Config file {path} is nested too deeply (more than 32 levels of tables)"
    )


def test_cli_deeply_nested_toml_exits_2_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA", "TERMCHAT"))}
    env["TERMCHAT_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "termchat", "sessions", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"termchat: error: Config file {tmp_path / 'config.toml'} is nested too deeply "
        "(more than 32 levels of tables)"
    ]


def test_history_file_problem_names_what_is_not_a_regular_file(tmp_path: Path) -> None:
    assert history_file_problem(tmp_path / "history") is None  # not there yet: fine
    (tmp_path / "history").write_text("")
    assert history_file_problem(tmp_path / "history") is None
    os.mkfifo(tmp_path / "fifo")
    problem = history_file_problem(tmp_path / "fifo")
    assert problem is not None and str(tmp_path / "fifo") in problem
    assert "not a regular file" in problem
    assert history_file_problem(tmp_path) is not None  # a folder
