from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import MAX_LEVEL, CallerCustomer, Contact, ContactReason
from .taxonomy import get_tree


class ContactReasonForm(forms.ModelForm):
    class Meta:
        model = ContactReason
        fields = [
            "parent",
            "label_en",
            "label_en_original",
            "label_ru",
            "definition_en",
            "definition_ru",
            "grouping",
            "order",
            "is_active",
        ]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is not None and parent.level >= MAX_LEVEL:
            raise forms.ValidationError(
                _("Reasons have at most %(max)d levels; choose a parent on level 1 or 2.") % {"max": MAX_LEVEL}
            )
        return parent

    def clean(self):
        data = super().clean()
        label = (data.get("label_en") or "").strip()
        parent = data.get("parent") if self.instance.pk is None else self.instance.parent
        clash = ContactReason.objects.filter(parent=parent, label_en__iexact=label).exclude(pk=self.instance.pk)
        if label and clash.exists():
            self.add_error("label_en", _("A reason with this English label already exists at this place."))
        return data


@admin.register(ContactReason)
class ContactReasonAdmin(admin.ModelAdmin):
    """Supervisors add, rename, reorder and retire reasons. Nothing is deleted, and a
    reason never moves: old contacts and the reports depend on where it sits."""

    form = ContactReasonForm
    list_display = ["path", "level", "label_ru", "grouping", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["level", "is_active", "grouping"]
    search_fields = ["label_en", "label_ru", "definition_en", "definition_ru"]
    list_select_related = ["parent"]
    ordering = ["level", "parent__label_en", "order"]
    actions = ["retire", "reactivate"]
    autocomplete_fields = []

    @admin.display(description=_("path"), ordering="label_en")
    def path(self, obj):
        node = get_tree().get(obj.pk)
        return node.path_display if node else obj.label_en

    def get_readonly_fields(self, request, obj=None):
        return ["parent", "level"] if obj is not None else []

    def get_fields(self, request, obj=None):
        fields = list(ContactReasonForm.Meta.fields)
        if obj is not None:
            fields.insert(1, "level")
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = ContactReason.objects.filter(level__lt=MAX_LEVEL).order_by("level", "label_en")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name != "parent"}
        if not change:
            values = {k: v for k, v in form.cleaned_data.items() if k not in ("parent", "label_en")}
            reason = services.contact_reason_create(
                actor=request.user,
                parent=form.cleaned_data.get("parent"),
                label_en=form.cleaned_data["label_en"],
                **values,
            )
            obj.pk, obj.level = reason.pk, reason.level
        elif fields:
            services.contact_reason_update(actor=request.user, reason=obj, **fields)

    @admin.action(description=_("Retire the selected reasons (hide them from agents)"))
    def retire(self, request, queryset):
        for reason in queryset:
            services.contact_reason_retire(actor=request.user, reason=reason)
        self.message_user(
            request,
            ngettext("%(n)d reason retired.", "%(n)d reasons retired.", queryset.count()) % {"n": queryset.count()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Bring the selected reasons back"))
    def reactivate(self, request, queryset):
        for reason in queryset:
            services.contact_reason_reactivate(actor=request.user, reason=reason)
        self.message_user(
            request,
            ngettext("%(n)d reason reactivated.", "%(n)d reasons reactivated.", queryset.count())
            % {"n": queryset.count()},
            messages.SUCCESS,
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Superusers only (no group holds these permissions): customers' details live here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "agent", "reason_path", "interaction_type", "action_taken", "status"]
    list_filter = ["interaction_type", "action_taken", "status"]
    list_select_related = ["agent"]
    show_full_result_count = False
    raw_id_fields = ["caller", "referred_org", "reason"]

    @admin.display(description=_("contact reason"))
    def reason_path(self, obj):
        node = get_tree().get(obj.reason_id)
        return node.path_display if node else obj.reason_id


@admin.register(CallerCustomer)
class CallerCustomerAdmin(ReadOnlyAdmin):
    list_display = ["name", "email", "phone", "company", "created_at"]
    search_fields = ["name", "email", "phone"]
