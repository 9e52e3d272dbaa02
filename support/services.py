"""Every change to support and billing data goes through a function here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerportal.audit import audit_action, audit_log
from partnerportal.errors import DomainError
from partnerportal.mail import mail_queue
from partnerportal.models import Organisation, hash_token, new_token

from .models import (
    TECHNICAL_CATEGORIES,
    CollectionEvent,
    CollectionsPolicy,
    Customer,
    CustomerContact,
    Escalation,
    EscalationCategory,
    Invoice,
    Payment,
    RequestMessage,
    ServiceHealthIncident,
    Subscription,
    SupportProfile,
    SupportRequest,
)

Status = SupportRequest.Status

# --- Customers -----------------------------------------------------------------------------------


def customer_create(*, org: Organisation, actor, **fields) -> Customer:
    if org.csp_relationship == Organisation.CspRelationship.NONE:
        raise DomainError(_("Only organisations in the CSP programme have CSP customers."))
    fields["tenant_domain"] = fields["tenant_domain"].strip().lower()
    if Customer.objects.filter(org=org, tenant_domain=fields["tenant_domain"]).exists():
        raise DomainError(_("You already have a customer with this tenant domain."), field="tenant_domain")
    with transaction.atomic():
        customer = Customer.objects.create(org=org, partner_of_record=org, **fields)
        audit_log(actor=actor, action="support.customer_created", obj=customer)
        # Both contacts get a personal link to follow their requests and invoices.
        contact_create(
            customer=customer,
            actor=actor,
            name=customer.technical_contact_name,
            email=customer.technical_contact_email,
            language=customer.language,
        )
        if customer.billing_contact_email.lower() != customer.technical_contact_email.lower():
            contact_create(
                customer=customer,
                actor=actor,
                name=customer.billing_contact_name,
                email=customer.billing_contact_email,
                language=customer.language,
            )
    return customer


def customer_update(*, customer: Customer, actor, changed: list[str]) -> Customer:
    customer.tenant_domain = customer.tenant_domain.strip().lower()
    if Customer.objects.filter(org=customer.org, tenant_domain=customer.tenant_domain).exclude(pk=customer.pk).exists():
        raise DomainError(_("You already have a customer with this tenant domain."), field="tenant_domain")
    with transaction.atomic():
        customer.save()
        # Field names only: the audit log never holds customer contact details.
        audit_log(actor=actor, action="support.customer_changed", obj=customer, details={"fields": changed})
    return customer


def contact_create(*, customer: Customer, actor, name: str, email: str, language: str, send: bool = True):
    email = email.strip().lower()
    if CustomerContact.objects.filter(customer=customer, email=email).exists():
        raise DomainError(_("This person already has a link for this customer."), field="email")
    token = new_token()
    with transaction.atomic():
        contact = CustomerContact.objects.create(
            org=customer.org, customer=customer, name=name, email=email, language=language, token_hash=hash_token(token)
        )
        audit_log(actor=actor, action="support.contact_created", obj=contact, org=customer.org)
        if send:
            _send_link(contact, token)
    return contact, token


def contact_renew_link(*, contact: CustomerContact, actor) -> str:
    """A new link replaces the old one at once (a forwarded or leaked link stops working)."""
    token = new_token()
    with transaction.atomic():
        CustomerContact.objects.filter(pk=contact.pk).update(token_hash=hash_token(token), is_active=True)
        contact.token_hash, contact.is_active = hash_token(token), True
        audit_log(actor=actor, action="support.contact_link_renewed", obj=contact, org=contact.org)
        _send_link(contact, token)
    return token


def contact_revoke_link(*, contact: CustomerContact, actor) -> None:
    with transaction.atomic():
        CustomerContact.objects.filter(pk=contact.pk).update(is_active=False)
        contact.is_active = False
        audit_log(actor=actor, action="support.contact_link_revoked", obj=contact, org=contact.org)


def _send_link(contact: CustomerContact, token: str) -> None:
    contact.link_sent_at = timezone.now()
    CustomerContact.objects.filter(pk=contact.pk).update(link_sent_at=contact.link_sent_at)
    mail_queue(
        to=contact.email,
        template="support/email/customer_link",
        context={"contact": contact, "partner": contact.org, "url": customer_url(token)},
        language=contact.language,
        org=contact.org,
        kind="support.customer_link",
        related=f"support.customercontact:{contact.pk}",
    )


def customer_url(token: str) -> str:
    return settings.SITE_URL + reverse("support:customer_home", args=[token])


def contact_by_token(token: str) -> CustomerContact | None:
    if not token or len(token) > 100:
        return None
    contact = (
        CustomerContact.objects.select_related("customer", "org")
        .filter(token_hash=hash_token(token), is_active=True)
        .first()
    )
    if contact:
        now = timezone.now()
        if not contact.last_used_at or now - contact.last_used_at > dt.timedelta(minutes=5):
            CustomerContact.objects.filter(pk=contact.pk).update(last_used_at=now)
    return contact


def subscription_save(*, subscription: Subscription, actor, created: bool) -> Subscription:
    with transaction.atomic():
        subscription.save()
        audit_log(
            actor=actor,
            action="support.subscription_created" if created else "support.subscription_changed",
            obj=subscription,
            details={"service": subscription.service, "seats": subscription.seats, "status": subscription.status},
        )
    return subscription


def support_profile_save(*, profile: SupportProfile, actor, changed: list[str]) -> SupportProfile:
    if profile.delivery in (SupportProfile.Delivery.RESOLD, SupportProfile.Delivery.OUTSOURCED):
        if not profile.provider_company.strip():
            raise DomainError(_("Name the company that provides the support."), field="provider_company")
    else:
        profile.provider_company = ""
    if profile.delivery == SupportProfile.Delivery.OUTSOURCED and not profile.outsourced_scope:
        raise DomainError(_("Say whether all or part of the support is outsourced."), field="outsourced_scope")
    if profile.delivery != SupportProfile.Delivery.OUTSOURCED:
        profile.outsourced_scope = ""
    if profile.charging != SupportProfile.Charging.FREE and not profile.pricing.strip():
        raise DomainError(_("Customers must be told the price when support is charged for."), field="pricing")
    if not (profile.contact_email or profile.contact_phone or profile.contact_url or profile.contact_notes.strip()):
        raise DomainError(_("Give customers at least one way to contact support."), field="contact_email")
    with transaction.atomic():
        profile.save()
        audit_log(
            actor=actor, action="support.profile_saved", obj=profile, org=profile.org, details={"fields": changed}
        )
    return profile


# --- Support requests ------------------------------------------------------------------------------

TRANSITIONS = {
    Status.NEW: {Status.DIAGNOSING, Status.WAITING_ON_CUSTOMER, Status.RESOLVED},
    Status.DIAGNOSING: {Status.WAITING_ON_CUSTOMER, Status.RESOLVED},
    Status.WAITING_ON_CUSTOMER: {Status.DIAGNOSING, Status.RESOLVED},
    Status.ESCALATED: {Status.DIAGNOSING, Status.WAITING_ON_CUSTOMER, Status.RESOLVED},
    Status.RESOLVED: {Status.CLOSED, Status.DIAGNOSING},
    Status.CLOSED: set(),
}


def request_create(
    *,
    org: Organisation,
    customer: Customer,
    category: str,
    service: str,
    severity: str,
    subject: str,
    description: str,
    requester: CustomerContact | None = None,
    requester_name: str = "",
    requester_email: str = "",
    actor=None,
    assignee=None,
) -> SupportRequest:
    if customer.org_id != org.pk:
        raise DomainError(_("This customer is not yours."), field="customer")
    if requester is None and requester_email:
        # Opened by an agent (a phone call, an e-mail) for one of the customer's contacts: the
        # request is theirs, so they follow it on their own page like one they opened.
        requester = (
            customer.contacts.filter(email__iexact=requester_email.strip(), is_active=True).order_by("id").first()
        )
    if requester is not None:
        requester_name, requester_email = requester.name, requester.email
    if not requester_email:
        raise DomainError(_("Who asked? Give the requester's e-mail address."), field="requester_email")
    now = timezone.now()
    with transaction.atomic():
        req = SupportRequest.objects.create(
            org=org,
            customer=customer,
            requester=requester,
            requester_name=requester_name or requester_email,
            requester_email=requester_email,
            category=category,
            service=service,
            severity=severity,
            subject=subject,
            description=description,
            assignee=assignee,
            created_at=now,
            updated_at=now,
            first_response_due_at=now + SupportRequest.FIRST_RESPONSE_TARGET[severity],
            resolution_due_at=now + SupportRequest.RESOLUTION_TARGET[severity],
        )
        audit_log(
            actor=actor,
            action="support.request_created",
            obj=req,
            details={
                "severity": severity,
                "category": category,
                "by_customer": requester is not None and actor is None,
            },
        )
        _mail_customer(req, "request_received")
    return req


def _lock(req: SupportRequest) -> SupportRequest:
    return SupportRequest.objects.select_for_update().get(pk=req.pk)


def _resume_clock(req: SupportRequest, now) -> None:
    """Leaving 'waiting on customer': the time waited moves both targets forward."""
    if req.waiting_since is None:
        return
    paused = now - req.waiting_since
    req.paused_seconds += int(paused.total_seconds())
    if req.first_response_at is None:
        req.first_response_due_at += paused
    if req.resolved_at is None:
        req.resolution_due_at += paused
    req.waiting_since = None


def _set_status(req: SupportRequest, new: str, now) -> list[str]:
    old = req.status
    if new == Status.WAITING_ON_CUSTOMER:
        req.waiting_since = now
    elif old == Status.WAITING_ON_CUSTOMER:
        _resume_clock(req, now)
    if new == Status.RESOLVED:
        req.resolved_at = now
    elif old == Status.RESOLVED and new != Status.CLOSED:
        req.resolved_at = None  # reopened: the resolution clock runs again
    if new == Status.CLOSED:
        req.closed_at = now
    req.status = new
    req.updated_at = now
    return [
        "status",
        "waiting_since",
        "paused_seconds",
        "first_response_due_at",
        "resolution_due_at",
        "resolved_at",
        "closed_at",
        "updated_at",
    ]


def request_change_status(*, request: SupportRequest, status: str, actor) -> SupportRequest:
    with transaction.atomic():
        req = _lock(request)
        if status == req.status:
            return req
        if status == Status.ESCALATED:
            raise DomainError(
                _("Use the escalation form: it checks the category and the support vehicle."), field="status"
            )
        if status not in TRANSITIONS[req.status]:
            raise DomainError(
                _("A request that is %(old)s cannot become %(new)s.")
                % {"old": req.get_status_display().lower(), "new": Status(status).label.lower()},
                field="status",
            )
        old = req.status
        now = timezone.now()
        req.save(update_fields=_set_status(req, status, now))
        audit_log(actor=actor, action="support.request_status", obj=req, details={"from": old, "to": status})
        if status in (Status.RESOLVED, Status.CLOSED, Status.WAITING_ON_CUSTOMER):
            _mail_customer(req, f"request_{status}")
    return req


def request_assign(*, request: SupportRequest, assignee, actor) -> SupportRequest:
    if assignee is not None and not assignee.memberships.filter(org=request.org, is_active=True).exists():
        raise DomainError(_("The assignee must be a member of your organisation."), field="assignee")
    with transaction.atomic():
        req = _lock(request)
        req.assignee = assignee
        req.updated_at = timezone.now()
        req.save(update_fields=["assignee", "updated_at"])
        audit_log(
            actor=actor,
            action="support.request_assigned",
            obj=req,
            details={"assignee": assignee.pk if assignee else None},
        )
    return req


def request_reply(*, request: SupportRequest, actor, body: str, status: str | None = None) -> RequestMessage:
    """A reply to the customer. The first one stops the first-response clock."""
    if not body.strip():
        raise DomainError(_("Write the reply first."), field="body")
    with transaction.atomic():
        req = _lock(request)
        if req.status == Status.CLOSED:
            raise DomainError(_("This request is closed."))
        now = timezone.now()
        msg = RequestMessage.objects.create(
            org=req.org,
            request=req,
            kind=RequestMessage.Kind.REPLY,
            author=actor,
            author_name=actor.get_full_name(),
            body=body,
            created_at=now,
        )
        fields = ["updated_at"]
        if req.first_response_at is None:
            req.first_response_at = now
            fields.append("first_response_at")
        if req.status == Status.NEW and not status:
            status = Status.DIAGNOSING
        if status and status != req.status:
            if status == Status.ESCALATED or status not in TRANSITIONS[req.status]:
                raise DomainError(_("That status cannot follow the current one."), field="status")
            fields += _set_status(req, status, now)
        req.updated_at = now
        req.save(update_fields=sorted(set(fields)))
        audit_log(actor=actor, action="support.request_replied", obj=req, details={"status": req.status})
        _mail_customer(req, "request_reply", message=msg)
    return msg


def request_note(*, request: SupportRequest, actor, body: str, kind: str = RequestMessage.Kind.NOTE) -> RequestMessage:
    if not body.strip():
        raise DomainError(_("Write the note first."), field="body")
    with transaction.atomic():
        req = _lock(request)
        msg = RequestMessage.objects.create(
            org=req.org, request=req, kind=kind, author=actor, author_name=actor.get_full_name(), body=body
        )
        audit_log(actor=actor, action="support.request_note", obj=req, details={"kind": kind})
    return msg


def request_customer_message(*, request: SupportRequest, contact: CustomerContact, body: str) -> RequestMessage:
    """The customer answers through its link; waiting on the customer ends there."""
    if not body.strip():
        raise DomainError(_("Write your message first."), field="body")
    with transaction.atomic():
        req = _lock(request)
        if req.requester_id != contact.pk:
            raise DomainError(_("This request is not yours."))
        if req.status == Status.CLOSED:
            raise DomainError(_("This request is closed. Please open a new one."))
        now = timezone.now()
        msg = RequestMessage.objects.create(
            org=req.org,
            request=req,
            kind=RequestMessage.Kind.CUSTOMER,
            author_name=contact.name,
            body=body,
            created_at=now,
        )
        fields = ["updated_at"]
        if req.status in (Status.WAITING_ON_CUSTOMER, Status.RESOLVED):
            fields += _set_status(req, Status.DIAGNOSING, now)
        req.updated_at = now
        req.save(update_fields=sorted(set(fields)))
        audit_log(actor=None, action="support.request_customer_message", obj=req, details={"status": req.status})
    return msg


def request_rate(*, request: SupportRequest, contact: CustomerContact, score: int, comment: str = "") -> None:
    """The satisfaction question after close. Stored on the request only: it never counts
    toward the CSAT programme's compliance rule."""
    if not 1 <= int(score) <= 5:
        raise DomainError(_("Choose a score from 1 to 5."), field="score")
    with transaction.atomic():
        req = _lock(request)
        if req.requester_id != contact.pk:
            raise DomainError(_("This request is not yours."))
        if req.status != Status.CLOSED:
            raise DomainError(_("You can rate a request once it is closed."))
        if req.satisfaction is not None:
            raise DomainError(_("You have already rated this request. Thank you!"))
        req.satisfaction, req.satisfaction_comment, req.satisfaction_at = int(score), comment, timezone.now()
        req.save(update_fields=["satisfaction", "satisfaction_comment", "satisfaction_at"])
        audit_log(actor=None, action="support.request_rated", obj=req, details={"score": req.satisfaction})


