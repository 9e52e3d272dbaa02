"""The app's database connections are cut (pg_terminate_backend) under a real gunicorn with
persistent connections (CONN_MAX_AGE) and health checks on.

What this proves: a connection cut between two requests is noticed and replaced, and the next
request succeeds; a request whose connection is cut in the middle of its transaction gets
the ordinary 500 page (no hang, no traceback) and leaves nothing half-saved (the invitation,
its audit entry, its outbox row and the revoking of the earlier invitation are all rolled
back together); sending the same form again then works."""

import http.client
import re
import sys
import threading
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import connection

from partnerportal.models import AuditEntry, Invitation, OutgoingMail
from partnerportal.services import invitation_create

from .conftest import app_env, free_port, test_database_url, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


class Browser:
    """Just enough of one: a session cookie, the CSRF cookie and token, no redirects followed."""

    def __init__(self, port: int, sessionid: str):
        self.port = port
        self.cookies = {"sessionid": sessionid}
        self.csrf = ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.csrf}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
        finally:
            conn.close()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if token:
            self.csrf = token.group(1)
        return response.status, text


def _own_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _other_backends(sql: str) -> list:
    """The web worker's backends: neither this test's Django connection nor the asking one."""
    with psycopg.connect(test_database_url().replace("postgres://", "postgresql://"), autocommit=True) as conn:
        return conn.execute(
            f"SELECT {sql} FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND pid <> %s AND backend_type = 'client backend'",
            [_own_pid()],
        ).fetchall()


def _state(org):
    return (
        sorted(Invitation.objects.filter(org=org).values_list("email", "status")),
        AuditEntry.objects.filter(org=org, action="invitation.created").count(),
        OutgoingMail.objects.filter(kind="team_invitation").count(),
    )


@pytest.fixture
def web(processes, alice_client):
    port = free_port()
    env = app_env(DJANGO_SETTINGS_MODULE="partnerportal.settings_test", DEBUG="false", CONN_MAX_AGE=600)
    argv = [sys.executable, "-m", "gunicorn", "partnerportal.wsgi:application", "-b", f"127.0.0.1:{port}"]
    argv += ["--workers", "1", "--timeout", "60"]
    processes.start("gunicorn", argv, env)

    def answers():
        try:
            return Browser(port, "").request("GET", "/healthz")[0] < 500
        except OSError:
            return False

    wait_for(answers, timeout=60, what="gunicorn to answer")
    return Browser(port, alice_client.cookies["sessionid"].value)


def test_cut_connections_give_a_clear_error_and_leave_nothing_half_saved(web, alice, org_a):
    invitation_create(
        org=org_a,
        actor=alice,
        actor_membership=alice.memberships.get(),
        email="new@a.example",
        roles=["survey_admin"],
        language="en",
    )
    before = _state(org_a)
    assert before[0] == [("new@a.example", Invitation.Status.PENDING)]
    status, _ = web.request("GET", "/team/invite/")
    assert status == 200 and web.csrf

    # 1. Between requests: the worker's persistent connection is cut while it is idle.
    terminated = _other_backends("pg_terminate_backend(pid)")
    assert terminated, "the web worker should have kept its connection open"
    status, _ = web.request("GET", "/team/invite/")
    assert status == 200

    # 2. Mid-request: the invitation, its audit entry and the earlier invitation's revoking
    # are written, and the request waits to write the outbox row when its connection is cut.
    form = {"email": "new@a.example", "roles": ["survey_admin", "referral_admin"], "language": "de"}
    result = {}
    with psycopg.connect(test_database_url().replace("postgres://", "postgresql://")) as lock:
        lock.execute("LOCK TABLE partnerportal_outgoingmail IN EXCLUSIVE MODE")
        request = threading.Thread(target=lambda: result.update(response=web.request("POST", "/team/invite/", form)))
        request.start()
        waiting = wait_for(
            lambda: (
                _other_backends("pid, wait_event_type, query")
                and [
                    pid
                    for pid, wait, query in _other_backends("pid, wait_event_type, query")
                    if wait == "Lock" and "outgoingmail" in query
                ]
            ),
            timeout=30,
            what="the request to reach the outbox insert",
        )
        lock.execute("SELECT pg_terminate_backend(%s)", [waiting[0]])
        lock.rollback()
    request.join(timeout=60)
    assert not request.is_alive(), "the request hung"
    status, body = result["response"]
    assert status == 500
    assert "Something went wrong" in body and "Traceback" not in body
    assert _state(org_a) == before, "a cut request left part of its work behind"

    # 3. The same form again: the app has recovered and does the whole thing.
    status, _ = web.request("POST", "/team/invite/", form)
    assert status == 302
    invitations, audits, mails = _state(org_a)
    assert sorted(status for _email, status in invitations) == sorted(
        [Invitation.Status.REVOKED, Invitation.Status.PENDING]
    )
    assert (audits, mails) == (before[1] + 1, before[2] + 1)
