"""Writes: survey set-up, contacts and uploads, invitations and reminders, responses,
evaluations, the compliance refresh and monthly reports. Each checks state, locks or
claims its rows, saves, writes the audit log and sends mail after commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerportal.audit import audit_log
from partnerportal.errors import DomainError
from partnerportal.mail import STALE_CLAIM, mail_queue
from partnerportal.models import Membership, Organisation, Role, User, hash_token, new_token

from . import importing, selectors
from .models import (
    MAX_COUNTED_PER_CUSTOMER_ORG,
    REQUIRED_CUSTOMER_ORGS,
    REQUIRED_MTM_EVALUATIONS,
    REQUIRED_RESPONSES,
    WINDOW_MONTHS,
    Answer,
    BenchmarkSnapshot,
    ComplianceStatus,
    Contact,
    ContactImport,
    Invitation,
    MonthlyReport,
    MtmEvaluation,
    Question,
    Response,
    SurveySettings,
    customer_org_key,
)
from .survey import CORE_QUESTIONS

logger = logging.getLogger(__name__)

# A contact is invited again at most this often (the survey is always open).
INVITE_AGAIN_AFTER = timedelta(days=180)
SEND_BATCH = 500


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# --- Survey settings and the open link --------------------------------------------------------


def _open_token(org_id: int, salt: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"csat-open:{org_id}:{salt}".encode(), hashlib.sha256).digest()
    import base64

    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def settings_for(*, org: Organisation) -> SurveySettings:
    found = SurveySettings.objects.filter(org=org).first()
    if found:
        return found
    salt = secrets.token_hex(16)
    try:
        with transaction.atomic():
            return SurveySettings.objects.create(
                org=org, open_token_salt=salt, open_token_hash=hash_token(_open_token(org.pk, salt))
            )
    except IntegrityError:
        return SurveySettings.objects.get(org=org)


def open_link(*, survey_settings: SurveySettings) -> str:
    return absolute(
        reverse("csat:open_survey", args=[_open_token(survey_settings.org_id, survey_settings.open_token_salt)])
    )


def settings_rotate_open_link(*, org: Organisation, actor: User) -> SurveySettings:
    s = settings_for(org=org)
    with transaction.atomic():
        s = SurveySettings.objects.select_for_update().get(pk=s.pk)
        s.open_token_salt = secrets.token_hex(16)
        s.open_token_hash = hash_token(_open_token(org.pk, s.open_token_salt))
        s.open_token_rotated_at = timezone.now()
        s.save(update_fields=["open_token_salt", "open_token_hash", "open_token_rotated_at"])
        audit_log(actor=actor, action="csat.open_link_rotated", obj=s, org=org)
    return s


def settings_update(
    *, org: Organisation, actor: User, reminder_delay_days: int, monthly_report: bool
) -> SurveySettings:
    if not 1 <= reminder_delay_days <= 60:
        raise DomainError(_("The reminder delay must be between 1 and 60 days."), field="reminder_delay_days")
    s = settings_for(org=org)
    s.reminder_delay = timedelta(days=reminder_delay_days)
    s.monthly_report = monthly_report
    s.save(update_fields=["reminder_delay", "monthly_report"])
    audit_log(
        actor=actor,
        action="csat.settings_changed",
        obj=s,
        org=org,
        details={"reminder_delay_days": reminder_delay_days, "monthly_report": monthly_report},
    )
    return s


def org_by_open_token(token: str) -> Organisation | None:
    s = SurveySettings.objects.filter(open_token_hash=hash_token(token)).select_related("org").first()
    return s.org if s and s.org.is_active else None


# --- Custom questions ---------------------------------------------------------------------------


def question_save(
    *,
    org: Organisation,
    actor: User,
    question: Question | None = None,
    kind: str,
    texts: dict,
    choices: list,
    required: bool,
    order: int,
) -> Question:
    if not any(v.strip() for v in texts.values()):
        raise DomainError(_("Write the question in at least one language."), field="texts")
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) and len(choices) < 2:
        raise DomainError(_("A choice question needs at least two choices."), field="choices")
    if question is not None:
        if question.org_id != org.pk:
            raise DomainError(_("This question belongs to another organisation."))
        if question.kind != kind and question.answers.exists():
            raise DomainError(
                _("The kind of an answered question cannot change; retire it and add a new one."), field="kind"
            )
        old_keys = {c["key"] for c in question.choices}
        if old_keys - {c["key"] for c in choices} and question.answers.exists():
            raise DomainError(_("Choices that were already answered cannot be removed."), field="choices")
    q = question or Question(org=org)
    q.kind, q.texts, q.choices, q.required, q.order = kind, texts, choices, required, order
    q.save()
    audit_log(actor=actor, action="csat.question_saved", obj=q, org=org, details={"kind": kind, "required": required})
    return q


def question_remove(*, question: Question, actor: User) -> str:
    """Delete an unanswered question; retire an answered one so its results stay."""
    with transaction.atomic():
        q = Question.objects.select_for_update().get(pk=question.pk)
        if q.answers.exists():
            if q.retired_at is None:
                q.retired_at = timezone.now()
                q.save(update_fields=["retired_at"])
            audit_log(actor=actor, action="csat.question_retired", obj=q, org=q.org)
            return "retired"
        audit_log(actor=actor, action="csat.question_deleted", obj=q, org=q.org)
        q.delete()
        return "deleted"


def question_restore(*, question: Question, actor: User) -> None:
    Question.objects.filter(pk=question.pk).update(retired_at=None)
    audit_log(actor=actor, action="csat.question_restored", obj=question, org=question.org)


# --- Contacts and uploads -----------------------------------------------------------------------


def contact_save(*, org: Organisation, actor: User, contact: Contact | None = None, **fields) -> Contact:
    email = fields["email"].strip().lower()
    clash = Contact.objects.filter(org=org, email__iexact=email)
    if contact is not None:
        clash = clash.exclude(pk=contact.pk)
    if clash.exists():
        raise DomainError(_("A contact with this e-mail address already exists."), field="email")
    c = contact or Contact(org=org)
    for key, value in fields.items():
        setattr(c, key, value)
    c.email = email
    c.customer_org_key = customer_org_key(c.customer_org)
    c.save()
    # No contact details in the audit log: only which contact, by id.
    audit_log(actor=actor, action="csat.contact_saved", obj=c, org=org, details={"consent": c.consent})
    return c


def contact_delete(*, contact: Contact, actor: User) -> None:
    audit_log(actor=actor, action="csat.contact_deleted", obj=contact, org=contact.org)
    # Responses keep their answers; named ones lose only the link to the invitation.
    contact.delete()


def import_preview(*, org: Organisation, actor: User, filename: str, data: bytes) -> ContactImport:
    try:
        table = importing.read_table(filename=filename, data=data)
        validated = importing.validate_rows(org=org, table=table)
    except importing.FileError as exc:
        raise DomainError(str(exc), field="file")
    if validated.total == 0:
        raise DomainError(_("The file has a header but no contacts."), field="file")
    imp = ContactImport.objects.create(
        org=org,
        created_by=actor,
        filename=filename[:200],
        rows=validated.rows,
        errors=validated.errors,
        total_rows=validated.total,
    )
    audit_log(
        actor=actor,
        action="csat.import_uploaded",
        obj=imp,
        org=org,
        details={"rows": validated.total, "errors": len(validated.errors)},
    )
    return imp


def import_commit(*, imp: ContactImport, actor: User) -> int:
    """Insert every row or none: one INSERT ... SELECT from the rows stored by the preview,
    so no row passes through Python again. The unique index on the organisation's
    addresses settles contacts added since the preview."""
    clash = None
    with transaction.atomic():
        imp = ContactImport.objects.select_for_update().defer("rows").get(pk=imp.pk)
        if imp.status != ContactImport.Status.PREVIEW:
            raise DomainError(_("This upload was already imported or discarded."))
        if imp.errors:
            raise DomainError(_("Fix the rows listed below and upload the file again: nothing was imported."))
        try:
            count = importing.insert_contacts(import_id=imp.pk, now=timezone.now())
        except IntegrityError as exc:
            if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") != "csat_contact_unique_email":
                raise
            # Nothing more is run in this failed transaction: it is rolled back, then the
            # clashing addresses are looked up for the message.
            clash = exc
            transaction.set_rollback(True)
        else:
            imp.status = ContactImport.Status.COMMITTED
            imp.committed_at = timezone.now()
            imp.rows = []  # the contacts now live in their table
            imp.save(update_fields=["status", "committed_at", "rows"])
            audit_log(actor=actor, action="csat.import_committed", obj=imp, org=imp.org, details={"contacts": count})
    if clash is not None:
        emails = importing.import_clashes(import_id=imp.pk)
        raise DomainError(
            _("%(n)d contacts were added since the preview (e.g. %(email)s). Upload the file again.")
            % {"n": len(emails), "email": emails[0]}
        ) from clash
    return count


def import_discard(*, imp: ContactImport, actor: User) -> None:
    n = ContactImport.objects.filter(pk=imp.pk, status=ContactImport.Status.PREVIEW).update(
        status=ContactImport.Status.DISCARDED, rows=[], errors=[]
    )
    if not n:
        raise DomainError(_("This upload was already imported or discarded."))
    audit_log(actor=actor, action="csat.import_discarded", obj=imp, org=imp.org)


# --- Invitations and reminders ------------------------------------------------------------------


def eligible_contacts(*, org: Organisation, now=None):
    now = now or timezone.now()
    return Contact.objects.filter(org=org, consent=True, opted_out_at__isnull=True, bounced_at__isnull=True).exclude(
        invitations__created_at__gte=now - INVITE_AGAIN_AFTER
    )


def invitations_create(*, org: Organisation, actor: User, contact_ids: list[int] | None = None) -> int:
    """Queue an invitation for every consenting contact not invited recently; the sending
    job delivers them (right after commit, and on its schedule)."""
    settings_for(org=org)
    now = timezone.now()
    with transaction.atomic():
        contacts = eligible_contacts(org=org, now=now)
        if contact_ids is not None:
            contacts = contacts.filter(pk__in=contact_ids)
        # Locking the contacts makes two clicks at once queue each invitation only once.
        rows = list(contacts.select_for_update(skip_locked=True).values_list("pk", "language"))
        Invitation.objects.bulk_create(
            [Invitation(org=org, contact_id=pk, language=lang, created_at=now) for pk, lang in rows], batch_size=5000
        )
        if rows:
            audit_log(actor=actor, action="csat.invitations_queued", obj=org, org=org, details={"count": len(rows)})
        transaction.on_commit(lambda: _enqueue_sending(org.pk))
    return len(rows)


def _enqueue_sending(org_id: int) -> None:
    from .tasks import send_due_invitations

    send_due_invitations.delay(org_id=org_id)


def _mail_invitation(inv: Invitation, token: str, *, reminder: bool) -> None:
    contact = inv.contact
    survey_url = absolute(reverse("csat:personal_survey", args=[token]))
    optout_url = absolute(reverse("csat:opt_out", args=[token]))
    mail_queue(
        to=contact.email,
        template="csat/email/reminder" if reminder else "csat/email/invitation",
        context={"contact": contact, "survey_url": survey_url, "optout_url": optout_url, "partner": inv.org},
        language=inv.language,
        org=inv.org,
        kind="csat_reminder" if reminder else "csat_invitation",
        related=f"csat.invitation:{inv.pk}",
        headers={"List-Unsubscribe": f"<{optout_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def invitations_send_due(*, org_id: int | None = None, batch: int = SEND_BATCH) -> int:
    """Send every queued invitation. Rows are claimed with SKIP LOCKED, so two workers
    split the work and none is sent twice."""
    sent = 0
    while True:
        with transaction.atomic():
            qs = Invitation.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True)
            if org_id:
                qs = qs.filter(org_id=org_id)
            claimed = list(
                qs.select_for_update(skip_locked=True, of=("self",))
                .select_related("contact", "org")
                .order_by("id")[:batch]
            )
            if not claimed:
                return sent
            now = timezone.now()
            for inv in claimed:
                if not inv.contact.can_be_emailed:
                    inv.cancelled_at = now
                    continue
                token = new_token()
                inv.token_hash = hash_token(token)
                inv.sent_at = now
                _mail_invitation(inv, token, reminder=False)
                sent += 1
            Invitation.objects.bulk_update(claimed, ["token_hash", "sent_at", "cancelled_at"])


def reminders_send_due(*, now: dt.datetime | None = None, batch: int = SEND_BATCH) -> int:
    """Exactly one reminder, once the organisation's delay has passed since the invitation,
    to those who have not answered, opted out or bounced."""
    now = now or timezone.now()
    due_before = ExpressionWrapper(
        Value(now, output_field=DateTimeField()) - F("org__csat_settings__reminder_delay"), output_field=DateTimeField()
    )
    sent = 0
    while True:
        with transaction.atomic():
            claimed = list(
                Invitation.objects.filter(
                    sent_at__isnull=False,
                    reminded_at__isnull=True,
                    responded_at__isnull=True,
                    cancelled_at__isnull=True,
                    bounced_at__isnull=True,
                    sent_at__lte=due_before,
                )
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("contact", "org")
                .order_by("id")[:batch]
            )
            if not claimed:
                return sent
            for inv in claimed:
                inv.reminded_at = now
                if not inv.contact.can_be_emailed:
                    continue
                token = new_token()
                inv.reminder_token_hash = hash_token(token)
                _mail_invitation(inv, token, reminder=True)
                sent += 1
            Invitation.objects.bulk_update(claimed, ["reminded_at", "reminder_token_hash"])


def invitation_by_token(token: str) -> Invitation | None:
    h = hash_token(token)
    return (
        Invitation.objects.filter(Q(token_hash=h) | Q(reminder_token_hash=h)).select_related("contact", "org").first()
    )


def invitation_mark_bounced(*, object_id: str, mail) -> None:
    """Delivery failed for good: mark the invitation and the contact, so neither is
    counted as delivered nor e-mailed again."""
    now = timezone.now()
    inv = Invitation.objects.filter(pk=object_id).first()
    if inv is None:
        return
    Invitation.objects.filter(pk=inv.pk, bounced_at__isnull=True).update(bounced_at=now)
    Contact.objects.filter(pk=inv.contact_id, bounced_at__isnull=True).update(bounced_at=now)
    audit_log(actor=None, action="csat.invitation_bounced", obj=inv, org=inv.org)


def contact_opt_out(*, token: str) -> Contact:
    inv = invitation_by_token(token)
    if inv is None:
        raise DomainError(_("This link is not valid."))
    now = timezone.now()
    Contact.objects.filter(pk=inv.contact_id, opted_out_at__isnull=True).update(opted_out_at=now)
    # Nothing more goes to this address from this partner: cancel the reminder too.
    Invitation.objects.filter(contact_id=inv.contact_id, responded_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now
    )
    audit_log(actor=None, action="csat.contact_opted_out", obj=inv.contact, org=inv.org)
    return inv.contact


# --- Responses ----------------------------------------------------------------------------------


def _validate_answers(*, questions: list[Question], answers: dict) -> dict:
    cleaned = {}
    for cq in CORE_QUESTIONS:
        value = answers.get(cq.field)
        if value is None or not (cq.low <= int(value) <= cq.high):
            raise DomainError(_("Please answer this question."), field=cq.field)
        cleaned[cq.field] = int(value)
    cleaned["comment"] = (answers.get("comment") or "").strip()[:5000]
    custom = {}
    for q in questions:
        value = answers.get(f"q{q.pk}")
        empty = value in (None, "", [])
        if empty:
            if q.required:
                raise DomainError(_("Please answer this question."), field=f"q{q.pk}")
            continue
        keys = {c["key"] for c in q.choices}
        if q.kind == Question.Kind.RATING:
            if not 1 <= int(value) <= 5:
                raise DomainError(_("Choose a value from 1 to 5."), field=f"q{q.pk}")
            custom[q.pk] = Answer(question=q, value_int=int(value))
        elif q.kind == Question.Kind.SINGLE:
            if value not in keys:
                raise DomainError(_("Choose one of the options."), field=f"q{q.pk}")
            custom[q.pk] = Answer(question=q, value_choices=[value])
        elif q.kind == Question.Kind.MULTIPLE:
            values = list(value)
            if not set(values) <= keys:
                raise DomainError(_("Choose among the options."), field=f"q{q.pk}")
            custom[q.pk] = Answer(question=q, value_choices=sorted(set(values)))
        else:
            custom[q.pk] = Answer(question=q, value_text=str(value).strip()[:5000])
    cleaned["custom"] = custom
    return cleaned


def response_submit(
    *,
    org: Organisation,
    answers: dict,
    language: str,
    anonymous: bool,
    invitation: Invitation | None = None,
    name: str = "",
    email: str = "",
    company: str = "",
) -> Response:
    """Record one response. A personal link answers once; an anonymous response keeps the
    customer organisation but neither the person nor the invitation."""
    questions = list(Question.objects.filter(org=org, retired_at__isnull=True))
    cleaned = _validate_answers(questions=questions, answers=answers)
    with transaction.atomic():
        if invitation is not None:
            inv = Invitation.objects.select_for_update().select_related("contact").get(pk=invitation.pk)
            if inv.responded_at is not None:
                raise DomainError(_("This survey link has already been used. Thank you for your answers."))
            if inv.cancelled_at is not None:
                raise DomainError(_("This survey link is no longer valid."))
            company = inv.contact.customer_org
            if not anonymous:
                name = f"{inv.contact.first_name} {inv.contact.last_name}".strip()
                email = inv.contact.email
            source = Response.Source.INVITATION
        else:
            inv = None
            source = Response.Source.OPEN_LINK
            if not company.strip():
                raise DomainError(_("Enter your company: responses count per customer organisation."), field="company")
            if not anonymous and (not name.strip() or not email.strip()):
                raise DomainError(_("Enter your name and e-mail address, or choose to stay anonymous."), field="name")
        now = timezone.now()
        response = Response.objects.create(
            org=org,
            invitation=None if anonymous else inv,
            source=source,
            is_anonymous=anonymous,
            respondent_name="" if anonymous else name.strip()[:200],
            respondent_email="" if anonymous else email.strip().lower()[:254],
            customer_org=company.strip()[:200],
            customer_org_key=customer_org_key(company),
            language=language,
            submitted_at=now,
            satisfaction=cleaned["satisfaction"],
            keep_business=cleaned["keep_business"],
            engage_again=cleaned["engage_again"],
            recommend=cleaned["recommend"],
            comment=cleaned["comment"],
        )
        for a in cleaned["custom"].values():
            a.response, a.org = response, org
        Answer.objects.bulk_create(cleaned["custom"].values())
        if inv is not None:
            # Day precision only, so the time of an anonymous answer cannot be matched to it.
            inv.responded_at = now.replace(hour=0, minute=0, second=0, microsecond=0) if anonymous else now
            inv.save(update_fields=["responded_at"])
    return response


# --- Metrics that Matter ------------------------------------------------------------------------


def mtm_record(
    *, org: Organisation, actor: User, reference: str, course: str, completed_at, score=None
) -> MtmEvaluation:
    if not org.is_training_partner:
        raise DomainError(_("Only training partners (Learning competency) record Metrics that Matter evaluations."))
    if completed_at > timezone.now():
        raise DomainError(_("The completion date cannot be in the future."), field="completed_at")
    if MtmEvaluation.objects.filter(org=org, reference=reference.strip()).exists():
        raise DomainError(_("This evaluation ID is already recorded."), field="reference")
    ev = MtmEvaluation.objects.create(
        org=org, reference=reference.strip(), course=course.strip(), completed_at=completed_at, score=score
    )
    audit_log(actor=actor, action="csat.mtm_recorded", obj=ev, org=org)
    return ev


def mtm_import(*, org: Organisation, actor: User, filename: str, data: bytes) -> int:
    """Import evaluations from a CSV/.xlsx export (evaluation_id, course, completed_on,
    score): every row or none."""
    if not org.is_training_partner:
        raise DomainError(_("Only training partners (Learning competency) record Metrics that Matter evaluations."))
    try:
        table = importing.read_table(filename=filename, data=data)
    except importing.FileError as exc:
        raise DomainError(str(exc), field="file")
    if not table:
        raise DomainError(_("The file is empty."), field="file")
    header = [h.strip().lower() for h in table[0]]
    try:
        i_ref, i_course, i_date = header.index("evaluation_id"), header.index("course"), header.index("completed_on")
    except ValueError:
        raise DomainError(
            _("The header must have evaluation_id, course and completed_on (and optionally score)."), field="file"
        )
    i_score = header.index("score") if "score" in header else None
    existing = set(MtmEvaluation.objects.filter(org=org).values_list("reference", flat=True))
    rows, errors, seen = [], [], set()
    for line, raw in enumerate(table[1:], start=2):
        if not any(raw):
            continue
        raw = raw + [""] * len(header)
        ref = raw[i_ref].strip()
        try:
            day = dt.date.fromisoformat(raw[i_date].strip()[:10])
        except ValueError:
            errors.append(_("line %(line)d: the date must look like 2026-01-31") % {"line": line})
            continue
        if not ref or ref in existing or ref in seen:
            errors.append(_("line %(line)d: missing or duplicate evaluation ID") % {"line": line})
            continue
        seen.add(ref)
        score = raw[i_score].strip() if i_score is not None else ""
        rows.append(
            MtmEvaluation(
                org=org,
                reference=ref[:64],
                course=raw[i_course].strip()[:200],
                completed_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12))),
                score=score or None,
            )
        )
    if errors:
        raise DomainError(_("Nothing was imported. %(errors)s") % {"errors": "; ".join(errors[:20])}, field="file")
    with transaction.atomic():
        MtmEvaluation.objects.bulk_create(rows, batch_size=5000)
        audit_log(actor=actor, action="csat.mtm_imported", obj=org, org=org, details={"count": len(rows)})
    return len(rows)


# --- Compliance refresh -------------------------------------------------------------------------


# Two refreshes at once run one after the other, so the second sees what the first
# recorded and nobody is told twice that their organisation became compliant.
COMPLIANCE_REFRESH_LOCK = 0x63736163  # "csac"

_REFRESH_SQL = """
WITH w(org_id, ws, we, training) AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(starts)s::timestamptz[], %(ends)s::timestamptz[], %(training)s::bool[])
),
per_customer AS (
    SELECT r.org_id, least(count(*), %(cap)s) AS counted
    FROM csat_response r JOIN w ON r.org_id = w.org_id AND r.submitted_at >= w.ws AND r.submitted_at < w.we
    GROUP BY r.org_id, r.customer_org_key
),
per_org AS (
    SELECT org_id, sum(counted)::int AS counted, count(*)::int AS customers FROM per_customer GROUP BY org_id
),
mtm AS (
    SELECT m.org_id, count(*)::int AS n
    FROM csat_mtmevaluation m JOIN w ON m.org_id = w.org_id AND m.completed_at >= w.ws AND m.completed_at < w.we
    GROUP BY m.org_id
),
computed AS (
    SELECT w.org_id, w.ws, w.we, coalesce(p.counted, 0) AS counted, coalesce(p.customers, 0) AS customers,
           coalesce(m.n, 0) AS mtm,
           coalesce(p.counted, 0) >= %(required)s AND coalesce(p.customers, 0) >= %(customers)s AS survey_met,
           w.training AND coalesce(m.n, 0) >= %(required_mtm)s AS mtm_met
    FROM w LEFT JOIN per_org p ON p.org_id = w.org_id LEFT JOIN mtm m ON m.org_id = w.org_id
),
before AS (SELECT org_id, met FROM csat_compliancestatus WHERE org_id = ANY(%(ids)s)),
saved AS (
    INSERT INTO csat_compliancestatus AS s (
        org_id, window_start, window_end, counted_responses, distinct_customer_orgs, mtm_evaluations,
        met, path, met_since, computed_at
    )
    SELECT org_id, ws, we, counted, customers, mtm, survey_met OR mtm_met,
           CASE WHEN survey_met THEN %(survey)s WHEN mtm_met THEN %(mtm)s ELSE '' END,
           CASE WHEN survey_met OR mtm_met THEN %(now)s END, %(now)s
    FROM computed
    ON CONFLICT (org_id) DO UPDATE SET
        window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end,
        counted_responses = EXCLUDED.counted_responses, distinct_customer_orgs = EXCLUDED.distinct_customer_orgs,
        mtm_evaluations = EXCLUDED.mtm_evaluations, met = EXCLUDED.met, path = EXCLUDED.path,
        met_since = CASE WHEN EXCLUDED.met THEN coalesce(s.met_since, EXCLUDED.met_since) END,
        computed_at = EXCLUDED.computed_at
    RETURNING org_id, met, path, counted_responses, distinct_customer_orgs
)
SELECT saved.org_id, saved.path, saved.counted_responses, saved.distinct_customer_orgs
FROM saved LEFT JOIN before ON before.org_id = saved.org_id
WHERE saved.met AND NOT coalesce(before.met, false)
"""


def compliance_refresh(*, now: dt.datetime | None = None, org_id: int | None = None) -> dict:
    """Record every organisation's status in one statement, and tell the survey admins of
    each organisation that has just become compliant. Only the number of counted responses
    per customer organisation matters here (at most 8 each), so no response is ranked;
    `selectors.compliance_for_orgs` gives the detail the pages show."""
    now = now or timezone.now()
    orgs_qs = Organisation.objects.filter(is_active=True).order_by("pk")
    if org_id:
        orgs_qs = orgs_qs.filter(pk=org_id)
    ids, starts, ends, training = [], [], [], []
    windows: dict = {}
    for pk, renewal, competencies in orgs_qs.values_list("pk", "renewal_date", "competencies"):
        if renewal not in windows:
            windows[renewal] = selectors.compliance_window(renewal_date=renewal, now=now)
        ids.append(pk)
        starts.append(windows[renewal][0])
        ends.append(windows[renewal][1])
        training.append(Organisation.Competency.LEARNING in (competencies or []))
    params = {
        "ids": ids,
        "starts": starts,
        "ends": ends,
        "training": training,
        "cap": MAX_COUNTED_PER_CUSTOMER_ORG,
        "required": REQUIRED_RESPONSES,
        "customers": REQUIRED_CUSTOMER_ORGS,
        "required_mtm": REQUIRED_MTM_EVALUATIONS,
        "survey": ComplianceStatus.Path.SURVEY,
        "mtm": ComplianceStatus.Path.MTM,
        "now": now,
    }
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [COMPLIANCE_REFRESH_LOCK])
            cursor.execute(_REFRESH_SQL, params)
            became_met = cursor.fetchall()
        _notify_compliance_met(became_met)
    return {"organisations": len(ids), "became_met": len(became_met)}


def _notify_compliance_met(rows: list[tuple]) -> None:
    if not rows:
        return
    orgs = Organisation.objects.in_bulk([r[0] for r in rows])
    admins: dict[int, list[tuple[str, str]]] = {}
    for org_pk, email, language in (
        Membership.objects.filter(org__in=list(orgs), is_active=True, user__is_active=True)
        .filter(Q(roles__contains=[Role.SURVEY_ADMIN]) | Q(roles__contains=[Role.PARTNER_ADMIN]))
        .values_list("org_id", "user__email", "user__language")
    ):
        admins.setdefault(org_pk, []).append((email, language))
    url = absolute(reverse("csat:compliance"))
    for org_pk, path, counted, customers in rows:
        org = orgs[org_pk]
        audit_log(actor=None, action="csat.compliance_met", obj=org, org=org, details={"path": path})
        for email, language in admins.get(org_pk, []):
            mail_queue(
                to=email,
                template="csat/email/compliance_met",
                context={"c": {"counted": counted, "distinct_orgs": customers}, "url": url},
                language=language,
                org=org,
                kind="csat_compliance_met",
            )


# --- Benchmark across partners -----------------------------------------------------------------

# Key of the advisory lock under which a stale benchmark is recomputed by one request only.
BENCHMARK_LOCK = 0x63736174  # "csat"


def benchmark_refresh(*, now: dt.datetime | None = None) -> BenchmarkSnapshot:
    """Compute the last 12 months' benchmark across partners and store it (one row)."""
    now = now or timezone.now()
    since = now - relativedelta(months=WINDOW_MONTHS)
    partners, summary = selectors.benchmark_compute(since=since)
    snapshot = BenchmarkSnapshot(pk=1, computed_at=now, since=since, partners=partners, summary=summary)
    # One upsert: two refreshes at once leave one row, the later figure.
    BenchmarkSnapshot.objects.bulk_create(
        [snapshot],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["computed_at", "since", "partners", "summary"],
    )
    return snapshot


