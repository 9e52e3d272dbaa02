"""kill -9 of the Celery worker in the middle of sending survey invitations.

What this proves: with the worker killed twice mid-batch (once at the worst moment, once at
an arbitrary one) and restarted, and the send-queued-mail sweep run as it is on its
schedule, every invitation reaches the SMTP server; none is lost. A mail is delivered twice
only if the worker died after the server took it and before its row was marked sent: the
outbox is at-least-once for that one in-flight mail per worker, and the repeat carries the
same Message-ID so the receiving side can drop it. Every other mail arrives exactly once."""

from collections import Counter
from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from csat.models import Contact, customer_org_key
from csat.services import invitations_create, invitations_send_due
from partnerportal.mail import mail_requeue_pending
from partnerportal.models import OutgoingMail

from .conftest import start_worker, test_database_url, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

INVITATIONS = 200
LEASE = 3  # seconds; the production lease is 15 minutes


def _contacts(org, n):
    Contact.objects.bulk_create(
        Contact(
            org=org,
            first_name="Ana",
            last_name=f"Customer {i}",
            email=f"c{i:03d}@customer.example",
            customer_org="Adventure Works",
            customer_org_key=customer_org_key("Adventure Works"),
            consent=True,
        )
        for i in range(n)
    )


def _statuses() -> Counter:
    return Counter(OutgoingMail.objects.values_list("status", flat=True))


def _backend_waiting_on(table: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()
                 AND wait_event_type = 'Lock' AND query ILIKE %s""",
            [f"%{table}%"],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _sweep_until_all_sent(timeout: float) -> None:
    """The recovery path: the send-queued-mail sweep (every 5 minutes in production) run
    every second here, until every row is sent."""

    def all_sent():
        if _statuses()[OutgoingMail.Status.SENT] == INVITATIONS:
            return True
        mail_requeue_pending(older_than=timedelta(0))
        return False

    wait_for(all_sent, timeout=timeout, what="every invitation to be sent", interval=1.0)


def test_kill_9_mid_send_loses_nothing_and_repeats_only_the_mail_in_flight(
    org_a, alice, broker, private_redis, smtp_sink, processes, settings
):
    settings.MAIL_CLAIM_LEASE = LEASE
    _contacts(org_a, INVITATIONS)
    assert invitations_create(org=org_a, actor=alice) == INVITATIONS
    assert invitations_send_due(org_id=org_a.pk) == INVITATIONS  # as many rows and send tasks
    rows = dict(OutgoingMail.objects.values_list("to", "pk"))
    message_ids = {m.message_id for m in OutgoingMail.objects.all()}
    assert len(rows) == INVITATIONS == len(message_ids)

    worker_env = {
        "broker_url": private_redis.url,
        "queue": broker,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
        "EMAIL_TIMEOUT": 5,
        "MAIL_CLAIM_LEASE": LEASE,
    }

    # 1. The worst moment: the SMTP server has taken a mail and answered 250, and the worker
    # is about to mark the row sent (held here by a row lock) when it is killed.
    held_to = OutgoingMail.objects.order_by("pk").values_list("to", flat=True)[50]  # sent in this order
    smtp_sink.hold = held_to
    worker = start_worker(processes, "worker-1", **worker_env)
    wait_for(smtp_sink.holding.is_set, timeout=60, what="the worker to reach the held mail")
    with psycopg.connect(test_database_url().replace("postgres://", "postgresql://")) as lock:
        lock.execute("SELECT id FROM partnerportal_outgoingmail WHERE id = %s FOR UPDATE", [rows[held_to]])
        smtp_sink.release.set()
        blocked = wait_for(
            lambda: _backend_waiting_on("partnerportal_outgoingmail"),
            timeout=30,
            what="the worker to try to mark the mail sent",
        )
        worker.kill9()
        # The dead worker's server process would otherwise finish its UPDATE once unblocked.
        lock.execute("SELECT pg_terminate_backend(%s)", [blocked])
        lock.rollback()
    held = OutgoingMail.objects.get(pk=rows[held_to])
    assert held.status == OutgoingMail.Status.SENDING  # sent, but the outbox cannot know it
    assert smtp_sink.message_ids()[held.message_id] == 1
    assert smtp_sink.count() < INVITATIONS - 40, "the batch was no longer in progress"

    # 2. An arbitrary moment: killed as soon as 40 more mails have arrived.
    so_far = smtp_sink.count()
    worker = start_worker(processes, "worker-2", **worker_env)
    wait_for(lambda: smtp_sink.count() >= so_far + 40, timeout=60, what="40 more mails to arrive")
    worker.kill9()
    in_flight = set(
        OutgoingMail.objects.filter(status=OutgoingMail.Status.SENDING).exclude(pk=held.pk).values_list("pk", flat=True)
    )
    assert len(in_flight) <= 1  # one solo worker, one message prefetched and unacknowledged

    # 3. Restart; the killed tasks are unacknowledged in Redis until its visibility timeout
    # (an hour), so the sweep is what brings those mails back once their lease has run out.
    start_worker(processes, "worker-3", **worker_env)
    _sweep_until_all_sent(timeout=90)

    received = smtp_sink.message_ids()
    assert set(received) == message_ids, "an invitation was lost"
    repeated = {mid for mid, n in received.items() if n > 1}
    allowed = {held.message_id} | {m.message_id for m in OutgoingMail.objects.filter(pk__in=in_flight)}
    assert held.message_id in repeated  # it was sent again, with the same Message-ID
    assert repeated <= allowed, "a mail that was not in flight at a kill arrived twice"
    assert all(received[mid] == 2 for mid in repeated)
    recipients = Counter(rcpt for _mid, rcpt in smtp_sink.received)
    assert set(recipients) == set(rows)
    held.refresh_from_db()
    assert held.status == OutgoingMail.Status.SENT and held.attempts == 2
