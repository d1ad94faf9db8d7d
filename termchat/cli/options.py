"""The chat command's options, declared once, and the reader that splits a command line by them.

Everything about an option is in its row of `CHAT_OPTIONS`: names, kind, metavar, help, the
`ChatOptions` field it fills and the Config setting it overrides. The typer command (and with
it `--help`) is generated from these rows in `cli.app`; `read_args` reads a command line by
them without typer, whose start-up costs about 0.2 s. This module imports nothing (not even
`dataclasses` or `typing`), because `termchat --version` is answered through it.

The rules, the same on both paths because typer is handed what `read_args` has split:

- a value option takes the next argument as its value, whatever it looks like
  (`-p -x` asks "-x", as getopt and typer do); `--name=VALUE`, `-nVALUE` and `-n=VALUE`
  attach it;
- an optional-value option (`--think [LEVEL]`, `--resume [ID]`) takes the next argument
  unless it starts with `-`; alone it means its `bare` value;
- short flags combine (`-yc`); long names are never abbreviated (`--mod` is unknown);
- the words that are not options are the prompt, joined with spaces, wherever they stand;
  after `--` everything is prompt; a first word naming a subcommand (`sessions`, `models`,
  `pull`) starts it (`-p "pull …"` asks it).
"""

from __future__ import annotations

FLAG = "flag"  # --json: on when present
VALUE = "value"  # --model NAME
OPTIONAL = "optional"  # --think [LEVEL]
LIST = "list"  # --tool NAME, repeatable: every value, in order

SUBCOMMANDS = ("sessions", "models", "pull", "config", "themes")
WORDS = "words"  # the key of the prompt words among the values `read_args` returns


class Option:
    """One option of the chat command.

    Attributes:
        names: Long name first, then the short one if any.
        dest: The `ChatOptions` field (default: the long name in snake case).
        kind: FLAG, VALUE, OPTIONAL or LIST.
        help: One line for `--help`.
        metavar: The value's placeholder in `--help` (a word, never a Python type).
        bare: The value of an OPTIONAL option given without one.
        choices: The values a VALUE option accepts (checked when the options are applied).
        config: The Config setting the option overrides ("" for none).
        sets: What a FLAG puts into that setting.
        words: The prompt words (the positional arguments) mean this option.
    """

    __slots__ = (
        "bare",
        "choices",
        "config",
        "dest",
        "help",
        "kind",
        "metavar",
        "names",
        "sets",
        "words",
    )

    def __init__(
        self,
        *names: str,
        help: str,
        kind: str = VALUE,
        dest: str = "",
        metavar: str = "",
        bare: str = "",
        choices: tuple[str, ...] = (),
        config: str = "",
        sets: bool = True,
        words: bool = False,
    ) -> None:
        self.names = names
        self.dest = dest or names[0].lstrip("-").replace("-", "_")
        self.kind = kind
        self.help = help
        self.metavar = metavar or "|".join(choices)
        self.bare = bare
        self.choices = choices
        self.config = config
        self.sets = sets
        self.words = words

    def __repr__(self) -> str:
        return f"Option{self.names!r}"

    def default(self) -> object:
        """The value when the option is not given."""
        return False if self.kind == FLAG else [] if self.kind == LIST else None


CHAT_OPTIONS: tuple[Option, ...] = (
    Option("--model", "-m", metavar="NAME", config="model", help="Model name, e.g. qwen3"),
    Option(
        "--prompt",
        "-p",
        metavar="TEXT",
        words=True,
        help="Ask one question, print the answer, exit (words after the options do the same)",
    ),
    Option(
        "--host",
        metavar="URL",
        config="host",
        help="Server address (default $OLLAMA_HOST or 127.0.0.1:11434)",
    ),
    Option(
        "--backend",
        choices=("ollama", "openai"),
        config="backend",
        help="ollama (default) or openai (a /v1 server)",
    ),
    Option(
        "--think",
        kind=OPTIONAL,
        bare="on",
        metavar="[LEVEL]",
        config="think",
        help="Ask for reasoning; LEVEL: on (the default), off, auto, low, medium, high, max",
    ),
    Option("--no-think", kind=FLAG, config="think", sets=False, help="Ask for no reasoning"),
    Option(
        "--hide-thinking",
        kind=FLAG,
        config="show_thinking",
        sets=False,
        help="Start with reasoning collapsed",
    ),
    Option(
        "--show-thinking",
        kind=FLAG,
        config="show_thinking",
        help="Show reasoning (to stderr when piped)",
    ),
    Option("--system", "-s", metavar="TEXT", config="system", help="System prompt"),
    Option(
        "--option",
        "-o",
        kind=LIST,
        metavar="KEY=VALUE",
        config="options",
        help="Model option, e.g. temperature=0.2 (repeatable)",
    ),
    Option(
        "--profile",
        metavar="NAME",
        help="Use the server setup [profiles.NAME] of the config file",
    ),
    Option(
        "--preset",
        metavar="NAME",
        help="Apply [presets.NAME] of the config file (system prompt, model, options…)",
    ),
    Option("--theme", metavar="NAME|PATH", config="theme", help="Theme name or .toml file"),
    Option("--json", kind=FLAG, help="Write one JSON object per event (non-interactive)"),
    Option(
        "--verbose",
        kind=FLAG,
        help="Add the raw detail to error messages (the server's answer, the library's words)",
    ),
    Option(
        "--tool",
        kind=LIST,
        metavar="NAME",
        config="tools",
        help="Enable a built-in tool (repeatable)",
    ),
    Option(
        "--tools-file",
        kind=LIST,
        metavar="PATH",
        config="tools_files",
        help="Python file whose functions become tools (repeatable)",
    ),
    Option("--yes", "-y", kind=FLAG, help="Approve tool calls without asking"),
    Option(
        "--continue",
        "-c",
        kind=FLAG,
        dest="continue_last",
        help="Resume the most recent conversation",
    ),
    Option(
        "--resume",
        "-r",
        kind=OPTIONAL,
        metavar="[ID]",
        help="Resume a conversation by id (or unique prefix); alone, pick one from a list",
    ),
    Option("--no-save", kind=FLAG, config="save", sets=False, help="Do not save this conversation"),
    Option("--version", "-V", kind=FLAG, help="Show the version and exit"),
)

