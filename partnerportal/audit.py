"""The audit log: one call per state change, from the service that made it."""

from __future__ import annotations

from typing import Any

from django.db import models

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


def audit_history(obj: models.Model):
    """Entries about one object, oldest first, with their actors in the same query."""
    return (
        AuditEntry.objects.filter(object_type=object_type_of(obj), object_id=str(obj.pk))
        .select_related("actor")
        .order_by("created_at", "id")
    )
