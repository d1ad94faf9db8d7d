"""The chat command's options: every row of the table, read by the fast path and by typer alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from termchat.cli import app as cli_app
from termchat.cli.chat import ChatOptions
from termchat.cli.options import CHAT_OPTIONS, FLAG, LIST, OPTIONAL, WORDS, Option, read_args
from termchat.config import Config
from termchat.errors import ConfigError


def fast(args: list[str]) -> dict[str, object] | None:
    """The values the fast path reads, or None when it leaves `args` to typer."""
    reading = read_args(args)
    return None if reading.rest else reading.values()


def through_typer(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The values the typer command hands to `run` for `args`."""
    seen: list[dict[str, object]] = []

    def capture(values: dict[str, object]) -> int:
        seen.append(values)
        return 0

    monkeypatch.setattr(cli_app, "run", capture)
    assert cli_app.run_typer(args) == 0
    (values,) = seen
    return values


def expected(**given: object) -> dict[str, object]:
    values = {option.dest: option.default() for option in CHAT_OPTIONS}
    values[WORDS] = []
    values.update(given)
    return values


def forms(option: Option) -> list[Any]:
    """Every way to give `option`, each with the values it must produce."""
    long, short = option.names[0], option.names[1] if len(option.names) > 1 else None
    dest = option.dest
    if option.kind == FLAG:
        cases = [([long], {dest: True})]
        if short:
            cases += [([short], {dest: True}), ([short, short], {dest: True})]
    elif option.kind == LIST:
        cases = [([long, "a=1", long, "-b"], {dest: ["a=1", "-b"]}), ([f"{long}=a"], {dest: ["a"]})]
        if short:
            cases += [([short, "a", f"{short}b", f"{short}=c"], {dest: ["a", "b", "c"]})]
    elif option.kind == OPTIONAL:
        cases = [
            ([long], {dest: option.bare}),
            ([long, "high"], {dest: "high"}),
            ([f"{long}=high"], {dest: "high"}),
            ([f"{long}="], {dest: ""}),
            ([long, "--json"], {dest: option.bare, "json": True}),
            ([long, "-y", "why", "blue"], {dest: option.bare, "yes": True, WORDS: ["why", "blue"]}),
        ]
        if short:
            cases += [([short], {dest: option.bare}), ([f"{short}abc"], {dest: "abc"})]
    else:
        cases = [
            ([long, "v"], {dest: "v"}),
            ([f"{long}=v=w"], {dest: "v=w"}),
            ([long, "-x"], {dest: "-x"}),  # the next argument, whatever it looks like
            ([long, "a", long, "b"], {dest: "b"}),  # the last one wins
        ]
        if short:
            cases += [([short, "-v"], {dest: "-v"}), ([f"{short}v"], {dest: "v"})]
            cases += [([f"{short}=-v"], {dest: "-v"}), ([f"{short}="], {dest: ""})]
    return [
        pytest.param(args, values, id=f"{dest}:{' '.join(args)}")
        for args, values in cases
        if option.dest != "version"  # typer answers it through `run`: checked end to end
    ]


ALL_FORMS = [case for option in CHAT_OPTIONS for case in forms(option)]


@pytest.mark.parametrize(("args", "values"), ALL_FORMS)
def test_chat_option_read_the_same_by_fast_path_and_typer(
    args: list[str], values: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fast(args) == expected(**values)
    assert through_typer(args, monkeypatch) == expected(**values)


@pytest.mark.parametrize(
    ("args", "values"),
    [
        pytest.param([], {}, id="nothing"),
        pytest.param(["-yc", "-mqwen3"], {"yes": True, "continue_last": True, "model": "qwen3"}),
        pytest.param(["-ycm", "qwen3"], {"yes": True, "continue_last": True, "model": "qwen3"}),
        pytest.param(["-p", "-x"], {"prompt": "-x"}, id="prompt-dash-x"),
        pytest.param(["--prompt=-x"], {"prompt": "-x"}, id="prompt-equals-dash-x"),
        pytest.param(["-p=-x"], {"prompt": "-x"}, id="short-equals-dash-x"),
        pytest.param(["-p", "--json"], {"prompt": "--json"}, id="prompt-looks-like-option"),
        pytest.param(["-m", "q", "why", "is", "it"], {"model": "q", WORDS: ["why", "is", "it"]}),
        pytest.param(["why", "-m", "q", "is"], {"model": "q", WORDS: ["why", "is"]}),
        pytest.param(["-m", "q", "--", "-x", "-m"], {"model": "q", WORDS: ["-x", "-m"]}),
        pytest.param(["--", "sessions"], {WORDS: ["sessions"]}, id="dashdash-sessions-is-a-word"),
        pytest.param(
            ["hi", "sessions"], {WORDS: ["hi", "sessions"]}, id="later-sessions-is-a-word"
        ),
        pytest.param(["-"], {WORDS: ["-"]}, id="lone-dash-is-a-word"),
        pytest.param(
            ["--think", "-r", "--no-save"], {"think": "on", "resume": "", "no_save": True}
        ),
    ],
)
def test_chat_command_lines_read_the_same_by_both(
    args: list[str], values: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fast(args) == expected(**values)
    assert through_typer(args, monkeypatch) == expected(**values)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--mod", "qwen3"], "No such option: --mod", id="no-abbreviation"),
        pytest.param(["--no", "x"], "No such option: --no", id="no-ambiguous-abbreviation"),
        pytest.param(["-m"], "Option '-m' requires an argument", id="missing-value"),
        pytest.param(["-y", "--prompt"], "Option '--prompt' requires an argument", id="missing"),
        pytest.param(["--json=yes"], "Option '--json' does not take a value", id="flag-value"),
        pytest.param(["-yz"], "No such option: -z", id="unknown-in-cluster"),
        pytest.param(["why", "-x"], "No such option: -x", id="dash-word-after-prompt"),
    ],
)
def test_chat_mistakes_left_to_typer_one_line_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fast(args) is None
    assert cli_app.run_typer(args) == 2
    err = capsys.readouterr().err
    (line,) = err.splitlines()
    assert line.startswith(f"termchat: error: {message}")


