"""Every change to a business profile or a lead goes through one of these functions: each
checks the state, locks or claims the row, saves, writes the audit log and queues its
e-mails in the same transaction (they leave after commit)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from babel.numbers import list_currencies
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import TextField, Value
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerportal.audit import audit_log
from partnerportal.errors import DomainError
from partnerportal.mail import mail_enqueue, mail_queue
from partnerportal.models import Location, Membership, Organisation, OutgoingMail, Role, User

from .models import NUDGES, RESPONSE_WINDOW, BusinessProfile, CompanySize, Favourite, Industry, Lead, LeadContact

CURRENCIES = frozenset(list_currencies())
DEAL_FIELDS = (
    "deal_name",
    "deal_value",
    "deal_currency",
    "purchase_timeframe",
    "purchase_date",
    "deal_notes",
    "crm_id",
    "campaign_id",
)
REQUIRED_DEAL_FIELDS = ("deal_name", "deal_value", "deal_currency", "purchase_timeframe", "deal_notes")
# Responsiveness is measured over the leads received in the last year.
RESPONSIVENESS_PERIOD = dt.timedelta(days=365)


# --- Business profile ---------------------------------------------------------------------


def _clean_keywords(keywords: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for word in keywords:
        word = " ".join(str(word).split()).lower()[:60]
        if word:
            seen.setdefault(word, None)
    return list(seen)


def profile_save(
    *,
    org: Organisation,
    actor: User | None,
    description: str,
    keywords: Iterable[str],
    industries: Iterable[str],
    company_sizes: Iterable[str],
    locations: Iterable[Location],
    website: str = "",
) -> BusinessProfile:
    """Create or update the organisation's profile and its search document."""
    locations = list(locations)
    if any(loc.org_id != org.pk for loc in locations):
        raise DomainError(_("A profile can list only your own organisation's locations."), field="locations")
    industries = [i for i in industries if i in Industry.values]
    company_sizes = [s for s in company_sizes if s in CompanySize.values]
    with transaction.atomic():
        profile, created = BusinessProfile.objects.select_for_update().get_or_create(
            org=org, defaults={"description": description}
        )
        profile.description = description.strip()
        profile.keywords = _clean_keywords(keywords)
        profile.industries = industries
        profile.company_sizes = company_sizes
        profile.website = website
        profile.countries = sorted({loc.country.upper() for loc in locations})
        if profile.is_published:
            _check_publishable(profile, locations)
        profile.save()
        profile.locations.set(locations)
        _refresh_search_vector(profile)
        audit_log(
            actor=actor,
            action="lead_profile.created" if created else "lead_profile.saved",
            obj=profile,
            org=org,
            details={"keywords": profile.keywords, "locations": [loc.name for loc in locations]},
        )
    return profile


def _refresh_search_vector(profile: BusinessProfile) -> None:
    """The directory's full-text document: name and keywords weigh most, then industries,
    then the description. 'simple' configuration: profiles are written in many languages."""
    with translation.override("en"):
        industries = " ".join(str(label) for value, label in Industry.choices if value in profile.industries)

    def part(text: str, weight: str):
        return SearchVector(Value(text, output_field=TextField()), weight=weight, config="simple")

    BusinessProfile.objects.filter(pk=profile.pk).update(
        search_vector=part(profile.org.name, "A")
        + part(" ".join(profile.keywords), "A")
        + part(industries, "B")
        + part(profile.description, "C")
    )


def _check_publishable(profile: BusinessProfile, locations: list[Location]) -> None:
    if not profile.description.strip():
        raise DomainError(_("Describe your business before you publish the profile."), field="description")
    if not profile.keywords:
        raise DomainError(_("Add at least one keyword before you publish the profile."), field="keywords")
    if not profile.company_sizes:
        raise DomainError(_("Choose the company sizes you work with before you publish."), field="company_sizes")
    if not locations:
        raise DomainError(_("Add at least one location: its contact receives the new-lead alerts."), field="locations")


