"""The clocks: 14-day expiry (exact edge, two workers at once), nudges, the 72-hour flame."""

import datetime as dt
import threading
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from leads import services, tasks
from leads.models import Lead, LeadNudge
from partnerportal.models import AuditEntry, OutgoingMail

from .conftest import DEAL, make_inquiry, make_qualified

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _received_at(lead, when):
    Lead.objects.filter(pk=lead.pk).update(received_at=when)
    lead.refresh_from_db()
    return lead


# --- Expiry ---------------------------------------------------------------------------------


def test_expiry_edge_is_exactly_fourteen_days(profile_a):
    lead = _received_at(make_inquiry(profile_a.org), T0)
    with time_machine.travel(T0 + dt.timedelta(days=14) - dt.timedelta(seconds=1), tick=False):
        assert services.leads_expire() == 0
        lead.refresh_from_db()
        assert lead.status == Lead.Status.RECEIVED
        assert lead.time_left() == dt.timedelta(seconds=1)
    with time_machine.travel(T0 + dt.timedelta(days=14), tick=False):
        assert services.leads_expire() == 1
    lead.refresh_from_db()
    assert lead.status == Lead.Status.EXPIRED and lead.is_archived and not lead.contact_visible
    assert AuditEntry.objects.filter(action="lead.expired", object_id=str(lead.pk)).count() == 1


def test_answered_leads_never_expire(profile_a, alice):
    accepted = _received_at(make_inquiry(profile_a.org), T0)
    services.lead_accept(lead=accepted, actor=alice, **DEAL)
    with time_machine.travel(T0 + dt.timedelta(days=30), tick=False):
        assert services.leads_expire() == 0
    accepted.refresh_from_db()
    assert accepted.status == Lead.Status.ACCEPTED


def test_expiry_tells_the_customer_of_an_inquiry_in_their_language(profile_a):
    _received_at(make_inquiry(profile_a.org, customer_language="tr"), T0)
    with time_machine.travel(T0 + dt.timedelta(days=15), tick=False):
        services.leads_expire()
    mail = OutgoingMail.objects.get(kind="lead_expired")
    assert mail.to == "terry@tailwind.example" and mail.language == "tr"


def test_expiry_tells_the_staff_member_who_sent_a_qualified_lead(profile_a, programme_staff):
    programme_staff.language = "ja"
    programme_staff.save()
    _received_at(make_qualified(profile_a.org, programme_staff), T0)
    with time_machine.travel(T0 + dt.timedelta(days=15), tick=False):
        services.leads_expire()
    mail = OutgoingMail.objects.get(kind="lead_expired")
    assert mail.to == programme_staff.email and mail.language == "ja"


def test_expiry_mails_nobody_for_a_lead_from_a_deactivated_staff_member(profile_a, programme_staff):
    _received_at(make_qualified(profile_a.org, programme_staff), T0)
    programme_staff.is_active = False
    programme_staff.save()
    with time_machine.travel(T0 + dt.timedelta(days=15), tick=False):
        assert services.leads_expire() == 1
    assert not OutgoingMail.objects.filter(kind="lead_expired").exists()
    assert AuditEntry.objects.filter(action="lead.expired").count() == 1


def test_expiry_mail_falls_back_to_the_organisations_language(profile_a):
    profile_a.org.default_language = "pl"
    profile_a.org.save()
    _received_at(make_inquiry(profile_a.org, customer_language=""), T0)
    with time_machine.travel(T0 + dt.timedelta(days=15), tick=False):
        services.leads_expire()
    assert OutgoingMail.objects.get(kind="lead_expired").language == "pl"


def _as_rendered_at_once(mail, lead, recipient):
    """The mail `mail_queue` writes for the same template, context and language."""
    from partnerportal.mail import mail_queue

    with mock.patch("partnerportal.mail._enqueue"):
        return mail_queue(
            to=mail.to,
            template=mail.template,
            context={"lead": lead, "recipient": recipient, "directory_url": services._directory_url()},
            language=mail.language,
            org=lead.org,
        )


@pytest.mark.parametrize("who", ["customer", "sender"])
def test_the_expiry_mail_is_rendered_when_sent_in_the_recipients_language(profile_a, programme_staff, who):
    from django.core import mail as django_mail

    from partnerportal.mail import mail_send

    programme_staff.language = "ja"
    programme_staff.save()
    if who == "customer":
        lead = _received_at(make_inquiry(profile_a.org, customer_language="tr"), T0)
    else:
        lead = _received_at(make_qualified(profile_a.org, programme_staff), T0)
    with time_machine.travel(T0 + dt.timedelta(days=15), tick=False):
        services.leads_expire()
    mail = OutgoingMail.objects.get(kind="lead_expired")
    # The job stores what to write; the worker that sends it writes it.
    assert mail.template == f"leads/email/expired_{who}" and mail.body_text == ""
    assert mail_send(mail_id=mail.pk) == "sent"
    mail.refresh_from_db()
    lead.refresh_from_db()
    expected = _as_rendered_at_once(mail, lead, lead.sender)
    assert (mail.subject, mail.body_text) == (expected.subject, expected.body_text)
    [sent] = django_mail.outbox
    assert (sent.subject, sent.body) == (expected.subject, expected.body_text)
    assert sent.to == [mail.to] and mail.language == ("tr" if who == "customer" else "ja")
    if who == "customer":
        assert services._directory_url() in sent.body and "Terry" in sent.body
    else:
        assert "Tailwind" in sent.subject


