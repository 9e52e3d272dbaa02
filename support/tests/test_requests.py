import datetime as dt

import pytest
import time_machine
from django.core import mail

from partnerportal.errors import DomainError
from support import services
from support.models import RequestMessage, ServiceHealthIncident, SupportRequest

T0 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def test_customer_is_emailed_in_their_language(support_request):
    from partnerportal.models import OutgoingMail

    received = OutgoingMail.objects.get(kind="support.request_received")
    assert received.to == "tomasz@hotelnord.example" and received.language == "pl"


@pytest.mark.parametrize("severity,hours", [("A", 2), ("B", 4), ("C", 8)])
def test_first_response_targets_by_severity(csp_a, customer, contact, severity, hours):
    with time_machine.travel(T0, tick=False):
        req = services.request_create(
            org=csp_a,
            customer=customer,
            requester=contact,
            category="technical",
            service="teams",
            severity=severity,
            subject="x",
            description="y",
        )
    assert req.first_response_due_at == T0 + dt.timedelta(hours=hours)
    assert not req.first_response_breached(T0 + dt.timedelta(hours=hours))
    assert req.first_response_breached(T0 + dt.timedelta(hours=hours, seconds=1))


def test_first_reply_stops_first_response_clock(csp_a, customer, contact, alice):
    with time_machine.travel(T0, tick=False):
        req = services.request_create(
            org=csp_a,
            customer=customer,
            requester=contact,
            category="technical",
            service="teams",
            severity="A",
            subject="x",
            description="y",
        )
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.request_reply(request=req, actor=alice, body="Looking into it")
    req.refresh_from_db()
    assert req.first_response_at == T0 + dt.timedelta(hours=1)
    assert req.status == SupportRequest.Status.DIAGNOSING
    assert not req.first_response_breached(T0 + dt.timedelta(days=3))


def test_waiting_on_customer_pauses_the_clocks(csp_a, customer, contact, alice):
    with time_machine.travel(T0, tick=False):
        req = services.request_create(
            org=csp_a,
            customer=customer,
            requester=contact,
            category="technical",
            service="teams",
            severity="A",
            subject="x",
            description="y",
        )
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        services.request_change_status(request=req, status="waiting_on_customer", actor=alice)
    req.refresh_from_db()
    # Paused: three hours later it is still not breaching (target 2 h, only 30 min ran).
    assert not req.first_response_breached(T0 + dt.timedelta(hours=3))
    with time_machine.travel(T0 + dt.timedelta(hours=5, minutes=30), tick=False):
        services.request_customer_message(request=req, contact=contact, body="Here is the log")
    req.refresh_from_db()
    assert req.status == SupportRequest.Status.DIAGNOSING
    assert req.paused_seconds == 5 * 3600
    assert req.first_response_due_at == T0 + dt.timedelta(hours=7)
    assert not req.first_response_breached(T0 + dt.timedelta(hours=7))
    assert req.first_response_breached(T0 + dt.timedelta(hours=7, seconds=1))
    assert req.resolution_due_at == T0 + dt.timedelta(hours=29)


@pytest.mark.parametrize(
    "wait_from, breached",
    [(dt.timedelta(hours=2), False), (dt.timedelta(hours=2, seconds=1), True)],
)
def test_queue_filter_agrees_with_the_request_while_paused(csp_a, customer, contact, alice, wait_from, breached):
    """A request already past its first-response target when it went to 'waiting on the
    customer' stays breached while paused, in the queue's filter as on its own page."""
    from support.selectors import breached_q

    with time_machine.travel(T0, tick=False):
        req = services.request_create(
            org=csp_a,
            customer=customer,
            requester=contact,
            category="technical",
            service="teams",
            severity="A",
            subject="x",
            description="y",
        )
    with time_machine.travel(T0 + wait_from, tick=False):
        services.request_change_status(request=req, status="waiting_on_customer", actor=alice)
    req.refresh_from_db()
    later = T0 + dt.timedelta(days=2)
    assert req.first_response_breached(later) is breached
    assert SupportRequest.objects.filter(breached_q(later), pk=req.pk).exists() is breached


def test_resolution_time_excludes_pause(csp_a, customer, contact, alice):
    with time_machine.travel(T0, tick=False):
        req = services.request_create(
            org=csp_a,
            customer=customer,
            requester=contact,
            category="technical",
            service="teams",
            severity="C",
            subject="x",
            description="y",
        )
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        services.request_reply(request=req, actor=alice, body="Need logs", status="waiting_on_customer")
    with time_machine.travel(T0 + dt.timedelta(hours=11), tick=False):
        services.request_change_status(request=req, status="resolved", actor=alice)
    req.refresh_from_db()
    assert req.time_to_resolution() == dt.timedelta(hours=1)
    assert req.waiting_since is None


