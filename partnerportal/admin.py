from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Invitation, Location, Membership, Organisation, OutgoingMail, ParentCompany, User


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """For rows that may hold a partner's customer contact details: programme staff, who
    also use the admin, must never see those (the programme's privacy promise)."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "language",
        "is_call_center_agent",
        "is_programme_staff",
        "is_staff",
        "is_active",
    ]
    list_filter = ["is_active", "is_staff", "is_call_center_agent", "is_programme_staff", "language"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "phone", "language"]}),
        (_("Vendor side"), {"fields": ["is_call_center_agent", "is_programme_staff"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "partner_id",
        "membership_level",
        "csp_relationship",
        "support_contract",
        "renewal_date",
        "country",
        "is_active",
    ]
    list_filter = ["membership_level", "csp_relationship", "support_contract", "country", "is_active"]
    search_fields = ["name", "partner_id", "parent_company__name"]
    autocomplete_fields = ["parent_company", "indirect_provider"]
    inlines = [LocationInline, MembershipInline]


@admin.register(ParentCompany)
class ParentCompanyAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "org", "roles", "is_active"]
    list_filter = ["is_active", "org__membership_level"]
    search_fields = ["user__email", "org__name", "org__partner_id"]
    autocomplete_fields = ["user", "org"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "org", "city", "country", "contact_name"]
    list_filter = ["country"]
    search_fields = ["name", "org__name", "city"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "org", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["email", "org__name"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        # An invitation needs a token and a mail: the team page creates them.
        return False

    readonly_fields = [
        "org",
        "email",
        "roles",
        "language",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
    ]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "org", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "object_id", "actor__email", "org__name"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "org"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingMail)
class OutgoingMailAdmin(SuperuserOnlyAdmin):
    list_display = ["created_at", "to", "subject", "kind", "language", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutgoingMail._meta.fields]
