"""An SMTP server that answers 421 or stalls past the client's timeout.

What this proves: a transient refusal or a timeout is retried through the broker with an
exponential backoff, up to MAIL_MAX_ATTEMPTS; then the outbox row is marked failed with the
server's answer, and the business object hears of it (the survey contact is marked
undeliverable), so nothing is lost silently. The configured numbers fit together: no retry
waits as long as the broker's visibility timeout (a retry held by a worker is never handed
to a second one) or the claim lease, and no send outlives its claim."""

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from csat.models import Invitation
from csat.services import invitations_create, invitations_send_due
from csat.tests.factories import make_contact
from partnerportal.celery import app
from partnerportal.mail import mail_queue
from partnerportal.models import OutgoingMail
from partnerportal.tasks import retry_countdown

from .conftest import start_worker, wait_for

ATTEMPTS = 3


def test_the_configured_backoff_fits_inside_the_lease_and_the_visibility_timeout():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility == django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    waits = [retry_countdown(n) for n in range(50)]
    assert waits[0] == django_settings.MAIL_RETRY_BACKOFF
    assert all(a <= b for a, b in zip(waits, waits[1:], strict=False)), "the backoff must not shrink"
    assert waits[1] == 2 * waits[0], "the backoff doubles"
    assert max(waits) == django_settings.MAIL_RETRY_BACKOFF_MAX
    assert django_settings.MAIL_RETRY_BACKOFF_MAX <= django_settings.MAIL_CLAIM_LEASE < visibility
    # A claim outlives any send: the hard time limit ends a stuck task first.
    assert django_settings.EMAIL_TIMEOUT < django_settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert django_settings.CELERY_TASK_SOFT_TIME_LIMIT < django_settings.CELERY_TASK_TIME_LIMIT
    assert django_settings.CELERY_TASK_TIME_LIMIT < django_settings.MAIL_CLAIM_LEASE
    # Every failure is retried a bounded number of times, all within a working day.
    total = sum(retry_countdown(n) for n in range(django_settings.MAIL_MAX_ATTEMPTS - 1))
    assert 0 < total < 8 * 3600
    assert django_settings.CELERY_TASK_ACKS_LATE and django_settings.CELERY_TASK_REJECT_ON_WORKER_LOST


@pytest.mark.faults
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_421_and_timeouts_are_retried_then_recorded_as_failed(
    org_a, alice, broker, private_redis, smtp_sink, processes
):
    busy = make_contact(org_a, "busy@customer.example")
    make_contact(org_a, "fine@customer.example")
    smtp_sink.busy.add("busy@customer.example")
    smtp_sink.slow.add("slow@customer.example")
    smtp_sink.slow_seconds = 4
    invitations_create(org=org_a, actor=alice)
    assert invitations_send_due(org_id=org_a.pk) == 2
    with transaction.atomic():
        slow = mail_queue(
            to="slow@customer.example",
            template="registration/email/password_reset",
            context={"reset_url": "http://x", "user": None},
        )
    start_worker(
        processes,
        "worker",
        broker_url=private_redis.url,
        queue=broker,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}",
        EMAIL_TIMEOUT=1,
        MAIL_MAX_ATTEMPTS=ATTEMPTS,
        MAIL_RETRY_BACKOFF=0.5,
    )

    def settled():
        return not OutgoingMail.objects.exclude(
            status__in=[OutgoingMail.Status.SENT, OutgoingMail.Status.FAILED]
        ).exists()

    wait_for(settled, timeout=60, what="every mail to be sent or to fail")
    refused = OutgoingMail.objects.get(to="busy@customer.example")
    assert refused.status == OutgoingMail.Status.FAILED
    assert refused.attempts == ATTEMPTS
    assert smtp_sink.rcpt_tries["busy@customer.example"] == ATTEMPTS  # each retry reached the server
    assert "421" in refused.last_error
    slow.refresh_from_db()
    assert slow.status == OutgoingMail.Status.FAILED and slow.attempts == ATTEMPTS
    assert "timed out" in slow.last_error.lower()
    # The survey programme learns of it: neither the invitation nor the contact counts as reachable.
    invitation = Invitation.objects.get(contact=busy)
    busy.refresh_from_db()
    assert invitation.bounced_at is not None and busy.bounced_at is not None
    # A healthy mail in the same queue went through once.
    fine = OutgoingMail.objects.get(to="fine@customer.example")
    assert fine.status == OutgoingMail.Status.SENT and fine.attempts == 1
    assert [rcpt for _mid, rcpt in smtp_sink.received] == ["fine@customer.example"]