def _mail_customer(req: SupportRequest, template: str, **extra) -> None:
    token_note = req.requester_id is not None
    language = req.requester.language if req.requester_id else req.customer.language
    mail_queue(
        to=req.requester_email,
        template=f"support/email/{template}",
        context={"req": req, "partner": req.org, "has_link": token_note, **extra},
        language=language,
        org=req.org,
        kind=f"support.{template}",
        related=f"support.supportrequest:{req.pk}",
    )


# --- Service health -------------------------------------------------------------------------------


def incident_save(*, incident: ServiceHealthIncident, actor, created: bool) -> ServiceHealthIncident:
    if incident.ended_at and incident.ended_at < incident.started_at:
        raise DomainError(_("The end cannot be before the start."), field="ended_at")
    if incident.status == ServiceHealthIncident.Status.RESOLVED and not incident.ended_at:
        incident.ended_at = timezone.now()
    with transaction.atomic():
        if created:
            incident.created_by = actor
        incident.save()
        audit_log(
            actor=actor,
            action="support.incident_created" if created else "support.incident_changed",
            obj=incident,
            org=None,
            details={"status": incident.status},
        )
    return incident


def request_check_health(
    *, request: SupportRequest, actor, incident: ServiceHealthIncident | None = None, unlink: bool = False
):
    """Record that service health was checked (the programme's first step) and, when a
    matching incident is active, link the request to it. Checking again keeps the link while
    that incident is active; `unlink` removes a link made by mistake."""
    with transaction.atomic():
        req = _lock(request)
        if incident is not None:
            if incident.service != req.service or not incident.is_active:
                raise DomainError(_("Only an active incident for the same service can be linked."), field="incident")
        elif not unlink and req.incident_id is not None and req.incident.is_active:
            incident = req.incident  # checked again: the linked incident is still going on
        now = timezone.now()
        req.health_checked_at, req.health_checked_by, req.updated_at = now, actor, now
        req.incident = incident
        req.save(update_fields=["health_checked_at", "health_checked_by", "incident", "updated_at"])
        audit_log(
            actor=actor,
            action="support.health_checked",
            obj=req,
            details={"incident": incident.pk if incident else None},
        )
    return req


