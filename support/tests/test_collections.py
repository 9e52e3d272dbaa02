import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from partnerportal.models import OutgoingMail
from support import services, tasks
from support.models import CollectionEvent, CollectionsPolicy, Invoice, Subscription
from support.selectors import invoice_timeline, timeline_summary

from .conftest import make_customer, make_invoice, make_subscription

DUE = dt.date(2026, 5, 10)


def at(day: dt.date, hour=5):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, 30, tzinfo=dt.UTC), tick=False)


def run(day):
    with at(day):
        return services.collections_run()


@pytest.fixture
def policy(csp_a):
    return CollectionsPolicy.objects.create(
        org=csp_a, reminder_days_before=[7, 1], reminder_days_after=[1, 7], suspend_after_days=10
    )


def kinds(invoice):
    return list(invoice.collection_events.values_list("kind", "day"))


def test_reminders_before_due_at_exact_days(customer, policy):
    inv = make_invoice(customer, due=DUE)
    assert run(DUE - dt.timedelta(days=8))["reminders_before"] == 0
    assert run(DUE - dt.timedelta(days=7))["reminders_before"] == 1
    assert run(DUE - dt.timedelta(days=2))["reminders_before"] == 0
    assert run(DUE - dt.timedelta(days=1))["reminders_before"] == 1
    assert kinds(inv) == [("reminder_before", dt.date(2026, 5, 3)), ("reminder_before", dt.date(2026, 5, 9))]
    mails = OutgoingMail.objects.filter(kind="support.invoice_reminder_before")
    assert mails.count() == 2 and {m.to for m in mails} == {"anna@hotelnord.example"}
    assert {m.language for m in mails} == {"pl"}


def test_overdue_the_day_after_due(customer, policy):
    inv = make_invoice(customer, due=DUE)
    run(DUE)
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN
    result = run(DUE + dt.timedelta(days=1))
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OVERDUE and result["overdue"] == 1 and result["reminders_after"] == 1
    # One e-mail that day, not two: the overdue reminder says it all.
    assert OutgoingMail.objects.filter(related=f"support.invoice:{inv.pk}").count() == 1


def test_suspension_after_n_days_until_paid_and_reinstated_on_payment(customer, policy, bella):
    inv = make_invoice(customer, due=DUE)
    sub = make_subscription(customer)
    cancelled = make_subscription(customer, status=Subscription.Status.CANCELLED)
    for day in range(0, 10):
        run(DUE + dt.timedelta(days=day))
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE  # 19 May: not yet
    with at(DUE + dt.timedelta(days=10), hour=0):  # 20 May, 00:30
        assert services.collections_run()["suspended"] == 1
    sub.refresh_from_db()
    cancelled.refresh_from_db()
    assert sub.status == Subscription.Status.SUSPENDED and sub.suspended_by_invoice == inv
    assert cancelled.status == Subscription.Status.CANCELLED
    assert OutgoingMail.objects.filter(kind="support.invoice_suspended", to="anna@hotelnord.example").count() == 1
    services.payment_record(invoice=inv, actor=bella, amount=Decimal("100.00"), paid_on=DUE + dt.timedelta(days=11))
    sub.refresh_from_db()
    inv.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE and sub.suspended_by_invoice is None
    assert inv.status == Invoice.Status.PAID
    assert "reinstated" in [k for k, _ in kinds(inv)]


def test_partial_payment_does_not_reinstate(customer, policy, bella):
    inv = make_invoice(customer, due=DUE)
    sub = make_subscription(customer)
    run(DUE + dt.timedelta(days=10))
    services.payment_record(invoice=inv, actor=bella, amount=Decimal("40.00"), paid_on=DUE)
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.SUSPENDED
    with pytest.raises(services.DomainError):
        services.payment_record(invoice=inv, actor=bella, amount=Decimal("70.00"), paid_on=DUE)


def test_disputed_invoice_is_spared(customer, policy, bella):
    inv = make_invoice(customer, due=DUE)
    sub = make_subscription(customer)
    run(DUE + dt.timedelta(days=1))
    services.invoice_mark_disputed(invoice=inv, actor=bella, reason="Seats were cancelled in March")
    result = run(DUE + dt.timedelta(days=30))
    sub.refresh_from_db()
    assert result["suspended"] == 0 and sub.status == Subscription.Status.ACTIVE
    assert not CollectionEvent.objects.filter(invoice=inv, kind="reminder_after", day=DUE + dt.timedelta(days=7))


def test_dispute_lifts_an_existing_suspension(customer, policy, bella):
    inv = make_invoice(customer, due=DUE)
    sub = make_subscription(customer)
    run(DUE + dt.timedelta(days=10))
    services.invoice_mark_disputed(invoice=inv, actor=bella, reason="Wrong price")
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE


def test_prepaid_subscription_is_never_suspended(customer, policy):
    make_invoice(customer, due=DUE)
    prepaid = make_subscription(customer, service="azure", paid_through=DUE + dt.timedelta(days=300))
    monthly = make_subscription(customer)
    run(DUE + dt.timedelta(days=10))
    prepaid.refresh_from_db()
    monthly.refresh_from_db()
    assert prepaid.status == Subscription.Status.ACTIVE and monthly.status == Subscription.Status.SUSPENDED


def test_policy_without_suspension_never_suspends(customer, policy):
    policy.suspend_after_days = None
    policy.save()
    make_invoice(customer, due=DUE)
    sub = make_subscription(customer)
    run(DUE + dt.timedelta(days=100))
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE


def test_default_policy_applies_without_a_row(customer):
    make_invoice(customer, due=DUE)
    assert run(DUE - dt.timedelta(days=7))["reminders_before"] == 1
    assert run(DUE + dt.timedelta(days=13))["suspended"] == 0
    make_subscription(customer)
    assert run(DUE + dt.timedelta(days=14))["suspended"] == 1


def test_running_twice_the_same_day_does_nothing_twice(customer, policy):
    inv = make_invoice(customer, due=DUE)
    make_subscription(customer)
    for day in (DUE - dt.timedelta(days=7), DUE + dt.timedelta(days=1), DUE + dt.timedelta(days=10)):
        with at(day):
            tasks.run_collections()
            before = (OutgoingMail.objects.count(), CollectionEvent.objects.count())
            second = tasks.run_collections()
        assert (OutgoingMail.objects.count(), CollectionEvent.objects.count()) == before
        assert second == {"reminders_before": 0, "overdue": 0, "reminders_after": 0, "suspended": 0}
    assert len(kinds(inv)) == 4


def test_management_command_and_beat_entry_exist(customer, policy):
    from django.conf import settings

    make_invoice(customer, due=DUE)
    call_command("run_collections", date=str(DUE - dt.timedelta(days=1)))
    assert CollectionEvent.objects.filter(kind="reminder_before").count() == 1
    assert any(e["task"] == "support.tasks.run_collections" for e in settings.CELERY_BEAT_SCHEDULE.values())


def test_every_step_is_audited_once(customer, policy):
    from partnerportal.models import AuditEntry

    inv = make_invoice(customer, due=DUE)
    make_subscription(customer)
    make_subscription(customer, service="teams")
    for day in (-7, -1, 1, 7, 10):
        run(DUE + dt.timedelta(days=day))
        run(DUE + dt.timedelta(days=day))  # the second run the same day adds nothing
    entries = AuditEntry.objects.filter(object_type="support.invoice", object_id=str(inv.pk)).order_by("id")
    assert [(e.action, e.details) for e in entries] == [
        ("support.invoice_reminder_before", {}),
        ("support.invoice_reminder_before", {}),
        ("support.invoice_overdue", {}),
        ("support.invoice_reminder_after", {}),
        ("support.invoice_reminder_after", {}),
        ("support.subscriptions_suspended", {"subscriptions": 2}),
    ]
    assert all(e.actor_id is None and e.org_id == inv.org_id and e.object_repr == inv.number for e in entries)


def test_overdue_notice_on_a_day_without_reminder(customer, csp_a):
    CollectionsPolicy.objects.create(
        org=csp_a, reminder_days_before=[], reminder_days_after=[3], suspend_after_days=None
    )
    inv = make_invoice(customer, due=DUE)
    assert run(DUE + dt.timedelta(days=1)) == {
        "reminders_before": 0,
        "overdue": 1,
        "reminders_after": 0,
        "suspended": 0,
    }
    assert run(DUE + dt.timedelta(days=3))["reminders_after"] == 1
    mails = OutgoingMail.objects.filter(related=f"support.invoice:{inv.pk}").order_by("id")
    assert [m.kind for m in mails] == ["support.invoice_overdue", "support.invoice_reminder_after"]
    assert mails[0].context["suspension_day"] is None  # this policy never suspends


def test_a_customer_with_two_unpaid_invoices_is_suspended_by_the_oldest(customer, policy, bella):
    first = make_invoice(customer, number="INV-1", due=DUE)
    second = make_invoice(customer, number="INV-2", due=DUE)
    sub = make_subscription(customer)
    assert run(DUE + dt.timedelta(days=10))["suspended"] == 1
    sub.refresh_from_db()
    assert sub.suspended_by_invoice == first
    assert OutgoingMail.objects.filter(kind="support.invoice_suspended").count() == 1
    assert not CollectionEvent.objects.filter(invoice=second, kind="suspended").exists()


