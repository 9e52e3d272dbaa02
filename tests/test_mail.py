import smtplib
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from partnerportal.mail import mail_queue, mail_queue_many, mail_requeue_pending, mail_send
from partnerportal.models import OutgoingMail


def _queue(**kw):
    with mock.patch("partnerportal.mail._enqueue"):
        with transaction.atomic():
            return mail_queue(
                to="x@example.com",
                template="registration/email/password_reset",
                context={"reset_url": "http://x/reset", "user": None},
                language="de",
                **kw,
            )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_send_a_mail_once():
    mail = _queue()
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        barrier.wait()
        outcomes.append(mail_send(mail_id=mail.pk))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(django_mail.outbox) == 1
    mail.refresh_from_db()
    assert mail.status == OutgoingMail.Status.SENT and mail.attempts == 1


@pytest.mark.django_db
def test_it_is_rendered_in_the_recipients_language():
    mail = _queue()
    assert mail.language == "de"
    assert mail.subject == "Passwort für das Partner Portal zurücksetzen"


@pytest.mark.django_db
def test_nothing_is_enqueued_when_the_transaction_rolls_back():
    with mock.patch("partnerportal.mail._enqueue") as enqueue:
        with pytest.raises(RuntimeError), transaction.atomic():
            mail_queue(
                to="x@example.com",
                template="registration/email/password_reset",
                context={"reset_url": "u", "user": None},
            )
            raise RuntimeError
    assert not OutgoingMail.objects.exists()
    enqueue.assert_not_called()


@pytest.mark.django_db
def test_a_transient_refusal_requeues_then_fails_after_max_attempts(settings):
    settings.MAIL_MAX_ATTEMPTS = 2
    mail = _queue()
    error = smtplib.SMTPResponseException(421, b"try later")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error):
        assert mail_send(mail_id=mail.pk) == "retry"
        mail.refresh_from_db()
        assert mail.status == OutgoingMail.Status.QUEUED and "421" in mail.last_error
        assert mail_send(mail_id=mail.pk) == "failed"
    mail.refresh_from_db()
    assert mail.status == OutgoingMail.Status.FAILED and mail.attempts == 2


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once():
    mail = _queue()
    error = smtplib.SMTPResponseException(550, b"no such user")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error):
        assert mail_send(mail_id=mail.pk) == "failed"
    mail.refresh_from_db()
    assert mail.status == OutgoingMail.Status.FAILED and "550" in mail.last_error


@pytest.mark.django_db
def test_header_injection_is_refused():
    with pytest.raises(ValidationError):
        _queue_to("x@example.com\nBcc: all@example.com")


def _queue_to(address):
    with transaction.atomic():
        return mail_queue(
            to=address, template="registration/email/password_reset", context={"reset_url": "u", "user": None}
        )


@pytest.mark.django_db
def test_the_sweep_re_enqueues_lost_mail_and_sending_twice_sends_once():
    mail = _queue()
    OutgoingMail.objects.filter(pk=mail.pk).update(created_at=mail.created_at.replace(year=2020))
    with mock.patch("partnerportal.mail._enqueue") as enqueue:
        assert mail_requeue_pending() == 1
        enqueue.assert_called_once_with(mail.pk)
    assert mail_send(mail_id=mail.pk) == "sent"
    assert mail_send(mail_id=mail.pk) == "skipped"
    assert len(django_mail.outbox) == 1


@pytest.mark.django_db
def test_plain_text_parts_are_not_html_escaped(alice, org_a):
    alice.full_name = "Siobhán O'Brien & Co"
    with mock.patch("partnerportal.mail._enqueue"), transaction.atomic():
        mail = mail_queue(
            to="x@example.com",
            template="partnerportal/email/invitation",
            context={"invitation": mock.Mock(org=org_a), "inviter": alice, "accept_url": "http://x/join/t/"},
        )
    assert "Siobhán O'Brien & Co" in mail.body_text


@pytest.mark.django_db
def test_the_sweep_leaves_a_mail_to_its_backoff_and_takes_it_back_when_stale():
    import time_machine
    from django.utils import timezone

    from partnerportal.mail import claim_lease

    mail = _queue()
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPResponseException(421, b"")
    ):
        assert mail_send(mail_id=mail.pk) == "retry"
    with mock.patch("partnerportal.mail._enqueue") as enqueue:
        with time_machine.travel(timezone.now() + claim_lease() - timedelta(seconds=1), tick=False):
            assert mail_requeue_pending() == 0  # its own retry is still due
        with time_machine.travel(timezone.now() + claim_lease() + timedelta(seconds=1), tick=False):
            assert mail_requeue_pending() == 1  # that retry was lost
        enqueue.assert_called_once_with(mail.pk)


