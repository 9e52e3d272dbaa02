from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnerPortalConfig(AppConfig):
    name = "partnerportal"
    verbose_name = _("Partner portal")
    # What the audit log's actions and details say to a reader (see registry.audit_actions).
    audit_labels = {
        "invitation.created": _("Invitation sent"),
        "invitation.accepted": _("Invitation accepted"),
        "invitation.revoked": _("Invitation revoked"),
        "membership.roles_changed": _("Roles changed"),
        "membership.activated": _("Member reactivated"),
        "membership.deactivated": _("Member deactivated"),
        "organisation.settings_changed": _("Organisation settings changed"),
        "location.saved": _("Location saved"),
    }
    audit_detail_labels = {
        "roles": _("Roles"),
        "user": _("Member"),
        "membership.roles_changed:before": _("Before"),
        "membership.roles_changed:after": _("After"),
    }
    audit_detail_fields = {"membership.roles_changed:before": "roles", "membership.roles_changed:after": "roles"}

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