# --- Escalations ----------------------------------------------------------------------------------

REFUSED_CATEGORIES = {
    "how_to": _("How-to or usage question"),
    "configuration": _("Settings or configuration the customer's administrator can change"),
    "subscription_change": _("Buying, changing or cancelling subscriptions"),
    "other": _("Something else"),
}


def refusal_reason(category: str) -> str:
    reasons = {
        "how_to": _(
            "How-to questions are resolved by you: they are within baseline support, and the vendor's product "
            "documentation is the place to start. Escalation is only for the listed service faults and billing disputes."
        ),
        "configuration": _(
            "You hold the administrator rights to fix software, settings and configuration for the customer, so this "
            "stays with you."
        ),
        "subscription_change": _(
            "Subscriptions are bought and cancelled through you as the partner of record; the vendor does not change "
            "them for the customer."
        ),
    }
    return str(
        reasons.get(
            category,
            _("Only the listed categories may be escalated; anything else must be resolved by you as the partner."),
        )
    )


def escalation_vehicles(*, org: Organisation) -> list[dict]:
    """Each vehicle with whether this organisation may use it and, if not, why."""
    V = Escalation.Vehicle
    if org.csp_relationship == Organisation.CspRelationship.INDIRECT_RESELLER:
        provider = org.indirect_provider.name if org.indirect_provider_id else "—"
        rows = [
            (
                V.INDIRECT_PROVIDER,
                True,
                _("Indirect resellers escalate to their indirect provider (%(name)s).") % {"name": provider},
            )
        ]
        rows += [
            (v, False, _("Indirect resellers escalate to their indirect provider, not to the vendor."))
            for v in (V.COMMERCIAL, V.PREMIER, V.ADVANCED, V.PARTNER_CLOUD)
        ]
    elif org.csp_relationship == Organisation.CspRelationship.NONE:
        rows = [(v, False, _("Only CSP partners can escalate customer issues.")) for v in V.values]
    else:
        gold_silver = org.membership_level in (Organisation.Level.GOLD, Organisation.Level.SILVER)
        rows = [
            (V.COMMERCIAL, True, _("Available to every CSP partner, for non-technical (commercial) issues.")),
            (
                V.PREMIER,
                org.support_contract == Organisation.SupportContract.PREMIER,
                _("Paid contract: your organisation holds it.")
                if org.support_contract == "premier"
                else _("Requires a Premier Support for Partners contract."),
            ),
            (
                V.ADVANCED,
                org.support_contract == Organisation.SupportContract.ADVANCED,
                _("Paid contract: your organisation holds it.")
                if org.support_contract == "advanced"
                else _("Requires an Advanced Support for Partners contract."),
            ),
            (
                V.PARTNER_CLOUD,
                gold_silver,
                _("Included with your Gold or Silver membership.")
                if gold_silver
                else _("Included only with a Gold or Silver membership."),
            ),
            (V.INDIRECT_PROVIDER, False, _("Only indirect resellers escalate to an indirect provider.")),
        ]
    return [{"vehicle": v, "label": V(v).label, "eligible": ok, "reason": str(reason)} for v, ok, reason in rows]