def benchmark_current(*, now: dt.datetime | None = None) -> dict | None:
    """The stored benchmark; computed here only when none is stored or the refresh has not
    run for a day. Then one request computes it while the others keep the older figure."""
    now = now or timezone.now()
    snapshot = selectors.benchmark_stored()
    if snapshot is not None and snapshot.computed_at >= now - selectors.BENCHMARK_MAX_AGE:
        return snapshot.summary
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [BENCHMARK_LOCK])
            if not cursor.fetchone()[0]:
                return snapshot.summary if snapshot else None
        return benchmark_refresh(now=now).summary


# --- Monthly reports ----------------------------------------------------------------------------


def report_month_for(today: dt.date) -> dt.date:
    """The month a report run on `today` covers: the month before."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def monthly_reports_send(*, today: dt.date | None = None, org_id: int | None = None) -> int:
    """On the 1st: one PDF report per opted-in organisation for the month just ended (and
    the last 12 months). The (org, month) row is claimed first, so a second run or a
    second worker sends nothing twice."""
    from .reports import render_results_pdf

    today = today or timezone.localdate()
    month = report_month_for(today)
    orgs = Organisation.objects.filter(is_active=True, csat_settings__monthly_report=True).exclude(account_email="")
    if org_id:
        orgs = orgs.filter(pk=org_id)
    sent = 0
    for org in orgs:
        now = timezone.now()
        MonthlyReport.objects.bulk_create([MonthlyReport(org=org, month=month)], ignore_conflicts=True)
        claimed = (
            MonthlyReport.objects.filter(org=org, month=month, mailed_at__isnull=True)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM))
            .update(claimed_at=now)
        )
        if not claimed:
            continue
        report = MonthlyReport.objects.defer("pdf").get(org=org, month=month)
        with translation.override(org.default_language):
            pdf = render_results_pdf(org=org, month=month)
        with transaction.atomic():
            n = MonthlyReport.objects.filter(pk=report.pk, mailed_at__isnull=True, claimed_at=now).update(
                pdf=pdf, mailed_at=timezone.now()
            )
            if not n:
                continue
            mail_queue(
                to=org.account_email,
                template="csat/email/monthly_report",
                context={"month": month, "url": absolute(reverse("csat:report_download", args=[report.pk]))},
                language=org.default_language,
                org=org,
                kind="csat_monthly_report",
            )
            audit_log(actor=None, action="csat.monthly_report_sent", obj=report, org=org)
        sent += 1
    return sent
