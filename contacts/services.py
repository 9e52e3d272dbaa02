"""Writes: every change to reasons, callers and contacts goes through here."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerportal.audit import audit_log
from partnerportal.errors import DomainError

from .models import (
    ACTIONS_LEAVING_OPEN,
    ACTIONS_NEEDING_TARGET,
    MAX_LEVEL,
    ActionTaken,
    CallerCustomer,
    Contact,
    ContactReason,
)
from .taxonomy import Tree, get_tree, invalidate

COMPLAINT_PATH = ("Feedback", "Complaint")
FEEDBACK_ROOT = "Feedback"
COMPLAINT_PREFIX = "Complaint Details: "


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


# ---------------------------------------------------------------------------
# Reasons


def _reason_fields(reason: ContactReason) -> dict:
    return {
        "label_en": reason.label_en,
        "label_ru": reason.label_ru,
        "definition_en": reason.definition_en,
        "definition_ru": reason.definition_ru,
        "grouping": reason.grouping,
        "order": reason.order,
        "is_active": reason.is_active,
    }


def contact_reason_create(*, actor, parent: ContactReason | None, label_en: str, **fields) -> ContactReason:
    level = 1 if parent is None else parent.level + 1
    if level > MAX_LEVEL:
        raise DomainError(
            _("Reasons have at most %(max)d levels; “%(parent)s” is already on level %(max)d.")
            % {"max": MAX_LEVEL, "parent": parent.label_en},
            field="parent",
        )
    label_en = label_en.strip()
    if ContactReason.objects.filter(parent=parent, label_en__iexact=label_en).exists():
        raise DomainError(_("A reason with this English label already exists at this place."), field="label_en")
    reason = ContactReason.objects.create(parent=parent, level=level, label_en=label_en, **fields)
    transaction.on_commit(invalidate)
    invalidate()
    audit_log(actor=actor, action="contact_reason.created", obj=reason, details={"label_en": label_en})
    return reason


def contact_reason_update(*, actor, reason: ContactReason, **changes) -> ContactReason:
    with transaction.atomic():
        reason = ContactReason.objects.select_for_update().get(pk=reason.pk)
        before = _reason_fields(reason)
        if "label_en" in changes:
            changes["label_en"] = changes["label_en"].strip()
            clash = ContactReason.objects.filter(parent_id=reason.parent_id, label_en__iexact=changes["label_en"])
            if clash.exclude(pk=reason.pk).exists():
                raise DomainError(_("A reason with this English label already exists at this place."), field="label_en")
        for key, value in changes.items():
            setattr(reason, key, value)
        changed = {k: [before[k], v] for k, v in changes.items() if before.get(k) != v}
        if not changed:
            return reason
        reason.save(update_fields=[*changed, "updated_at"])
        transaction.on_commit(invalidate)
        invalidate()
        action = "contact_reason.updated"
        if set(changed) == {"is_active"}:
            action = "contact_reason.reactivated" if reason.is_active else "contact_reason.retired"
        audit_log(actor=actor, action=action, obj=reason, details={"changes": changed})
    return reason


def contact_reason_retire(*, actor, reason: ContactReason) -> ContactReason:
    return contact_reason_update(actor=actor, reason=reason, is_active=False)


def contact_reason_reactivate(*, actor, reason: ContactReason) -> ContactReason:
    return contact_reason_update(actor=actor, reason=reason, is_active=True)


def contact_reasons_import(*, rows: list[dict], actor=None) -> dict:
    """Apply validated rows (taxonomy.validate_rows): create new paths, update the rest.
    Reasons missing from the file are left as they are (they are never deleted)."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        existing = list(ContactReason.objects.select_for_update())
        tree = Tree(existing)
        by_path = {tree.nodes[r.id].path: r for r in existing}
        for row in rows:
            path = row["path"]
            values = {
                "label_en_original": row["label_en_original"],
                "label_ru": row["label_ru"],
                "definition_ru": row["definition_ru"],
                "definition_en": row["definition_en"],
                "grouping": row["grouping"],
                "order": row["order"],
                "is_active": row["active"],
            }
            reason = by_path.get(path)
            if reason is None:
                parent = by_path.get(path[:-1]) if len(path) > 1 else None
                reason = ContactReason.objects.create(parent=parent, level=len(path), label_en=path[-1], **values)
                by_path[path] = reason
                counts["created"] += 1
                continue
            changed = [k for k, v in values.items() if getattr(reason, k) != v]
            if not changed:
                counts["unchanged"] += 1
                continue
            for key in changed:
                setattr(reason, key, values[key])
            reason.save(update_fields=[*changed, "updated_at"])
            counts["updated"] += 1
        transaction.on_commit(invalidate)
        invalidate()
        if actor is not None and (counts["created"] or counts["updated"]):
            audit_log(
                actor=actor,
                action="contact_reason.imported",
                obj=by_path[rows[0]["path"]],
                details=counts,
            )
    return counts