def test_expire_job_is_idempotent_and_counts_as_slow_response(profile_a):
    for _ in range(3):
        _received_at(make_inquiry(profile_a.org), T0)
    with time_machine.travel(T0 + dt.timedelta(days=20), tick=False):
        assert tasks.expire_leads() == 3
        assert tasks.expire_leads() == 0
        call_command("expire_leads")
    assert OutgoingMail.objects.filter(kind="lead_expired").count() == 3
    profile_a.refresh_from_db()
    assert profile_a.median_response_seconds == 14 * 86400 and profile_a.response_tier == 4


def test_expiry_works_in_batches(profile_a):
    for _ in range(5):
        _received_at(make_inquiry(profile_a.org), T0)
    with time_machine.travel(T0 + dt.timedelta(days=20), tick=False):
        assert services.leads_expire(batch_size=2) == 5
    assert Lead.objects.filter(status=Lead.Status.EXPIRED).count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_expire_each_lead_once(org_a):
    from partnerportal.models import Location

    from .conftest import publish_profile

    loc = Location.objects.create(org=org_a, name="HQ", country="US", contact_name="D", contact_email="d@a.example")
    publish_profile(org_a, [loc])
    leads = [make_inquiry(org_a) for _ in range(40)]
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(received_at=T0)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(services.leads_expire(now=T0 + dt.timedelta(days=15), batch_size=5))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(results) == 40
    assert Lead.objects.filter(status=Lead.Status.EXPIRED).count() == 40
    per_lead = AuditEntry.objects.filter(action="lead.expired").values_list("object_id", flat=True)
    assert sorted(per_lead) == sorted(str(lead.pk) for lead in leads)
    assert OutgoingMail.objects.filter(kind="lead_expired").count() == 40


# --- Nudges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "age,kind",
    [
        (dt.timedelta(hours=24), "24h"),
        (dt.timedelta(days=7), "7d"),
        (dt.timedelta(days=13), "13d"),
    ],
)
def test_nudges_at_their_edges(profile_a, rita, age, kind):
    lead = _received_at(make_inquiry(profile_a.org), T0)
    with time_machine.travel(T0 + age - dt.timedelta(seconds=1), tick=False):
        services.leads_send_nudges()
    assert not LeadNudge.objects.filter(lead=lead, kind=kind).exists()
    with time_machine.travel(T0 + age, tick=False):
        assert services.leads_send_nudges() == 1
        assert services.leads_send_nudges() == 0  # each nudge once
    assert LeadNudge.objects.get(lead=lead, kind=kind)
    mail = OutgoingMail.objects.get(kind=f"lead_nudge_{kind}")
    # To the referral admins (Rita), in her language; Bob has no role and hears nothing.
    assert mail.to == rita.email and mail.language == "pl"


def test_nudges_reach_partner_admins_too_but_not_members_without_role(profile_a, alice, bob, rita):
    _received_at(make_inquiry(profile_a.org), T0)
    with time_machine.travel(T0 + dt.timedelta(hours=25), tick=False):
        tasks.send_lead_nudges()
        call_command("send_lead_nudges")
    assert sorted(OutgoingMail.objects.filter(kind="lead_nudge_24h").values_list("to", flat=True)) == [
        alice.email,
        rita.email,
    ]


def test_answered_leads_get_no_nudge(profile_a, alice, rita):
    lead = _received_at(make_inquiry(profile_a.org), T0)
    services.lead_accept(lead=lead, actor=alice, **DEAL)
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        assert services.leads_send_nudges() == 0


# --- Flame ----------------------------------------------------------------------------------


def test_flame_changes_exactly_at_72_hours(profile_a):
    lead = _received_at(make_inquiry(profile_a.org, may_contact_directly=True), T0)
    assert lead.flame(T0 + dt.timedelta(hours=72) - dt.timedelta(seconds=1)) == "fresh"
    assert lead.flame(T0 + dt.timedelta(hours=72)) == "waiting"
    assert lead.flame(T0 + dt.timedelta(days=10)) == "waiting"  # still active, keep trying


def test_no_flame_without_the_customers_wish_or_after_archiving(profile_a, alice):
    quiet = _received_at(make_inquiry(profile_a.org, may_contact_directly=False), T0)
    assert quiet.flame(T0) is None
    loud = _received_at(make_inquiry(profile_a.org, may_contact_directly=True), T0)
    services.lead_decline(lead=loud, actor=alice, reason="other", notes="No")
    loud.refresh_from_db()
    assert loud.flame(T0) is None


def test_flame_on_the_lead_page_at_the_edge(profile_a, alice_client):
    from django.urls import reverse

    lead = _received_at(make_inquiry(profile_a.org, may_contact_directly=True), T0)
    url = reverse("leads:lead_detail", args=[lead.pk])
    with time_machine.travel(T0 + dt.timedelta(hours=72) - dt.timedelta(seconds=1), tick=False):
        body = alice_client.get(url).content.decode()
    assert "lead-flame-fresh" in body and "fa-fire" in body
    with time_machine.travel(T0 + dt.timedelta(hours=72), tick=False):
        body = alice_client.get(url).content.decode()
    assert "lead-flame-waiting" in body and "keep trying" in body


# --- Schedule -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["expire_leads", "send_lead_nudges"])
def test_each_job_has_a_beat_entry_and_a_command(name):
    from django.core.management import get_commands

    assert any(entry["task"] == f"leads.tasks.{name}" for entry in settings.CELERY_BEAT_SCHEDULE.values())
    assert get_commands()[name] == "leads"
    assert callable(getattr(tasks, name))