def test_paying_one_of_two_overdue_invoices_keeps_the_suspension(customer, policy, bella):
    first = make_invoice(customer, number="INV-1", due=DUE)
    second = make_invoice(customer, number="INV-2", due=DUE + dt.timedelta(days=2))
    sub = make_subscription(customer)
    run(DUE + dt.timedelta(days=12))  # both past their suspension day
    sub.refresh_from_db()
    assert sub.suspended_by_invoice == first
    with at(DUE + dt.timedelta(days=13)):
        services.payment_record(invoice=first, actor=bella, amount=Decimal("100.00"), paid_on=DUE)
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.SUSPENDED and sub.suspended_by_invoice == second
    paid = OutgoingMail.objects.get(kind="support.invoice_paid")
    assert "INV-2" in paid.body_text and "active again" not in paid.body_text
    assert ("suspended", DUE + dt.timedelta(days=13)) in kinds(second)
    services.payment_record(invoice=second, actor=bella, amount=Decimal("100.00"), paid_on=DUE)
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE and sub.suspended_by_invoice is None


def test_paying_one_invoice_before_the_other_reaches_its_suspension_day(customer, policy, bella):
    first = make_invoice(customer, number="INV-1", due=DUE)
    second = make_invoice(customer, number="INV-2", due=DUE + dt.timedelta(days=5))
    sub = make_subscription(customer)
    run(DUE + dt.timedelta(days=10))
    with at(DUE + dt.timedelta(days=11)):
        services.payment_record(invoice=first, actor=bella, amount=Decimal("100.00"), paid_on=DUE)
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE  # the second is not yet 10 days overdue
    assert run(DUE + dt.timedelta(days=15))["suspended"] == 1
    sub.refresh_from_db()
    assert sub.suspended_by_invoice == second


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "day, events, mails",
    [
        (DUE - dt.timedelta(days=7), {"reminder_before": 60}, {"invoice_reminder_before": 60}),
        (DUE + dt.timedelta(days=1), {"overdue": 60, "reminder_after": 60}, {"invoice_reminder_after": 60}),
        # Only the 30 invoices whose customer has a subscription suspend something.
        (
            DUE + dt.timedelta(days=14),
            {"overdue": 60, "suspended": 30},
            {"invoice_overdue": 60, "invoice_suspended": 30},
        ),
    ],
)
def test_two_workers_never_send_the_same_reminder(transactional_db, day, events, mails):
    from conftest import make_member, make_org

    org = make_org("PP-W", "Workers", csp_relationship="direct")
    admin = make_member("w@w.example", org, ["partner_admin"])
    customer = make_customer(org, admin)
    for n in range(30):
        make_invoice(customer, number=f"W-{n}", due=DUE)
        # A customer of its own per invoice, each with a subscription, so that every
        # invoice suspends something.
        own = make_customer(org, admin, str(n))
        make_invoice(own, number=f"S-{n}", due=DUE)
        make_subscription(own)
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            with at(day):
                services.collections_run()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert dict(CollectionEvent.objects.values_list("kind").annotate(n=Count("id"))) == events
    queued = OutgoingMail.objects.filter(kind__startswith="support.invoice_")
    assert dict(queued.values_list("kind").annotate(n=Count("id"))) == {f"support.{k}": n for k, n in mails.items()}
    assert queued.values("kind", "related").distinct().count() == queued.count()


def test_timeline_shows_what_happened_and_what_will(customer, policy):
    inv = make_invoice(customer, due=DUE)
    run(DUE - dt.timedelta(days=7))
    inv.refresh_from_db()
    with at(DUE - dt.timedelta(days=3)):
        items = invoice_timeline(invoice=inv, policy=policy)
        summary = timeline_summary(items)
    assert items[0] == {"day": dt.date(2026, 5, 3), "label": "Reminder sent", "kind": "reminder_before", "done": True}
    assert {
        "day": dt.date(2026, 5, 20),
        "label": "Suspension of subscriptions unless paid",
        "kind": "planned_suspension",
        "done": False,
    } in items
    assert summary == "Reminder sent 3 May; suspension on 20 May unless paid"


@pytest.mark.parametrize("with_policy", [True, False])
def test_the_reminder_is_rendered_when_sent_and_reads_as_rendered_at_once(customer, request, with_policy):
    from unittest import mock

    from django.core import mail as django_mail

    from partnerportal.mail import mail_queue, mail_send

    if with_policy:
        request.getfixturevalue("policy")  # suspends 10 days after due; else the default, 14
    inv = make_invoice(customer, due=DUE)
    assert run(DUE - dt.timedelta(days=7))["reminders_before"] == 1
    mail = OutgoingMail.objects.get(kind="support.invoice_reminder_before")
    assert mail.template == "support/email/invoice_reminder_before" and mail.body_text == ""
    assert mail_send(mail_id=mail.pk) == "sent"
    mail.refresh_from_db()
    inv.refresh_from_db()

    def rendered_at_once(suspension_day):
        with mock.patch("partnerportal.mail._enqueue"):
            context = {"invoice": inv, "customer": inv.customer, "partner": inv.org, "suspension_day": suspension_day}
            return mail_queue(to=mail.to, template=mail.template, context=context, language="pl", org=inv.org)

    expected = rendered_at_once(DUE + dt.timedelta(days=10 if with_policy else 14))
    [sent] = django_mail.outbox
    assert (sent.subject, sent.body) == (expected.subject, expected.body_text) == (mail.subject, mail.body_text)
    assert mail.language == "pl" and inv.number in sent.subject
    assert sent.body != rendered_at_once(None).body_text  # the suspension day is in it


