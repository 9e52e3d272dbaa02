"""The lead expiry, the survey reminders and the collections run by two schedulers and two
workers at once.

What this proves: running each job concurrently (two threads, small batches so their work
interleaves) and then again, and with two real beat processes feeding two real workers,
every due lead is expired once and its sender or customer told once, every survey reminder
goes out once, and every collections step (reminder before, overdue, reminder after,
suspension) is taken and mailed once per invoice. The jobs claim their rows with
SELECT ... FOR UPDATE SKIP LOCKED and conditional updates, and collections steps with a
unique (invoice, kind, day) event inserted ON CONFLICT DO NOTHING."""

import datetime as dt
import re
import sys
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from csat.models import Invitation
from csat.services import reminders_send_due, settings_for
from csat.tests.factories import make_contact
from leads import services as leads
from leads.models import Lead
from leads.tests.conftest import CUSTOMER, publish_profile
from partnerportal.models import AuditEntry, Location, OutgoingMail, User
from support import services as support
from support.models import CollectionEvent, Invoice, Subscription
from support.tests.conftest import make_invoice, make_subscription

from .conftest import app_env, start_worker, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

LEADS = 20
INVITATIONS = 20
INVOICES_PER_STEP = 6


def _build(org, alice):
    """Due work of every kind, dated from the real clock (the workers in part 2 use it)."""
    now = timezone.now()
    today = timezone.localdate()
    location = Location.objects.create(
        org=org, name="Seattle", country="US", contact_name="Dana", contact_email="d@a.example"
    )
    publish_profile(org, [location])
    staff = User.objects.create_user(email="staff@vendor.example", password="x", is_programme_staff=True)
    for n in range(LEADS):
        sender = staff if n % 2 else None
        kind = Lead.Type.SALES_QUALIFIED if sender else Lead.Type.CUSTOMER_INQUIRY
        leads.lead_create(
            org=org, type=kind, sender=sender, **{**CUSTOMER, "contact_email": f"lead{n}@customer.example"}
        )
    Lead.objects.update(received_at=now - dt.timedelta(days=15))

    settings_for(org=org)
    for n in range(INVITATIONS):
        contact = make_contact(org, f"inv{n}@customer.example")
        Invitation.objects.create(org=org, contact=contact, token_hash=f"t{n}", sent_at=now - dt.timedelta(days=10))

    org.csp_relationship = "direct"
    org.save()
    customers = []
    for n in range(3):
        customer = support.customer_create(
            org=org,
            actor=alice,
            company=f"Hotel {n}",
            tenant_domain=f"hotel{n}.onmicrosoft.com",
            country="PL",
            language="pl",
            billing_contact_name="Anna Kasa",
            billing_contact_email=f"billing{n}@hotel.example",
            billing_contact_phone="",
            technical_contact_name="Tomasz IT",
            technical_contact_email=f"it{n}@hotel.example",
            technical_contact_phone="",
        )
        make_subscription(customer)
        customers.append(customer)
    # Due in 7 days (a reminder), due yesterday (overdue, day-1 reminder), 20 days late (suspension).
    for offset in (7, -1, -20):
        for n in range(INVOICES_PER_STEP):
            make_invoice(customers[n % 3], number=f"INV{offset}-{n}", due=today + dt.timedelta(days=offset))
    return OutgoingMail.objects.count()


