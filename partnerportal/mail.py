"""Outgoing mail: one place to write an e-mail, one task to send it.

`mail_queue` renders the message in the recipient's language and stores it as an
OutgoingMail row inside the caller's transaction; the send task is enqueued only once that
transaction commits, so a rolled-back change never e-mails anyone. `mail_send` claims the
row with a conditional UPDATE, so a retry or a second worker never sends it twice.

Delivery is at least once: a worker killed after the SMTP server took a message but before
the row was marked sent leaves the row claimed; once the claim's lease runs out the sweep
sends it again, with the same Message-ID, so the receiving side can drop the repeat. Every
other mail is sent exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import smtplib
import socket
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import DatabaseError, models, transaction
from django.db.models import F, Q
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as KombuOperationalError

from .models import Organisation, OutgoingMail

logger = logging.getLogger(__name__)

# The default claim lease (MAIL_CLAIM_LEASE); the CSAT monthly reports' own claim uses it too.
STALE_CLAIM = timedelta(minutes=15)


def claim_lease() -> timedelta:
    """A claim older than this belongs to a worker that died mid-send (MAIL_CLAIM_LEASE is
    longer than the send task's hard time limit, so a live worker's claim never looks stale)."""
    return timedelta(seconds=settings.MAIL_CLAIM_LEASE)


class TransientMailError(Exception):
    """The server asked us to try later (4xx, timeout, dropped connection)."""


def _clean_header(value: str) -> str:
    # Header injection: a subject or address is one line, always.
    return " ".join(str(value).splitlines()).strip()


def mail_queue(
    *,
    to: str,
    template: str,
    context: dict | None = None,
    language: str | None = None,
    org: Organisation | None = None,
    kind: str = "",
    related: str = "",
    headers: dict | None = None,
) -> OutgoingMail:
    """Render `<template>_subject.txt`, `<template>.txt` and (if present) `<template>.html`
    under the recipient's language and queue the message."""
    to = _valid_recipient(to)
    language = language or (org.default_language if org else settings.LANGUAGE_CODE)
    with translation.override(language):
        content = _render(_template_parts(template), org=org, context=context)
    mail = OutgoingMail.objects.create(
        **_row_fields(
            to=to, template=template, language=language, org=org, kind=kind, related=related, headers=headers
        ),
        **content,
    )
    transaction.on_commit(lambda: mail_enqueue([mail.pk]))
    return mail


def mail_queue_many(messages: Iterable[dict], *, defer: bool = False, batch_size: int = 1000) -> list[OutgoingMail]:
    """Queue many messages at once, e.g. from a periodic job. Each message is a dict of
    `mail_queue`'s keyword arguments and is rendered exactly as that would render it, but each
    template is looked up once, messages are rendered grouped by language, the rows are
    inserted in batches, and sending is handed to the broker after commit a batch of ids per
    task rather than one task per mail.

    With `defer=True` a message is not rendered here: its template and context are stored on
    the row (model instances as references, see `context_serialise`) and the worker that sends
    it renders it, the same way, in the recipient's language. A job that queues thousands of
    mails then spends no time rendering them. A message whose context holds anything else
    (a datetime, a Decimal, a lazy string...) is rendered here as usual."""
    messages = list(messages)
    templates: dict[str, tuple] = {}
    by_language: dict[str, list[int]] = defaultdict(list)
    invalid: set[int] = set()
    for i, m in enumerate(messages):
        try:
            to = _valid_recipient(m.get("to"))
        except ValidationError:
            # One bad address must not hold back everyone else's mail: its row is stored as
            # failed (never sent), and the business object hears of it like of a refusal.
            invalid.add(i)
            to = _clean_header(m.get("to") or "")[:254]
        org = m.get("org")
        language = m.get("language") or (org.default_language if org else settings.LANGUAGE_CODE)
        messages[i] = {**m, "to": to, "language": language}
        by_language[language].append(i)

    def row(i: int, **content) -> OutgoingMail:
        m = messages[i]
        mail = OutgoingMail(
            **_row_fields(
                to=m["to"],
                template=m["template"],
                language=m["language"],
                org=m.get("org"),
                kind=m.get("kind", ""),
                related=m.get("related", ""),
                headers=m.get("headers"),
            ),
            **content,
        )
        if i in invalid:
            mail.status = OutgoingMail.Status.FAILED
            mail.last_error = "Invalid recipient address."
        return mail

    rows: list[OutgoingMail | None] = [None] * len(messages)
    if defer:
        for i, m in enumerate(messages):
            try:
                context = context_serialise(m.get("context") or {})
            except NotSerialisable:
                continue  # rendered below, as without defer
            rows[i] = row(i, template=m["template"], context=context)
    for language, indexes in by_language.items():
        with translation.override(language):
            for i in indexes:
                if rows[i] is None:
                    m = messages[i]
                    if m["template"] not in templates:
                        templates[m["template"]] = _template_parts(m["template"])
                    rows[i] = row(i, **_render(templates[m["template"]], org=m.get("org"), context=m.get("context")))
    created = OutgoingMail.objects.bulk_create(rows, batch_size=batch_size)
    for i in sorted(invalid):
        logger.error("Mail %s not sent: invalid recipient address", created[i].pk)
        notify_delivery_failure(created[i])
    ids = [mail.pk for i, mail in enumerate(created) if i not in invalid]
    if ids:
        transaction.on_commit(lambda: mail_enqueue(ids))
    return created