def profile_set_published(*, profile: BusinessProfile, published: bool, actor: User | None) -> BusinessProfile:
    with transaction.atomic():
        profile = BusinessProfile.objects.select_for_update().select_related("org").get(pk=profile.pk)
        if profile.is_published == published:
            return profile
        if published:
            _check_publishable(profile, list(profile.locations.all()))
            profile.published_at = timezone.now()
        profile.is_published = published
        profile.save(update_fields=["is_published", "published_at", "updated_at"])
        audit_log(
            actor=actor,
            action="lead_profile.published" if published else "lead_profile.unpublished",
            obj=profile,
            org=profile.org,
        )
    return profile


def profile_refresh_responsiveness(*, org_ids: Iterable[int], now: dt.datetime | None = None) -> None:
    """Recompute the median time to accept or decline (an expired lead counts as the whole
    window: it was never answered) and the directory tier, in one statement; only organisations
    with a business profile are computed."""
    org_ids = sorted(set(org_ids))
    if not org_ids:
        return
    since = (now or timezone.now()) - RESPONSIVENESS_PERIOD
    window = int(RESPONSE_WINDOW.total_seconds())
    sql = """
        UPDATE leads_businessprofile p
           SET median_response_seconds = s.med,
               response_tier = CASE WHEN s.med IS NULL THEN 9
                                    WHEN s.med <= 86400 THEN 1
                                    WHEN s.med <= 259200 THEN 2
                                    WHEN s.med <= 604800 THEN 3
                                    ELSE 4 END
          FROM (
            SELECT o.org_id,
                   (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY
                               extract(epoch FROM COALESCE(l.responded_at - l.received_at,
                                                           make_interval(secs => %(window)s)))))::int
                      FROM leads_lead l
                     WHERE l.org_id = o.org_id AND l.status <> 'received' AND l.received_at >= %(since)s) AS med
              FROM leads_businessprofile o
             WHERE o.org_id = ANY(%(org_ids)s::bigint[])
          ) s
         WHERE p.org_id = s.org_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"window": window, "since": since, "org_ids": org_ids})


# --- Creating leads -----------------------------------------------------------------------


def _validate_customer(*, customer_company, contact_name, contact_email, need, company_size, country) -> None:
    if not need.strip():
        raise DomainError(_("Describe what the customer needs."), field="need")
    if not customer_company.strip():
        raise DomainError(_("Enter the customer's company."), field="customer_company")
    if not contact_name.strip():
        raise DomainError(_("Enter the name of the customer's contact."), field="contact_name")
    try:
        validate_email(contact_email)
    except ValidationError:
        raise DomainError(_("Enter a valid e-mail address."), field="contact_email")
    if company_size not in CompanySize.values:
        raise DomainError(_("Choose the company size."), field="company_size")
    if len(country) != 2 or not country.isalpha():
        raise DomainError(_("Choose the customer's country."), field="country")


def _match_location(profile: BusinessProfile, country: str) -> Location | None:
    locations = sorted(profile.locations.all(), key=lambda loc: (loc.country != country, loc.name))
    return locations[0] if locations else None


def lead_create(
    *,
    org: Organisation,
    type: str,
    need: str,
    customer_company: str,
    company_size: str,
    country: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    may_contact_directly: bool = False,
    customer_language: str = "en",
    sender: User | None = None,
) -> Lead:
    """A new lead for a partner: a customer's inquiry from the directory (no sender) or a
    qualified lead sent by the vendor's staff. The partner needs a published profile."""
    country = (country or "").upper()
    _validate_customer(
        customer_company=customer_company,
        contact_name=contact_name,
        contact_email=contact_email,
        need=need,
        company_size=company_size,
        country=country,
    )
    if type not in Lead.Type.values:
        raise DomainError(_("Unknown lead type."), field="type")
    if type == Lead.Type.CUSTOMER_INQUIRY and sender is not None:
        raise DomainError(_("Customer inquiries come from customers, not from staff."), field="type")
    if type != Lead.Type.CUSTOMER_INQUIRY and (sender is None or not sender.is_programme_staff):
        raise DomainError(_("Only the programme's staff send qualified leads."), field="type")
    with transaction.atomic():
        profile = (
            BusinessProfile.objects.filter(org=org, is_published=True, org__is_active=True)
            .select_related("org")
            .prefetch_related("locations")
            .first()
        )
        if profile is None:
            raise DomainError(
                _("%(org)s has no published business profile and cannot receive leads yet.") % {"org": org.name},
                field="org",
            )
        lead = Lead.objects.create(
            org=org,
            type=type,
            location=_match_location(profile, country),
            need=need.strip(),
            customer_company=customer_company.strip(),
            company_size=company_size,
            country=country,
            contact_name=contact_name.strip(),
            contact_email=contact_email.strip(),
            contact_phone=contact_phone.strip(),
            may_contact_directly=may_contact_directly,
            customer_language=customer_language,
            sender=sender,
        )
        audit_log(actor=sender, action="lead.received", obj=lead, org=org, details={"type": type})
        _alert_new_lead(lead)
    return lead