def test_a_settled_dispute_resumes_collections_and_tells_the_customer(customer, policy, bella):
    inv = make_invoice(customer, due=DUE)
    sub = make_subscription(customer)
    run(DUE + dt.timedelta(days=1))
    services.invoice_mark_disputed(invoice=inv, actor=bella, reason="Wrong seats")
    with at(DUE + dt.timedelta(days=5)):
        services.invoice_resolve_dispute(invoice=inv, actor=bella)
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OVERDUE
    assert ("dispute_settled", DUE + dt.timedelta(days=5)) in kinds(inv)
    mail = OutgoingMail.objects.get(kind="support.invoice_dispute_settled")
    assert mail.language == "pl" and mail.to == "anna@hotelnord.example" and inv.number in mail.subject
    assert "20 maja 2026" in mail.body_text  # the suspension day, in Polish
    assert run(DUE + dt.timedelta(days=10))["suspended"] == 1
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.SUSPENDED


def test_a_prepaid_subscription_is_suspended_once_its_paid_period_ends(customer, policy):
    inv = make_invoice(customer, due=DUE)
    prepaid = make_subscription(customer, paid_through=DUE + dt.timedelta(days=12))
    assert run(DUE + dt.timedelta(days=10))["suspended"] == 0
    assert run(DUE + dt.timedelta(days=12))["suspended"] == 0  # paid through that day
    assert run(DUE + dt.timedelta(days=13))["suspended"] == 1
    prepaid.refresh_from_db()
    assert prepaid.status == Subscription.Status.SUSPENDED and prepaid.suspended_by_invoice == inv


def test_a_subscription_added_after_the_suspension_is_suspended_on_the_next_run(customer, policy):
    inv = make_invoice(customer, due=DUE)
    make_subscription(customer)
    assert run(DUE + dt.timedelta(days=10))["suspended"] == 1
    assert run(DUE + dt.timedelta(days=10))["suspended"] == 0  # the same day: nothing twice
    later = make_subscription(customer, service="teams")
    assert run(DUE + dt.timedelta(days=11))["suspended"] == 1
    assert run(DUE + dt.timedelta(days=11))["suspended"] == 0
    later.refresh_from_db()
    assert later.status == Subscription.Status.SUSPENDED and later.suspended_by_invoice == inv
    assert [d for k, d in kinds(inv) if k == "suspended"] == [DUE + dt.timedelta(days=10), DUE + dt.timedelta(days=11)]
    assert OutgoingMail.objects.filter(kind="support.invoice_suspended").count() == 2


def test_paying_an_invoice_that_held_nothing_says_access_stays_suspended(customer, policy, bella):
    first = make_invoice(customer, number="INV-1", due=DUE)
    second = make_invoice(customer, number="INV-2", due=DUE + dt.timedelta(days=1))
    make_subscription(customer)
    run(DUE + dt.timedelta(days=11))  # both past their day; the oldest holds the suspension
    with at(DUE + dt.timedelta(days=12)):
        services.payment_record(invoice=second, actor=bella, amount=Decimal("100.00"), paid_on=DUE)
    paid = OutgoingMail.objects.get(kind="support.invoice_paid")
    assert first.number in paid.body_text and "active again" not in paid.body_text


@pytest.mark.django_db(transaction=True)
def test_two_invoices_of_one_customer_paid_at_once_do_not_deadlock(transactional_db):
    from conftest import make_member, make_org

    org = make_org("PP-D", "Deadlock", csp_relationship="direct")
    admin = make_member("d@d.example", org, ["partner_admin"])
    CollectionsPolicy.objects.create(org=org, reminder_days_before=[], reminder_days_after=[], suspend_after_days=10)
    customer = make_customer(org, admin)
    invoices = [make_invoice(customer, number=f"D-{n}", due=DUE) for n in range(2)]
    sub = make_subscription(customer)
    run(DUE + dt.timedelta(days=11))
    barrier = threading.Barrier(2)
    errors = []

    def pay(inv):
        try:
            barrier.wait()
            with at(DUE + dt.timedelta(days=12)):
                services.payment_record(invoice=inv, actor=admin, amount=Decimal("100.00"), paid_on=DUE)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(inv,)) for inv in invoices]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE and sub.suspended_by_invoice is None