def _assert_each_done_once(mails_before: int):
    expired = Lead.objects.filter(status=Lead.Status.EXPIRED)
    assert expired.count() == LEADS
    audits = Counter(AuditEntry.objects.filter(action="lead.expired").values_list("object_id", flat=True))
    assert sorted(audits) == sorted(str(pk) for pk in expired.values_list("pk", flat=True))
    assert set(audits.values()) == {1}, "a lead was expired twice"
    told = Counter(OutgoingMail.objects.filter(kind="lead_expired").values_list("related", flat=True))
    assert len(told) == LEADS and set(told.values()) == {1}, "a lead's sender or customer was told twice"

    assert Invitation.objects.filter(reminded_at__isnull=True).count() == 0
    reminders = Counter(OutgoingMail.objects.filter(kind="csat_reminder").values_list("related", flat=True))
    assert len(reminders) == INVITATIONS and set(reminders.values()) == {1}, "a reminder went out twice"

    events = Counter(CollectionEvent.objects.values_list("invoice_id", "kind"))
    assert set(events.values()) == {1}
    kinds = Counter(kind for _invoice, kind in events)
    assert kinds == {
        "reminder_before": INVOICES_PER_STEP,
        "overdue": 2 * INVOICES_PER_STEP,
        "reminder_after": INVOICES_PER_STEP,
        "suspended": 3,  # one per customer whose subscriptions it suspended
    }
    invoice_mail = Counter(
        OutgoingMail.objects.filter(related__startswith="support.invoice:").values_list("related", "kind")
    )
    assert set(invoice_mail.values()) == {1}, "an invoice mail went out twice"
    # Reminder before, day-1 reminder (instead of the overdue notice), overdue notice, suspension.
    assert len(invoice_mail) == 3 * INVOICES_PER_STEP + 3
    # Of the invoices past their suspension day, the oldest of each customer holds the suspension.
    assert Invoice.objects.filter(suspended_at__isnull=False).count() == 3
    assert Subscription.objects.filter(status="suspended").count() == 3
    assert OutgoingMail.objects.count() == mails_before + LEADS + INVITATIONS + 3 * INVOICES_PER_STEP + 3


def test_jobs_run_concurrently_do_everything_once(org_a, alice):
    mails_before = _build(org_a, alice)
    start = threading.Barrier(2, timeout=60)
    errors = []

    def scheduler(order):
        try:
            for job in order:
                start.wait()
                job()
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            start.abort()
        finally:
            connection.close()

    jobs = [
        lambda: leads.leads_expire(batch_size=3),
        lambda: reminders_send_due(batch=3),
        lambda: support.collections_run(),
    ]
    threads = [threading.Thread(target=scheduler, args=(order,)) for order in (jobs, jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads) and not errors, errors
    # The next tick finds nothing left to do.
    assert leads.leads_expire() == 0 and reminders_send_due() == 0
    assert not any(support.collections_run().values())
    _assert_each_done_once(mails_before)


@pytest.mark.redis
def test_two_beats_and_two_workers_do_everything_once(org_a, alice, broker, private_redis, processes, tmp_path):
    mails_before = _build(org_a, alice)
    env = {"broker_url": private_redis.url, "queue": broker}
    for name in ("worker-1", "worker-2"):
        start_worker(processes, name, **env)
    beats = []
    for name in ("beat-1", "beat-2"):
        argv = [sys.executable, "-m", "celery", "-A", "partnerportal", "beat", "--loglevel=INFO"]
        argv += ["-s", str(tmp_path / f"{name}-schedule"), "--pidfile", str(tmp_path / f"{name}.pid")]
        beat_env = app_env(
            DJANGO_SETTINGS_MODULE="tests.faults.fastbeat_settings",
            CELERY_BROKER_URL=private_redis.url,
            CELERY_TASK_DEFAULT_QUEUE=broker,
        )
        beats.append(processes.start(name, argv, beat_env))

    def ticks(beat) -> int:
        return len(re.findall(r"Sending due task run-collections", beat.output()))

    wait_for(lambda: all(ticks(b) >= 3 for b in beats), timeout=90, what="both beats to send every job three times")
    for beat in beats:
        beat.stop()

    def drained():
        return private_redis.llen(broker) == 0 and not OutgoingMail.objects.filter(status="queued").exists()

    wait_for(drained, timeout=60, what="the workers to finish the queued jobs and mail", interval=0.5)
    for process in processes.started:
        process.stop()  # warm shutdown: a job in progress finishes
    _assert_each_done_once(mails_before)
