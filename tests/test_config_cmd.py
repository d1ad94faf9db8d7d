"""`termchat config path | show | edit`, and what a broken config file says (run through pipes,
as a user's shell runs it)."""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path

import pytest
from terminal import termchat

from termchat.config import load_config
from termchat.settings_view import TEMPLATE


def test_config_path_prints_the_file_whether_or_not_it_exists(tmp_path: Path) -> None:
    result = termchat("config", "path", home=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"{tmp_path / 'config.toml'}\n",
        "",
    )
    (tmp_path / "config.toml").write_text("model = 3\n")  # even a broken one
    assert termchat("config", "path", home=tmp_path).stdout == f"{tmp_path / 'config.toml'}\n"


def _rows(stdout: str) -> dict[str, tuple[str, str]]:
    """`config show` lines as setting -> (value, source)."""
    rows = {}
    for line in stdout.splitlines()[2:]:
        name, value, source = re.split(r"\s{2,}", line.strip(), maxsplit=2)
        rows[name] = (value, source)
    return rows


def test_config_show_says_where_each_setting_came_from(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text(
        'model = "from-file"\ntheme = "light"\nhost = "file-host:1"\n'
        'api_key = "sk-secret-1"\n[keys]\nstop = "c-g"\n'
    )
    result = termchat(
        "--host",
        "flag-host:2",
        "-o",
        "temperature=0.5",
        "config",
        "show",
        home=tmp_path,
        env={"TERMCHAT_THEME": "solarized", "OLLAMA_HOST": "env-host:3"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Config file: {file}\n")
    rows = _rows(result.stdout)
    assert rows["model"] == ("from-file", f"config file ({file})")
    assert rows["theme"] == ("solarized", "environment ($TERMCHAT_THEME)")
    assert rows["host"] == ("flag-host:2", "command line (--host)")  # beats $OLLAMA_HOST
    assert rows["options"] == ("temperature=0.5", "command line (--option)")
    assert rows["think"] == ("auto", "default")
    for setting in ("interrupted", "continue_mode", "file_limit_kb", "image_limit_mb", "profiles"):
        assert rows[setting][1] == "default", setting  # every setting is listed
    assert rows["keys.stop"] == ("Ctrl-G", f"config file ({file})")
    assert rows["keys.toggle_thinking"] == ("Ctrl-T", "default")
    assert rows["api_key"] == ("set (not shown)", f"config file ({file})")
    assert "sk-secret-1" not in result.stdout


def test_config_show_environment_beats_the_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('host = "file-host:1"\nmodel = "m"\n')
    result = termchat(
        "config",
        "show",
        home=tmp_path,
        env={"OLLAMA_HOST": "env-host:3", "TERMCHAT_MODEL": "env-model"},
    )
    rows = _rows(result.stdout)
    assert rows["host"] == ("env-host:3", "environment ($OLLAMA_HOST)")
    assert rows["model"] == ("env-model", "environment ($TERMCHAT_MODEL)")


def test_config_show_without_a_file_says_so(tmp_path: Path) -> None:
    result = termchat("config", "show", home=tmp_path)
    assert "(not created yet: termchat config edit)" in result.stdout.splitlines()[0]
    assert _rows(result.stdout)["host"] == ("127.0.0.1:11434 (built in)", "default")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'model = "x"\nthink = = 1\n',
            "line 2, column 9: not valid TOML: Invalid value (the line: 'think = = 1')",
            id="bad-toml",
        ),
        pytest.param(
            'model = "x"\n\nmodle = "y"\n',
            "line 3: Unknown setting 'modle' (did you mean 'model'?). Known settings: api_key,",
            id="unknown-setting",
        ),
        pytest.param(
            '# keys\n[keys]\nstop = "c-g"\ntoggle_thinking = "ctrl-tt"\n',
            "line 4: [keys] toggle_thinking: 'ctrl-tt' is not a key (a key looks like c-t,",
            id="bad-key",
        ),
        pytest.param(
            '[keys]\nhide = "c-g"\n',
            "line 2: [keys] unknown action 'hide'; actions: toggle_thinking, stop, newline, editor",
            id="unknown-action",
        ),
        pytest.param(
            'keys.newline = "c-t"\n',
            "line 1: [keys] newline: 'c-t' clashes with toggle_thinking ('c-t')",
            id="clash-dotted",
        ),
        pytest.param(
            'save = true\nedit_mode = "vim"\n',
            "line 2: edit_mode must be 'emacs' or 'vi', not 'vim'",
            id="edit-mode",
        ),
        pytest.param(
            "[options]\nnum_ctx = 8192\ntemprature = 0.1\n",
            "line 3: unknown option 'temprature' in [options]; known options: frequency_penalty",
            id="option",
        ),
        pytest.param(
            'model = "x"\nbackend = "vllm"\n',
            "line 2: backend must be 'ollama' or 'openai', not 'vllm'",
            id="backend",
        ),
    ],
)
@pytest.mark.parametrize("args", [("-p", "hi"), ("config", "show"), ("sessions", "list")])
def test_broken_config_is_one_line_naming_file_line_key_and_choices(
    tmp_path: Path, text: str, expected: str, args: tuple[str, ...]
) -> None:
    file = tmp_path / "config.toml"
    file.write_text(text)
    result = termchat(*args, home=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"termchat: error: Config file {file}, {expected}")


