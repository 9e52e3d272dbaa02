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
