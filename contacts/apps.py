from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Call-center contacts")
    audit_labels = {
        "contact_reason.created": _("Contact reason added"),
        "contact_reason.updated": _("Contact reason changed"),
        "contact_reason.retired": _("Contact reason retired"),
        "contact_reason.reactivated": _("Contact reason reactivated"),
        "contact_reason.imported": _("Contact reasons imported"),
        "caller.registered": _("Caller registered"),
        "contact.logged": _("Contact logged"),
        "contact.corrected": _("Contact corrected"),
        "contact.closed": _("Contact closed"),
    }
    audit_detail_labels = {
        "contact_reason.imported:created": _("Added"),
        "contact_reason.imported:updated": _("Changed"),
        "contact_reason.imported:unchanged": _("Unchanged"),
        "contact.corrected:comment": _("Comment"),
    }
    default_auto_field = "django.db.models.BigAutoField"

    # Supervisors maintain the taxonomy in the admin. Contacts and callers hold customers'
    # names, e-mail addresses and phone numbers, so they stay out of the programme group.
    programme_staff_permissions = [
        ("contacts", "contactreason", ["view", "add", "change"]),
    ]

    def nav_items(self):
        from partnerportal.registry import NavItem

        return [
            NavItem(
                _("Log a contact"),
                "contacts:new",
                icon="fa-headset",
                audience="agent",
                order=30,
                active_prefix="contacts",
            ),
            NavItem(
                _("Call-center reports"), "contacts:reports", icon="fa-chart-column", audience="programme", order=75
            ),
        ]

    def dashboard_panels(self, request):
        user = request.user
        if not user.is_authenticated or not user.is_call_center_agent:
            return []
        from partnerportal.registry import Panel

        from .selectors import contact_today_summary

        return [Panel("contacts/panel_today.html", contact_today_summary(agent=user), order=15, width="col-lg-6")]