# The statuses from which a request can be escalated.
ESCALATABLE = (Status.NEW, Status.DIAGNOSING, Status.WAITING_ON_CUSTOMER)


def escalation_check(*, request: SupportRequest, category: str, vehicle: str) -> None:
    """Raise a DomainError saying why this escalation is not allowed, or return."""
    if request.health_checked_at is None:
        raise DomainError(_("Check service health first: a known incident is not escalated again."))
    if request.status not in ESCALATABLE:
        raise DomainError(_("Only an open request that is not already escalated can be escalated."))
    if request.escalations.filter(status__in=Escalation.OPEN_STATUSES).exists():
        raise DomainError(_("This request already has an open escalation: update that one instead."))
    if category not in EscalationCategory.values:
        raise DomainError(refusal_reason(category), field="category")
    incident = request.incident
    if category in TECHNICAL_CATEGORIES and incident is not None and incident.is_active:
        raise DomainError(
            _(
                "This request is linked to an active service health incident (%(title)s): the vendor already knows "
                "of it. Keep the customer informed from the incident instead of escalating."
            )
            % {"title": incident.title},
            field="category",
        )
    eligible = {row["vehicle"]: row for row in escalation_vehicles(org=request.org)}
    row = eligible.get(vehicle)
    if row is None or not row["eligible"]:
        raise DomainError(row["reason"] if row else _("Choose a support vehicle."), field="vehicle")
    V = Escalation.Vehicle
    if vehicle == V.COMMERCIAL and category in TECHNICAL_CATEGORIES:
        raise DomainError(
            _("Commercial support handles non-technical issues; a service fault needs a technical support vehicle."),
            field="vehicle",
        )
    if vehicle in (V.PREMIER, V.ADVANCED, V.PARTNER_CLOUD) and category == EscalationCategory.BILLING_DISPUTE:
        raise DomainError(_("Billing disputes go through commercial support."), field="vehicle")