def _lead_url(lead: Lead) -> str:
    from django.conf import settings

    return settings.SITE_URL + reverse("leads:lead_detail", args=[lead.pk])


def _referral_admins(org_ids: Iterable[int]) -> dict[int, list[User]]:
    people: dict[int, list[User]] = defaultdict(list)
    memberships = Membership.objects.filter(
        org_id__in=list(org_ids),
        is_active=True,
        user__is_active=True,
        roles__overlap=[Role.REFERRAL_ADMIN, Role.PARTNER_ADMIN],
    ).select_related("user")
    for m in memberships:
        people[m.org_id].append(m.user)
    return people


def _alert_new_lead(lead: Lead) -> None:
    """The contact of the matching location hears of the lead at once; with no location,
    the referral admins do."""
    org = lead.org
    recipients: list[tuple[str, str, str]] = []
    if lead.location is not None:
        email = lead.location.contact_email
        person = User.objects.filter(email__iexact=email).only("language", "full_name").first()
        recipients.append((email, person.language if person else org.default_language, lead.location.contact_name))
    else:
        for user in _referral_admins([org.pk]).get(org.pk, []):
            recipients.append((user.email, user.language, user.get_full_name()))
    for email, language, name in recipients:
        mail_queue(
            to=email,
            template="leads/email/new_lead",
            context={"lead": lead, "name": name, "lead_url": _lead_url(lead)},
            language=language,
            org=org,
            kind="lead_new",
            related=f"leads.lead:{lead.pk}",
        )


# --- Transitions --------------------------------------------------------------------------


def _lock(lead: Lead, *allowed: str, refusal: str) -> Lead:
    """Lock the lead and check that the change is possible in its current status."""
    locked = Lead.objects.select_for_update().select_related("org").get(pk=lead.pk)
    if locked.status in allowed:
        return locked
    if locked.is_archived:
        raise DomainError(
            _("This lead is archived as %(status)s: no further action is possible.")
            % {"status": locked.get_status_display().lower()}
        )
    raise DomainError(refusal)


def _clean_deal(values: dict) -> dict:
    cleaned = {}
    for name in DEAL_FIELDS:
        value = values.get(name)
        cleaned[name] = value.strip() if isinstance(value, str) else value
    cleaned["deal_currency"] = (cleaned.get("deal_currency") or "").upper()
    for name in ("crm_id", "campaign_id"):
        cleaned[name] = cleaned.get(name) or ""
    labels = {
        "deal_name": _("Enter a name for the deal."),
        "deal_value": _("Enter the estimated deal value."),
        "deal_currency": _("Choose the currency of the deal value."),
        "purchase_timeframe": _("Choose the estimated purchase timeframe."),
        "deal_notes": _("Add notes about what the customer is looking for."),
    }
    for name in REQUIRED_DEAL_FIELDS:
        if cleaned.get(name) in (None, ""):
            raise DomainError(labels[name], field=name)
    try:
        value = Decimal(cleaned["deal_value"])
    except (ArithmeticError, ValueError, TypeError):
        raise DomainError(labels["deal_value"], field="deal_value")
    if value < 0 or not value.is_finite():
        raise DomainError(_("The deal value cannot be negative."), field="deal_value")
    cleaned["deal_value"] = value
    if cleaned["deal_currency"] not in CURRENCIES:
        raise DomainError(labels["deal_currency"], field="deal_currency")
    if cleaned["purchase_timeframe"] not in Lead.Timeframe.values:
        raise DomainError(labels["purchase_timeframe"], field="purchase_timeframe")
    return cleaned


