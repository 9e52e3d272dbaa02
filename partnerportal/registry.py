"""How apps plug into the layout: navigation entries and dashboard panels.

Each app's AppConfig may define `nav_items()` returning NavItems and
`dashboard_panels(request)` returning Panels. The layout shows a NavItem only to people who
may use it, so a section never appears to someone who would get a 403 there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str = "fa-circle"
    # "partner": members of the current organisation holding one of `roles` (any member if
    # empty); "agent": call-center agents; "programme": programme staff; "superuser".
    audience: str = "partner"
    roles: tuple[str, ...] = ()
    order: int = 50
    # Extra URL-name prefixes that count as "inside" this section for highlighting.
    active_prefix: str = ""

    def visible_to(self, request) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if self.audience == "superuser":
            return user.is_superuser
        if self.audience == "programme":
            return user.is_programme_staff
        if self.audience == "agent":
            return user.is_call_center_agent or user.is_programme_staff
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        return membership.has_role(*self.roles) if self.roles else membership.is_active

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 50
    width: str = "col-lg-6"
    # Static paths of stylesheets the panel's template needs; the dashboard links each once.
    stylesheets: tuple[str, ...] = ()


def nav_items_for(request) -> list[NavItem]:
    items: list[NavItem] = []
    for config in apps.get_app_configs():
        getter = getattr(config, "nav_items", None)
        if getter:
            items.extend(i for i in getter() if i.visible_to(request))
    return sorted(items, key=lambda i: (i.order, str(i.label)))


def dashboard_panels_for(request) -> list[Panel]:
    panels: list[Panel] = []
    for config in apps.get_app_configs():
        getter = getattr(config, "dashboard_panels", None)
        if getter:
            panels.extend(getter(request) or [])
    return sorted(panels, key=lambda p: p.order)


# --- Audit vocabulary ----------------------------------------------------------------------------
#
# Each AppConfig may name the audit actions it records, so history pages read as sentences:
#   audit_labels = {"lead.accepted": _("Lead accepted"), ...}
# and, where a detail's key is not a field of the audited object, how to show it:
#   audit_detail_labels = {"colleague": _("Colleague"), "lead.declined:reason": ...}
#   audit_detail_fields = {"lead.declined:reason": "decline_reason", "kind": "support.requestmessage.kind"}
# A key "action:key" applies to one action only; a plain key to every action of that app (and,
# when registered by the core, to every action). A detail field is the name of a field of the
# audited object, or "app_label.model.field"; its verbose name and choices name the detail.


@dataclass(frozen=True)
class AuditAction:
    label: str
    detail_labels: dict
    detail_fields: dict


def _collect_audit_actions() -> dict[str, AuditAction]:
    core = apps.get_app_config("partnerportal")
    core_labels = getattr(core, "audit_detail_labels", {})
    core_fields = getattr(core, "audit_detail_fields", {})
    actions: dict[str, AuditAction] = {}
    for config in apps.get_app_configs():
        labels = getattr(config, "audit_labels", None)
        if not labels:
            continue
        detail_labels = {**core_labels, **getattr(config, "audit_detail_labels", {})}
        detail_fields = {**core_fields, **getattr(config, "audit_detail_fields", {})}
        for action, label in labels.items():
            if action in actions:
                raise ValueError(f"The audit action {action} is registered twice.")
            actions[action] = AuditAction(label, detail_labels, detail_fields)
    return actions


_audit_actions: dict[str, AuditAction] | None = None


def audit_actions() -> dict[str, AuditAction]:
    """Every registered audit action by its code, collected once."""
    global _audit_actions
    if _audit_actions is None:
        _audit_actions = _collect_audit_actions()
    return _audit_actions
