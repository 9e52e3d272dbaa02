"""CSRF on every URL that could take a POST, and the Content-Security-Policy: no inline
script may run, and no page needs one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from conftest import client_for
from tests.urlwalk import routes

ROOT = Path(settings.BASE_DIR)
ROUTES = routes()
DUMMY = {"pk": 1, "customer_pk": 1, "token": "x" * 43, "fmt": "csv", "uidb64": "MQ"}


@pytest.fixture(autouse=True)
def _fresh_caches():
    from contacts.taxonomy import invalidate

    cache.clear()
    invalidate()
    yield
    invalidate()


def _url(route) -> str:
    return reverse(route.name, kwargs={k: DUMMY[k] for k in route.converters})


def test_no_view_is_exempt_from_csrf():
    exempt = [r.name for r in ROUTES if getattr(r.callback, "csrf_exempt", False)]
    assert exempt == []


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["anonymous", "alice", "agent", "programme_staff"])
def test_every_post_without_a_token_is_refused(request, user):
    client = Client(enforce_csrf_checks=True)
    if user != "anonymous":
        client.force_login(request.getfixturevalue(user))
    accepted = []
    for route in ROUTES:
        response = client.post(_url(route), {"x": "1"})
        if response.status_code != 403 or b"CSRF" not in response.content:
            accepted.append((route.name, response.status_code))
    assert accepted == []


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def _post_forms(html: str) -> list[str]:
    return [body for attrs, body in FORM.findall(html) if re.search(r"method=[\"']?post", attrs, re.I)]


@pytest.fixture
def pages(org_a, alice, agent, programme_staff):
    """A sample of the main pages of each part, with the user who sees them."""
    from csat.services import open_link, settings_for
    from leads.tests.conftest import publish_profile
    from partnerportal.models import Location

    location = Location.objects.create(
        org=org_a, name="Seattle", country="US", contact_name="Dana", contact_email="dana@a.example"
    )
    profile = publish_profile(org_a, [location])
    survey = open_link(survey_settings=settings_for(org=org_a)).replace(settings.SITE_URL, "")
    return [
        (None, reverse("login")),
        (None, reverse("password_reset")),
        (None, survey),
        (None, reverse("leads:directory")),
        (None, reverse("leads:directory_profile", args=[profile.pk])),
        (alice, reverse("dashboard")),
        (alice, reverse("org_detail")),
        (alice, reverse("team_invite")),
        (alice, reverse("profile")),
        (alice, reverse("csat:results")),
        (alice, reverse("csat:invite")),
        (alice, reverse("csat:question_create")),
        (alice, reverse("csat:settings")),
        (alice, reverse("leads:lead_list")),
        (alice, reverse("leads:profile_edit")),
        (alice, reverse("support:request_create")),
        (alice, reverse("support:customer_create")),
        (alice, reverse("support:invoice_create")),
        (agent, reverse("contacts:new")),
        (agent, reverse("contacts:list")),
        (programme_staff, reverse("contacts:reports")),
        (programme_staff, reverse("csat:programme")),
        (programme_staff, reverse("support:incident_create")),
        (programme_staff, reverse("leads:staff_lead_create")),
    ]


def _get(user, url):
    client = client_for(user) if user else Client()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


@pytest.mark.django_db
def test_every_post_form_carries_a_csrf_token(pages):
    missing, forms = [], 0
    for user, url in pages:
        for body in _post_forms(_get(user, url).content.decode()):
            forms += 1
            if 'name="csrfmiddlewaretoken"' not in body:
                missing.append(url)
    assert forms >= len(pages)  # every sample page has a form (sign-out, language, the page's own)
    assert missing == []


@pytest.mark.django_db
def test_the_token_a_form_carries_is_accepted(alice):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        reverse("login"), {"csrfmiddlewaretoken": token, "username": alice.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302 and response.wsgi_request.user == alice


def _csp(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


@pytest.mark.django_db
def test_pages_send_a_policy_that_blocks_inline_script(pages):
    for user, url in pages:
        response = _get(user, url)
        policy = _csp(response)
        scripts = policy.get("script-src") or policy.get("default-src")
        assert scripts, url
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts), (url, scripts)
        assert policy.get("object-src") == ["'none'"] and policy.get("frame-ancestors") == ["'none'"]
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert "javascript:" not in html.lower(), url


def test_no_template_has_an_inline_script_or_handler():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(text) or "javascript:" in text.lower():
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
