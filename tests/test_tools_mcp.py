"""Tests for the MCP bridge against a real MCP server (tests/mcp_server_fixture.py) over stdio."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from mcp_server_fixture import server as fixture_server

from termchat.errors import ConfigError
from termchat.messages import ToolCall
from termchat.tools.mcp_bridge import (
    McpManager,
    McpServerConfig,
    child_environment,
    content_text,
    parse_mcp_servers,
)
from termchat.tools.registry import ToolRegistry
from termchat.tools.runner import ToolResult, run_tool_call

FIXTURE = str(Path(__file__).with_name("mcp_server_fixture.py"))


def fixture_config(name: str = "fx", **kwargs: Any) -> McpServerConfig:
    return McpServerConfig(name, command=sys.executable, args=(FIXTURE,), **kwargs)


async def call(registry: ToolRegistry, tool: str, **arguments: Any) -> ToolResult:
    return await run_tool_call(registry, ToolCall(tool, arguments), timeout=10)


def test_mcp_manager_stdio_tools_work_and_bad_server_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    monkeypatch.setenv("OLLAMA_API_KEY", "must-not-leak")

    async def scenario() -> None:
        async with McpManager() as manager:
            tools = await manager.start(
                [
                    fixture_config(env={"FIXTURE_SETTING": "on"}),
                    McpServerConfig("ghost", command="termchat-no-such-command-xyz"),
                ]
            )
            assert manager.problems == [
                "MCP server 'ghost' could not start: command not found: "
                "termchat-no-such-command-xyz"
            ]
            assert manager.running() == ["fx"]
            assert [t.name for t in tools] == ["add", "env_has", "fail", "exit_now"]
            assert {t.source for t in tools} == {"mcp:fx"}
            assert {t.policy for t in tools} == {"ask"}
            assert tools[0].description.startswith("Add two integers.")
            assert tools[0].parameters["required"] == ["a", "b"]
            registry = ToolRegistry(tools)
            assert (await call(registry, "add", a=2, b=40)).text == "42"
            env = {
                name: (await call(registry, "env_has", name=name)).text
                for name in ("OPENAI_API_KEY", "OLLAMA_API_KEY", "FIXTURE_SETTING", "PATH")
            }
            assert env == {
                "OPENAI_API_KEY": "unset",
                "OLLAMA_API_KEY": "unset",
                "FIXTURE_SETTING": "set",
                "PATH": "set",
            }
            failed = await call(registry, "fail", message="no such row")
            assert failed.error
            assert (
                failed.text == 'Error: tool "fail" failed: Error executing tool fail: no such row'
            )

    asyncio.run(scenario())


def test_mcp_manager_server_that_dies_gives_error_results() -> None:
    async def scenario() -> None:
        manager = McpManager()
        try:
            registry = ToolRegistry(await manager.start([fixture_config()]))
            died = await call(registry, "exit_now")
            assert died.error
            assert died.text == "Error: tool \"exit_now\" failed: MCP server 'fx' stopped"
            assert manager.problems == [
                "MCP server 'fx' stopped (connection closed); its tools are unavailable"
            ]
            after = await call(registry, "add", a=1, b=2)
            assert after.text == "Error: tool \"add\" failed: MCP server 'fx' is not running"
            assert manager.running() == []
        finally:
            await manager.aclose()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("script", "timeout", "expected"),
    [
        pytest.param(
            "import sys; sys.stdin.read()",
            0.5,
            "MCP server 'mute' could not start: TimeoutError: no answer within 0.5 s",
            id="initialize-timeout",
        ),
        pytest.param(
            "import sys; sys.stderr.write('config.yaml is missing\\n'); sys.exit(2)",
            10,
            "MCP server 'mute' could not start: MCPError: Connection closed; "
            "stderr: config.yaml is missing",
            id="exits-at-once",
        ),
    ],
)
def test_mcp_manager_server_that_never_answers(script: str, timeout: float, expected: str) -> None:
    async def scenario() -> list[str]:
        async with McpManager() as manager:
            config = McpServerConfig("mute", sys.executable, ("-c", script), timeout=timeout)
            assert await manager.start([config]) == []
            return manager.problems

    started = time.monotonic()
    assert asyncio.run(scenario()) == [expected]
    assert time.monotonic() - started < 3


def test_mcp_manager_unreachable_http_server_is_reported() -> None:
    async def scenario() -> list[str]:
        async with McpManager() as manager:
            await manager.start([McpServerConfig("remote", url="http://127.0.0.1:9/mcp")])
            return manager.problems

    problems = asyncio.run(scenario())
    assert len(problems) == 1
    assert problems[0].startswith("MCP server 'remote' could not start: ")


def test_mcp_manager_without_sdk_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)
    manager = McpManager()
    assert asyncio.run(manager.start([fixture_config("a"), fixture_config("b")])) == []
    assert manager.problems == [
        "MCP servers skipped (a, b): the mcp package is missing; "
        "install termchat[mcp] (pip install 'termchat[mcp]')"
    ]


def test_child_environment_is_minimal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    monkeypatch.setenv("RANDOM_SETTING", "1")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = child_environment(McpServerConfig("s", "srv", env={"GITHUB_TOKEN": "configured"}))
    assert "OPENAI_API_KEY" not in env
    assert "RANDOM_SETTING" not in env
    assert env["LANG"] == "C.UTF-8"
    assert env["GITHUB_TOKEN"] == "configured"


def test_mcp_stdio_server_gets_the_tool_environment_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_PAT", "SSHPASS", "MYSQL_PWD", "OLLAMA_API_KEY"):
        monkeypatch.setenv(name, "secret")
    monkeypatch.setenv("TERMCHAT_TEST_LISTED", "yes")
    monkeypatch.setenv("TERMCHAT_TEST_UNLISTED", "no")
    monkeypatch.setenv("LC_TIME", "C")
    names = ("GITHUB_PAT", "SSHPASS", "MYSQL_PWD", "OLLAMA_API_KEY", "TERMCHAT_TEST_UNLISTED")

    async def scenario() -> dict[str, str]:
        async with McpManager(tool_env=["TERMCHAT_TEST_LISTED"]) as manager:
            registry = ToolRegistry(await manager.start([fixture_config(env={"OWN": "1"})]))
            return {
                name: (await call(registry, "env_has", name=name)).text
                for name in (*names, "TERMCHAT_TEST_LISTED", "LC_TIME", "OWN")
            }

    assert asyncio.run(scenario()) == {
        **dict.fromkeys(names, "unset"),
        "TERMCHAT_TEST_LISTED": "set",
        "LC_TIME": "set",
        "OWN": "set",
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            {"command": "uvx", "args": ["srv"], "env": {"A": "1"}},
            McpServerConfig("s", "uvx", ("srv",), {"A": "1"}),
            id="stdio",
        ),
        pytest.param(
            {"url": "https://mcp.example.com/mcp", "timeout": 5},
            McpServerConfig("s", url="https://mcp.example.com/mcp", timeout=5.0),
            id="http",
        ),
    ],
)
def test_mcp_server_config_from_mapping(data: dict[str, Any], expected: McpServerConfig) -> None:
    assert parse_mcp_servers({"s": data}) == [expected]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({}, "needs either command", id="neither"),
        pytest.param({"command": "a", "url": "http://x"}, "needs either command", id="both"),
        pytest.param({"command": "a", "args": "x y"}, "args must be a list", id="args-string"),
        pytest.param({"command": "a", "env": {"A": 1}}, "env must be a table", id="env-int"),
        pytest.param({"url": "ws://x"}, "url must start with", id="scheme"),
        pytest.param({"command": "a", "comand": "b"}, "unknown key.*comand", id="typo"),
        pytest.param({"command": "a", "timeout": 0}, "timeout must be", id="timeout"),
        pytest.param({"command": ""}, "command must be", id="empty-command"),
    ],
)
def test_mcp_server_config_rejects(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=rf"\[mcp_servers\.s\].*{message}"):
        McpServerConfig.from_mapping("s", data)


def test_content_text_flattens_blocks() -> None:
    import mcp_types as types

    blocks = [
        types.TextContent(text="hello"),
        types.ImageContent(data="AAAA", mime_type="image/png"),
        types.ResourceLink(uri="file:///x", name="x"),
        types.EmbeddedResource(resource=types.TextResourceContents(uri="file:///y", text="inside")),
    ]
    assert (
        content_text(blocks) == "hello\n[image: image/png, 3 bytes]\n[resource: file:///x]\ninside"
    )
    assert content_text([], {"result": 3}) == '{"result": 3}'


def test_mcp_manager_streamable_http_server() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections wait in the backlog until uvicorn accepts them: no polling
    port = sock.getsockname()[1]
    app = fixture_server.streamable_http_app()
    http = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="on"))
    thread = threading.Thread(target=http.run, kwargs={"sockets": [sock]})
    thread.start()

    async def scenario() -> tuple[list[str], str]:
        async with McpManager() as manager:
            tools = await manager.start(
                [McpServerConfig("web", url=f"http://127.0.0.1:{port}/mcp")]
            )
            result = await call(ToolRegistry(tools), "add", a=20, b=22)
            return manager.problems, result.text

    try:
        assert asyncio.run(scenario()) == ([], "42")
    finally:
        http.should_exit = True
        thread.join()
        sock.close()
