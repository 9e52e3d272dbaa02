from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .mail import mail_queue
from .models import Location, Organisation, Role, User

ROLE_HELP = {
    Role.PARTNER_ADMIN: _("Everything in the organisation, including every other role."),
    Role.SURVEY_ADMIN: _("Runs the customer-satisfaction survey: contacts, invitations, results."),
    Role.REFERRAL_ADMIN: _("Receives and manages referral leads."),
    Role.SUPPORT_AGENT: _("Answers customers' support requests and escalates to the vendor."),
    Role.BILLING_ADMIN: _("Invoices, payments and the collections policy."),
    Role.SALES_AGENT: _("Sees customers and subscriptions; can be added to deals."),
    Role.USER_ADMIN: _("Invites colleagues and manages their roles."),
}


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=Role.choices, **kwargs)


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self):
        # Addresses are stored in lower case; "Alice@..." must sign in (and count towards the
        # lockout) as the same person.
        return self.cleaned_data["username"].lower()


class QueuedPasswordResetForm(PasswordResetForm):
    """Password-reset e-mails go through the outgoing-mail table like every other e-mail."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        user = context["user"]
        mail_queue(
            to=to_email,
            template="registration/email/password_reset",
            context={
                "reset_url": settings.SITE_URL
                + reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}),
                "user": user,
            },
            language=user.language,
            kind="password_reset",
        )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    roles = RolesField(label=_("Roles"), required=True)
    language = forms.ChoiceField(label=_("Language of the invitation e-mail"), choices=settings.LANGUAGES)


class MemberRolesForm(forms.Form):
    roles = RolesField(label=_("Roles"), required=False)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "phone", "language"]


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class OrganisationSettingsForm(forms.ModelForm):
    """What a partner admin may change; the programme fields are set by the vendor."""

    class Meta:
        model = Organisation
        fields = ["default_language", "account_email"]


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["name", "address", "city", "country", "contact_name", "contact_email", "contact_phone"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, org=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org

    def clean_country(self):
        return self.cleaned_data["country"].upper()

    def clean_name(self):
        name = self.cleaned_data["name"]
        qs = Location.objects.filter(org=self.org, name__iexact=name)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise forms.ValidationError(_("This organisation already has a location with that name."))
        return name
