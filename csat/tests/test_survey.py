import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from csat.models import Contact, Invitation, Question, Response
from csat.services import (
    invitation_mark_bounced,
    invitations_create,
    invitations_send_due,
    open_link,
    reminders_send_due,
    settings_for,
    settings_rotate_open_link,
)
from partnerportal.models import OutgoingMail

from .factories import CORE_ANSWERS, aware, make_contact


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


def _send(org, alice):
    invitations_create(org=org, actor=alice)
    invitations_send_due(org_id=org.pk)


def _token_from(mail: OutgoingMail, kind="s") -> str:
    return re.search(rf"/csat/{kind}/([A-Za-z0-9_-]+)/", mail.body_text).group(1)


def test_invitations_go_only_to_consenting_not_opted_out_contacts(org_a, alice):
    yes = make_contact(org_a, "yes@c.example")
    make_contact(org_a, "no@c.example", consent=False)
    opted = make_contact(org_a, "out@c.example")
    Contact.objects.filter(pk=opted.pk).update(opted_out_at=aware(2026, 1, 1))
    _send(org_a, alice)
    assert list(OutgoingMail.objects.filter(kind="csat_invitation").values_list("to", flat=True)) == [yes.email]
    inv = Invitation.objects.get()
    assert inv.sent_at and len(inv.token_hash) == 64


def test_sending_twice_sends_nothing_twice(org_a, alice):
    make_contact(org_a)
    _send(org_a, alice)
    _send(org_a, alice)
    invitations_send_due()
    assert OutgoingMail.objects.filter(kind="csat_invitation").count() == 1


def test_invitation_is_in_the_contacts_language(org_a, alice):
    make_contact(org_a, language="de")
    _send(org_a, alice)
    assert OutgoingMail.objects.get().language == "de"


def test_personal_link_is_single_use(org_a, alice):
    contact = make_contact(org_a)
    _send(org_a, alice)
    token = _token_from(OutgoingMail.objects.get())
    client = Client()
    assert client.get(f"/csat/s/{token}/").status_code == 200
    r = client.post(f"/csat/s/{token}/", {**CORE_ANSWERS, "comment": "Great"})
    assert r.status_code == 200 and "Thank you" in r.content.decode()
    response = Response.objects.get()
    assert response.respondent_email == contact.email and response.customer_org == "Adventure Works"
    assert response.invitation.responded_at is not None
    assert client.post(f"/csat/s/{token}/", CORE_ANSWERS).status_code == 410
    assert Response.objects.count() == 1


def test_unknown_token_is_404(db):
    assert Client().get("/csat/s/not-a-real-token/").status_code == 404


def test_anonymous_answer_keeps_the_organisation_but_not_the_person(org_a, alice):
    make_contact(org_a)
    _send(org_a, alice)
    token = _token_from(OutgoingMail.objects.get())
    Client().post(f"/csat/s/{token}/", {**CORE_ANSWERS, "anonymous": "on"})
    r = Response.objects.get()
    assert r.is_anonymous and r.respondent_name == "" and r.respondent_email == "" and r.invitation is None
    assert r.customer_org_key == "adventure works"
    # Single use still holds, and no reminder goes out.
    assert Invitation.objects.get().responded_at is not None


def test_missing_required_answer_is_shown_and_nothing_saved(org_a):
    s = settings_for(org=org_a)
    token = open_link(survey_settings=s).rstrip("/").rsplit("/", 1)[1]
    r = Client().post(f"/csat/o/{token}/", {"satisfaction": "4", "company": "X", "anonymous": "on"})
    assert r.status_code == 400
    assert Response.objects.count() == 0


def test_open_link_needs_name_and_email_unless_anonymous(org_a):
    token = open_link(survey_settings=settings_for(org=org_a)).rstrip("/").rsplit("/", 1)[1]
    client = Client()
    assert client.post(f"/csat/o/{token}/", {**CORE_ANSWERS, "company": "Fabrikam"}).status_code == 400
    ok = client.post(
        f"/csat/o/{token}/", {**CORE_ANSWERS, "company": "Fabrikam", "name": "Jo", "email": "jo@f.example"}
    )
    assert ok.status_code == 200
    client.post(f"/csat/o/{token}/", {**CORE_ANSWERS, "company": "Fabrikam GmbH", "anonymous": "on"})
    assert list(Response.objects.order_by("id").values_list("is_anonymous", "customer_org_key")) == [
        (False, "fabrikam"),
        (True, "fabrikam"),
    ]


def test_rotating_the_open_link_disables_the_old_one(org_a, alice):
    old = open_link(survey_settings=settings_for(org=org_a))
    new = open_link(survey_settings=settings_rotate_open_link(org=org_a, actor=alice))
    assert old != new
    assert Client().get(old.replace("http://testserver", "")).status_code == 404
    assert Client().get(new.replace("http://testserver", "")).status_code == 200