def test_wrong_transition_is_refused(support_request, alice):
    services.request_change_status(request=support_request, status="resolved", actor=alice)
    services.request_change_status(request=support_request, status="closed", actor=alice)
    with pytest.raises(DomainError):
        services.request_change_status(request=support_request, status="diagnosing", actor=alice)
    with pytest.raises(DomainError):
        services.request_reply(request=support_request, actor=alice, body="late")


def test_status_escalated_only_through_escalation(support_request, alice):
    with pytest.raises(DomainError) as exc:
        services.request_change_status(request=support_request, status="escalated", actor=alice)
    assert exc.value.field == "status"


def test_note_is_never_emailed(support_request, alice):
    mail.outbox.clear()
    services.request_note(request=support_request, actor=alice, body="Customer sounds annoyed")
    assert mail.outbox == []
    assert support_request.messages.get().kind == RequestMessage.Kind.NOTE


def test_health_check_links_active_incident_for_same_service(support_request, alice):
    incident = ServiceHealthIncident.objects.create(
        service="exchange_online", title="Mail delays", public_description="Delays", regions=["europe"]
    )
    other = ServiceHealthIncident.objects.create(service="teams", title="Teams", public_description="x")
    with pytest.raises(DomainError):
        services.request_check_health(request=support_request, actor=alice, incident=other)
    services.request_check_health(request=support_request, actor=alice, incident=incident)
    support_request.refresh_from_db()
    assert support_request.incident == incident and support_request.health_checked_at is not None


def test_satisfaction_only_after_close_and_once(support_request, contact, alice):
    with pytest.raises(DomainError):
        services.request_rate(request=support_request, contact=contact, score=5)
    services.request_change_status(request=support_request, status="resolved", actor=alice)
    services.request_change_status(request=support_request, status="closed", actor=alice)
    services.request_rate(request=support_request, contact=contact, score=4, comment="ok")
    support_request.refresh_from_db()
    assert support_request.satisfaction == 4
    with pytest.raises(DomainError):
        services.request_rate(request=support_request, contact=contact, score=1)


def test_satisfaction_is_not_a_csat_answer(support_request, contact, alice):
    # The rating lives on the request only; nothing is written to the CSAT programme.
    from django.apps import apps

    services.request_change_status(request=support_request, status="resolved", actor=alice)
    services.request_change_status(request=support_request, status="closed", actor=alice)
    before = (
        {m._meta.label: m.objects.count() for m in apps.get_app_config("csat").get_models()}
        if apps.is_installed("csat")
        else {}
    )
    services.request_rate(request=support_request, contact=contact, score=2)
    after = (
        {m._meta.label: m.objects.count() for m in apps.get_app_config("csat").get_models()}
        if apps.is_installed("csat")
        else {}
    )
    assert before == after


def test_checking_again_keeps_the_link_to_an_active_incident(support_request, alice):
    incident = ServiceHealthIncident.objects.create(
        service="exchange_online", title="Mail delays", public_description="Delays", regions=["europe"]
    )
    services.request_check_health(request=support_request, actor=alice, incident=incident)
    services.request_check_health(request=support_request, actor=alice)
    support_request.refresh_from_db()
    assert support_request.incident == incident


def test_a_request_an_agent_opens_for_a_contact_is_theirs(csp_a, customer, contact, alice):
    """Opened from a phone call with the contact's address: the contact follows it on their page."""
    req = services.request_create(
        org=csp_a,
        customer=customer,
        requester_name="Tomasz",
        requester_email="Tomasz@HotelNord.example",
        category="technical",
        service="teams",
        severity="C",
        subject="Called in",
        description="d",
        actor=alice,
    )
    assert req.requester == contact and req.requester_email == contact.email
    stranger = services.request_create(
        org=csp_a,
        customer=customer,
        requester_email="someone@else.example",
        category="technical",
        service="teams",
        severity="C",
        subject="Called in",
        description="d",
        actor=alice,
    )
    assert stranger.requester is None


def test_a_link_made_by_mistake_can_be_removed(support_request, alice):
    incident = ServiceHealthIncident.objects.create(
        service="exchange_online", title="Mail delays", public_description="Delays", regions=["asia"]
    )
    services.request_check_health(request=support_request, actor=alice, incident=incident)
    services.request_check_health(request=support_request, actor=alice, unlink=True)
    support_request.refresh_from_db()
    assert support_request.incident is None and support_request.health_checked_at is not None


def test_a_revoked_contact_is_not_made_the_requester(csp_a, customer, contact, alice):
    services.contact_revoke_link(contact=contact, actor=alice)
    req = services.request_create(
        org=csp_a,
        customer=customer,
        requester_email=contact.email,
        category="technical",
        service="teams",
        severity="C",
        subject="Called in",
        description="d",
        actor=alice,
    )
    assert req.requester is None
