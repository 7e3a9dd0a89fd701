"""docker-compose.yml and the Dockerfile run commands the project really has.

Docker does not run here, so the commands are taken out of the compose file and checked: their
module paths import, and on PostgreSQL they are started for real against the test database
(gunicorn serving /healthz/, the migrate one-off, and Celery beat with the DatabaseScheduler; the
worker command is started by tests/test_celery_worker.py).
"""

import json
import os
import shlex
import urllib.error
import urllib.request

import pytest
from celery.app.utils import find_app
from celery.beat import Scheduler
from celery.utils.imports import symbol_by_name
from django.core.management import get_commands
from django.urls import resolve

from core.health import healthz
from liaoning_tt.celery import app as celery_app

from .processes import (
    BASE_DIR,
    BIN_DIR,
    compose_command,
    compose_services,
    free_port,
    local_argv,
    option_value,
    process_env,
    replace_option,
    running,
    subprocess_database_url,
)

APP_SERVICES = ["migrate", "web", "worker", "beat"]
REQUIRED_ENV = {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}


@pytest.fixture(scope="module")
def services():
    return compose_services()


def test_compose_has_the_app_services_and_their_backing_services(services):
    assert set(services) == {*APP_SERVICES, "db", "redis"}
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


@pytest.mark.parametrize("name", ["web", "worker", "beat", "db", "redis"])
def test_every_long_running_service_has_a_health_check(services, name):
    test = services[name]["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1


def test_database_lives_in_a_named_volume():
    import yaml

    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))
    db_volumes = compose["services"]["db"]["volumes"]
    named = {v.split(":", 1)[0] for v in db_volumes}
    assert "pgdata" in named and "pgdata" in compose["volumes"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_in_production_mode_against_postgres_and_redis(services, name):
    service = services[name]
    env = service["environment"]
    assert REQUIRED_ENV <= set(env)
    assert str(env["DEBUG"]) == "0"
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"]
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert service["build"] == "."


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_start_after_migrations_and_healthy_backing_services(services, name):
    depends = services[name]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["db"]["condition"] == depends["redis"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_command_is_installed_in_the_virtualenv(name):
    program = compose_command(name)[0]
    assert (BIN_DIR / program).exists(), f"{name}: {program} is not installed by pyproject.toml"


def test_web_command_serves_the_project_wsgi_application_on_port_8000():
    argv = compose_command("web")
    assert argv[0] == "gunicorn"
    module_path, _, attribute = argv[1].partition(":")
    assert (module_path, attribute) == ("liaoning_tt.wsgi", "application")
    application = getattr(__import__(module_path, fromlist=[attribute]), attribute)
    assert callable(application)
    assert option_value(argv, "--bind", "-b") == "0.0.0.0:8000"


@pytest.mark.parametrize("name, subcommand", [("worker", "worker"), ("beat", "beat")])
def test_celery_commands_load_the_project_celery_app(name, subcommand):
    argv = compose_command(name)
    assert argv[0] == "celery"
    assert find_app(option_value(argv, "-A", "--app")) is celery_app
    assert subcommand in argv
    assert option_value(argv, "-l", "--loglevel") == "info"


def test_worker_pool_processes_are_recycled_after_a_large_import():
    """Celery's ``--max-memory-per-child`` (KiB): a pool process that grew past it is replaced after
    its task. Above the idle worker plus an import preview (~100 MB + ~105 MB for 500,000 rows)."""
    argv = compose_command("worker")
    limit_kib = int(option_value(argv, "--max-memory-per-child"))
    assert 256 * 1024 <= limit_kib <= 1024 * 1024
    assert option_value(argv, "--concurrency", "-c") == "2"


def test_beat_uses_the_database_scheduler_class_that_imports():
    scheduler_path = option_value(compose_command("beat"), "--scheduler", "-S")
    assert scheduler_path == "django_celery_beat.schedulers:DatabaseScheduler"
    assert issubclass(symbol_by_name(scheduler_path), Scheduler)


def test_migrate_command_is_the_django_migrate_command():
    argv = compose_command("migrate")
    assert argv[:3] == ["python", "manage.py", "migrate"]
    assert "--noinput" in argv


def test_web_health_check_requests_the_healthz_view(services):
    check = " ".join(services["web"]["healthcheck"]["test"][1:])
    assert "http://127.0.0.1:8000/healthz/" in check
    assert resolve("/healthz/").func is healthz


def test_worker_health_check_pings_its_own_node(services):
    check = shlex.split(services["worker"]["healthcheck"]["test"][1])
    assert check[:5] == ["celery", "-A", "liaoning_tt", "inspect", "ping"]
    assert option_value(check, "-d", "--destination") == "celery@$$HOSTNAME"  # compose escapes $ as $$


def test_beat_health_check_is_the_healthcheck_management_command(services):
    argv = services["beat"]["healthcheck"]["test"][1:]
    assert argv[:3] == ["python", "manage.py", "healthcheck"] and "--beat" in argv
    assert get_commands()["healthcheck"] == "core"


def test_dockerfile_builds_from_pyproject_with_messages_and_static_files():
    dockerfile = (BASE_DIR / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim" in dockerfile
    assert "gettext" in dockerfile
    assert "pyproject.toml" in dockerfile
    assert "manage.py compilemessages" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert 'CMD ["gunicorn", "liaoning_tt.wsgi:application"' in dockerfile


# --- the commands started for real (PostgreSQL: the test database must be reachable from another process)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrate_command_finds_the_test_database_up_to_date(tmp_path):
    env = process_env(subprocess_database_url())
    argv = local_argv(compose_command("migrate"))
    argv[0] = str(BIN_DIR / "python")

    with running(argv, env, tmp_path / "migrate.log") as process:
        process.wait_for(lambda: process.popen.poll() is not None, "migrate to finish", timeout=120)

    assert process.popen.returncode == 0, process.log()
    assert "No migrations to apply" in process.log()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gunicorn_serves_healthz_with_debug_off(tmp_path):
    port = free_port()
    env = process_env(subprocess_database_url(), ALLOWED_HOSTS="127.0.0.1")
    argv = local_argv(compose_command("web"))
    argv = replace_option(replace_option(argv, "--bind", f"127.0.0.1:{port}"), "--workers", "1")
    url = f"http://127.0.0.1:{port}/healthz/"
    answer = {}

    def healthz_answers() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                answer.update(status=response.status, body=json.loads(response.read()))
        except urllib.error.HTTPError as error:
            answer.update(status=error.code, body=json.loads(error.read()))
        except OSError:
            return False
        return True

    with running(argv, env, tmp_path / "gunicorn.log") as process:
        process.wait_for(healthz_answers, "gunicorn to answer /healthz/")

    assert answer["status"] == 200, answer
    assert answer["body"]["database"] == "ok"
    assert answer["body"]["broker"] == ("ok" if os.environ.get("CELERY_BROKER_URL") else "unconfigured")
    assert "Traceback" not in process.log()


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"), reason="CELERY_BROKER_URL is not set: beat needs a broker"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_celery_beat_starts_cleanly_with_the_database_scheduler(tmp_path):
    env = process_env(subprocess_database_url())
    # debug logging shows the schedule the scheduler read from the database
    argv = replace_option(local_argv(compose_command("beat")), "-l", "debug")

    def heartbeat_entry_loaded() -> bool:
        log = process.log()
        return "Current schedule:" in log and "<ModelEntry: core.worker_heartbeat" in log

    with running(argv, env, tmp_path / "beat.log", cwd=tmp_path) as process:
        process.wait_for(lambda: "beat: Starting..." in process.log(), "beat to start")
        process.wait_for(heartbeat_entry_loaded, "the heartbeat entry to load from the database")
        # Stop between ticks, not while the first tick sends what is due (the sweep, the heartbeat):
        # a SIGTERM in the middle of a send made beat log "Couldn't apply scheduled task".
        process.wait_for(lambda: "beat: Waking up in" in process.log(), "beat's first tick to finish")
        returncode = process.stop()

    log = process.log()
    assert "scheduler -> django_celery_beat.schedulers.DatabaseScheduler" in log
    assert "Traceback" not in log and "ERROR" not in log, log
    assert returncode == 0, log
