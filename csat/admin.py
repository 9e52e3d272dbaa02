from django.contrib import admin

from .models import (
    ComplianceStatus,
    Contact,
    ContactImport,
    Invitation,
    MonthlyReport,
    MtmEvaluation,
    Question,
    Response,
    SurveySettings,
)


class SuperuserOnly(admin.ModelAdmin):
    """Customer contact details: superusers only, never programme staff."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Contact)
class ContactAdmin(SuperuserOnly):
    list_display = ["email", "customer_org", "org", "language", "consent", "opted_out_at", "bounced_at"]
    list_filter = ["consent", "language"]
    search_fields = ["email", "customer_org"]
    raw_id_fields = ["org"]


@admin.register(Invitation)
class InvitationAdmin(SuperuserOnly):
    list_display = ["id", "org", "sent_at", "reminded_at", "responded_at", "bounced_at"]
    raw_id_fields = ["org", "contact"]
    exclude = ["token_hash", "reminder_token_hash"]


@admin.register(Response)
class ResponseAdmin(SuperuserOnly):
    list_display = [
        "id",
        "org",
        "customer_org",
        "is_anonymous",
        "language",
        "submitted_at",
        "satisfaction",
        "recommend",
    ]
    list_filter = ["is_anonymous", "source"]
    raw_id_fields = ["org", "invitation"]


@admin.register(ContactImport)
class ContactImportAdmin(SuperuserOnly):
    list_display = ["filename", "org", "status", "total_rows", "created_at"]
    exclude = ["rows"]


@admin.register(MonthlyReport)
class MonthlyReportAdmin(SuperuserOnly):
    list_display = ["org", "month", "mailed_at"]
    exclude = ["pdf"]


@admin.register(MtmEvaluation)
class MtmEvaluationAdmin(admin.ModelAdmin):
    list_display = ["reference", "org", "course", "completed_at", "score"]
    raw_id_fields = ["org"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["id", "org", "kind", "required", "order", "retired_at"]
    raw_id_fields = ["org"]


@admin.register(SurveySettings)
class SurveySettingsAdmin(admin.ModelAdmin):
    list_display = ["org", "reminder_delay", "monthly_report", "open_token_rotated_at"]
    exclude = ["open_token_salt", "open_token_hash"]
    raw_id_fields = ["org"]


@admin.register(ComplianceStatus)
class ComplianceStatusAdmin(admin.ModelAdmin):
    list_display = [
        "org",
        "met",
        "path",
        "counted_responses",
        "distinct_customer_orgs",
        "mtm_evaluations",
        "window_end",
        "computed_at",
    ]
    list_filter = ["met", "path"]
    readonly_fields = [f.name for f in ComplianceStatus._meta.fields]
