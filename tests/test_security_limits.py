"""Per-client rate limits on the public pages, secret tokens, e-mail headers and uploads."""

from __future__ import annotations

import base64
import io
import re
import zipfile

import pytest
from django.core import mail as django_mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from conftest import client_for

pytestmark = pytest.mark.django_db

CLIENT_A, CLIENT_B = "198.51.100.7", "203.0.113.9"  # documentation addresses


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


def _limit(rate: str) -> int:
    return int(rate.split("/")[0])


def _assert_too_many(response):
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Too many requests" in page and "Please wait a few minutes" in page


# --- Rate limits ------------------------------------------------------------------------------


@pytest.fixture
def survey_url(org_a):
    from django.conf import settings

    from csat.services import open_link, settings_for

    return open_link(survey_settings=settings_for(org=org_a)).replace(settings.SITE_URL, "")


def test_the_survey_answers_429_past_its_limit_for_that_client_only(survey_url):
    from csat.views import PUBLIC_RATE

    a, b = Client(REMOTE_ADDR=CLIENT_A), Client(REMOTE_ADDR=CLIENT_B)
    assert [a.get(survey_url).status_code for _ in range(_limit(PUBLIC_RATE))] == [200] * _limit(PUBLIC_RATE)
    _assert_too_many(a.get(survey_url))
    _assert_too_many(a.post(survey_url, {"satisfaction": "5"}))
    assert b.get(survey_url).status_code == 200


def test_guessing_survey_tokens_is_limited_too(db):
    from csat.views import PUBLIC_RATE

    a = Client(REMOTE_ADDR=CLIENT_A)
    codes = [a.get(f"/csat/s/guess{i}/").status_code for i in range(_limit(PUBLIC_RATE) + 1)]
    assert codes[:-1] == [404] * _limit(PUBLIC_RATE)
    _assert_too_many(a.get("/csat/s/guess-again/"))


@pytest.fixture
def published_profile(org_a):
    from leads.tests.conftest import publish_profile
    from partnerportal.models import Location

    location = Location.objects.create(
        org=org_a, name="Seattle", country="US", contact_name="Dana", contact_email="dana@a.example"
    )
    return publish_profile(org_a, [location])


def test_the_directory_answers_429_past_its_limit_for_that_client_only(published_profile, monkeypatch):
    monkeypatch.setattr("leads.views.DIRECTORY_RATE", "4/m")
    a, b = Client(REMOTE_ADDR=CLIENT_A), Client(REMOTE_ADDR=CLIENT_B)
    directory, profile = reverse("leads:directory"), reverse("leads:directory_profile", args=[published_profile.pk])
    # Searches and profile views share one budget.
    assert [a.get(url).status_code for url in (directory, profile, directory, profile)] == [200] * 4
    for url in (directory, profile):
        response = a.get(url)
        assert response.status_code == 429 and "Too many requests" in response.content.decode()
    assert b.get(directory).status_code == 200 and b.get(profile).status_code == 200


@override_settings(PROXY_COUNT=1)
def test_behind_a_proxy_each_visitor_has_a_budget_of_their_own(survey_url):
    from csat.views import PUBLIC_RATE

    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(_limit(PUBLIC_RATE)):
        # A forged leftmost entry does not buy a fresh budget: the proxy's own entry counts.
        assert proxy.get(survey_url, HTTP_X_FORWARDED_FOR=f"1.2.3.{_}, {CLIENT_A}").status_code == 200
    _assert_too_many(proxy.get(survey_url, HTTP_X_FORWARDED_FOR=CLIENT_A))
    assert proxy.get(survey_url, HTTP_X_FORWARDED_FOR=CLIENT_B).status_code == 200


def test_without_a_proxy_x_forwarded_for_is_ignored(rf):
    from partnerportal.throttling import client_ip

    request = rf.get("/", REMOTE_ADDR=CLIENT_A, HTTP_X_FORWARDED_FOR=CLIENT_B)
    assert client_ip(request) == CLIENT_A
    with override_settings(PROXY_COUNT=1):
        assert client_ip(request) == CLIENT_B
        assert client_ip(rf.get("/", REMOTE_ADDR=CLIENT_A, HTTP_X_FORWARDED_FOR="not-an-address")) == CLIENT_A


# --- Tokens -----------------------------------------------------------------------------------


def _bits(token: str) -> int:
    return len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8