def lead_accept(*, lead: Lead, actor: User, contacts: Iterable[dict] = (), **deal) -> Lead:
    """Received -> Accepted: the partner plans to work with the customer on the need."""
    cleaned = _clean_deal(deal)
    contacts = [_clean_contact(c) for c in contacts if any((c.get("name"), c.get("email"), c.get("phone")))]
    with transaction.atomic():
        lead = _lock(lead, Lead.Status.RECEIVED, refusal=_("Only a received lead can be accepted."))
        for name, value in cleaned.items():
            setattr(lead, name, value)
        lead.status = Lead.Status.ACCEPTED
        lead.responded_at = timezone.now()
        lead.save(update_fields=[*DEAL_FIELDS, "status", "responded_at"])
        audit_log(
            actor=actor,
            action="lead.accepted",
            obj=lead,
            details={"deal_name": lead.deal_name, "value": f"{lead.deal_value} {lead.deal_currency}"},
        )
        for contact in contacts:
            _add_contact(lead, actor, contact)
        profile_refresh_responsiveness(org_ids=[lead.org_id])
    return lead


def lead_decline(*, lead: Lead, actor: User, reason: str, notes: str) -> Lead:
    """Received -> archived as Declined; the customer is asked to choose another partner."""
    if reason not in Lead.DeclineReason.values:
        raise DomainError(_("Choose why you decline the lead."), field="reason")
    if not (notes or "").strip():
        raise DomainError(_("Add a note about why you decline the lead."), field="notes")
    with transaction.atomic():
        lead = _lock(lead, Lead.Status.RECEIVED, refusal=_("Only a received lead can be declined."))
        now = timezone.now()
        lead.status = Lead.Status.DECLINED
        lead.decline_reason = reason
        lead.decline_notes = notes.strip()
        lead.responded_at = now
        lead.closed_at = now
        lead.save(update_fields=["status", "decline_reason", "decline_notes", "responded_at", "closed_at"])
        audit_log(actor=actor, action="lead.declined", obj=lead, details={"reason": reason})
        mail_queue(
            to=lead.contact_email,
            template="leads/email/declined_customer",
            context={"lead": lead, "directory_url": _directory_url()},
            language=lead.customer_language,
            org=lead.org,
            kind="lead_declined",
            related=f"leads.lead:{lead.pk}",
        )
        if lead.sender_id and lead.sender.is_active:
            mail_queue(
                to=lead.sender.email,
                template="leads/email/declined_sender",
                context={"lead": lead, "recipient": lead.sender},
                language=lead.sender.language,
                org=lead.org,
                kind="lead_declined_sender",
                related=f"leads.lead:{lead.pk}",
            )
        profile_refresh_responsiveness(org_ids=[lead.org_id])
    return lead


def _directory_url() -> str:
    from django.conf import settings

    return settings.SITE_URL + reverse("leads:directory")


def lead_edit(*, lead: Lead, actor: User, **deal) -> Lead:
    """Accepted leads only: update the deal while working to close it."""
    cleaned = _clean_deal(deal)
    with transaction.atomic():
        lead = _lock(lead, Lead.Status.ACCEPTED, refusal=_("Only an accepted lead can be edited."))
        changed = [name for name, value in cleaned.items() if getattr(lead, name) != value]
        if not changed:
            return lead
        for name in changed:
            setattr(lead, name, cleaned[name])
        lead.save(update_fields=changed)
        audit_log(actor=actor, action="lead.edited", obj=lead, details={"changed": changed})
    return lead


def _clean_contact(contact: dict) -> dict:
    name = (contact.get("name") or "").strip()
    email = (contact.get("email") or "").strip().lower()
    phone = (contact.get("phone") or "").strip()
    if not name:
        raise DomainError(_("Enter the colleague's name."), field="name")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Enter the colleague's e-mail address."), field="email")
    return {"name": name, "email": email, "phone": phone}


def _add_contact(lead: Lead, actor: User, contact: dict) -> LeadContact:
    if LeadContact.objects.filter(lead=lead, email=contact["email"]).exists():
        raise DomainError(_("%(email)s is already on this deal.") % {"email": contact["email"]}, field="email")
    added = LeadContact.objects.create(org_id=lead.org_id, lead=lead, added_by=actor, **contact)
    audit_log(actor=actor, action="lead.contact_added", obj=lead, details={"colleague": added.name})
    return added