_BY_NAME = {name: option for option in CHAT_OPTIONS for name in option.names}


class Reading:
    """A command line read by the table.

    Attributes:
        given: Each option as it came, with its value (None for a flag).
        words: The prompt words.
        rest: The arguments from the first one the table does not read on: a subcommand,
            `--help`, or a mistake (typer reads those, and words the error message).
    """

    __slots__ = ("given", "rest", "words")

    def __init__(self) -> None:
        self.given: list[tuple[Option, str | None]] = []
        self.words: list[str] = []
        self.rest: list[str] = []

    def values(self) -> dict[str, object]:
        """Every option's value by `dest` (the last one given; all of a LIST), and the words."""
        values = {option.dest: option.default() for option in CHAT_OPTIONS}
        lists: dict[str, list[str | None]] = {}
        for option, value in self.given:
            if option.kind == FLAG:
                values[option.dest] = True
            elif option.kind == LIST:
                lists.setdefault(option.dest, []).append(value)
            else:
                values[option.dest] = value
        values.update(lists)
        values[WORDS] = list(self.words)
        return values

    def spelled_out(self) -> list[str]:
        """The options read, each as `--long` or `--long=VALUE`, then the rest (the words apart).

        What typer parses: nothing left for it to interpret differently.
        """
        out = []
        for option, value in self.given:
            out.append(option.names[0] if value is None else f"{option.names[0]}={value}")
        return [*out, *self.rest]


def _is_option_like(arg: str) -> bool:
    return arg.startswith("-") and len(arg) > 1


def read_args(args: list[str]) -> Reading:
    """Read `args` by the table, up to the first argument it cannot read."""
    reading = Reading()
    index = 0
    while index < len(args):
        arg = args[index]
        following = args[index + 1] if index + 1 < len(args) else None
        if arg == "--":
            reading.words.extend(args[index + 1 :])
            break
        if not _is_option_like(arg):
            if not reading.words and arg in SUBCOMMANDS:
                reading.rest = args[index:]
                break
            reading.words.append(arg)
            index += 1
            continue
        if arg.startswith("--"):
            name, equals, attached = arg.partition("=")
            taken = _take(_BY_NAME.get(name), attached if equals else None, following)
        else:
            taken = _read_short(arg, following)
        if taken is None:
            reading.rest = args[index:]
            break
        pairs, used = taken
        reading.given.extend(pairs)
        index += 1 + used
    return reading


Taken = tuple[list[tuple[Option, str | None]], int]  # options read, following arguments used


def _take(option: Option | None, attached: str | None, following: str | None) -> Taken | None:
    """One option with its value; None when it cannot be read."""
    if option is None or (option.kind == FLAG and attached is not None):
        return None
    if option.kind == FLAG:
        return [(option, None)], 0
    if attached is not None:
        return [(option, attached)], 0
    if option.kind == OPTIONAL and (following is None or _is_option_like(following)):
        return [(option, option.bare)], 0
    if following is None:
        return None  # a value is missing
    return [(option, following)], 1


def _read_short(arg: str, following: str | None) -> Taken | None:
    """`-y`, `-yc` (flags together), `-mNAME`, `-m=NAME`, `-ycmNAME`."""
    pairs: list[tuple[Option, str | None]] = []
    for position in range(1, len(arg)):
        option = _BY_NAME.get("-" + arg[position])
        if option is None:
            return None
        if option.kind == FLAG:
            pairs.append((option, None))
            continue
        rest = arg[position + 1 :]
        attached = (rest[1:] if rest.startswith("=") else rest) if rest else None
        taken = _take(option, attached, following)
        if taken is None:
            return None
        return [*pairs, *taken[0]], taken[1]
    return pairs, 0
