from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("CSP support and billing")
    audit_labels = {
        "support.customer_created": _("Customer added"),
        "support.customer_changed": _("Customer details changed"),
        "support.contact_created": _("Customer contact added"),
        "support.contact_link_renewed": _("Personal link renewed"),
        "support.contact_link_revoked": _("Personal link revoked"),
        "support.subscription_created": _("Subscription added"),
        "support.subscription_changed": _("Subscription changed"),
        "support.profile_saved": _("Support terms saved"),
        "support.request_created": _("Support request opened"),
        "support.request_status": _("Status changed"),
        "support.request_assigned": _("Assignee changed"),
        "support.request_replied": _("Reply sent to the customer"),
        "support.request_note": _("Note added"),
        "support.request_customer_message": _("Message from the customer"),
        "support.request_rated": _("Customer rated the support"),
        "support.incident_created": _("Service health incident recorded"),
        "support.incident_changed": _("Service health incident updated"),
        "support.health_checked": _("Service health checked"),
        "support.escalated": _("Escalated"),
        "support.escalation_changed": _("Escalation updated"),
        "support.collections_policy_saved": _("Collections policy saved"),
        "support.invoice_created": _("Invoice created"),
        "support.invoice_reminder_before": _("Payment reminder sent before the due date"),
        "support.invoice_overdue": _("Invoice overdue"),
        "support.invoice_reminder_after": _("Payment reminder sent after the due date"),
        "support.subscriptions_suspended": _("Subscriptions suspended for non-payment"),
        "support.subscriptions_reinstated": _("Subscriptions reinstated"),
        "support.payment_recorded": _("Payment recorded"),
        "support.invoice_disputed": _("Invoice disputed"),
        "support.invoice_dispute_resolved": _("Invoice dispute resolved"),
    }
    audit_detail_labels = {
        "subscriptions": _("Subscriptions"),
        "support.request_rated:score": _("Rating"),
        "support.request_note:kind": "",
        "by_customer": _("Opened by the customer"),
        "by_provider": _("By the indirect provider"),
    }
    audit_detail_fields = {
        "support.request_note:kind": "support.requestmessage.kind",
        "support.collections_policy_saved:before": "reminder_days_before",
        "support.collections_policy_saved:after": "reminder_days_after",
        "due": "due_date",
    }
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