def escalation_create(
    *, request: SupportRequest, actor, category: str, vehicle: str, explanation: str, vendor_ticket_number: str = ""
) -> Escalation:
    if not explanation.strip():
        raise DomainError(_("Explain briefly why this falls into the category."), field="explanation")
    with transaction.atomic():
        req = _lock(request)
        escalation_check(request=req, category=category, vehicle=vehicle)
        org = req.org
        to_provider = vehicle == Escalation.Vehicle.INDIRECT_PROVIDER
        now = timezone.now()
        esc = Escalation.objects.create(
            org=org,
            request=req,
            category=category,
            explanation=explanation,
            vehicle=vehicle,
            target=Escalation.Target.INDIRECT_PROVIDER if to_provider else Escalation.Target.VENDOR,
            provider_org=org.indirect_provider if to_provider else None,
            vendor_ticket_number=vendor_ticket_number.strip(),
            escalated_by=actor,
            escalated_at=now,
        )
        fields = _set_status(req, Status.ESCALATED, now)
        req.save(update_fields=fields)
        audit_log(
            actor=actor,
            action="support.escalated",
            obj=esc,
            org=org,
            details={"request": req.pk, "category": category, "vehicle": vehicle},
        )
    return esc


def escalation_update(
    *, escalation: Escalation, actor, status: str, vendor_ticket_number: str, note: str = "", as_provider: bool = False
) -> Escalation:
    with transaction.atomic():
        esc = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if esc.status not in Escalation.OPEN_STATUSES and status != esc.status:
            raise DomainError(_("This escalation is finished and can no longer change."), field="status")
        old = esc.status
        esc.status = status
        esc.vendor_ticket_number = vendor_ticket_number.strip()
        if status not in Escalation.OPEN_STATUSES and old in Escalation.OPEN_STATUSES:
            esc.closed_at = timezone.now()
        esc.save(update_fields=["status", "vendor_ticket_number", "closed_at"])
        if note.strip():
            RequestMessage.objects.create(
                org=esc.org,
                request_id=esc.request_id,
                kind=RequestMessage.Kind.PROVIDER if as_provider else RequestMessage.Kind.NOTE,
                author=actor,
                author_name=actor.get_full_name(),
                body=note,
            )
        # The request goes back to the partner's desk once the escalation is done.
        if esc.closed_at and old in Escalation.OPEN_STATUSES:
            req = _lock(esc.request)
            if req.status == Status.ESCALATED:
                req.save(update_fields=_set_status(req, Status.DIAGNOSING, timezone.now()))
        audit_log(
            actor=actor,
            action="support.escalation_changed",
            obj=esc,
            org=esc.org,
            details={"from": old, "to": status, "by_provider": as_provider},
        )
    return esc


# --- Invoices, payments, collections -------------------------------------------------------------


def policy_for(org: Organisation) -> CollectionsPolicy:
    policy = CollectionsPolicy.objects.filter(org=org).first()
    return policy or CollectionsPolicy(org=org)


def policy_save(*, policy: CollectionsPolicy, actor) -> CollectionsPolicy:
    policy.reminder_days_before = sorted(set(policy.reminder_days_before), reverse=True)
    policy.reminder_days_after = sorted(set(policy.reminder_days_after))
    if policy.suspend_after_days is not None and policy.suspend_after_days < 1:
        raise DomainError(_("Suspension must come at least one day after the due date."), field="suspend_after_days")
    with transaction.atomic():
        policy.save()
        audit_log(
            actor=actor,
            action="support.collections_policy_saved",
            obj=policy,
            org=policy.org,
            details={
                "before": policy.reminder_days_before,
                "after": policy.reminder_days_after,
                "suspend_after_days": policy.suspend_after_days,
            },
        )
    return policy


def invoice_create(*, org: Organisation, actor, **fields) -> Invoice:
    if fields["customer"].org_id != org.pk:
        raise DomainError(_("This customer is not yours."), field="customer")
    if Invoice.objects.filter(org=org, number=fields["number"]).exists():
        raise DomainError(_("An invoice with this number already exists."), field="number")
    if fields["period_end"] < fields["period_start"]:
        raise DomainError(_("The period ends before it starts."), field="period_end")
    with transaction.atomic():
        inv = Invoice.objects.create(org=org, **fields)
        audit_log(
            actor=actor,
            action="support.invoice_created",
            obj=inv,
            details={"amount": inv.amount, "currency": inv.currency, "due": inv.due_date},
        )
    return inv


def _lock_invoice(invoice: Invoice) -> Invoice:
    """Lock the invoice's customer, then the invoice. Every change that can suspend or reinstate
    a customer's subscriptions (a payment, a dispute, its settlement, the collections run) takes
    the customer first, so two of them on the same customer queue up instead of deadlocking
    on each other's invoices."""
    Customer.objects.select_for_update().filter(pk=invoice.customer_id).values_list("pk", flat=True).first()
    return Invoice.objects.select_for_update(of=("self",)).select_related("customer", "org").get(pk=invoice.pk)


def _event(inv: Invoice, kind: str, day: dt.date) -> bool:
    try:
        with transaction.atomic():
            CollectionEvent.objects.create(org_id=inv.org_id, invoice=inv, kind=kind, day=day)
        return True
    except IntegrityError:
        return False


