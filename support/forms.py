from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerportal.models import User

from .models import (
    ESCALATION_CATEGORY_HELP,
    CollectionsPolicy,
    Customer,
    Escalation,
    EscalationCategory,
    Invoice,
    ServiceHealthIncident,
    Subscription,
    SupportProfile,
    SupportRequest,
)
from .services import REFUSED_CATEGORIES


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        return value.strftime("%Y-%m-%dT%H:%M") if hasattr(value, "strftime") else value


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "company",
            "tenant_domain",
            "country",
            "language",
            "billing_contact_name",
            "billing_contact_email",
            "billing_contact_phone",
            "technical_contact_name",
            "technical_contact_email",
            "technical_contact_phone",
        ]

    def clean_country(self):
        return self.cleaned_data["country"].upper()


class ContactForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("support", "Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    language = forms.ChoiceField(label=_("Language"), choices=())

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = [
            "service",
            "plan",
            "seats",
            "unit_price",
            "currency",
            "billing_cycle",
            "status",
            "paid_through",
            "started_on",
        ]
        widgets = {"paid_through": DateInput, "started_on": DateInput}
        help_texts = {"paid_through": _("Prepaid up to this day: never suspended for non-payment before it.")}

    def clean_currency(self):
        return self.cleaned_data["currency"].upper()


class HttpsURLField(forms.URLField):
    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)


class SupportProfileForm(forms.ModelForm):
    class Meta:
        model = SupportProfile
        # A web address typed without a scheme is taken as https.
        field_classes = {"contact_url": HttpsURLField}
        fields = [
            "delivery",
            "provider_company",
            "outsourced_scope",
            "hours",
            "time_zone",
            "contact_email",
            "contact_phone",
            "contact_url",
            "contact_notes",
            "charging",
            "pricing",
        ]
        widgets = {
            "contact_notes": forms.Textarea(attrs={"rows": 2}),
            "pricing": forms.Textarea(attrs={"rows": 3}),
            "delivery": forms.RadioSelect,
        }


class RequestCreateForm(forms.ModelForm):
    class Meta:
        model = SupportRequest
        fields = [
            "customer",
            "requester_name",
            "requester_email",
            "category",
            "service",
            "severity",
            "subject",
            "description",
            "assignee",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"severity": _("A: first response within 2 hours; B: 4 hours; C: 8 hours.")}

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(org=org)
        self.fields["assignee"].queryset = User.objects.filter(memberships__org=org, memberships__is_active=True)
        self.fields["requester_email"].required = True


class CustomerRequestForm(forms.ModelForm):
    class Meta:
        model = SupportRequest
        fields = ["category", "service", "severity", "subject", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        help_texts = {"severity": _("A: critical, your business cannot work; B: high; C: normal.")}


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 4}))
    status = forms.ChoiceField(label=_("Then set the status to"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        S = SupportRequest.Status
        self.fields["status"].choices = [("", _("(keep)"))] + [
            (s.value, s.label) for s in (S.DIAGNOSING, S.WAITING_ON_CUSTOMER, S.RESOLVED)
        ]


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note (never shown to the customer)"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CustomerMessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 4}))


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how this request was handled?"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[(5, _("5 — very satisfied")), (4, "4"), (3, "3"), (2, "2"), (1, _("1 — very dissatisfied"))],
    )
    comment = forms.CharField(
        label=_("Anything we should know? (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def escalation_category_choices():
    allowed = [(c.value, c.label) for c in EscalationCategory]
    refused = [(k, v) for k, v in REFUSED_CATEGORIES.items()]
    return [(_("May be escalated"), allowed), (_("Stays with you (refused)"), refused)]


class EscalationForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=escalation_category_choices, widget=forms.RadioSelect)
    explanation = forms.CharField(
        label=_("Why this falls into the category"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you diagnosed, and why it is not something you can fix."),
    )
    vehicle = forms.ChoiceField(
        label=_("Support vehicle"), choices=Escalation.Vehicle.choices, widget=forms.RadioSelect
    )
    vendor_ticket_number = forms.CharField(
        label=_("Ticket number"),
        required=False,
        max_length=64,
        help_text=_("If you already opened the ticket; you can add it later."),
    )

    category_help = ESCALATION_CATEGORY_HELP


class EscalationUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Escalation.Status.choices)
    vendor_ticket_number = forms.CharField(label=_("Ticket number"), required=False, max_length=64)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["customer", "number", "period_start", "period_end", "amount", "currency", "issued_on", "due_date"]
        widgets = {"period_start": DateInput, "period_end": DateInput, "issued_on": DateInput, "due_date": DateInput}

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(org=org)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2)
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=80)


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("What the customer disputes"), widget=forms.Textarea(attrs={"rows": 2}))


class DaysField(forms.CharField):
    """'7, 1' -> [7, 1]."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        try:
            days = [int(p) for p in value.replace(";", ",").split(",") if p.strip()]
        except ValueError:
            raise forms.ValidationError(_("Write whole numbers of days separated by commas, e.g. 7, 1."))
        if any(d < 0 or d > 365 for d in days):
            raise forms.ValidationError(_("Each number of days must be between 0 and 365."))
        return days

    def prepare_value(self, value):
        return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else value


class CollectionsPolicyForm(forms.ModelForm):
    reminder_days_before = DaysField(
        label=_("Reminders before the due date (days)"),
        required=False,
        help_text=_("e.g. 7, 1 — a reminder 7 days and 1 day before."),
    )
    reminder_days_after = DaysField(
        label=_("Reminders after the due date (days)"),
        required=False,
        help_text=_("e.g. 1, 7 — a reminder 1 day and 7 days after."),
    )

    class Meta:
        model = CollectionsPolicy
        fields = ["reminder_days_before", "reminder_days_after", "suspend_after_days"]


class IncidentForm(forms.ModelForm):
    class Meta:
        model = ServiceHealthIncident
        fields = ["service", "title", "regions", "status", "started_at", "ended_at", "public_description"]
        widgets = {
            "started_at": DateTimeInput,
            "ended_at": DateTimeInput,
            "public_description": forms.Textarea(attrs={"rows": 4}),
        }

    regions = forms.MultipleChoiceField(label=_("Regions"), widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args, **kwargs):
        from .models import Region

        super().__init__(*args, **kwargs)
        self.fields["regions"].choices = Region.choices
