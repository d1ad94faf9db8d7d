"""Approval policy: which tool calls run at once, which are asked about, which are refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, get_args

from termchat.errors import ConfigError
from termchat.messages import ToolCall

Policy = Literal["allow", "ask", "deny"]
"""A tool's policy, as written in the config (`[tool_policies]`) or set as a tool's default."""


class Governed(Protocol):
    """What a decision needs to know of a tool (registry.Tool has both)."""

    @property
    def name(self) -> str: ...
    @property
    def policy(self) -> Policy: ...


POLICIES: tuple[Policy, ...] = get_args(Policy)

ALWAYS_ASK: frozenset[str] = frozenset({"run_shell"})
"""Tools that ask before every call even when configured `allow`, until answered "always"."""

AnswerKind = Literal["once", "always", "deny", "edit"]


@dataclass(frozen=True)
class ApprovalAnswer:
    """What the user answered at the approval prompt.

    Attributes:
        kind: `once` (y), `always` (a: this tool, this session), `deny` (n) or `edit` (e: run
            once with `arguments` instead of the model's).
        reason: For `deny`, an optional reason that goes back to the model.
        arguments: For `edit`, the edited JSON arguments.
    """

    kind: AnswerKind
    reason: str = ""
    arguments: dict[str, Any] | None = None

    @property
    def approved(self) -> bool:
        """True when the call should run."""
        return self.kind != "deny"

    def call_to_run(self, call: ToolCall) -> ToolCall:
        """The call as it should run: with the edited arguments for `edit`, else unchanged."""
        if self.kind == "edit" and self.arguments is not None:
            return replace(call, arguments=dict(self.arguments))
        return call

    def denial_text(self, tool_name: str) -> str:
        """The tool result sent to the model when the call was denied."""
        text = f'The user denied the call to tool "{tool_name}".'
        if self.reason.strip():
            text += f" Reason: {self.reason.strip()}"
        return text


def parse_policies(mapping: Mapping[str, Any]) -> dict[str, Policy]:
    """Check a `[tool_policies]` table.

    Args:
        mapping: Tool name to policy string.

    Raises:
        ConfigError: A value is not allow, ask or deny.
    """
    policies: dict[str, Policy] = {}
    for name, value in mapping.items():
        if value not in POLICIES:
            raise ConfigError(f"tool policy for {name!r} must be allow, ask or deny, not {value!r}")
        policies[str(name)] = value
    return policies


@dataclass
class ApprovalState:
    """Per-tool policies from the config plus what the user allowed during this session.

    `decide` applies, in order:

    1. the configured policy (or the tool's default) is `deny` → deny;
    2. the user answered "always" for this tool this session → allow;
    3. the tool is in `ALWAYS_ASK` (run_shell) → ask, even when configured `allow`;
    4. `allow` → allow;
    5. `ask` → ask when interactive; without a terminal, deny unless `assume_yes` (`--yes`).

    With `assume_yes` in an interactive session, `ask` tools run without asking, except the
    `ALWAYS_ASK` ones, which still ask.
    """

    policies: dict[str, Policy] = field(default_factory=dict)
    interactive: bool = True
    assume_yes: bool = False
    always: set[str] = field(default_factory=set)

    def configured(self, tool: Governed) -> Policy:
        """The policy from the config, else the tool's default."""
        return self.policies.get(tool.name, tool.policy)

    def decide(self, tool: Governed) -> Policy:
        """Whether a call to `tool` runs now (allow), needs the user (ask) or is refused (deny)."""
        return self._decide(tool)[0]

    def effective(self, tool: Governed) -> str:
        """What `decide` says now, with why when it is not simply the configured policy: what
        `/tools` shows, e.g. `allow (always)` after the user answered "always"."""
        policy, why = self._decide(tool)
        return f"{policy} ({why})" if why else policy

    def _decide(self, tool: Governed) -> tuple[Policy, str]:
        policy = self.configured(tool)
        if policy == "deny":
            return "deny", ""
        if tool.name in self.always:
            return "allow", "always"
        every_call = tool.name in ALWAYS_ASK
        if policy == "allow" and not every_call:
            return "allow", ""
        if not self.interactive:
            return ("allow", "--yes") if self.assume_yes else ("deny", "no terminal to ask")
        if self.assume_yes and not every_call:
            return "allow", "--yes"
        return "ask", "every call" if every_call else ""

    def offers_always(self, tool_name: str) -> bool:
        """False for tools that ask before every call (run_shell): "always" is not offered."""
        return tool_name not in ALWAYS_ASK

    def refusal_text(self, tool: Governed) -> str:
        """The tool result sent to the model when `decide` said deny."""
        if self.configured(tool) == "deny":
            return f'Tool "{tool.name}" is not allowed in this session (policy: deny).'
        return (
            f'Tool "{tool.name}" needs the user\'s approval and this run is non-interactive, '
            "so the call was refused (the user can allow it with --yes)."
        )

    def apply(self, tool_name: str, answer: ApprovalAnswer) -> None:
        """Remember an answer: "always" allows the tool for the rest of the session (never for
        an ALWAYS_ASK tool such as run_shell, which asks before every call)."""
        if answer.kind == "always" and tool_name not in ALWAYS_ASK:
            self.always.add(tool_name)

    def forget(self, tool_name: str) -> None:
        """Drop an "always" answer (e.g. when the tool is disabled)."""
        self.always.discard(tool_name)
