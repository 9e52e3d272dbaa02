from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerportal.models import Location, Organisation

from .models import CompanySize, Industry, Lead
from .selectors import country_choices

# The currencies offered first; any ISO 4217 code is accepted by the service.
COMMON_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "PLN", "TRY", "CHF", "SEK", "NOK", "DKK", "CZK", "HUF", "RON",
                     "AUD", "CAD", "BRL", "KRW", "CNY", "TWD", "THB", "IDR", "ILS", "RUB"]  # fmt: skip


class CountryField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=lambda: [("", "—"), *country_choices()], **kwargs)


class ProfileForm(forms.Form):
    description = forms.CharField(
        label=pgettext_lazy("leads", "Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("What you do, for whom, and what makes you different."),
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        max_length=1000,
        help_text=_("Separate with commas, e.g. cloud migration, Microsoft 365, security audit."),
    )
    industries = forms.MultipleChoiceField(
        label=_("Industries"), choices=Industry.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    company_sizes = forms.MultipleChoiceField(
        label=_("Company sizes you work with"), choices=CompanySize.choices, widget=forms.CheckboxSelectMultiple
    )
    locations = forms.ModelMultipleChoiceField(
        label=_("Locations in the directory"),
        queryset=Location.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each location's contact receives the new-lead alerts for customers in its country."),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    def __init__(self, *args, org: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = Location.objects.filter(org=org)
        self.fields["locations"].label_from_instance = lambda loc: f"{loc} · {loc.contact_name} <{loc.contact_email}>"

    def clean_keywords(self):
        words = [w.strip() for w in self.cleaned_data["keywords"].split(",") if w.strip()]
        if not words:
            raise forms.ValidationError(_("Add at least one keyword."))
        if len(words) > 30:
            raise forms.ValidationError(_("Use at most 30 keywords."))
        return words


class DealForm(forms.Form):
    deal_name = forms.CharField(label=_("Deal name"), max_length=200)
    deal_value = forms.DecimalField(label=_("Estimated deal value"), min_value=0, max_digits=14, decimal_places=2)
    deal_currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in COMMON_CURRENCIES])
    purchase_timeframe = forms.ChoiceField(
        label=_("Estimated purchase timeframe"), choices=[("", "—"), *Lead.Timeframe.choices]
    )
    purchase_date = forms.DateField(
        label=_("Estimated purchase date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    deal_notes = forms.CharField(
        label=_("Notes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What is the customer looking for?"),
    )
    crm_id = forms.CharField(label=_("CRM ID"), max_length=100, required=False, help_text=_("For your reference only."))
    campaign_id = forms.CharField(
        label=_("Marketing campaign ID"),
        max_length=100,
        required=False,
        help_text=_("The campaign this lead came from, if you know it."),
    )


class AcceptForm(DealForm):
    colleague_name = forms.CharField(label=_("Colleague's name"), max_length=150, required=False)
    colleague_email = forms.EmailField(label=_("Colleague's e-mail"), required=False)
    colleague_phone = forms.CharField(label=_("Colleague's phone"), max_length=40, required=False)

    def clean(self):
        data = super().clean()
        if (data.get("colleague_name") or data.get("colleague_phone")) and not data.get("colleague_email"):
            self.add_error("colleague_email", _("Enter the colleague's e-mail address."))
        if data.get("colleague_email") and not data.get("colleague_name"):
            self.add_error("colleague_name", _("Enter the colleague's name."))
        return data


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(label=pgettext_lazy("leads", "Reason"), choices=[("", "—"), *Lead.DeclineReason.choices])
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}))


class ContactForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("leads", "Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)


class OutcomeForm(forms.Form):
    notes = forms.CharField(
        label=_("Outcome notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("What decided the outcome? It helps us send you better leads."),
    )


class InquiryForm(forms.Form):
    need = forms.CharField(label=_("What do you need?"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    customer_company = forms.CharField(label=pgettext_lazy("leads", "Company"), max_length=200)
    company_size = forms.ChoiceField(label=_("Company size"), choices=[("", "—"), *CompanySize.choices])
    country = CountryField(label=_("Country"))
    contact_name = forms.CharField(label=_("Your name"), max_length=150)
    contact_email = forms.EmailField(label=_("E-mail"))
    contact_phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    may_contact_directly = forms.BooleanField(
        label=_("The partner may contact me directly"), required=False, initial=True
    )


class QualifiedLeadForm(InquiryForm):
    org = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Organisation.objects.filter(business_profile__is_published=True, is_active=True).order_by("name"),
        help_text=_("Only partners with a published business profile can receive leads."),
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[(t, label) for t, label in Lead.Type.choices if t != Lead.Type.CUSTOMER_INQUIRY],
    )
    customer_language = forms.ChoiceField(
        label=_("Customer's language"),
        choices=settings.LANGUAGES,
        help_text=_("E-mails to the customer (e.g. when the partner declines) are written in it."),
    )
    field_order = ["org", "type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].label = _("What the customer needs")
        self.fields["contact_name"].label = _("Contact name")
        self.fields["may_contact_directly"].label = _("The customer agreed to be contacted directly")


class DirectorySearchForm(forms.Form):
    q = forms.CharField(label=_("What do you need help with?"), required=False, max_length=200)
    country = CountryField(label=_("Location"), required=False)
    company_size = forms.ChoiceField(
        label=_("Company size"), choices=[("", _("Any size")), *CompanySize.choices], required=False
    )


class LeadFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", pgettext_lazy("leads", "Any status")),
        *Lead.Status.choices,
        ("archived", _("Archived (all)")),
    ]
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=[("", _("Any type")), *Lead.Type.choices], required=False)
    date_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("Customer"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"id_{name}")

    def values(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class FunnelFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
