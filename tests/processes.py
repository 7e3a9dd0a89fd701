"""Start the project's real server processes (gunicorn, Celery worker and beat) from tests.

The commands come from docker-compose.yml, so a test breaks if the deployment drifts from what the
project can run. Each process gets its own process group and is always stopped: SIGTERM first, then
SIGKILL after a grace period, so no test leaves an orphan behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
BIN_DIR = Path(sys.executable).parent


def compose_services() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]


def compose_command(service: str) -> list[str]:
    command = compose_services()[service]["command"]
    assert isinstance(command, list), f"{service}: write the command in exec form (a list)"
    return [str(part) for part in command]


def local_argv(argv: list[str]) -> list[str]:
    """The same command with its program taken from this virtualenv (``gunicorn`` → ``.venv/bin/gunicorn``)."""
    program = BIN_DIR / argv[0]
    return [str(program) if program.exists() else argv[0], *argv[1:]]


def replace_option(argv: list[str], option: str, value: str) -> list[str]:
    """``argv`` with ``option``'s value replaced (``--bind X`` or ``--bind=X``); appended if absent."""
    out, i, found = [], 0, False
    while i < len(argv):
        part = argv[i]
        if part == option:
            out += [option, value]
            i += 2
            found = True
            continue
        if part.startswith(option + "="):
            out.append(f"{option}={value}")
            found = True
        else:
            out.append(part)
        i += 1
    return out if found else [*out, option, value]


def option_value(argv: list[str], *options: str) -> str | None:
    for i, part in enumerate(argv):
        for option in options:
            if part == option and i + 1 < len(argv):
                return argv[i + 1]
            if part.startswith(option + "="):
                return part.split("=", 1)[1]
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def subprocess_database_url() -> str:
    """DATABASE_URL pointing at the test database pytest-django created, for a second process.

    Only PostgreSQL's test database can be opened by another process (SQLite's is in memory).
    """
    from django.db import connection

    if connection.vendor != "postgresql" or not os.environ.get("DATABASE_URL"):
        pytest.skip("needs a test database another process can open: set DATABASE_URL to PostgreSQL")
    name = connection.settings_dict["NAME"]
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + name))


def process_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production process (DEBUG off, a secret key) against the test database."""
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        DATABASE_URL=database_url,
        PYTHONPATH=os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class RunningProcess:
    def __init__(self, popen: subprocess.Popen, log_path: Path):
        self.popen = popen
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(
        self, condition: Callable[[], bool], what: str, timeout: float = 60, interval: float = 0.2
    ) -> None:
        """Poll ``condition`` until it holds; fail early with the process log if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.popen.poll() is not None:
                pytest.fail(f"process exited ({self.popen.returncode}) before {what}:\n{self.log()[-4000:]}")
            time.sleep(interval)
        pytest.fail(f"timed out after {timeout}s waiting for {what}:\n{self.log()[-4000:]}")

    def stop(self, grace: float = 20) -> int:
        """SIGTERM the whole process group, SIGKILL it if it has not exited after ``grace`` seconds."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=grace)
        # children left in the group (e.g. prefork pool processes) go too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        return self.popen.returncode


@contextlib.contextmanager
def running(
    argv: list[str], env: dict[str, str], log_path: Path, cwd: Path = BASE_DIR
) -> Iterator[RunningProcess]:
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process = RunningProcess(popen, log_path)
    try:
        yield process
    finally:
        process.stop()
