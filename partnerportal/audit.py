"""The audit log: one call per state change, from the service that made it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.defaultfilters import yesno
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .models import AuditEntry, Organisation


def object_type_of(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def audit_log(
    *,
    actor,
    action: str,
    obj: models.Model,
    org: Organisation | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    if org is None:
        org = getattr(obj, "org", None) if not isinstance(obj, Organisation) else obj
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        org=org,
        action=action,
        object_type=object_type_of(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        details=details or {},
    )


def audit_action(action: str) -> str:
    """An action code that a set-based job writes into the audit log by SQL rather than through
    `audit_log`. Naming it through here keeps it in the check that every recorded action has a
    label in its app's registry."""
    return action


def audit_history(obj: models.Model):
    """Entries about one object, oldest first, with their actors in the same query."""
    return (
        AuditEntry.objects.filter(object_type=object_type_of(obj), object_id=str(obj.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )


# --- Reading the log -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    """One entry as people read it: the action's label (its code if no app names it) and its
    details as (name, value) pairs, both in the reader's language."""

    label: str
    code: str
    known: bool
    details: list[tuple[str, str]]


def _model_of(object_type: str):
    try:
        return django_apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, ref: str | None):
    if not ref:
        return None
    if ref.count(".") == 2:
        app_label, model_name, ref = ref.split(".")
        model = _model_of(f"{app_label}.{model_name}")
    if model is None:
        return None
    try:
        return model._meta.get_field(ref)
    except FieldDoesNotExist:
        return None


def _show(field, value) -> str:
    if isinstance(value, bool):
        return yesno(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(field, v) for v in value) or "–"
    base = getattr(field, "base_field", field)  # the items of an ArrayField
    if base is not None and base.choices and isinstance(value, (str, int)):
        return str(dict(base.flatchoices).get(value, value))
    return str(value)


def _verbose(model, name: str) -> str:
    field = _field(model, name)
    return str(capfirst(field.verbose_name)) if field is not None and hasattr(field, "verbose_name") else name


def _empty(value) -> bool:
    return value is None or value == "" or value == {}


def describe(entry: AuditEntry) -> AuditLine:
    """Label and readable details of an audit entry. Uses no queries."""
    # Imported here: the registry reads app configs, which import models.
    from .registry import audit_actions

    action = audit_actions().get(entry.action)
    model = _model_of(entry.object_type)
    labels = action.detail_labels if action else {}
    fields = action.detail_fields if action else {}
    details = entry.details if isinstance(entry.details, dict) else {}
    lines: list[tuple[str, str]] = []
    if not _empty(details.get("from")) and not _empty(details.get("to")):
        status = _field(model, fields.get(f"{entry.action}:from") or "status")
        name = capfirst(status.verbose_name) if status is not None else ""
        lines.append((name, f"{_show(status, details['from'])} → {_show(status, details['to'])}"))
    for key, value in details.items():
        if _empty(value) or key in ("from", "to"):
            continue
        if key in ("changed", "fields") and isinstance(value, list):
            lines.append((str(_("Changed")), ", ".join(_verbose(model, name) for name in value)))
            continue
        if key == "changes" and isinstance(value, dict):
            for name, change in value.items():
                before, after = (change.get("before"), change.get("after")) if isinstance(change, dict) else change
                field = _field(model, name)
                shown = [_show(field, v) if not _empty(v) else "–" for v in (before, after)]
                lines.append((_verbose(model, name), " → ".join(shown)))
            continue
        if key.startswith("by_") and value is False:
            continue  # "by the customer: no" says nothing the actor beside it does not
        specific = f"{entry.action}:{key}"
        field = _field(model, fields.get(specific) or fields.get(key) or key)
        if field is not None and field.is_relation and not isinstance(value, (str, list)):
            continue  # a bare id says nothing to a reader
        if specific in labels:
            label = labels[specific]
        elif key in labels and specific not in fields:
            label = labels[key]
        else:
            label = capfirst(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else key
        lines.append((str(label), _show(field, value)))
    if action is None:
        return AuditLine(entry.action, entry.action, False, lines)
    return AuditLine(str(action.label), entry.action, True, lines)
