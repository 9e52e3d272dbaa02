"""The sliding session: an idle session ends SESSION_COOKIE_AGE after the last request, but the
session is written at most once per SESSION_REFRESH_INTERVAL rather than on every request."""

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def signed_in(alice, settings):
    settings.SESSION_COOKIE_AGE = 3600
    settings.SESSION_REFRESH_INTERVAL = 300
    client = Client()
    with time_machine.travel(START, tick=False):
        response = client.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
        assert response.status_code == 302
    return client


def expiry(client) -> dt.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def dashboard_at(client, moment):
    with time_machine.travel(moment, tick=False):
        return client.get(reverse("dashboard"))


def test_requests_within_the_interval_do_not_write_the_session(signed_in):
    first = expiry(signed_in)
    assert first == START + dt.timedelta(hours=1)
    response = dashboard_at(signed_in, START + dt.timedelta(seconds=299))
    assert response.status_code == 200
    assert expiry(signed_in) == first
    assert "sessionid" not in response.cookies  # nothing to send back either


def test_a_request_after_the_interval_slides_the_window(signed_in):
    later = START + dt.timedelta(seconds=300)
    response = dashboard_at(signed_in, later)
    assert response.status_code == 200
    assert expiry(signed_in) == later + dt.timedelta(hours=1)
    assert response.cookies["sessionid"]["max-age"] == 3600


def test_an_active_session_outlives_the_idle_timeout(signed_in):
    # A request every 20 minutes for two hours keeps a one-hour session alive.
    for minutes in range(20, 121, 20):
        assert dashboard_at(signed_in, START + dt.timedelta(minutes=minutes)).status_code == 200


def test_an_idle_session_ends_at_the_timeout(signed_in):
    assert dashboard_at(signed_in, START + dt.timedelta(minutes=59, seconds=59)).status_code == 200
    # That request slid the window (more than 5 minutes since the sign-in): idle for an hour more.
    last = START + dt.timedelta(minutes=59, seconds=59)
    response = dashboard_at(signed_in, last + dt.timedelta(hours=1))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_session_is_not_read_from_the_database_on_every_request(signed_in):
    dashboard_at(signed_in, START + dt.timedelta(seconds=10))
    with time_machine.travel(START + dt.timedelta(seconds=20), tick=False):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            signed_in.get(reverse("dashboard"))
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]