@pytest.fixture
def editor(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A stand-in $EDITOR: each run replaces the file with the next of `edits/1`, `edits/2`…
    (none left: the file is left as it is) and counts its runs in `edits/runs`."""
    edits = tmp_path / "edits"
    edits.mkdir()
    script = tmp_path / "editor.sh"
    script.write_text(
        f'n=$(( $(cat "{edits}/runs" 2>/dev/null || echo 0) + 1 ))\n'
        f'echo $n > "{edits}/runs"\n'
        f'if [ -f "{edits}/$n" ]; then cat "{edits}/$n" > "$1"; fi\n'
    )
    return {"EDITOR": f"sh {script}"}, edits


def test_config_edit_creates_a_private_template_and_checks_the_save(
    tmp_path: Path, editor: tuple[dict[str, str], Path]
) -> None:
    env, edits = editor
    home = tmp_path / "home"
    result = termchat("config", "edit", home=home, env=env)
    file = home / "config.toml"
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"Created {file} from the template.\nSaved {file}: the settings are valid.\n"
    )
    assert file.read_text() == TEMPLATE
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert (edits / "runs").read_text().strip() == "1"


def test_config_edit_broken_save_says_why_and_edits_again(
    tmp_path: Path, editor: tuple[dict[str, str], Path]
) -> None:
    env, edits = editor
    (edits / "1").write_text('model = "qwen3"\nedit_mode = "vim"\n')
    (edits / "2").write_text('model = "qwen3"\nedit_mode = "vi"\n')
    file = tmp_path / "config.toml"
    result = termchat("config", "edit", home=tmp_path, env={**env, "VISUAL": ""}, stdin="\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"termchat: error: Config file {file}, line 2: edit_mode must be 'emacs' or 'vi', "
        "not 'vim'\n"
    )
    assert "Edit it again? [Y/n]" in result.stdout
    assert result.stdout.endswith(f"Saved {file}: the settings are valid.\n")
    assert (edits / "runs").read_text().strip() == "2"
    assert load_config(file, {}).edit_mode == "vi"


@pytest.mark.parametrize("answer", ["n\n", ""], ids=["no", "end-of-input"])
def test_config_edit_broken_save_can_be_kept(
    tmp_path: Path, editor: tuple[dict[str, str], Path], answer: str
) -> None:
    env, edits = editor
    (edits / "1").write_text("model = \n")
    result = termchat("config", "edit", home=tmp_path, env=env, stdin=answer)
    assert result.returncode == 1
    assert "not valid TOML" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.endswith("termchat will refuse it until it is fixed\n")
    assert (tmp_path / "config.toml").read_text() == "model = \n"
    assert (edits / "runs").read_text().strip() == "1"


def test_config_edit_editor_failing_or_missing_is_one_line(tmp_path: Path) -> None:
    result = termchat("config", "edit", home=tmp_path, env={"EDITOR": "false"})
    assert result.returncode == 1
    assert result.stderr.startswith("termchat: error: The editor exited with status 1")
    result = termchat("config", "edit", home=tmp_path, env={"EDITOR": "no-such-editor-xyz"})
    assert result.returncode == 1
    assert result.stderr.startswith("termchat: error: Cannot start the editor 'no-such-editor")


def test_config_template_is_valid_commented_and_uncommented(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text(TEMPLATE)
    assert load_config(file, {}).file == file
    uncommented = "\n".join(
        re.sub(r"^# ", "", line) if re.match(r"^# (\[|\w+ = )", line) else line
        for line in TEMPLATE.splitlines()
    )
    data = tomllib.loads(uncommented)
    assert {"model", "keys", "options", "edit_mode"} <= set(data)
    file.write_text(uncommented)
    config = load_config(file, {})
    assert config.model == "qwen3" and config.edit_mode == "emacs"
    assert config.keys["newline"] == ["escape enter", "c-j"]
