from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnerPortalConfig(AppConfig):
    name = "partnerportal"
    verbose_name = _("Partner portal")

    def ready(self):
        from django.conf.locale import LANG_INFO

        # Django knows no Latin-American Spanish; the survey programme offers it.
        LANG_INFO.setdefault(
            "es-419",
            {
                "bidi": False,
                "code": "es-419",
                "name": "Spanish (Latin America)",
                "name_local": "Español (Latinoamérica)",
            },
        )

    def nav_items(self):
        from .registry import NavItem

        return [
            NavItem(_("Team"), "team", icon="fa-users", roles=("user_admin",), order=90),
            NavItem(_("Outbox"), "outbox", icon="fa-envelope", audience="superuser", order=95),
        ]
