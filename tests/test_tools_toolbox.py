"""The toolbox: what a call gets (run, ask, refuse), the /tools rows, MCP servers that die."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

from termchat.messages import ToolCall
from termchat.tools.policy import ApprovalAnswer, ApprovalState, Policy, parse_policies
from termchat.tools.registry import Tool, ToolRegistry
from termchat.tools.toolbox import Toolbox

FIXTURE = str(Path(__file__).with_name("mcp_server_fixture.py"))


async def _echo(arguments: dict[str, Any]) -> str:
    return f"ran with {arguments}"


def make_tool(name: str, policy: Policy = "ask") -> Tool:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    return Tool(name, f"The {name} tool.", schema, _echo, policy=policy)


def toolbox(*tools: Tool, interactive: bool = True, **policies: str) -> Toolbox:
    approvals = ApprovalState(policies=parse_policies(policies), interactive=interactive)
    return Toolbox(ToolRegistry(tools), approvals, chain_limit=3)


def test_toolbox_rows_show_the_effective_policy() -> None:
    tools = toolbox(
        make_tool("calc", "allow"), make_tool("read"), make_tool("run_shell"), make_tool("rm"),
        rm="deny", run_shell="allow",
    )  # fmt: skip
    tools.disable("calc")
    tools.remember(ToolCall("read", {}), ApprovalAnswer("always"))
    tools.remember(ToolCall("run_shell", {}), ApprovalAnswer("always"))  # never "always"
    rows = [(row.name, row.policy, row.enabled, row.description) for row in tools.rows()]
    assert rows == [
        ("calc", "allow", False, "The calc tool."),
        ("read", "allow (always)", True, "The read tool."),
        ("run_shell", "ask (every call)", True, "The run_shell tool."),
        ("rm", "deny", True, "The rm tool."),
    ]


@pytest.mark.parametrize(
    ("interactive", "assume_yes", "expected"),
    [
        pytest.param(True, False, "ask", id="prompt"),
        pytest.param(True, True, "allow (--yes)", id="prompt-yes"),
        pytest.param(False, False, "deny (no terminal to ask)", id="pipe"),
        pytest.param(False, True, "allow (--yes)", id="pipe-yes"),
    ],
)
def test_toolbox_rows_say_why_an_ask_tool_runs_or_not(
    interactive: bool, assume_yes: bool, expected: str
) -> None:
    approvals = ApprovalState(interactive=interactive, assume_yes=assume_yes)
    tools = Toolbox(ToolRegistry([make_tool("read")]), approvals)
    assert tools.rows()[0].policy == expected
    assert tools.decide(ToolCall("read", {})) == expected.split()[0]


def test_toolbox_disable_forgets_an_always_answer() -> None:
    tools = toolbox(make_tool("read"))
    call = ToolCall("read", {})
    tools.remember(call, ApprovalAnswer("always"))
    assert tools.decide(call) == "allow"
    tools.disable("read")
    tools.enable("read")
    assert tools.decide(call) == "ask"
    assert tools.rows()[0].policy == "ask"


def test_toolbox_unknown_or_disabled_tool_runs_into_an_error_result() -> None:
    tools = toolbox(make_tool("read"), make_tool("off"))
    tools.disable("off")
    for name in ("nope", "off"):
        call = ToolCall(name, {})
        assert tools.decide(call) == "allow"  # no question: the result says what went wrong
        result = asyncio.run(tools.run(call))
        assert result.error and "Available tools: read" in result.text


def test_toolbox_refusal_and_denial_tell_the_model_why() -> None:
    tools = toolbox(make_tool("rm"), rm="deny")
    call = ToolCall("rm", {"x": 1}, id="c1")
    assert tools.decide(call) == "deny"
    refused = tools.refusal(call)
    assert not refused.error and "policy: deny" in refused.text
    denied = tools.denial(call, ApprovalAnswer("deny", reason="not now"))
    assert denied.to_message().content.endswith("Reason: not now")
    assert not tools.offers_always(ToolCall("run_shell", {}))
    assert tools.offers_always(call)


def test_toolbox_edited_call_result_says_what_ran() -> None:
    tools = toolbox(make_tool("read"))
    asked = ToolCall("read", {"x": 1}, id="c1")
    edited = ToolCall("read", {"x": 2}, id="c1")
    result = asyncio.run(tools.run(edited, edited_from=asked))
    assert result.text == "(The user edited the arguments to {\"x\": 2}.)\nran with {'x': 2}"
    same = asyncio.run(tools.run(asked, edited_from=asked))
    assert same.text == "ran with {'x': 1}"


def test_toolbox_chain_limit_every_n_rounds() -> None:
    tools = toolbox(make_tool("read"))
    assert [tools.chain_limit_reached(n) for n in range(1, 7)] == [
        False, False, True, False, False, True,
    ]  # fmt: skip


def test_toolbox_mcp_server_that_dies_is_reported_once_and_its_tools_withdrawn() -> None:
    async def scenario() -> tuple[list[str], list[str], list[str], Any]:
        tools = toolbox()
        try:
            started = await tools.start_mcp(
                {
                    "fx": {"command": sys.executable, "args": [FIXTURE]},
                    "ghost": {"command": "termchat-no-such-command-xyz"},
                }
            )
            quiet = tools.lost_servers()  # the start-up problem was already shown
            await tools.run(ToolCall("exit_now", {}))
            lost = tools.lost_servers()
            assert tools.lost_servers() == []  # said once
            return started, quiet, lost, tools.schemas()
        finally:
            await tools.aclose()

    started, quiet, lost, schemas = asyncio.run(scenario())
    assert [p.split(":")[0] for p in started] == ["MCP server 'ghost' could not start"]
    assert quiet == []
    assert lost == ["MCP server 'fx' stopped (connection closed); its tools are unavailable"]
    assert schemas is None  # every fx tool is withdrawn
