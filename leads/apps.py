from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Referral leads")
    audit_labels = {
        "lead_profile.created": _("Business profile created"),
        "lead_profile.saved": _("Business profile saved"),
        "lead_profile.published": _("Business profile published in the directory"),
        "lead_profile.unpublished": _("Business profile removed from the directory"),
        "lead.received": _("Lead received"),
        "lead.accepted": _("Lead accepted"),
        "lead.declined": _("Lead declined"),
        "lead.edited": _("Deal details edited"),
        "lead.contact_added": _("Colleague added to the deal"),
        "lead.won": _("Deal won"),
        "lead.lost": _("Deal lost"),
        "lead.expired": _("Lead expired without an answer"),
    }
    audit_detail_labels = {"colleague": _("Colleague")}
    audit_detail_fields = {"lead.declined:reason": "decline_reason", "lead.accepted:value": "deal_value"}
    default_auto_field = "django.db.models.BigAutoField"
    # Leads hold customers' contact details: programme staff get only the profile and
    # directory side in the admin.
    programme_staff_permissions = [("leads", "businessprofile", ["view"])]

    def nav_items(self):
        from partnerportal.models import Role
        from partnerportal.registry import NavItem

        return [
            NavItem(
                _("Leads"),
                "leads:lead_list",
                icon="fa-bullseye",
                roles=(Role.REFERRAL_ADMIN,),
                order=40,
                active_prefix="leads",
            ),
            NavItem(
                _("Lead funnel"),
                "leads:staff_funnel",
                icon="fa-filter",
                audience="programme",
                order=41,
                active_prefix="leads",
            ),
        ]

    def dashboard_panels(self, request):
        from partnerportal.models import Role
        from partnerportal.registry import Panel

        membership = getattr(request, "membership", None)
        if membership is None or not membership.has_role(Role.REFERRAL_ADMIN):
            return []
        from .selectors import lead_dashboard_counts

        return [Panel("leads/_dashboard_panel.html", lead_dashboard_counts(org=request.org), order=40)]