def _reinstate(inv: Invoice, actor, day: dt.date) -> tuple[int, Invoice | None]:
    """Lift the suspension this invoice caused (the customer is locked, see `_lock_invoice`).
    If another of the customer's invoices is also overdue past its suspension day, the
    subscriptions stay suspended, now until that one is paid: paying one of two overdue
    invoices does not bring access back. Returns how many subscriptions are active again and
    the invoice that still holds any of the customer's subscriptions suspended."""
    suspended = Subscription.objects.filter(suspended_by_invoice=inv, status=Subscription.Status.SUSPENDED)
    count = 0
    other = None
    days = policy_for(inv.org).suspend_after_days
    if days is not None:
        other = (
            Invoice.objects.filter(
                customer_id=inv.customer_id,
                status=Invoice.Status.OVERDUE,
                due_date__lte=day - dt.timedelta(days=days),
            )
            .exclude(pk=inv.pk)
            .order_by("due_date", "id")
            .first()
        )
    if other is not None:
        moved = suspended.update(suspended_by_invoice=other)
        if moved:
            if other.suspended_at is None:
                Invoice.objects.filter(pk=other.pk).update(suspended_at=timezone.now())
            _event(other, CollectionEvent.Kind.SUSPENDED, day)
            audit_log(
                actor=actor, action="support.subscriptions_suspended", obj=other, details={"subscriptions": moved}
            )
    else:
        count = suspended.update(status=Subscription.Status.ACTIVE, suspended_by_invoice=None)
        if count:
            _event(inv, CollectionEvent.Kind.REINSTATED, day)
            audit_log(actor=actor, action="support.subscriptions_reinstated", obj=inv, details={"subscriptions": count})
    holder = (
        Subscription.objects.filter(customer_id=inv.customer_id, status=Subscription.Status.SUSPENDED)
        .exclude(suspended_by_invoice=None)
        .select_related("suspended_by_invoice")
        .order_by("id")
        .first()
    )
    return count, holder.suspended_by_invoice if holder else None


def payment_record(*, invoice: Invoice, actor, amount: Decimal, paid_on: dt.date, reference: str = "") -> Payment:
    if amount <= 0:
        raise DomainError(_("The amount must be more than zero."), field="amount")
    with transaction.atomic():
        inv = _lock_invoice(invoice)
        if inv.status == Invoice.Status.PAID:
            raise DomainError(_("This invoice is already paid."))
        paid = inv.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0")
        if paid + amount > inv.amount:
            raise DomainError(
                _("That is more than the %(left)s %(currency)s still due.")
                % {"left": inv.amount - paid, "currency": inv.currency},
                field="amount",
            )
        payment = Payment.objects.create(
            org=inv.org, invoice=inv, amount=amount, paid_on=paid_on, reference=reference, recorded_by=actor
        )
        audit_log(actor=actor, action="support.payment_recorded", obj=inv, details={"amount": amount})
        reinstated = 0
        if paid + amount == inv.amount:
            inv.status, inv.paid_at = Invoice.Status.PAID, timezone.now()
            inv.save(update_fields=["status", "paid_at"])
            today = timezone.localdate()
            _event(inv, CollectionEvent.Kind.PAID, today)
            reinstated, still_suspended_by = _reinstate(inv, actor, today)
            _mail_invoice(inv, "invoice_paid", reinstated=reinstated, still_suspended_by=still_suspended_by)
    return payment


def invoice_mark_disputed(*, invoice: Invoice, actor, reason: str) -> Invoice:
    """A disputed invoice is never collected: reminders stop and any suspension it caused
    is lifted while the dispute is worked."""
    if not reason.strip():
        raise DomainError(_("Say what the customer disputes."), field="reason")
    with transaction.atomic():
        inv = _lock_invoice(invoice)
        if inv.status not in (Invoice.Status.OPEN, Invoice.Status.OVERDUE):
            raise DomainError(_("Only an unpaid invoice can be disputed."))
        inv.status, inv.disputed_at, inv.dispute_reason = Invoice.Status.DISPUTED, timezone.now(), reason
        inv.save(update_fields=["status", "disputed_at", "dispute_reason"])
        today = timezone.localdate()
        _event(inv, CollectionEvent.Kind.DISPUTED, today)
        audit_log(actor=actor, action="support.invoice_disputed", obj=inv)
        reinstated, still_suspended_by = _reinstate(inv, actor, today)
        _mail_invoice(inv, "invoice_disputed", reinstated=reinstated, still_suspended_by=still_suspended_by)
    return inv


def invoice_resolve_dispute(*, invoice: Invoice, actor) -> Invoice:
    """The dispute is settled and the invoice stands: collections pick it up again."""
    with transaction.atomic():
        inv = _lock_invoice(invoice)
        if inv.status != Invoice.Status.DISPUTED:
            raise DomainError(_("This invoice is not disputed."))
        today = timezone.localdate()
        inv.status = Invoice.Status.OVERDUE if inv.due_date < today else Invoice.Status.OPEN
        inv.suspended_at = None
        inv.save(update_fields=["status", "suspended_at"])
        _event(inv, CollectionEvent.Kind.DISPUTE_SETTLED, today)
        audit_log(actor=actor, action="support.invoice_dispute_resolved", obj=inv, details={"status": inv.status})
        _mail_invoice(inv, "invoice_dispute_settled")
    return inv


def _mail_invoice(inv: Invoice, template: str, **extra) -> None:
    from .selectors import invoice_timeline

    policy = policy_for(inv.org)
    mail_queue(
        to=inv.customer.billing_contact_email,
        template=f"support/email/{template}",
        context={
            "invoice": inv,
            "customer": inv.customer,
            "partner": inv.org,
            "policy": policy,
            "timeline": invoice_timeline(invoice=inv, policy=policy),
            **extra,
        },
        language=inv.customer.language,
        org=inv.org,
        kind=f"support.{template}",
        related=f"support.invoice:{inv.pk}",
    )


# --- The daily collections run ---------------------------------------------------------------------
#
# Set-based: each step is one statement over all organisations' invoices that claims its work
# in the database itself — a conditional UPDATE (status, suspended_at) or an INSERT ... ON
# CONFLICT DO NOTHING into CollectionEvent (unique per invoice, kind and day) — and, in the
# same statement, writes the audit entries and queues the e-mails of exactly the rows it
# claimed. A second run the same day, or a second worker at the same time, claims nothing, and
# no invoice passes through Python: 100,000 invoices cost four statements.
#
# The mail rows are the ones `mail_queue_many(..., defer=True)` stores: the template and its
# context as references ({"invoice", "customer", "partner", "policy", "suspension_day",
# "today"}), rendered in the customer's language by the worker that sends each one.

