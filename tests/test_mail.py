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


# --- Deferred rendering: bulk jobs queue the template, the sending worker renders it ---------


def _real_invitations(org, inviter, count, **extra):
    from partnerportal.models import Invitation

    invitation = Invitation.objects.create(
        org=org, email="new@example.com", token_hash="f" * 64, expires_at="2030-01-01T00:00Z"
    )
    messages = _invitations(org, inviter, count)
    for m in messages:
        m["context"] = {"invitation": invitation, "inviter": inviter, "accept_url": "http://x/join/t/", **extra}
    return invitation, messages


def _queue_many(messages, **kw):
    with mock.patch("partnerportal.mail._enqueue"), mock.patch("partnerportal.mail._enqueue_batch"):
        with transaction.atomic():
            return mail_queue_many(messages, **kw)


@pytest.mark.django_db
def test_a_deferred_mail_is_sent_as_a_mail_rendered_at_once_would_read(alice, org_a):
    alice.full_name = "Siobhán O'Brien & Co"
    alice.save()
    _invitation, messages = _real_invitations(org_a, alice, 3)
    deferred = _queue_many(messages, defer=True)
    at_once = _queue_many(messages)
    for row in deferred:
        row.refresh_from_db()
        assert (row.subject, row.body_text, row.status) == ("", "", "queued")
        assert row.template == "partnerportal/email/invitation"
        assert row.context["invitation"] == {"__model__": "partnerportal.invitation", "pk": _invitation.pk}
    assert [mail_send(mail_id=m.pk) for m in deferred] == ["sent"] * 3
    for row, one in zip(deferred, at_once, strict=True):
        row.refresh_from_db()
        assert (row.subject, row.body_text, row.body_html, row.language, row.kind) == (
            one.subject,
            one.body_text,
            one.body_html,
            one.language,
            one.kind,
        )
    # What the recipients got: each in their own language, the name not HTML-escaped.
    sent = django_mail.outbox
    assert [m.subject for m in sent] == [m.subject for m in at_once]
    assert sent[0].subject == "Einladung zu Alice Partners im Partner Portal" != sent[1].subject
    assert "Siobhán O'Brien & Co" in sent[2].body and [m.body for m in sent] == [m.body_text for m in at_once]


@pytest.mark.django_db
def test_a_deferred_mail_whose_object_was_deleted_fails_and_its_sender_hears_of_it(alice, org_a):
    invitation, messages = _real_invitations(org_a, alice, 1)
    [row] = _queue_many(messages, defer=True)
    invitation_id = invitation.pk
    invitation.delete()
    handler = mock.Mock()
    with mock.patch.dict("partnerportal.mail.FAILURE_HANDLERS", {"test": handler}):
        assert mail_send(mail_id=row.pk) == "failed"
        assert mail_send(mail_id=row.pk) == "skipped"  # failed for good, not tried again
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.FAILED
    assert f"partnerportal.invitation {invitation_id} no longer exists" in row.last_error
    handler.assert_called_once()
    assert handler.call_args.kwargs["object_id"] == "0"
    assert not django_mail.outbox


@pytest.mark.django_db
def test_a_deferred_mail_whose_template_fails_is_marked_failed(alice, org_a):
    _invitation, messages = _real_invitations(org_a, alice, 1)
    messages[0]["template"] = "partnerportal/email/no_such_mail"
    [row] = _queue_many(messages, defer=True)
    assert mail_send(mail_id=row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.FAILED and "TemplateDoesNotExist" in row.last_error
    assert not django_mail.outbox


@pytest.mark.django_db
def test_a_context_that_cannot_be_stored_is_rendered_at_once(alice, org_a):
    from decimal import Decimal

    _invitation, messages = _real_invitations(org_a, alice, 2)
    messages[1]["context"] = {**messages[1]["context"], "amount": Decimal("1.50")}
    stored, rendered = _queue_many(messages, defer=True)
    assert stored.template and not stored.subject
    assert not rendered.template and rendered.context is None
    assert rendered.subject == "パートナーポータルの Alice Partners に招待されました"  # Japanese
    assert rendered.status == OutgoingMail.Status.QUEUED
    assert [mail_send(mail_id=m.pk) for m in (stored, rendered)] == ["sent", "sent"]


@pytest.mark.django_db
def test_a_bad_address_in_a_deferred_bulk_is_recorded_as_failed(alice, org_a, django_capture_on_commit_callbacks):
    _invitation, messages = _real_invitations(org_a, alice, 2)
    messages[0]["to"] = "not an address"
    with mock.patch("partnerportal.mail._enqueue") as enqueue:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            bad, good = mail_queue_many(messages, defer=True)
    enqueue.assert_called_once_with(good.pk)
    bad.refresh_from_db()
    assert bad.status == OutgoingMail.Status.FAILED and bad.last_error == "Invalid recipient address."


@pytest.mark.django_db
def test_a_row_written_by_sql_with_a_bad_address_fails_instead_of_being_sent(org_a):
    """Set-based jobs (lead expiry, collections) insert mail rows in SQL without the checks of
    `mail_queue`; the sender checks the address itself and never hands a header-breaking one on."""
    bad = OutgoingMail.objects.create(
        org=org_a, kind="x", to="a@example.com\nBcc: everyone@example.com", subject="s", body_text="b"
    )
    assert mail_send(mail_id=bad.pk) == "failed"
    bad.refresh_from_db()
    assert bad.status == OutgoingMail.Status.FAILED and bad.last_error == "Invalid recipient address."
    assert django_mail.outbox == []


@pytest.mark.django_db
def test_the_outbox_shows_a_mail_not_yet_rendered(alice, org_a):
    from conftest import client_for
    from partnerportal.models import User

    _invitation, messages = _real_invitations(org_a, alice, 1)
    messages[0]["kind"] = "invitation_bulk"
    [row] = _queue_many(messages, defer=True)
    operator = User.objects.create_superuser(email="root@vendor.example", password="x-long-password-1")
    client = client_for(operator)
    assert "invitation_bulk" in client.get("/outbox/").content.decode()
    detail = client.get(f"/outbox/{row.pk}/").content.decode()
    assert "invitation_bulk" in detail and "partnerportal/email/invitation" in detail
