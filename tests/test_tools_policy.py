"""Tests for approval decisions."""

from __future__ import annotations

from typing import Any

import pytest

from termchat.errors import ConfigError
from termchat.messages import ToolCall
from termchat.tools.policy import ApprovalAnswer, ApprovalState, Policy, parse_policies
from termchat.tools.registry import Tool


async def _noop(arguments: dict[str, Any]) -> str:
    return ""


def make_tool(name: str, policy: Policy) -> Tool:
    return Tool(name, "", {"type": "object"}, _noop, policy=policy)


@pytest.mark.parametrize(
    ("tool", "config", "interactive", "assume_yes", "always", "expected"),
    [
        pytest.param("calculator", "", True, False, False, "allow", id="default-allow"),
        pytest.param("read_file", "", True, False, False, "ask", id="default-ask"),
        pytest.param("read_file", "allow", True, False, False, "allow", id="config-allow"),
        pytest.param("calculator", "deny", True, False, False, "deny", id="config-deny"),
        pytest.param("calculator", "ask", True, False, False, "ask", id="config-ask"),
        pytest.param("run_shell", "allow", True, False, False, "ask", id="shell-always-asks"),
        pytest.param("run_shell", "", True, True, False, "ask", id="shell-asks-despite-yes"),
        pytest.param(
            "run_shell", "", True, False, True, "ask", id="shell-always-answer-still-asks"
        ),
        pytest.param("run_shell", "deny", True, False, True, "deny", id="deny-beats-always"),
        pytest.param("read_file", "", True, False, True, "allow", id="always-answer"),
        pytest.param("read_file", "", False, False, False, "deny", id="noninteractive-deny"),
        pytest.param("read_file", "", False, True, False, "allow", id="noninteractive-yes"),
        pytest.param("run_shell", "", False, False, False, "deny", id="noninteractive-shell"),
        pytest.param("run_shell", "", False, True, False, "allow", id="noninteractive-shell-yes"),
        pytest.param("read_file", "", True, True, False, "allow", id="interactive-yes"),
        pytest.param("read_file", "deny", False, True, False, "deny", id="yes-keeps-deny"),
    ],
)
def test_approval_state_decide(
    tool: str, config: str, interactive: bool, assume_yes: bool, always: bool, expected: str
) -> None:
    default: Policy = "allow" if tool == "calculator" else "ask"
    state = ApprovalState(
        policies=parse_policies({tool: config} if config else {}),
        interactive=interactive,
        assume_yes=assume_yes,
    )
    if always:
        state.apply(tool, ApprovalAnswer("always"))
    assert state.decide(make_tool(tool, default)) == expected
    assert state.effective(make_tool(tool, default)).split()[0] == expected  # what /tools says


@pytest.mark.parametrize(
    ("kind", "remembered"),
    [
        pytest.param("once", False, id="once"),
        pytest.param("always", True, id="always"),
        pytest.param("deny", False, id="deny"),
        pytest.param("edit", False, id="edit"),
    ],
)
def test_approval_state_apply_remembers_only_always(kind: Any, remembered: bool) -> None:
    state = ApprovalState()
    state.apply("read_file", ApprovalAnswer(kind))
    assert (state.decide(make_tool("read_file", "ask")) == "allow") is remembered


def test_approval_answer_denial_text_carries_reason() -> None:
    answer = ApprovalAnswer("deny", reason="  not in /etc please ")
    assert not answer.approved
    assert answer.denial_text("read_file") == (
        'The user denied the call to tool "read_file". Reason: not in /etc please'
    )
    assert ApprovalAnswer("deny").denial_text("x") == 'The user denied the call to tool "x".'


def test_parse_policies_rejects_unknown_value() -> None:
    with pytest.raises(ConfigError, match="'calculator' must be allow, ask or deny"):
        parse_policies({"calculator": "sometimes"})


def test_approval_answer_call_to_run_uses_edited_arguments() -> None:
    call = ToolCall("run_shell", {"command": "rm -rf build"}, id="c1")
    edited = ApprovalAnswer("edit", arguments={"command": "ls build"}).call_to_run(call)
    assert edited == ToolCall("run_shell", {"command": "ls build"}, id="c1")
    assert ApprovalAnswer("once").call_to_run(call) is call


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param(
            "deny", 'Tool "read_file" is not allowed in this session (policy: deny).', id="deny"
        ),
        pytest.param("", "needs the user's approval and this run is non-interactive", id="batch"),
    ],
)
def test_approval_state_refusal_text(config: str, expected: str) -> None:
    state = ApprovalState(
        policies=parse_policies({"read_file": config} if config else {}), interactive=False
    )
    tool = make_tool("read_file", "ask")
    assert state.decide(tool) == "deny"
    assert expected in state.refusal_text(tool)
