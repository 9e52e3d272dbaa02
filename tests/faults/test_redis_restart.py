"""Redis goes away and comes back (empty: nothing kept on disk) while people send team
invitations.

What this proves: a request that queues mail while the broker is down still succeeds, and
everything it saved is whole (invitation, audit entry and outbox row, all or none); the
mail waits in the outbox as queued. Once Redis is back the worker reconnects by itself, new
mail flows again, and the send-queued-mail sweep delivers what the broker never got or lost
in the restart: every invitation arrives exactly once."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse

from partnerportal.mail import mail_requeue_pending
from partnerportal.models import AuditEntry, Invitation, OutgoingMail

from .conftest import start_worker, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PER_PHASE = 5


def _invite(client, n: int):
    return client.post(
        reverse("team_invite"), {"email": f"new{n}@a.example", "roles": ["survey_admin"], "language": "en"}
    )


def test_requests_survive_a_redis_restart_and_every_mail_arrives_once(
    alice_client, org_a, broker, private_redis, smtp_sink, processes, caplog
):
    start_worker(
        processes, "worker", broker_url=private_redis.url, queue=broker, EMAIL_URL=f"smtp://127.0.0.1:{smtp_sink.port}"
    )
    responses = []
    for n in range(PER_PHASE):
        responses.append(_invite(alice_client, n))
    wait_for(lambda: smtp_sink.count() == PER_PHASE, timeout=60, what="the first invitations to arrive")

    private_redis.kill()
    with caplog.at_level(logging.WARNING, logger="partnerportal.mail"):
        for n in range(PER_PHASE, 2 * PER_PHASE):
            responses.append(_invite(alice_client, n))
    assert "left queued for the sweep" in caplog.text  # the failure is logged, not hidden
    stranded = OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED).count()
    assert stranded == PER_PHASE

    private_redis.start()
    for n in range(2 * PER_PHASE, 3 * PER_PHASE):
        responses.append(_invite(alice_client, n))

    total = 3 * PER_PHASE
    # Each request answered as usual (the publish gives up after a few quick retries).
    assert [r.status_code for r in responses] == [302] * total
    # Nothing half-saved: each invitation has its audit entry and its outbox row.
    assert Invitation.objects.filter(org=org_a).count() == total
    assert AuditEntry.objects.filter(org=org_a, action="invitation.created").count() == total
    assert OutgoingMail.objects.filter(kind="team_invitation").count() == total

    def delivered():
        if not OutgoingMail.objects.exclude(status=OutgoingMail.Status.SENT).exists():
            return True
        mail_requeue_pending(older_than=timedelta(0))  # the sweep, every 5 minutes in production
        return False

    wait_for(delivered, timeout=90, what="every invitation to be sent after Redis returned", interval=1.0)
    received = smtp_sink.message_ids()
    assert set(received) == {m.message_id for m in OutgoingMail.objects.all()}
    assert set(received.values()) == {1}, "an invitation arrived twice"
    assert sorted(rcpt for _mid, rcpt in smtp_sink.received) == sorted(f"new{n}@a.example" for n in range(total))