# ---------------------------------------------------------------------------
# Callers


def caller_create(*, actor, name: str, email: str = "", phone: str = "", company: str = "") -> CallerCustomer:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the new caller's name."), field="new_name")
    if not (email or phone):
        raise DomainError(
            _("Enter an e-mail address or a phone number so the caller can be found again."), field="new_email"
        )
    caller = CallerCustomer.objects.create(
        name=name,
        email=(email or "").strip(),
        phone=(phone or "").strip(),
        phone_digits=phone_digits(phone),
        company=(company or "").strip(),
        created_by=actor,
    )
    audit_log(actor=actor, action="caller.registered", obj=caller)
    return caller


# ---------------------------------------------------------------------------
# Contacts


def _check_reason(tree: Tree, reason: ContactReason, *, allow_retired: bool = False):
    node = tree.get(reason.pk)
    if node is None:
        raise DomainError(_("Choose a contact reason."), field="reason")
    if not node.selectable and not allow_retired:
        raise DomainError(
            _("“%(path)s” has been retired; choose a current reason.") % {"path": node.path_display}, field="reason"
        )
    children = [tree.nodes[c] for c in node.children if tree.nodes[c].selectable]
    if children:
        names = ", ".join(c.label_en for c in children[:6])
        if len(children) > 6:
            names += ", …"
        raise DomainError(
            _("Choose a reason on the last level: “%(path)s” has sub-reasons (%(children)s).")
            % {"path": node.path_display, "children": names},
            field="reason",
        )
    return node


def is_complaint(node) -> bool:
    return tuple(node.path) == COMPLAINT_PATH


def is_feedback(node) -> bool:
    return node.path[0] == FEEDBACK_ROOT


def compose_notes(*, node, complaint_description: str, notes: str) -> str:
    """The manual's closed-complaint rule: the summary notes start with
    "Complaint Details: <description in English>", whatever else happened on the call."""
    notes = (notes or "").strip()
    if not is_complaint(node):
        return notes
    description = (complaint_description or "").strip()
    if not description and notes.startswith(COMPLAINT_PREFIX.strip()):
        return notes
    if not description:
        raise DomainError(
            _("Describe the complaint in English: the notes must start with “Complaint Details:”."),
            field="complaint_description",
        )
    text = COMPLAINT_PREFIX + description
    return f"{text}\n\n{notes}" if notes else text


def _check_target(*, action_taken: str, referred_team: str, referred_org) -> None:
    if referred_team and referred_org is not None:
        raise DomainError(_("Refer or transfer to a team or to a partner, not both."), field="referred_team")
    if action_taken in ACTIONS_NEEDING_TARGET and not (referred_team or referred_org):
        raise DomainError(
            _("Say which team or partner the customer was referred or transferred to."), field="referred_team"
        )


