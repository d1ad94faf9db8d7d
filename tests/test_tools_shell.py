"""Tests for run_shell's confinement: a clean environment, nothing left running, bounded output."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeserver import FakeServer

import termchat
from termchat.errors import ToolError
from termchat.tools import reaper
from termchat.tools.builtins import builtin_tools
from termchat.tools.process import tool_environment

SECRETS = {
    "OLLAMA_API_KEY": "ollama-secret-1",
    "OPENAI_API_KEY": "sk-secret-2",
    "GITHUB_PAT": "ghp_secret3",
    "SSHPASS": "secret-4",
    "MYSQL_PWD": "secret-5",
    "DATABASE_URL": "postgres://me:secret-6@db/x",
}

# Every way a command can leave a process behind; each writes the pid to watch into a file.
SPAWN = (
    "sleep 300 & echo $! > bg.pid; "  # a background child that also holds stdout
    "nohup sleep 300 >/dev/null 2>&1 & echo $! > nohup.pid; "
    "setsid sleep 300 >/dev/null 2>&1 & echo $! > setsid.pid; "
    "(sleep 300 >/dev/null 2>&1 & echo $! > double.pid); "  # double fork: the parent is gone
    "(setsid sleep 300 >/dev/null 2>&1 & echo $! > setsid-double.pid); "
)
PACKAGE_ROOT = str(Path(termchat.__file__).resolve().parents[1])
SPAWNED = ("bg", "nohup", "setsid", "double", "setsid-double")


def shell(workdir: Path, command: str, **options: object) -> str:
    tool = builtin_tools(workdir, **options)["run_shell"]  # type: ignore[arg-type]
    return asyncio.run(tool({"command": command}))


def is_running(pid: int) -> bool:
    """True while `pid` is a live (not zombie) `sleep` or `sh`."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False
    running = stat.rsplit(")", 1)[1].split()[0] != "Z"
    return running and (command.startswith(b"sleep") or b"sh" in command.split(b"\0")[0])