def lead_add_contact(*, lead: Lead, actor: User, name: str, email: str, phone: str = "") -> LeadContact:
    """Put another colleague of the partner on an accepted deal."""
    contact = _clean_contact({"name": name, "email": email, "phone": phone})
    with transaction.atomic():
        lead = _lock(lead, Lead.Status.ACCEPTED, refusal=_("Colleagues can be added only to an accepted lead."))
        return _add_contact(lead, actor, contact)


def _close(lead: Lead, actor: User, status: str, notes: str, refusal: str) -> Lead:
    with transaction.atomic():
        lead = _lock(lead, Lead.Status.ACCEPTED, refusal=refusal)
        lead.status = status
        lead.outcome_notes = (notes or "").strip()
        lead.closed_at = timezone.now()
        lead.save(update_fields=["status", "outcome_notes", "closed_at"])
        audit_log(actor=actor, action="lead.won" if status == Lead.Status.WON else "lead.lost", obj=lead)
    return lead


def lead_mark_won(*, lead: Lead, actor: User, notes: str = "") -> Lead:
    """Accepted -> archived as Won."""
    return _close(lead, actor, Lead.Status.WON, notes, _("Only an accepted lead can be marked won."))


def lead_mark_lost(*, lead: Lead, actor: User, notes: str = "") -> Lead:
    """Accepted -> archived as Lost."""
    return _close(lead, actor, Lead.Status.LOST, notes, _("Only an accepted lead can be marked lost."))


def lead_favourite_toggle(*, lead: Lead, user: User) -> bool:
    """Add or remove the heart for this person. Returns whether the lead is now a favourite."""
    with transaction.atomic():
        deleted, _count = Favourite.objects.filter(user=user, lead=lead).delete()
        if deleted:
            return False
        Favourite.objects.get_or_create(user=user, lead=lead, defaults={"org_id": lead.org_id})
        return True


# --- Periodic jobs ------------------------------------------------------------------------

EXPIRE_BATCH = 5000


def leads_expire(*, now: dt.datetime | None = None, batch_size: int = EXPIRE_BATCH) -> int:
    """Archive as Expired every lead not answered within 14 days of receipt, and tell whoever
    sent it. Each batch is one statement: an UPDATE over rows locked with SKIP LOCKED (so two
    workers running at once share the work and never expire, or notify, a lead twice) that
    also writes the audit entries and queues the e-mails, unrendered: the worker that sends a
    mail renders it in the recipient's language (see `mail_queue_many(defer=True)`, whose rows
    these are). No lead passes through Python."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(EXPIRE_SQL, _expire_params(now, batch_size))
                expired, org_ids, mail_ids = cursor.fetchone()
            if not expired:
                break
            profile_refresh_responsiveness(org_ids=org_ids or [], now=now)
            if mail_ids:
                transaction.on_commit(lambda ids=mail_ids: mail_enqueue(sorted(ids)))
            total += expired
        if expired < batch_size:
            break
    return total


# The customer of an inquiry, or the (active) staff member who sent a qualified lead, is told,
# in their language (else the organisation's). The mail row is the one `mail_queue_many(...,
# defer=True)` stores: template and context ({"lead": ..., "recipient": ..., "directory_url":
# ...}), rendered by the sending worker.
EXPIRE_SQL = """
WITH due AS (
    SELECT id FROM leads_lead
     WHERE status = %(received)s AND received_at <= %(cutoff)s
     ORDER BY received_at, id
     LIMIT %(limit)s
     FOR UPDATE SKIP LOCKED
), expired AS (
    UPDATE leads_lead l SET status = %(expired)s, closed_at = %(now)s
      FROM due
     WHERE l.id = due.id AND l.status = %(received)s
    RETURNING l.id, l.org_id, l.type, l.customer_company, l.contact_email, l.customer_language, l.sender_id
), audit AS (
    INSERT INTO partnerportal_auditentry (created_at, actor_id, org_id, action, object_type, object_id,
                                          object_repr, details)
    SELECT %(now)s, NULL, e.org_id, 'lead.expired', 'leads.lead', e.id::text,
           left('#' || e.id || ' ' || e.customer_company, 200), '{}'::jsonb
      FROM expired e
), mail AS (
    INSERT INTO partnerportal_outgoingmail (org_id, kind, "to", language, subject, body_text, body_html,
                                            status, attempts, last_error, created_at, related, headers,
                                            template, context)
    SELECT e.org_id, 'lead_expired',
           CASE WHEN e.type = %(inquiry)s THEN e.contact_email ELSE u.email END,
           COALESCE(NULLIF(CASE WHEN e.type = %(inquiry)s THEN e.customer_language ELSE u.language END, ''),
                    o.default_language),
           '', '', '', %(queued)s, 0, '', %(now)s, 'leads.lead:' || e.id, '{}'::jsonb,
           CASE WHEN e.type = %(inquiry)s THEN 'leads/email/expired_customer' ELSE 'leads/email/expired_sender' END,
           jsonb_build_object(
               'lead', jsonb_build_object('__model__', 'leads.lead', 'pk', e.id),
               'recipient', CASE WHEN e.sender_id IS NULL THEN NULL
                                 ELSE jsonb_build_object('__model__', %(user_label)s, 'pk', e.sender_id) END,
               'directory_url', %(directory_url)s::text)
      FROM expired e
      JOIN partnerportal_organisation o ON o.id = e.org_id
      LEFT JOIN partnerportal_user u ON u.id = e.sender_id
     WHERE e.type = %(inquiry)s OR u.is_active
    RETURNING id
)
SELECT (SELECT count(*) FROM expired),
       (SELECT array_agg(DISTINCT org_id) FROM expired),
       (SELECT array_agg(id) FROM mail)