class NotSerialisable(Exception):
    """A context value that cannot be stored on the row and rebuilt identically later."""


_MODEL_KEY = "__model__"
_DATE_KEY = "__date__"


def context_serialise(value):
    """A template context as JSON: None, str, int, float and bool as they are, lists and
    dicts of those, a saved model instance as {"__model__": "app.model", "pk": pk} and a
    date (not a datetime) as {"__date__": "YYYY-MM-DD"}. Anything else raises NotSerialisable,
    because it would not render the same after a round trip (a Decimal, a datetime's time
    zone, a lazy or safe string)."""
    kind = type(value)
    if value is None or kind in (str, int, bool):
        return value
    if kind is float:
        if not math.isfinite(value):
            raise NotSerialisable(value)
        return value
    if kind is dt.date:
        return {_DATE_KEY: value.isoformat()}
    if kind in (list, tuple):
        return [context_serialise(v) for v in value]
    if kind is dict:
        if _MODEL_KEY in value or _DATE_KEY in value or not all(type(k) is str for k in value):
            raise NotSerialisable(value)
        return {k: context_serialise(v) for k, v in value.items()}
    if isinstance(value, models.Model) and not value._meta.abstract:
        pk = value.pk
        if type(pk) not in (int, str) or value._state.adding:
            raise NotSerialisable(value)
        return {_MODEL_KEY: value._meta.label_lower, "pk": pk}
    raise NotSerialisable(value)


def context_load(value):
    """The inverse of `context_serialise`: references become the objects as they are now
    (one query each); a deleted one raises ObjectDoesNotExist."""
    if isinstance(value, list):
        return [context_load(v) for v in value]
    if isinstance(value, dict):
        if _MODEL_KEY in value:
            model = apps.get_model(value[_MODEL_KEY])
            try:
                return model._base_manager.get(pk=value["pk"])
            except model.DoesNotExist:
                raise model.DoesNotExist(f"{value[_MODEL_KEY]} {value['pk']} no longer exists.") from None
        if _DATE_KEY in value:
            return dt.date.fromisoformat(value[_DATE_KEY])
        return {k: context_load(v) for k, v in value.items()}
    return value