def _stored_anywhere(token: str) -> list[str]:
    """Tables (other than the outbox, which holds the e-mail that carries the link) where the
    raw token appears in any column."""
    found = []
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if t != "partnerportal_outgoingmail"]
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*) FROM {quoted} t WHERE t::text LIKE %s", [f"%{token}%"])  # noqa: S608
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def _link_token(mail, prefix: str) -> str:
    return re.search(rf"{prefix}([A-Za-z0-9_-]+)/", mail.body_text).group(1)


def test_every_secret_link_has_128_bits_or_more_and_only_its_hash_is_stored(org_a, alice):
    from csat import services as csat
    from csat.tests.factories import make_contact
    from partnerportal import services as core
    from partnerportal.models import OutgoingMail
    from support import services as support

    tokens = {}
    _inv, tokens["team invitation"] = core.invitation_create(
        org=org_a,
        actor=alice,
        actor_membership=alice.memberships.get(),
        email="new@a.example",
        roles=[],
        language="en",
    )
    make_contact(org_a)
    with transaction.atomic():
        csat.invitations_create(org=org_a, actor=alice)
    csat.invitations_send_due(org_id=org_a.pk)
    survey_mail = OutgoingMail.objects.get(kind="csat_invitation", to="ana@customer.example")
    tokens["survey invitation"] = _link_token(survey_mail, "/csat/s/")
    tokens["opt-out"] = _link_token(survey_mail, "/csat/u/")
    tokens["open survey link"] = (
        csat.open_link(survey_settings=csat.settings_for(org=org_a)).rstrip("/").rsplit("/")[-1]
    )
    org_a.csp_relationship = "direct"
    org_a.save()
    customer = support.customer_create(
        org=org_a,
        actor=alice,
        company="Hotel Nord",
        tenant_domain="HotelNord.onmicrosoft.com",
        country="PL",
        language="pl",
        billing_contact_name="Anna Kasa",
        billing_contact_email="anna@hotelnord.example",
        billing_contact_phone="",
        technical_contact_name="Tomasz IT",
        technical_contact_email="tomasz@hotelnord.example",
        technical_contact_phone="",
    )
    tokens["customer support link"] = support.contact_renew_link(contact=customer.contacts.first(), actor=alice)
    for kind, token in tokens.items():
        assert _bits(token) >= 128, kind
        assert _stored_anywhere(token) == [], kind
    assert tokens["opt-out"] == tokens["survey invitation"]  # the same personal link, /s/ and /u/
    assert len(set(tokens.values())) == len(tokens) - 1


def test_new_tokens_are_random_and_hashing_is_one_way():
    from partnerportal.models import hash_token, new_token

    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(_bits(t) >= 128 for t in tokens)
    token = tokens.pop()
    assert hash_token(token) != token and token not in hash_token(token) and len(hash_token(token)) == 64


# --- E-mail header injection ------------------------------------------------------------------

INJECTION = "Tailwind\r\nBcc: victim@evil.example"


def test_a_public_inquiry_cannot_add_mail_headers(published_profile):
    from leads.models import Lead
    from leads.tests.conftest import CUSTOMER
    from partnerportal.mail import mail_send
    from partnerportal.models import OutgoingMail

    url = reverse("leads:directory_profile", args=[published_profile.pk])
    response = Client().post(url, {**CUSTOMER, "customer_company": INJECTION})
    assert response.status_code == 302 and Lead.objects.count() == 1
    queued = OutgoingMail.objects.get(kind="lead_new")
    assert "\r" not in queued.subject and "\n" not in queued.subject
    django_mail.outbox.clear()
    mail_send(mail_id=queued.pk)
    sent = django_mail.outbox[-1]
    headers = sent.message().as_bytes().split(b"\n\n", 1)[0]
    assert sent.recipients() == [queued.to]
    assert b"\nBcc:" not in headers and b"\r\n" not in headers
    assert b"Subject: New lead: Tailwind Bcc: victim@evil.example" in headers  # one line, as text


@pytest.mark.parametrize("address", ["terry@tailwind.example\r\nBcc: victim@evil.example", "a@b.example\nCc: c@d.x"])
def test_an_address_with_a_line_break_is_refused_by_the_forms(published_profile, alice, address):
    from csat.models import Contact
    from leads.models import Lead
    from leads.tests.conftest import CUSTOMER

    response = Client().post(
        reverse("leads:directory_profile", args=[published_profile.pk]), {**CUSTOMER, "contact_email": address}
    )
    assert response.status_code == 200 and "contact_email" in response.context["form"].errors
    assert not Lead.objects.exists()
    data = {"first_name": "Ana", "last_name": "K", "customer_org": "X", "language": "en", "consent": "on"}
    response = client_for(alice).post(reverse("csat:contact_create"), {**data, "email": address})
    assert response.status_code == 200 and "email" in response.context["form"].errors
    assert not Contact.objects.exists()


