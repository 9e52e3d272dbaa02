from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("CSP support and billing")
    default_auto_field = "django.db.models.BigAutoField"
    # Incidents and escalation counts hold no customer contact details; customers,
    # requests and invoices do and stay superuser-only in the admin.
    programme_staff_permissions = [("support", "servicehealthincident", ["view", "add", "change"])]

    def nav_items(self):
        from partnerportal.registry import NavItem

        return [
            NavItem(
                _("Support"),
                "support:request_list",
                icon="fa-headset",
                roles=("support_agent",),
                order=40,
                active_prefix="support",
            ),
            NavItem(
                _("CSP customers"),
                "support:customer_list",
                icon="fa-building-user",
                roles=("sales_agent", "billing_admin", "support_agent"),
                order=41,
            ),
            NavItem(
                _("Invoices"), "support:invoice_list", icon="fa-file-invoice-dollar", roles=("billing_admin",), order=42
            ),
            NavItem(
                _("Service health"), "support:incident_list", icon="fa-heart-pulse", audience="programme", order=60
            ),
            NavItem(
                _("Escalations"), "support:escalation_stats", icon="fa-chart-column", audience="programme", order=61
            ),
        ]

    def dashboard_panels(self, request):
        from partnerportal.registry import Panel

        from . import selectors

        membership = getattr(request, "membership", None)
        if membership is None or request.org.csp_relationship == "none":
            return []
        panels = []
        if membership.has_role("support_agent"):
            panels.append(
                Panel(
                    "support/partials/panel_requests.html",
                    selectors.dashboard_counts(org=request.org, user=request.user),
                    order=40,
                )
            )
        if membership.has_role("billing_admin"):
            panels.append(
                Panel("support/partials/panel_invoices.html", selectors.overdue_counts(org=request.org), order=41)
            )
        if request.org.csp_relationship == "indirect_provider" and membership.has_role("support_agent"):
            from .models import Escalation

            count = Escalation.objects.filter(provider_org=request.org, status__in=Escalation.OPEN_STATUSES).count()
            panels.append(Panel("support/partials/panel_provider.html", {"open": count}, order=42))
        return panels

    def ready(self):
        from partnerportal.mail import FAILURE_HANDLERS

        from .services import contact_mark_bounced

        FAILURE_HANDLERS["support.customercontact"] = contact_mark_bounced
