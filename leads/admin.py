from django.contrib import admin

from .models import BusinessProfile, Lead, LeadContact


@admin.register(BusinessProfile)
class BusinessProfileAdmin(admin.ModelAdmin):
    list_display = ["org", "is_published", "response_tier", "median_response_seconds", "updated_at"]
    list_filter = ["is_published", "response_tier"]
    search_fields = ["org__name", "org__partner_id"]
    readonly_fields = ["countries", "published_at", "median_response_seconds", "response_tier"]
    filter_horizontal = ["locations"]

    # Saving here would bypass the service that keeps the search document in step.
    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


class LeadContactInline(admin.TabularInline):
    model = LeadContact
    extra = 0
    readonly_fields = ["name", "email", "phone", "added_by", "created_at"]
    can_delete = False


class SuperuserOnly:
    """Leads hold customers' contact details: only superusers see them in the admin."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Lead)
class LeadAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["id", "org", "type", "status", "customer_company", "received_at", "responded_at"]
    list_filter = ["type", "status"]
    search_fields = ["customer_company", "org__name"]
    raw_id_fields = ["org", "location", "sender"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    inlines = [LeadContactInline]