def test_the_outbox_refuses_a_recipient_with_a_line_break_and_flattens_headers(db):
    from django.core.exceptions import ValidationError

    from partnerportal.mail import mail_queue

    with pytest.raises(ValidationError), transaction.atomic():
        mail_queue(to="x@example.com\r\nBcc: victim@evil.example", template="registration/email/password_reset")
    with transaction.atomic():
        queued = mail_queue(
            to="x@example.com",
            template="registration/email/password_reset",
            context={"reset_url": "u", "user": None},
            headers={"List-Unsubscribe": "<https://x/u/>\r\nBcc: victim@evil.example"},
        )
    assert all("\n" not in v and "\r" not in v for v in queued.headers.values())


# --- Uploads ----------------------------------------------------------------------------------

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
CSV_OK = "first_name,last_name,email,customer_organisation,language,consent\nAna,K,ana@c.example,Contoso,en,yes\n"


def _upload(client, name: str, data: bytes):
    response = client.post(reverse("csat:upload"), {"file": SimpleUploadedFile(name, data)}, follow=True)
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def _zip_bomb(unpacked: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * unpacked)
    return out.getvalue()


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("contacts.csv", PNG, "This is not a readable CSV file."),
        ("contacts.csv", b"PK\x03\x04" + b"x" * 100, "This is not a readable CSV file."),
        ("contacts.csv", b"a,b\n" + b'"' + b"x" * 200_000 + b'"\n', "This is not a readable CSV file."),
        ("contacts.xlsx", PNG, "This is not a readable Excel (.xlsx) file."),
        ("contacts.xlsx", _zip_bomb(4_000_000), "The file is too large."),
        ("contacts.png", PNG, "Upload a .csv or .xlsx file."),
        ("contacts.csv", CSV_OK.encode() + b"#" * 600_000, "The file is too large."),
    ],
    ids=["png-as-csv", "zip-as-csv", "huge-field", "png-as-xlsx", "zip-bomb", "png", "too-big"],
)
@override_settings(MAX_UPLOAD_BYTES=300_000)
def test_a_wrong_or_oversized_upload_gets_a_clear_error_and_nothing_is_saved(alice, name, data, message):
    from csat.models import Contact, ContactImport

    assert message in _upload(client_for(alice), name, data)
    assert not ContactImport.objects.exists() and not Contact.objects.exists()


def test_a_good_upload_still_goes_through(alice):
    from csat.models import ContactImport

    _upload(client_for(alice), "contacts.csv", CSV_OK.encode())
    assert ContactImport.objects.get().total_rows == 1


@override_settings(MAX_UPLOAD_BYTES=1000)
def test_the_evaluations_import_has_the_same_limits(org_a, alice):
    from csat.models import MtmEvaluation

    org_a.competencies = ["learning"]
    org_a.save()
    client = client_for(alice)
    for name, data, message in [
        ("evals.csv", b"evaluation_id,course,completed_on\n" + b"x" * 2000, "The file is too large."),
        ("evals.exe", b"MZ", "Upload a .csv or .xlsx file."),
        ("evals.csv", PNG, "This is not a readable CSV file."),
    ]:
        response = client.post(reverse("csat:mtm"), {"action": "import", "file": SimpleUploadedFile(name, data)})
        assert response.status_code == 200 and message in response.content.decode(), name
    assert not MtmEvaluation.objects.exists()


# --- Login throttling -------------------------------------------------------------------------


@override_settings(PROXY_COUNT=1)
def test_sign_in_is_locked_after_five_failures_for_that_client_only(alice):
    from conftest import PASSWORD

    proxy = Client(REMOTE_ADDR="10.0.0.2")
    url = reverse("login")
    for _ in range(5):
        proxy.post(url, {"username": alice.email, "password": "wrong-password"}, HTTP_X_FORWARDED_FOR=CLIENT_A)
    locked = proxy.post(url, {"username": alice.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR=CLIENT_A)
    assert locked.status_code == 429 and "_auth_user_id" not in proxy.session
    # Alice at another address behind the same proxy signs in.
    other = Client(REMOTE_ADDR="10.0.0.2")
    response = other.post(url, {"username": alice.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR=CLIENT_B)
    assert response.status_code == 302 and other.session["_auth_user_id"] == str(alice.pk)