def test_chat_subcommand_reached_by_both(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TERMCHAT_HOME", str(tmp_path))
    assert read_args(["sessions", "list"]).rest == ["sessions", "list"]
    assert read_args(["-m", "x", "sessions"]).rest == ["sessions"]
    assert cli_app.run_typer(["sessions", "list", "--json"]) == 0
    assert capsys.readouterr().out == "[]\n"


def test_chat_options_prompt_words_mean_prompt() -> None:
    assert ChatOptions.from_values(expected(**{WORDS: ["why", "is", "it"]})) == ChatOptions(
        prompt="why is it"
    )
    assert ChatOptions.from_values(expected(prompt="why is it")) == ChatOptions(prompt="why is it")
    with pytest.raises(ConfigError, match="prompt was given twice"):
        ChatOptions.from_values(expected(prompt="a", **{WORDS: ["b"]}))


def configured(args: list[str], config: Config | None = None) -> Config:
    values = fast(args)
    assert values is not None
    return ChatOptions.from_values(values).configure(config or Config())


def test_chat_options_configure_settings(tmp_path: Path) -> None:
    base = Config(options={"seed": 1}, tools=["calculator"], think=True)
    config = configured(
        [
            *("-m", "q", "--host", "h:1", "--backend", "openai", "--think", "auto", "--no-save"),
            *("-o", "temperature=0.5", "--tool", "calculator", "--tool", "read_file"),
            *("--tools-file", "t.py", "-s", "be brief", "--theme", "dark", "--hide-thinking"),
        ],
        base,
    )
    assert (config.model, config.host, config.host_given, config.backend) == (
        "q",
        "h:1",
        True,
        "openai",
    )
    assert config.think is None  # `auto` overrides the configured `true`
    assert config.save is False and config.show_thinking is False
    assert config.options == {"seed": 1, "temperature": 0.5}
    assert config.tools == ["calculator", "read_file"] and config.tools_files == ["t.py"]
    assert (config.system, config.theme) == ("be brief", "dark")
    assert configured(["--think"]).think is True
    assert configured(["--think=high"]).think == "high"
    assert configured(["--no-think"]).think is False
    assert configured([]) == Config()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--think", "loudly"], "Unknown think value 'loudly'", id="think"),
        pytest.param(["--backend", "vllm"], "--backend must be ollama or openai, not 'vllm'"),
        pytest.param(["-o", "temperature"], "--option needs KEY=VALUE, not 'temperature'"),
        pytest.param(["--think", "--no-think"], "--think and --no-think contradict each other"),
        pytest.param(["--show-thinking", "--hide-thinking"], "contradict each other"),
    ],
)
def test_chat_options_bad_values_raise(args: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        configured(args)


def test_chat_options_explicit_names_the_settings_given() -> None:
    values = fast(["-m", "q", "--no-think", "-o", "seed=1", "--json", "-r", "ab"])
    assert values is not None
    options = ChatOptions.from_values(values)
    assert options.explicit == {"model", "think", "options"}
    assert (options.json, options.resume, options.show_thinking_flag) == (True, "ab", None)


def test_chat_subcommand_without_its_command_shows_its_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_app.run_typer(["sessions"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Usage: termchat sessions") and "Commands:" in err
    assert err.endswith("--yes).\n")  # ends its last line, so the shell prompt starts afresh
