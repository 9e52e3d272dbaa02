import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 64 + "-production-secret-of-enough-length-and-variety-1234567890",
    "ALLOWED_HOSTS": "portal.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
    "SITE_URL": "https://portal.example.com",
    "EMAIL_URL": "smtp+tls://user:pass@smtp.example.com:587",
}


def test_healthz_up(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_healthz_down_when_the_database_does_not_answer(client, db):
    with mock.patch("partnerportal.views.connection.cursor", side_effect=Exception("down")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503 and response.json()["database"] == "down"


def test_healthz_reports_a_dead_broker(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with mock.patch("partnerportal.celery.app.connection_for_write", side_effect=OSError("refused")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503 and response.json()["broker"] == "down"


def _manage(*args, env=None):
    # Start from the machine's environment without what the test settings put there.
    dropped = {"DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "DEBUG", "SECRET_KEY"}
    full_env = {**{k: v for k, v in os.environ.items() if k not in dropped}, **(env or {})}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True)


def test_check_deploy_is_clean_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_migrations_are_complete():
    result = _manage("makemigrations", "--check", "--dry-run", env={"DEBUG": "true"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_page_has_a_strict_content_security_policy(client, db):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_templates_have_no_inline_scripts():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        assert "<script>" not in text and "onclick=" not in text and "<style" not in text, path


def test_login_is_throttled_after_five_failures(client, alice):
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice@a.example", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alice@a.example", "password": "correct-horse-battery"})
    assert response.status_code == 429


def test_docker_compose_names_the_five_services():
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    assert "healthcheck" in services["db"] and "healthcheck" in services["redis"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_every_periodic_job_has_a_task_and_a_management_command():
    from django.conf import settings
    from django.core.management import get_commands

    from partnerportal.celery import app

    app.loader.import_default_modules()
    commands = get_commands()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
        assert entry["task"].rsplit(".", 1)[-1] in commands, entry["task"]
