from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CsatConfig(AppConfig):
    name = "csat"
    verbose_name = _("Customer satisfaction survey")
    default_auto_field = "django.db.models.BigAutoField"

    # Aggregates only: nothing here holds a customer's name or e-mail address.
    programme_staff_permissions = [
        ("csat", "compliancestatus", ["view"]),
        ("csat", "question", ["view"]),
        ("csat", "surveysettings", ["view"]),
    ]

    def ready(self):
        from partnerportal.mail import FAILURE_HANDLERS

        from .services import invitation_mark_bounced

        FAILURE_HANDLERS["csat.invitation"] = invitation_mark_bounced

    def nav_items(self):
        from partnerportal.registry import NavItem

        return [
            NavItem(
                _("Customer survey"),
                "csat:results",
                icon="fa-face-smile",
                roles=("survey_admin",),
                order=20,
                active_prefix="csat",
            ),
            NavItem(_("CSAT programme"), "csat:programme", icon="fa-chart-pie", audience="programme", order=70),
        ]

    def dashboard_panels(self, request):
        from partnerportal.registry import Panel

        membership = getattr(request, "membership", None)
        if membership is None or not membership.has_role("survey_admin"):
            return []
        from .selectors import compliance_for_org

        return [
            Panel("csat/panel_compliance.html", {"c": compliance_for_org(org=request.org)}, order=20, width="col-lg-6")
        ]
