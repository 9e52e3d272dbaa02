from django.contrib import admin

from partnerportal.admin import SuperuserOnlyAdmin

from .models import (
    CollectionsPolicy,
    Customer,
    Escalation,
    Invoice,
    ServiceHealthIncident,
    Subscription,
    SupportProfile,
    SupportRequest,
)


@admin.register(ServiceHealthIncident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["title", "service", "status", "started_at", "ended_at"]
    list_filter = ["status", "service"]


# Everything below holds (or leads to) a partner's customer contact details.
@admin.register(Customer)
class CustomerAdmin(SuperuserOnlyAdmin):
    list_display = ["company", "tenant_domain", "org"]
    search_fields = ["company", "tenant_domain"]
    raw_id_fields = ["org", "partner_of_record"]


@admin.register(Subscription)
class SubscriptionAdmin(SuperuserOnlyAdmin):
    list_display = ["customer", "service", "seats", "status"]
    raw_id_fields = ["org", "customer", "suspended_by_invoice"]


@admin.register(SupportRequest)
class SupportRequestAdmin(SuperuserOnlyAdmin):
    list_display = ["pk", "subject", "org", "status", "severity", "created_at"]
    list_filter = ["status", "severity"]
    raw_id_fields = ["org", "customer", "requester", "assignee", "incident", "health_checked_by"]


@admin.register(Escalation)
class EscalationAdmin(SuperuserOnlyAdmin):
    list_display = ["pk", "org", "category", "vehicle", "status", "escalated_at"]
    raw_id_fields = ["org", "request", "provider_org", "escalated_by"]


@admin.register(Invoice)
class InvoiceAdmin(SuperuserOnlyAdmin):
    list_display = ["number", "org", "customer", "amount", "currency", "due_date", "status"]
    list_filter = ["status"]
    raw_id_fields = ["org", "customer"]


admin.site.register(SupportProfile, SuperuserOnlyAdmin)
admin.site.register(CollectionsPolicy, SuperuserOnlyAdmin)