def test_language_comes_from_invitation_then_switch(org_a, alice):
    make_contact(org_a, language="he")
    _send(org_a, alice)
    token = _token_from(OutgoingMail.objects.get())
    body = Client().get(f"/csat/s/{token}/").content.decode()
    assert 'dir="rtl"' in body and 'lang="he"' in body
    body = Client().get(f"/csat/s/{token}/?lang=ja").content.decode()
    assert 'lang="ja"' in body


def test_open_link_uses_the_browser_language(org_a):
    token = open_link(survey_settings=settings_for(org=org_a)).rstrip("/").rsplit("/", 1)[1]
    body = Client(HTTP_ACCEPT_LANGUAGE="de").get(f"/csat/o/{token}/").content.decode()
    assert 'lang="de"' in body


def test_custom_question_in_respondent_language_with_fallback(org_a):
    Question.objects.create(
        org=org_a, kind="text", texts={"en": "What could we improve?", "de": "Was können wir verbessern?"}, order=1
    )
    Question.objects.create(org=org_a, kind="rating", texts={"en": "Documentation?"}, required=True, order=2)
    token = open_link(survey_settings=settings_for(org=org_a)).rstrip("/").rsplit("/", 1)[1]
    body = Client().get(f"/csat/o/{token}/?lang=de").content.decode()
    assert "Was können wir verbessern?" in body and "Documentation?" in body


def test_opt_out_stops_the_reminder(org_a, alice):
    contact = make_contact(org_a)
    _send(org_a, alice)
    token = _token_from(OutgoingMail.objects.get(), "u")
    client = Client()
    assert client.get(f"/csat/u/{token}/").status_code == 200
    client.post(f"/csat/u/{token}/")
    contact.refresh_from_db()
    assert contact.opted_out_at is not None
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=8)):
        assert reminders_send_due() == 0
    invitations_create(org=org_a, actor=alice)
    assert Invitation.objects.count() == 1


def test_exactly_one_reminder_after_the_delay(org_a, alice):
    make_contact(org_a)
    with time_machine.travel(aware(2026, 3, 1, 9), tick=False):
        _send(org_a, alice)
    with time_machine.travel(aware(2026, 3, 8, 8, 59, 59), tick=False):
        assert reminders_send_due() == 0
    with time_machine.travel(aware(2026, 3, 8, 9), tick=False):
        assert reminders_send_due() == 1
        assert reminders_send_due() == 0
    with time_machine.travel(aware(2026, 3, 20), tick=False):
        assert reminders_send_due() == 0
    reminder = OutgoingMail.objects.get(kind="csat_reminder")
    # The reminder's own link works too.
    token = _token_from(reminder)
    assert Client().get(f"/csat/s/{token}/").status_code == 200


def test_reminder_delay_is_per_organisation(org_a, alice):
    s = settings_for(org=org_a)
    s.reminder_delay = dt.timedelta(days=3)
    s.save()
    make_contact(org_a)
    with time_machine.travel(aware(2026, 3, 1), tick=False):
        _send(org_a, alice)
    with time_machine.travel(aware(2026, 3, 4), tick=False):
        assert reminders_send_due() == 1


def test_no_reminder_after_a_response(org_a, alice):
    make_contact(org_a)
    _send(org_a, alice)
    Client().post(f"/csat/s/{_token_from(OutgoingMail.objects.get())}/", CORE_ANSWERS)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=8)):
        assert reminders_send_due() == 0


def test_bounce_marks_the_contact_and_is_never_emailed_again(org_a, alice):
    contact = make_contact(org_a)
    _send(org_a, alice)
    inv = Invitation.objects.get()
    invitation_mark_bounced(object_id=str(inv.pk), mail=None)
    contact.refresh_from_db()
    assert contact.bounced_at is not None
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=8)):
        assert reminders_send_due() == 0


def test_public_pages_are_rate_limited(org_a):
    token = open_link(survey_settings=settings_for(org=org_a)).rstrip("/").rsplit("/", 1)[1]
    client = Client()
    # The limit counts per minute: all 35 requests fall in one window, never across two.
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC), tick=False):
        codes = [client.get(f"/csat/o/{token}/").status_code for _ in range(35)]
    assert codes[0] == 200 and codes[-1] in (403, 429)


def test_send_due_tasks_and_commands_exist():
    from django.conf import settings
    from django.core.management import get_commands

    from csat import tasks

    names = ["send_due_invitations", "send_due_reminders", "send_monthly_reports", "refresh_compliance"]
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in names:
        assert hasattr(tasks, name)
        assert name in get_commands()
        assert f"csat.tasks.{name}" in scheduled