def _render_deferred(mail: OutgoingMail) -> None:
    """Render a mail queued with defer=True, exactly as `mail_queue` would have rendered it,
    and store the result on the row."""
    context = context_load(mail.context or {})
    with translation.override(mail.language):
        content = _render(_template_parts(mail.template), org=mail.org, context=context)
    mail.subject, mail.body_text, mail.body_html = content["subject"], content["body_text"], content["body_html"]
    OutgoingMail.objects.filter(pk=mail.pk).update(
        subject=mail.subject, body_text=mail.body_text, body_html=mail.body_html
    )


def _valid_recipient(to: str | None) -> str:
    """The address, stripped; a ValidationError for a bad one or one that would add a header."""
    to = (to or "").strip()
    if "\n" in to or "\r" in to:
        raise ValidationError("Invalid recipient address.")
    validate_email(to)
    return to


def _template_parts(template: str) -> tuple:
    """The subject, text and (optional) HTML templates of a message."""
    try:
        html = get_template(f"{template}.html")
    except TemplateDoesNotExist:  # the HTML part is optional
        html = None
    return get_template(f"{template}_subject.txt").template, get_template(f"{template}.txt").template, html


def _render(parts: tuple, *, org: Organisation | None, context: dict | None) -> dict:
    """Subject and bodies of a message, under the active language. Plain text is not HTML: no
    escaping, so "O'Brien" stays "O'Brien"; the subject is one line."""
    subject_t, text_t, html_t = parts
    ctx = {"site_url": settings.SITE_URL, "org": org, "portal_name": settings.PORTAL_NAME, **(context or {})}
    return {
        "subject": _clean_header(subject_t.render(Context(ctx, autoescape=False)))[:300],
        "body_text": text_t.render(Context(ctx, autoescape=False)),
        "body_html": html_t.render(ctx) if html_t else "",
    }


def _row_fields(*, to, template, language, org, kind, related, headers) -> dict:
    """The fields of an outgoing mail row other than its content."""
    return {
        "org": org,
        "kind": kind or template.rsplit("/", 1)[-1],
        "to": to,
        "language": language,
        "related": related,
        "headers": {k: _clean_header(v) for k, v in (headers or {}).items()},
    }


def _enqueue(mail_id: int) -> None:
    from .tasks import send_mail

    send_mail.delay(mail_id)


# Mail queued in bulk goes to the broker this many ids per task: one publish per batch
# instead of one per mail (a publish is a network round trip).
ENQUEUE_BATCH = 100


def _enqueue_batch(mail_ids: list[int]) -> None:
    from .tasks import send_mail_batch

    send_mail_batch.delay(mail_ids)


def mail_enqueue(mail_ids: list[int], *, batch_size: int = ENQUEUE_BATCH) -> int:
    """Hand committed mail to the broker; returns how many were handed over. With the broker
    unreachable the rows stay queued for the send-queued-mail sweep, and the caller (a request,
    a periodic job) goes on: its change is committed and nothing is lost. Many mails go as
    batches of ids (see `send_mail_batch`)."""
    done = 0
    for start in range(0, len(mail_ids), batch_size):
        chunk = list(mail_ids[start : start + batch_size])
        try:
            if len(chunk) == 1:
                _enqueue(chunk[0])
            else:
                _enqueue_batch(chunk)
        except (KombuOperationalError, OSError) as exc:
            logger.warning("Broker unavailable, %d mail left queued for the sweep: %s", len(mail_ids) - done, exc)
            return done
        done += len(chunk)
    return done


def mail_claim(*, mail_id: int) -> OutgoingMail | None:
    """Claim a queued mail (or one whose sender died long ago) for this worker."""
    now = timezone.now()
    claimed = OutgoingMail.objects.filter(_claimable(now), pk=mail_id).update(
        status=OutgoingMail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return OutgoingMail.objects.get(pk=mail_id)


def _claimable(now) -> Q:
    return Q(status=OutgoingMail.Status.QUEUED) | Q(
        status=OutgoingMail.Status.SENDING, claimed_at__lt=now - claim_lease()
    )


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(400 <= c < 500 for c in codes)
    return isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, OSError))