# The organisation's policy, or the defaults while it has never saved one (no row).
_POLICY_BEFORE = "COALESCE(p.reminder_days_before, %(default_before)s::smallint[])"
_POLICY_AFTER = "COALESCE(p.reminder_days_after, %(default_after)s::smallint[])"
_POLICY_SUSPEND = "CASE WHEN p.id IS NULL THEN %(default_suspend)s ELSE p.suspend_after_days END"

# `targets` (invoice_id, template, subscriptions, counted) names the invoices this statement
# e-mails; those it claimed itself (`counted`) are also counted and audited under the step's
# action. The other ones are step 2's overdue invoices, audited there.
_COLLECTIONS_TAIL = f"""
, audit AS (
    INSERT INTO partnerportal_auditentry (created_at, actor_id, org_id, action, object_type, object_id,
                                          object_repr, details)
    SELECT %(now)s, NULL, i.org_id, %(action)s, %(invoice_label)s, i.id::text, left(i.number, 200),
           CASE WHEN t.subscriptions IS NULL THEN '{{}}'::jsonb
                ELSE jsonb_build_object('subscriptions', t.subscriptions) END
      FROM targets t JOIN support_invoice i ON i.id = t.invoice_id
     WHERE t.counted
), mail AS (
    INSERT INTO partnerportal_outgoingmail (org_id, kind, "to", language, subject, body_text, body_html,
                                            status, attempts, last_error, created_at, related, headers,
                                            template, context)
    SELECT i.org_id, 'support.' || t.template, c.billing_contact_email,
           COALESCE(NULLIF(c.language, ''), o.default_language),
           '', '', '', %(queued)s, 0, '', %(now)s, 'support.invoice:' || i.id, '{{}}'::jsonb,
           'support/email/' || t.template,
           jsonb_build_object(
               'invoice', jsonb_build_object('__model__', %(invoice_label)s, 'pk', i.id),
               'customer', jsonb_build_object('__model__', %(customer_label)s, 'pk', i.customer_id),
               'partner', jsonb_build_object('__model__', %(org_label)s, 'pk', i.org_id),
               'policy', CASE WHEN p.id IS NULL THEN NULL
                              ELSE jsonb_build_object('__model__', %(policy_label)s, 'pk', p.id) END,
               'suspension_day', CASE WHEN {_POLICY_SUSPEND} IS NULL THEN NULL
                                      ELSE jsonb_build_object('__date__',
                                           to_char(i.due_date + {_POLICY_SUSPEND}, 'YYYY-MM-DD')) END,
               'today', jsonb_build_object('__date__', to_char(%(today)s::date, 'YYYY-MM-DD')))
      FROM targets t
      JOIN support_invoice i ON i.id = t.invoice_id
      JOIN support_customer c ON c.id = i.customer_id
      JOIN partnerportal_organisation o ON o.id = i.org_id
      LEFT JOIN support_collectionspolicy p ON p.org_id = i.org_id
    RETURNING id
)
SELECT (SELECT count(*) FROM targets WHERE counted), (SELECT array_agg(id ORDER BY id) FROM mail)
"""

# 1. Reminders before the due date, on the policy's days.
_REMINDERS_BEFORE_SQL = f"""
WITH claimed AS (
    INSERT INTO support_collectionevent (org_id, invoice_id, kind, day, created_at)
    SELECT i.org_id, i.id, 'reminder_before', %(today)s, %(now)s
      FROM support_invoice i LEFT JOIN support_collectionspolicy p ON p.org_id = i.org_id
     WHERE i.status = 'open' AND i.due_date BETWEEN %(today)s AND %(today)s::date + %(horizon)s
       AND (i.due_date - %(today)s::date) = ANY({_POLICY_BEFORE})
    ON CONFLICT (invoice_id, kind, day) DO NOTHING
    RETURNING invoice_id
), targets AS (
    SELECT invoice_id, 'invoice_reminder_before' AS template, NULL::int AS subscriptions, true AS counted
      FROM claimed
)
{_COLLECTIONS_TAIL}
"""

# 2. Past due: open -> overdue. The conditional UPDATE is the claim. No e-mail yet: step 3
# sends one per invoice, the overdue notice or, on a reminder day, the reminder.
_OVERDUE_SQL = """
WITH claimed AS (
    UPDATE support_invoice SET status = 'overdue'
     WHERE status = 'open' AND due_date < %(today)s
    RETURNING id, org_id, number
), event AS (
    INSERT INTO support_collectionevent (org_id, invoice_id, kind, day, created_at)
    SELECT org_id, id, 'overdue', %(today)s, %(now)s FROM claimed
    ON CONFLICT (invoice_id, kind, day) DO NOTHING
), audit AS (
    INSERT INTO partnerportal_auditentry (created_at, actor_id, org_id, action, object_type, object_id,
                                          object_repr, details)
    SELECT %(now)s, NULL, org_id, %(action)s, %(invoice_label)s, id::text, left(number, 200),
           '{}'::jsonb
      FROM claimed
)
SELECT array_agg(id) FROM claimed
"""