def survivors(pids: dict[str, int], within: float = 10.0) -> list[str]:
    """The names whose process is still running once `within` seconds have passed (or none is)."""
    deadline = time.monotonic() + within
    while True:
        left = [name for name, pid in pids.items() if is_running(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def read_pids(workdir: Path, names: tuple[str, ...]) -> dict[str, int]:
    return {name: int((workdir / f"{name}.pid").read_text()) for name in names}


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A working directory; processes whose pids a test wrote there are killed afterwards."""
    yield tmp_path
    for pid_file in tmp_path.glob("*.pid"):
        pid = int(pid_file.read_text() or 0)
        if pid > 0 and is_running(pid):  # only a failing test leaves one
            os.kill(pid, signal.SIGKILL)


def test_tool_environment_keeps_only_listed_names() -> None:
    env = {
        **SECRETS,
        "PATH": "/bin",
        "HOME": "/home/u",
        "LANG": "C.UTF-8",
        "LC_ALL": "C",
        "AWS_REGION": "eu",
        "AWS_SECRET_ACCESS_KEY": "s",
        "EDITOR": "vi",
    }
    assert tool_environment(environ=env) == {
        "PATH": "/bin",
        "HOME": "/home/u",
        "LANG": "C.UTF-8",
        "LC_ALL": "C",
    }
    assert tool_environment(["EDITOR", "AWS_REG*"], env) == {
        "PATH": "/bin",
        "HOME": "/home/u",
        "LANG": "C.UTF-8",
        "LC_ALL": "C",
        "EDITOR": "vi",
        "AWS_REGION": "eu",
    }


def test_run_shell_gets_an_allow_listed_environment(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TERMCHAT_TEST_UNLISTED", "plain")
    monkeypatch.setenv("LC_TIME", "C")
    output = shell(workdir, "env")
    names = {line.split("=", 1)[0] for line in output.splitlines()[1:] if "=" in line}
    assert not any(value in output for value in SECRETS.values())
    assert "TERMCHAT_TEST_UNLISTED" not in names
    assert {"PATH", "HOME", "LC_TIME"} <= names
    allowed = {"PATH", "HOME", "LANG", "TERM", "USER", "LOGNAME", "SHELL", "TMPDIR"}
    # the locale (LC_*, e.g. the LC_CTYPE Python sets under the C locale) passes; nothing else
    extra = {
        n for n in names - allowed - {"PWD", "SHLVL", "_", "OLDPWD"} if not n.startswith("LC_")
    }
    assert extra == {"TERMCHAT_TOOL_RUN"}


def test_run_shell_passes_names_listed_in_tool_env(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERMCHAT_TEST_LISTED", "yes")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    output = shell(
        workdir,
        'echo "[$TERMCHAT_TEST_LISTED][$OPENAI_API_KEY]"',
        tool_env=["TERMCHAT_TEST_LISTED"],
    )
    assert output == "exit status: 0\n[yes][]\n"


def test_run_shell_finished_command_with_background_child_is_finished(workdir: Path) -> None:
    started = time.monotonic()
    output = shell(workdir, "echo hi; sleep 300 & echo $! > bg.pid", shell_timeout=20)
    assert time.monotonic() - started < 10  # not the 20 s timeout
    assert output == (
        "exit status: 0\nhi\n[stopped 1 process the command left running in the background]"
    )
    assert survivors(read_pids(workdir, ("bg",))) == []


def test_run_shell_leaves_nothing_running(workdir: Path) -> None:
    output = shell(workdir, SPAWN + "echo done")
    assert output.startswith("exit status: 0\ndone\n")
    assert survivors(read_pids(workdir, SPAWNED)) == []


def test_run_shell_timeout_stops_everything(workdir: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ToolError, match=r"timed out after 1 s.*\nbefore"):
        shell(workdir, SPAWN + "echo before; echo $$ > sh.pid; sleep 300", shell_timeout=1)
    assert time.monotonic() - started < 10
    assert survivors(read_pids(workdir, (*SPAWNED, "sh"))) == []


def test_run_shell_cancelled_stops_everything(workdir: Path) -> None:
    tool = builtin_tools(workdir)["run_shell"]

    async def cancel_when_ready() -> None:
        task = asyncio.create_task(tool({"command": SPAWN + "echo $$ > sh.pid; sleep 300"}))
        while not (workdir / "sh.pid").exists():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_when_ready())
    assert survivors(read_pids(workdir, (*SPAWNED, "sh"))) == []


def test_run_shell_fast_output_stops_at_the_cap(workdir: Path) -> None:
    started = time.monotonic()
    output = shell(workdir, "echo $$ > sh.pid; exec yes", shell_output_cap=1000, shell_timeout=20)
    assert time.monotonic() - started < 10
    assert output == (
        "stopped: the command wrote more than 1000 bytes of output\n"
        + "y\n" * 500
        + "[output cut: showing the first 1000 bytes]"
    )
    assert survivors(read_pids(workdir, ("sh",))) == []


def test_run_shell_output_under_the_cap_is_whole(workdir: Path) -> None:
    assert shell(workdir, "yes | head -c 1000", shell_output_cap=1000) == (
        "exit status: 0\n" + "y\n" * 500
    )


def test_reaper_watch_stops_a_run_only_without_done() -> None:
    token = "test-" + os.urandom(4).hex()
    env = {"PATH": os.environ["PATH"], reaper.MARKER: token}
    child = subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)
    try:
        assert reaper.watch(token, iter([f"{child.pid}\n".encode(), b"done\n"])) is True
        assert child.poll() is None
        assert reaper.watch(token, iter([])) is False
        assert child.wait(10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_kill_9_of_termchat_mid_tool_kills_the_tool(
    workdir: Path, fake_server: FakeServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.mktemp("home")
    command = SPAWN + "echo $$ > sh.pid; sleep 300 & echo $! > fg.pid; touch ready; wait"
    env = {**os.environ, "TERMCHAT_HOME": str(home), "PYTHONPATH": PACKAGE_ROOT}
    question = f'call run_shell {{"command": "{command}"}}'
    arguments = ["--host", fake_server.url, "-m", "qwen3", "--tool", "run_shell", "--yes"]
    termchat = subprocess.Popen(
        [sys.executable, "-m", "termchat", *arguments, "-p", question],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (workdir / "ready").exists():
            assert termchat.poll() is None, "termchat ended before the tool ran"
            assert time.monotonic() < deadline, "the tool never started"
            time.sleep(0.02)
        pids = read_pids(workdir, (*SPAWNED, "sh", "fg"))
        termchat.kill()
        assert termchat.wait(10) == -signal.SIGKILL
        assert survivors(pids) == []
    finally:
        if termchat.poll() is None:
            termchat.kill()
            termchat.wait()
