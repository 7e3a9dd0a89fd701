"""``make run`` serves without the debug page: DEBUG=0 and a secret key generated once into an
untracked file, unless the developer sets DEBUG=1; static files, hosts and logins work that way.

The Makefile's own variables are read by running ``make run`` with a stand-in for the virtualenv's
Python that records its arguments and environment instead of running Django; the live test then
starts the real server with exactly that environment.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from .processes import BASE_DIR, free_port, running

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="GNU make is not installed")

# Variables a developer's shell or an outer make may carry; each test decides them itself.
CLEARED = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "HOST",
    "PORT",
]
SERVED = ["DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"]


def _make_run(tmp_path: Path, **env_values: str) -> tuple[list[dict], Path, str]:
    """``make run`` with the install, messages, static and migrate steps taken as done and the
    virtualenv's Python replaced by a recorder; returns the recorded calls, the key file, make's output."""
    log = tmp_path / "calls.jsonl"
    recorder = tmp_path / "python"
    recorder.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, os, sys
            with open({str(log)!r}, "a", encoding="utf-8") as f:
                f.write(json.dumps({{"args": sys.argv[1:], "env": dict(os.environ)}}) + "\\n")
            """
        ),
        encoding="utf-8",
    )
    recorder.chmod(0o755)
    key_file = tmp_path / "secret_key"
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(env_values)
    result = subprocess.run(
        [
            MAKE,
            "-s",
            "-o",
            "messages",
            "-o",
            "static",
            "-o",
            "migrate",
            "run",
            f"PY={recorder}",
            f"SECRET_KEY_FILE={key_file}",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    log.unlink()
    return calls, key_file, result.stdout


def _call(calls: list[dict], command: str) -> dict:
    found = [call for call in calls if call["args"][1:2] == [command]]
    assert found, f"make run did not run manage.py {command}: {[c['args'] for c in calls]}"
    return found[0]


def test_make_run_serves_with_debug_off_and_a_key_generated_once(tmp_path):
    calls, key_file, output = _make_run(tmp_path)

    key = key_file.read_text().strip()
    assert len(key) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # readable by its owner only
    assert "generated a secret key" in output
    assert [call["args"][1] for call in calls] == ["seed_demo", "recompute_stats", "demo_logins", "runserver"]
    for call in calls:  # every step runs with the production switch and the generated key
        assert call["env"]["DEBUG"] == "0"
        assert call["env"]["SECRET_KEY"] == key
        # plain HTTP on the developer's machine: cookies must not be HTTPS-only, or nobody can log in
        assert call["env"]["SESSION_COOKIE_SECURE"] == "0"
        assert call["env"]["CSRF_COOKIE_SECURE"] == "0"
    assert _call(calls, "runserver")["args"][2] == "127.0.0.1:8000"
    assert set(_call(calls, "runserver")["env"]["ALLOWED_HOSTS"].split(",")) == {"127.0.0.1", "localhost"}
    # with DEBUG off seed_demo creates no logins unless asked: make run asks (demo_logins prints them)
    assert "--with-logins" in _call(calls, "seed_demo")["args"]
    # seed_demo brought the statistics up to the demo records already: no second full recompute
    assert "--if-needed" in _call(calls, "recompute_stats")["args"]

    calls_again, _, output_again = _make_run(tmp_path)

    assert key_file.read_text().strip() == key  # generated once, then reused
    assert "generated a secret key" not in output_again
    assert {call["env"]["SECRET_KEY"] for call in calls_again} == {key}


def test_developer_settings_win_over_make_runs_defaults(tmp_path):
    calls, key_file, _ = _make_run(
        tmp_path, DEBUG="1", SECRET_KEY="the-developers-own-key", HOST="0.0.0.0", PORT="8123"
    )

    runserver = _call(calls, "runserver")
    assert runserver["env"]["DEBUG"] == "1"
    assert runserver["env"]["SECRET_KEY"] == "the-developers-own-key"
    assert runserver["args"][2] == "0.0.0.0:8123"
    assert "0.0.0.0" in runserver["env"]["ALLOWED_HOSTS"].split(",")


def test_generated_key_file_is_not_tracked():
    if not (BASE_DIR / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    makefile = (BASE_DIR / "Makefile").read_text(encoding="utf-8")
    default = re.search(r"^SECRET_KEY_FILE \?= (\S+)$", makefile, re.M)
    assert default, "the Makefile names its key file in SECRET_KEY_FILE"
    result = subprocess.run(["git", "check-ignore", "-q", default.group(1)], cwd=BASE_DIR)
    assert result.returncode == 0, f"{default.group(1)} must be in .gitignore"


# --- the real server with make run's environment

SETUP = """
import django

django.setup()
from django.core.management import call_command

from accounts.services import user_create_unit_user
from tests.factories import AchievementFactory, UnitFactory

call_command("migrate", verbosity=0)
user_create_unit_user(username="runner", password="make-run-pass-1", unit=UnitFactory())
print(AchievementFactory(unit=UnitFactory()).pk)
"""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _open(opener, url: str, data: dict | None = None, host: str | None = None, referer: str | None = None):
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data else None)
    if host:
        request.add_header("Host", host)
    if referer:
        request.add_header("Referer", referer)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def test_make_runs_server_serves_static_files_logins_and_chinese_errors(tmp_path):
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        pytest.skip("static files are not collected (make static / make test collects them)")
    calls, _, _ = _make_run(tmp_path)
    served = {name: _call(calls, "runserver")["env"][name] for name in SERVED}

    env = {k: v for k, v in os.environ.items() if k not in CLEARED + ["CELERY_BROKER_URL", "CACHE_URL"]}
    env.update(served, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", PYTHONUNBUFFERED="1")
    setup = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "liaoning_tt.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert setup.returncode == 0, setup.stderr[-4000:]
    foreign_id = int(setup.stdout.strip().splitlines()[-1])

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
    )
    with running(argv, env, tmp_path / "server.log") as server:
        server.wait_for(lambda: _reachable(base), "the server to answer", timeout=90)

        for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
            status, _, login_page = _open(opener, base + "/accounts/login/", host=host)
            assert status == 200, (host, login_page[:500])
        assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', login_page)
        assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
        for asset in assets:
            status, headers, _ = _open(opener, base + asset)
            assert status == 200, asset
            assert ("css" if asset.endswith(".css") else "javascript") in headers["Content-Type"]
        # the 500 page links the stylesheet under its plain name
        assert _open(opener, base + "/static/css/site.css")[0] == 200

        # log in through the form over plain HTTP (the cookies are not HTTPS-only)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        status, headers, _ = _open(
            opener,
            base + "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": "runner", "password": "make-run-pass-1"},
            referer=base + "/accounts/login/",
        )
        assert status == 302, "the login form did not accept the demo user over plain HTTP"

        status, _, page = _open(opener, f"{base}/achievements/{foreign_id}/")
        assert status == 404
        assert "页面不存在" in page and 'class="site-header"' in page and "runner" in page
        assert "Traceback" not in page and "URLconf" not in page

        status, _, page = _open(opener, base + "/", host="attacker.example")
        assert status == 400 and "请求无效" in page


def _reachable(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
