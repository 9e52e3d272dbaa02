import smtplib
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from partnerportal.mail import mail_queue, mail_requeue_pending, mail_send
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
