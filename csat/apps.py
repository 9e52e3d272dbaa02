from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CsatConfig(AppConfig):
    name = "csat"
    verbose_name = _("Customer satisfaction survey")
    audit_labels = {
        "csat.open_link_rotated": _("Open survey link replaced"),
        "csat.settings_changed": _("Survey settings changed"),
        "csat.question_saved": _("Question saved"),
        "csat.question_retired": _("Question retired"),
        "csat.question_deleted": _("Question deleted"),
        "csat.question_restored": _("Question restored"),
        "csat.contact_saved": _("Contact saved"),
        "csat.contact_deleted": _("Contact deleted"),
        "csat.import_uploaded": _("Contact list uploaded"),
        "csat.import_committed": _("Contact list imported"),
        "csat.import_discarded": _("Contact list discarded"),
        "csat.invitations_queued": _("Survey invitations sent"),
        "csat.invitation_bounced": _("Survey invitation could not be delivered"),
        "csat.contact_opted_out": _("Contact opted out of surveys"),
        "csat.mtm_recorded": _("Metrics that Matter evaluation recorded"),
        "csat.mtm_imported": _("Metrics that Matter evaluations imported"),
        "csat.compliance_met": _("Gold competency requirement met"),
        "csat.monthly_report_sent": _("Monthly report sent"),
    }
    audit_detail_labels = {
        "contacts": _("Contacts"),
        "csat.import_uploaded:rows": _("Rows"),
        "csat.import_uploaded:errors": _("Rows with problems"),
        "csat.invitations_queued:count": _("Invitations"),
        "csat.mtm_imported:count": _("Evaluations"),
        "path": "",
    }
    audit_detail_fields = {
        "reminder_delay_days": "reminder_delay",
        "path": "csat.compliancestatus.path",
    }
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
            Panel(
                "csat/panel_compliance.html",
                {"c": compliance_for_org(org=request.org)},
                order=20,
                width="col-lg-6",
                stylesheets=("csat/csat.css",),
            )
        ]
