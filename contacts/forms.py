from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerportal.errors import DomainError
from partnerportal.models import Organisation

from . import services
from .models import (
    ActionTaken,
    CallerCustomer,
    Contact,
    ContactReason,
    DeliveryChannel,
    InteractionType,
    Market,
    Team,
)
from .taxonomy import get_tree

PRODUCT_SUGGESTIONS = [
    "Windows 11",
    "Windows 10",
    "Windows Server 2022",
    "Microsoft 365 Business",
    "Office 2021",
    "Exchange Server",
    "SQL Server",
    "Visual Studio",
    "Azure",
    "Dynamics 365",
    "MSDN subscription",
    "TechNet subscription",
    "Surface",
    "Xbox",
]


def parse_duration(value: str) -> int | None:
    """ "7:30" (minutes:seconds), "1:02:03" or "12" (minutes) -> seconds."""
    value = (value or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+", value):
        return int(value) * 60
    match = re.fullmatch(r"(?:(\d+):)?(\d+):([0-5]\d)", value)
    if not match:
        raise ValidationError(_("Enter the duration as minutes (12) or minutes:seconds (7:30)."))
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def reason_choices(*, include_retired_id=None):
    tree = get_tree()
    choices = [("", _("Choose a reason…"))]
    for node in tree.preorder:
        if node.selectable or node.id == include_retired_id:
            label = node.path_display if tree.is_selectable_leaf(node) else f"{node.path_display} …"
            choices.append((node.id, label))
    return choices


class ReasonField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(coerce=int, empty_value=None, **kwargs)


class CallerMode:
    REGISTERED = "registered"
    NEW = "new"
    ANONYMOUS = "anonymous"
    CHOICES = [
        (REGISTERED, _("Registered customer")),
        (NEW, _("New customer")),
        (ANONYMOUS, _("Anonymous caller")),
    ]


class ContactFieldsMixin(forms.Form):
    reason = ReasonField(label=_("Contact reason"))
    product = forms.CharField(
        label=_("Product"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"list": "product-suggestions", "autocomplete": "off"}),
    )
    market = forms.ChoiceField(label=_("Market"), choices=[("", "—"), *Market.choices], required=False)
    interaction_type = forms.ChoiceField(
        label=_("Interaction type"), choices=InteractionType.choices, initial=InteractionType.INBOUND_CALL
    )
    referred_team = forms.ChoiceField(
        label=_("Team"), choices=[("", _("Not referred or transferred")), *Team.choices], required=False
    )
    referred_org = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=Organisation.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("No partner"),
    )
    delivery_channel = forms.ChoiceField(
        label=_("Delivery channel"), choices=DeliveryChannel.choices, initial=DeliveryChannel.UNKNOWN
    )
    action_taken = forms.ChoiceField(
        label=_("Action taken"),
        choices=[("", _("Choose the result of the call…")), *ActionTaken.choices],
        required=False,
    )
    notes = forms.CharField(label=_("Contact summary notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    duration = forms.CharField(
        label=_("Duration"),
        required=False,
        help_text=_("Minutes, or minutes:seconds. Filled from the call timer when left empty."),
    )
    follow_up_date = forms.DateField(
        label=_("Follow-up date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_duration(self):
        return parse_duration(self.cleaned_data.get("duration"))

    def clean_reason(self):
        pk = self.cleaned_data.get("reason")
        reason = ContactReason.objects.filter(pk=pk).first()
        if reason is None:
            raise ValidationError(_("Choose a contact reason."))
        return reason


class ContactForm(ContactFieldsMixin):
    """The agent's screen. Every field starts empty for each caller."""

    complaint_description = forms.CharField(
        label=_("Complaint description (in English)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Saved at the start of the notes as “Complaint Details: …”; the complaint is recorded closed."),
    )
    caller_mode = forms.ChoiceField(
        label=_("Caller"), choices=CallerMode.CHOICES, initial=CallerMode.REGISTERED, widget=forms.RadioSelect
    )
    caller = forms.ModelChoiceField(queryset=CallerCustomer.objects.all(), required=False, widget=forms.HiddenInput)
    new_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    new_email = forms.EmailField(label=_("E-mail"), required=False)
    new_phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    new_company = forms.CharField(label=_("Company"), max_length=200, required=False)

    field_order = ["reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices()

    def clean(self):
        data = super().clean()
        mode = data.get("caller_mode")
        if mode == CallerMode.REGISTERED and not data.get("caller"):
            self.add_error("caller", _("Find the registered customer, or choose “New customer” or “Anonymous caller”."))
        if mode == CallerMode.NEW:
            if not data.get("new_name"):
                self.add_error("new_name", _("Enter the new caller's name."))
            if not (data.get("new_email") or data.get("new_phone")):
                self.add_error("new_email", _("Enter an e-mail address or a phone number."))
        return data

    def save(self, *, agent) -> Contact:
        data = self.cleaned_data
        mode = data["caller_mode"]
        new_caller = None
        if mode == CallerMode.NEW:
            new_caller = {
                "name": data["new_name"],
                "email": data["new_email"],
                "phone": data["new_phone"],
                "company": data["new_company"],
            }
        return services.contact_create(
            agent=agent,
            reason=data["reason"],
            action_taken=data.get("action_taken") or "",
            caller=data.get("caller") if mode == CallerMode.REGISTERED else None,
            new_caller=new_caller,
            complaint_description=data.get("complaint_description", ""),
            notes=data.get("notes", ""),
            product=data.get("product", ""),
            market=data.get("market", ""),
            interaction_type=data["interaction_type"],
            referred_team=data.get("referred_team", ""),
            referred_org=data.get("referred_org"),
            delivery_channel=data["delivery_channel"],
            duration_seconds=data.get("duration"),
            follow_up_date=data.get("follow_up_date"),
        )


class ContactCorrectForm(ContactFieldsMixin):
    status = forms.ChoiceField(label=_("Status"), choices=Contact.Status.choices)
    comment = forms.CharField(
        label=_("Why is this contact being corrected?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )

    def __init__(self, *args, contact: Contact, **kwargs):
        initial = {
            "reason": contact.reason_id,
            "product": contact.product,
            "market": contact.market,
            "interaction_type": contact.interaction_type,
            "referred_team": contact.referred_team,
            "referred_org": contact.referred_org_id,
            "delivery_channel": contact.delivery_channel,
            "action_taken": contact.action_taken,
            "notes": contact.notes,
            "duration": contact.duration_display,
            "follow_up_date": contact.follow_up_date,
            "status": contact.status,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.contact = contact
        self.fields["reason"].choices = reason_choices(include_retired_id=contact.reason_id)
        self.fields["action_taken"].required = True

    def save(self, *, actor) -> Contact:
        data = self.cleaned_data
        changes = {
            "reason": data["reason"],
            "product": data.get("product", ""),
            "market": data.get("market", ""),
            "interaction_type": data["interaction_type"],
            "referred_team": data.get("referred_team", ""),
            "referred_org": data.get("referred_org"),
            "delivery_channel": data["delivery_channel"],
            "action_taken": data["action_taken"],
            "notes": (data.get("notes") or "").strip(),
            "duration_seconds": data.get("duration"),
            "follow_up_date": data.get("follow_up_date"),
            "status": data["status"],
        }
        return services.contact_correct(actor=actor, contact=self.contact, changes=changes, comment=data["comment"])


def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class ContactFilterForm(forms.Form):
    reason = forms.TypedChoiceField(label=_("Reason"), coerce=int, empty_value=None, required=False)
    interaction_type = forms.ChoiceField(
        label=_("Interaction type"),
        choices=[("", _("All interaction types")), *InteractionType.choices],
        required=False,
    )
    action_taken = forms.ChoiceField(
        label=_("Action taken"), choices=[("", _("All actions")), *ActionTaken.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Open and closed")), *Contact.Status.choices], required=False
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(
        label=pgettext_lazy("contacts", "To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        tree = get_tree()
        self.fields["reason"].choices = [("", _("All reasons"))] + [(n.id, n.path_display) for n in tree.preorder]
        if agents is None:
            del self.fields["agent"]
        else:
            self.fields["agent"].choices = [("", _("All agents"))] + [(a.pk, a.full_name or a.email) for a in agents]