def mail_send(*, mail_id: int) -> str:
    """Send one mail if it can be claimed. Returns what happened: sent, skipped, retry, failed.

    A transient failure puts the row back in the queue (the caller retries with backoff);
    after MAIL_MAX_ATTEMPTS, or on a permanent refusal, the row is marked failed with the
    error and the business object is told (e.g. the CSAT contact is marked bounced)."""
    mail = mail_claim(mail_id=mail_id)
    if mail is None:
        return "skipped"
    if mail.template and not mail.subject and not mail.body_text:
        outcome = _render_claimed(mail)
        if outcome:
            return outcome
    try:
        # Rows a periodic job wrote in SQL were not checked on the way in: check them here.
        _valid_recipient(mail.to)
    except ValidationError:
        return _fail(mail, "Invalid recipient address.")
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        headers={"Message-ID": mail.message_id, **mail.headers},
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if _is_transient(exc) and mail.attempts < settings.MAIL_MAX_ATTEMPTS:
            # claimed_at stays: the sweep leaves the row to the task's own backoff (see below).
            OutgoingMail.objects.filter(pk=mail.pk, status=OutgoingMail.Status.SENDING).update(
                status=OutgoingMail.Status.QUEUED, last_error=error
            )
            logger.warning("Mail %s deferred: %s", mail.pk, error)
            return "retry"
        return _fail(mail, error)
    OutgoingMail.objects.filter(pk=mail.pk).update(
        status=OutgoingMail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return "sent"


def _render_claimed(mail: OutgoingMail) -> str | None:
    """Render a deferred mail before sending it. None when it is ready to send; otherwise what
    happened: the database failing is retried like a server deferring the mail, while a
    deleted object or a broken template fails the row (and tells the business object)."""
    try:
        _render_deferred(mail)
    except DatabaseError as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if mail.attempts < settings.MAIL_MAX_ATTEMPTS:
            OutgoingMail.objects.filter(pk=mail.pk, status=OutgoingMail.Status.SENDING).update(
                status=OutgoingMail.Status.QUEUED, last_error=error
            )
            logger.warning("Mail %s deferred, not rendered: %s", mail.pk, error)
            return "retry"
    except ObjectDoesNotExist as exc:
        error = f"Not rendered: {exc}"[:2000]
    except Exception as exc:  # noqa: BLE001 - a template error fails this mail, not the worker
        error = f"Not rendered: {type(exc).__name__}: {exc}"[:2000]
    else:
        return None
    return _fail(mail, error)


def _fail(mail: OutgoingMail, error: str) -> str:
    """A mail that can never be sent: the row says why, and the business object is told."""
    OutgoingMail.objects.filter(pk=mail.pk).update(status=OutgoingMail.Status.FAILED, last_error=error)
    logger.error("Mail %s failed: %s", mail.pk, error)
    notify_delivery_failure(mail)
    return "failed"


# Apps that want to hear of a failed delivery register a handler for their `related` prefix,
# e.g. {"csat.invitation": csat.services.invitation_mark_bounced}.
FAILURE_HANDLERS: dict = {}


def notify_delivery_failure(mail: OutgoingMail) -> None:
    prefix, _, obj_id = mail.related.partition(":")
    handler = FAILURE_HANDLERS.get(prefix)
    if handler and obj_id:
        handler(object_id=obj_id, mail=mail)


def mail_requeue_pending(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Re-enqueue mail whose task was lost (broker restart, worker killed before ack).
    Safe to run often: sending claims the row, so a duplicate task does nothing."""
    now = timezone.now()
    # A mail tried within the lease is waiting for its retry (the backoff is capped at that);
    # enqueueing it again would spend its attempts while the server is still refusing.
    not_backing_off = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_lease())
    ids = list(
        OutgoingMail.objects.filter(_claimable(now), not_backing_off, created_at__lt=now - older_than)
        .order_by("id")
        .values_list("id", flat=True)[:10000]
    )
    return mail_enqueue(ids)