"""


def _expire_params(now: dt.datetime, batch_size: int) -> dict:
    from django.contrib.auth import get_user_model

    return {
        "expired": Lead.Status.EXPIRED,
        "received": Lead.Status.RECEIVED,
        "inquiry": Lead.Type.CUSTOMER_INQUIRY,
        "queued": OutgoingMail.Status.QUEUED,
        "user_label": get_user_model()._meta.label_lower,
        "directory_url": _directory_url(),
        "now": now,
        "cutoff": now - RESPONSE_WINDOW,
        "limit": batch_size,
    }


def leads_send_nudges(*, now: dt.datetime | None = None) -> int:
    """Remind the referral admins of unanswered leads at 24 hours, 7 days and 13 days. The
    nudge row is inserted with ON CONFLICT DO NOTHING ... RETURNING, so each reminder is
    claimed (and mailed) exactly once even with two workers. A reminder whose window has
    passed (the job did not run) is skipped rather than sent late."""
    now = now or timezone.now()
    sent = 0
    limits = [age for _kind, age in NUDGES] + [RESPONSE_WINDOW]
    for (kind, age), next_age in zip(NUDGES, limits[1:], strict=True):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO leads_leadnudge (org_id, lead_id, kind, sent_at)
                    SELECT org_id, id, %(kind)s, %(now)s FROM leads_lead
                     WHERE status = 'received' AND received_at <= %(oldest)s AND received_at > %(newest)s
                    ON CONFLICT (lead_id, kind) DO NOTHING
                    RETURNING lead_id
                    """,
                    {"kind": kind, "now": now, "oldest": now - age, "newest": now - next_age},
                )
                lead_ids = [row[0] for row in cursor.fetchall()]
            if not lead_ids:
                continue
            leads = list(Lead.objects.filter(pk__in=lead_ids).select_related("org"))
            admins = _referral_admins({lead.org_id for lead in leads})
            for lead in leads:
                for user in admins.get(lead.org_id, []):
                    mail_queue(
                        to=user.email,
                        template="leads/email/nudge",
                        context={
                            "lead": lead,
                            "recipient": user,
                            "kind": kind,
                            "lead_url": _lead_url(lead),
                            "expires_at": lead.expires_at,
                        },
                        language=user.language,
                        org=lead.org,
                        kind=f"lead_nudge_{kind}",
                        related=f"leads.lead:{lead.pk}",
                    )
            sent += len(leads)
    return sent