def _invitations(org, inviter, count):
    context = {"invitation": mock.Mock(org=org), "inviter": inviter, "accept_url": "http://x/join/t/"}
    return [
        {
            "to": f"person{i}@example.com",
            "template": "partnerportal/email/invitation",
            "context": context,
            "language": ("de", "ja", "en")[i % 3],
            "org": org,
            "related": f"test:{i}",
        }
        for i in range(count)
    ]


@pytest.mark.django_db
def test_mail_queued_in_bulk_reads_as_mail_queued_one_by_one(alice, org_a):
    alice.full_name = "Siobhán O'Brien & Co"
    messages = _invitations(org_a, alice, 6)
    with mock.patch("partnerportal.mail._enqueue"), mock.patch("partnerportal.mail._enqueue_batch"):
        with transaction.atomic():
            bulk = mail_queue_many(messages)
            single = [mail_queue(**m) for m in messages[:3]]
    assert [m.to for m in bulk] == [m["to"] for m in messages]
    assert [m.language for m in bulk] == ["de", "ja", "en"] * 2
    for one, many in zip(single, bulk[:3], strict=True):
        assert (many.subject, many.body_text, many.body_html, many.kind, many.related) == (
            one.subject,
            one.body_text,
            one.body_html,
            one.kind,
            one.related,
        )
    assert bulk[0].subject == single[0].subject != bulk[1].subject  # German, then Japanese
    assert "Siobhán O'Brien & Co" in bulk[2].body_text


@pytest.mark.django_db
def test_mail_queued_in_bulk_goes_to_the_broker_after_commit_in_batches(
    alice, org_a, django_capture_on_commit_callbacks
):
    with mock.patch("partnerportal.mail._enqueue_batch") as enqueue_batch:
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                created = mail_queue_many(_invitations(org_a, alice, 250))
            enqueue_batch.assert_not_called()
    ids = [m.pk for m in created]
    assert [c.args[0] for c in enqueue_batch.call_args_list] == [ids[:100], ids[100:200], ids[200:]]


@pytest.mark.django_db
def test_a_bad_address_in_bulk_is_recorded_as_failed_and_never_sent(alice, org_a, django_capture_on_commit_callbacks):
    messages = _invitations(org_a, alice, 3)
    messages[1]["to"] = "x@example.com\nBcc: all@example.com"
    with mock.patch("partnerportal.mail._enqueue_batch") as enqueue_batch:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            created = mail_queue_many(messages)
    enqueue_batch.assert_called_once_with([created[0].pk, created[2].pk])
    bad = OutgoingMail.objects.get(pk=created[1].pk)
    assert bad.status == OutgoingMail.Status.FAILED and "\n" not in bad.to and bad.last_error
    assert mail_send(mail_id=bad.pk) == "skipped"
    assert [OutgoingMail.objects.get(pk=m.pk).status for m in (created[0], created[2])] == ["queued", "queued"]


def _flaky_server(*outcomes):
    """A stand-in for the SMTP send: each call takes the next outcome (None = accepted)."""
    queue = list(outcomes)

    def send(self, fail_silently=False):
        outcome = queue.pop(0) if queue else None
        if outcome is not None:
            raise outcome
        return 1

    return mock.patch("django.core.mail.EmailMultiAlternatives.send", autospec=True, side_effect=send)


@pytest.mark.django_db
def test_a_batch_hands_a_deferred_mail_to_its_own_retry_and_the_rest_back_to_the_broker():
    from partnerportal import tasks

    mails = [_queue() for _ in range(4)]
    ids = [m.pk for m in mails]
    with (
        _flaky_server(None, smtplib.SMTPResponseException(421, b"later")),
        mock.patch.object(tasks.send_mail, "apply_async") as retry,
        mock.patch("partnerportal.mail._enqueue_batch") as enqueue_batch,
    ):
        assert tasks.send_mail_batch.run(ids) == {"sent": 1, "retry": 1}
    retry.assert_called_once_with((ids[1],), countdown=tasks.retry_countdown(0))
    enqueue_batch.assert_called_once_with(ids[2:])
    statuses = dict(OutgoingMail.objects.values_list("pk", "status"))
    assert [statuses[i] for i in ids] == ["sent", "queued", "queued", "queued"]


@pytest.mark.django_db
def test_a_batch_sends_each_mail_once_even_if_delivered_twice():
    from partnerportal import tasks

    ids = [_queue().pk for _ in range(3)]
    assert tasks.send_mail_batch.run(ids) == {"sent": 3}
    assert tasks.send_mail_batch.run(ids) == {"skipped": 3}
    assert len(django_mail.outbox) == 3