# 3. Reminders after the due date, and the notice for invoices that became overdue in step 2
# (an overdue invoice reminded the same day gets one e-mail, not two).
_REMINDERS_AFTER_SQL = f"""
WITH claimed AS (
    INSERT INTO support_collectionevent (org_id, invoice_id, kind, day, created_at)
    SELECT i.org_id, i.id, 'reminder_after', %(today)s, %(now)s
      FROM support_invoice i LEFT JOIN support_collectionspolicy p ON p.org_id = i.org_id
     WHERE i.status = 'overdue' AND i.due_date < %(today)s
       AND (%(today)s::date - i.due_date) = ANY({_POLICY_AFTER})
    ON CONFLICT (invoice_id, kind, day) DO NOTHING
    RETURNING invoice_id
), targets AS (
    SELECT invoice_id, 'invoice_reminder_after' AS template, NULL::int AS subscriptions, true AS counted
      FROM claimed
    UNION ALL
    SELECT id, 'invoice_overdue', NULL, false
      FROM (SELECT unnest(%(overdue)s::bigint[]) EXCEPT SELECT invoice_id FROM claimed) AS o(id)
)
{_COLLECTIONS_TAIL}
"""

# 4. Suspension: each customer with an overdue invoice past its suspension day (never a
# disputed one: its status is 'disputed') has its active subscriptions suspended, except those
# already paid for (paid_through), held by the oldest such invoice; paying it reinstates them or
# hands them to the next one (`_reinstate`). Nothing is claimed once and for all: a subscription
# whose prepaid period ends, or that is added later, is suspended on the next run, while the
# `status = 'active'` condition keeps a second run or a second worker from doing anything twice.
# Only invoices that suspended something are recorded, audited and e-mailed.
_SUSPENDING_SQL = f"""
    SELECT i.id, i.customer_id, i.due_date
      FROM support_invoice i LEFT JOIN support_collectionspolicy p ON p.org_id = i.org_id
     WHERE i.status = 'overdue' AND i.due_date <= %(today)s::date - {_POLICY_SUSPEND}
"""

# Payments, disputes and settlements lock the customer first (see `_lock_invoice`); so does
# this step, in id order, before it reads which invoices suspend, so that it never suspends on
# behalf of an invoice a payment has just settled.
_LOCK_SUSPENDING_CUSTOMERS_SQL = f"""
SELECT id FROM support_customer
 WHERE id IN (SELECT customer_id FROM ({_SUSPENDING_SQL}) due)
 ORDER BY id
   FOR UPDATE
"""

_SUSPEND_SQL = f"""
WITH pick AS (
    SELECT DISTINCT ON (customer_id) customer_id, id AS invoice_id
      FROM ({_SUSPENDING_SQL}) due
     ORDER BY customer_id, due_date, id
), subs AS (
    UPDATE support_subscription s SET status = 'suspended', suspended_by_invoice_id = pick.invoice_id
      FROM pick
     WHERE s.customer_id = pick.customer_id AND s.status = 'active'
       AND (s.paid_through IS NULL OR s.paid_through < %(today)s)
    RETURNING s.suspended_by_invoice_id AS invoice_id, s.org_id
), targets AS (
    SELECT invoice_id, org_id, 'invoice_suspended' AS template, count(*)::int AS subscriptions, true AS counted
      FROM subs GROUP BY invoice_id, org_id
), marked AS (
    UPDATE support_invoice i SET suspended_at = COALESCE(i.suspended_at, %(now)s)
      FROM targets t
     WHERE i.id = t.invoice_id
), event AS (
    INSERT INTO support_collectionevent (org_id, invoice_id, kind, day, created_at)
    SELECT org_id, invoice_id, 'suspended', %(today)s, %(now)s FROM targets
    ON CONFLICT (invoice_id, kind, day) DO NOTHING
)
{_COLLECTIONS_TAIL}
"""


def collections_run(*, today: dt.date | None = None) -> dict[str, int]:
    from django.db import connection

    from partnerportal.mail import mail_enqueue
    from partnerportal.models import OutgoingMail

    now = timezone.now()
    today = today or timezone.localdate()
    params = {
        "today": today,
        "now": now,
        "default_before": list(CollectionsPolicy.DEFAULT_BEFORE),
        "default_after": list(CollectionsPolicy.DEFAULT_AFTER),
        "default_suspend": CollectionsPolicy.DEFAULT_SUSPEND_AFTER,
        "queued": OutgoingMail.Status.QUEUED,
        "invoice_label": Invoice._meta.label_lower,
        "customer_label": Customer._meta.label_lower,
        "org_label": Organisation._meta.label_lower,
        "policy_label": CollectionsPolicy._meta.label_lower,
    }

    def step(sql: str, action: str, **extra) -> int:
        cursor.execute(sql, {**params, "action": action, **extra})
        claimed, mail_ids = cursor.fetchone()
        if mail_ids:
            transaction.on_commit(lambda: mail_enqueue(mail_ids))
        return claimed

    result = {}
    with connection.cursor() as cursor:
        with transaction.atomic():
            cursor.execute("SELECT COALESCE(MAX(d), 0) FROM support_collectionspolicy, unnest(reminder_days_before) d")
            horizon = max(cursor.fetchone()[0], *CollectionsPolicy.DEFAULT_BEFORE)
            result["reminders_before"] = step(
                _REMINDERS_BEFORE_SQL, audit_action("support.invoice_reminder_before"), horizon=horizon
            )
        with transaction.atomic():
            cursor.execute(_OVERDUE_SQL, {**params, "action": audit_action("support.invoice_overdue")})
            overdue = cursor.fetchone()[0] or []
            result["overdue"] = len(overdue)
            result["reminders_after"] = step(
                _REMINDERS_AFTER_SQL, audit_action("support.invoice_reminder_after"), overdue=overdue
            )
        with transaction.atomic():
            cursor.execute(_LOCK_SUSPENDING_CUSTOMERS_SQL, params)
            result["suspended"] = step(_SUSPEND_SQL, audit_action("support.subscriptions_suspended"))
    return result


def contact_mark_bounced(*, object_id, mail) -> None:
    """The link e-mail could not be delivered: the partner sees it on the customer page."""
    CustomerContact.objects.filter(pk=object_id).update(link_sent_at=None)
