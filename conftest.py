"""Shared fixtures. The house style's three people:
Alice owns organisation A (partner admin), Bob is in organisation A without roles, and
Charlie is partner admin of organisation B: he should have no access to Alice's stuff."""

import os
import socket

import pytest
from django.test import Client

from partnerportal.models import Membership, Organisation, Role, User

PASSWORD = "correct-horse-battery"  # noqa: S105 - test accounts only


def make_org(partner_id: str, name: str, **extra) -> Organisation:
    extra.setdefault("country", "US")
    return Organisation.objects.create(partner_id=partner_id, name=name, **extra)


def make_member(email: str, org: Organisation, roles=(), **extra) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, full_name=email.split("@")[0].title(), **extra)
    Membership.objects.create(user=user, org=org, roles=list(roles))
    return user


@pytest.fixture
def org_a(db):
    return make_org("PP-A", "Alice Partners", membership_level="gold", default_language="en")


@pytest.fixture
def org_b(db):
    return make_org("PP-B", "Charlie Partners", membership_level="silver", default_language="de")


@pytest.fixture
def alice(org_a):
    return make_member("alice@a.example", org_a, [Role.PARTNER_ADMIN])


@pytest.fixture
def bob(org_a):
    return make_member("bob@a.example", org_a, [])


@pytest.fixture
def charlie(org_b):
    return make_member("charlie@b.example", org_b, [Role.PARTNER_ADMIN])


@pytest.fixture
def agent(db):
    return User.objects.create_user(email="agent@vendor.example", password=PASSWORD, is_call_center_agent=True)


@pytest.fixture
def programme_staff(db):
    return User.objects.create_user(
        email="staff@vendor.example", password=PASSWORD, is_programme_staff=True, is_staff=True
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return client_for(alice)


@pytest.fixture
def bob_client(bob):
    return client_for(bob)


@pytest.fixture
def charlie_client(charlie):
    return client_for(charlie)


def _redis_answers(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url():
    """The real Redis broker. Under CI=true its absence fails the run instead of skipping."""
    url = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    if not _redis_answers(url):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis does not answer at {url}; CI must not skip the broker tests.")
        pytest.skip(f"Redis does not answer at {url}")
    return url