def contact_create(
    *,
    agent,
    reason: ContactReason,
    action_taken: str,
    caller: CallerCustomer | None = None,
    new_caller: dict | None = None,
    complaint_description: str = "",
    notes: str = "",
    product: str = "",
    market: str = "",
    interaction_type: str = "inbound_call",
    referred_team: str = "",
    referred_org=None,
    delivery_channel: str = "unknown",
    duration_seconds: int | None = None,
    follow_up_date: dt.date | None = None,
) -> Contact:
    tree = get_tree()
    node = _check_reason(tree, reason)
    if not action_taken:
        if is_feedback(node):
            action_taken = ActionTaken.FEEDBACK_RECORDED
        else:
            raise DomainError(_("Choose the action taken on this call."), field="action_taken")
    _check_target(action_taken=action_taken, referred_team=referred_team, referred_org=referred_org)
    full_notes = compose_notes(node=node, complaint_description=complaint_description, notes=notes)
    if action_taken == ActionTaken.CALLBACK_SCHEDULED and follow_up_date is None:
        raise DomainError(_("Set the follow-up date for the callback."), field="follow_up_date")
    if follow_up_date is not None and follow_up_date < timezone.localdate():
        raise DomainError(_("The follow-up date cannot be in the past."), field="follow_up_date")
    # Feedback (complaints, praise, suggestions) is recorded closed; whatever else the
    # agent did on the call is in Action Taken.
    status = Contact.Status.CLOSED
    if action_taken in ACTIONS_LEAVING_OPEN and not is_feedback(node):
        status = Contact.Status.OPEN
    with transaction.atomic():
        if new_caller:
            caller = caller_create(actor=agent, **new_caller)
        ancestors = node.ancestor_ids
        contact = Contact.objects.create(
            agent=agent,
            reason=reason,
            reason_l1_id=ancestors[0] if ancestors else node.id,
            reason_l2_id=(ancestors[1] if len(ancestors) > 1 else node.id) if node.level > 1 else None,
            caller=caller,
            product=(product or "").strip(),
            market=market or "",
            interaction_type=interaction_type,
            referred_team=referred_team or "",
            referred_org=referred_org,
            delivery_channel=delivery_channel or "unknown",
            action_taken=action_taken,
            notes=full_notes,
            duration_seconds=duration_seconds,
            follow_up_date=follow_up_date,
            status=status,
        )
        audit_log(
            actor=agent,
            action="contact.logged",
            obj=contact,
            details={"reason": node.path_display, "action_taken": action_taken, "status": status},
        )
    return contact


CORRECTABLE = [
    "reason",
    "product",
    "market",
    "interaction_type",
    "referred_team",
    "referred_org",
    "delivery_channel",
    "action_taken",
    "notes",
    "duration_seconds",
    "follow_up_date",
    "status",
]


def _audit_value(contact: Contact, name: str, tree: Tree):
    value = getattr(contact, f"{name}_id" if name in ("reason", "referred_org") else name)
    if name == "reason":
        node = tree.get(value)
        return node.path_display if node else value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def contact_correct(*, actor, contact: Contact, changes: dict, comment: str) -> Contact:
    """A supervisor's correction of a logged contact, audited field by field."""
    if not actor.is_programme_staff:
        raise DomainError(_("Only supervisors can correct a contact."))
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("Say why the contact is being corrected."), field="comment")
    tree = get_tree()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        before = {name: _audit_value(contact, name, tree) for name in CORRECTABLE}
        original_reason_id = contact.reason_id
        for name, value in changes.items():
            if name not in CORRECTABLE:
                raise DomainError(_("This field cannot be corrected."), field=name)
            setattr(contact, name, value)
        # A supervisor may keep a reason that was retired since the call.
        node = _check_reason(tree, contact.reason, allow_retired=contact.reason_id == original_reason_id)
        _check_target(
            action_taken=contact.action_taken, referred_team=contact.referred_team, referred_org=contact.referred_org
        )
        if is_complaint(node) and not contact.notes.startswith(COMPLAINT_PREFIX):
            raise DomainError(
                _("A complaint's notes must start with “Complaint Details:” followed by the description."),
                field="notes",
            )
        if is_complaint(node):
            contact.status = Contact.Status.CLOSED
        ancestors = node.ancestor_ids
        contact.reason_l1_id = ancestors[0] if ancestors else node.id
        contact.reason_l2_id = (ancestors[1] if len(ancestors) > 1 else node.id) if node.level > 1 else None
        after = {name: _audit_value(contact, name, tree) for name in CORRECTABLE}
        changed = {k: {"before": before[k], "after": after[k]} for k in CORRECTABLE if before[k] != after[k]}
        if not changed:
            raise DomainError(_("Nothing was changed."))
        contact.corrected_at = timezone.now()
        fields = [f for f in changed if f != "reason"] + ["corrected_at"]
        if "reason" in changed:
            fields += ["reason", "reason_l1", "reason_l2"]
        contact.save(update_fields=fields)
        audit_log(
            actor=actor, action="contact.corrected", obj=contact, details={"changes": changed, "comment": comment}
        )
    return contact


def contact_close(*, actor, contact: Contact) -> Contact:
    """Close an open contact (a callback made, an escalation answered)."""
    if not (actor.is_programme_staff or contact.agent_id == actor.pk):
        raise DomainError(_("Only the agent who logged the contact or a supervisor can close it."))
    updated = Contact.objects.filter(pk=contact.pk, status=Contact.Status.OPEN).update(status=Contact.Status.CLOSED)
    if not updated:
        raise DomainError(_("This contact is already closed."))
    contact.refresh_from_db(fields=["status"])
    audit_log(actor=actor, action="contact.closed", obj=contact)
    return contact
