from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Referral leads")
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
