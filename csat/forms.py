from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Contact, Question


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "email", "customer_org", "language", "consent"]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Contacts file (.csv or .xlsx)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > getattr(settings, "MAX_UPLOAD_BYTES", 20 * 1024 * 1024):
            raise forms.ValidationError(_("The file is too large."))
        if not f.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return f


def _parse_lang_lines(text: str, default_lang: str) -> dict:
    """'de: Wie zufrieden…' per line; a line without a known code is the default language."""
    codes = {c for c, _n in settings.LANGUAGES}
    texts = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        code, sep, rest = line.partition(":")
        if sep and code.strip().lower() in codes:
            texts[code.strip().lower()] = rest.strip()
        else:
            texts[default_lang] = line
    return texts


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    texts = forms.CharField(
        label=_("Question"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One line per language, e.g. “de: Wie zufrieden sind Sie?”. A line without a language code is in your default language."
        ),
    )
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For choice questions: one choice per line; translations separated by “|”, e.g. “en: Yes | de: Ja”."
        ),
    )
    required = forms.BooleanField(label=_("Answer required"), required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, initial=10)

    def __init__(self, *args, default_lang="en", question=None, **kwargs):
        self.default_lang = default_lang
        if question is not None and not kwargs.get("data") and not args:
            kwargs["initial"] = {
                "kind": question.kind,
                "texts": "\n".join(f"{k}: {v}" for k, v in question.texts.items()),
                "choices": "\n".join(" | ".join(f"{k}: {v}" for k, v in c["texts"].items()) for c in question.choices),
                "required": question.required,
                "order": question.order,
            }
        self.question = question
        super().__init__(*args, **kwargs)

    def clean_texts(self):
        return _parse_lang_lines(self.cleaned_data["texts"], self.default_lang)

    def clean(self):
        data = super().clean()
        raw = data.get("choices") or ""
        existing = self.question.choices if self.question else []
        result = []
        for i, line in enumerate([ln for ln in raw.splitlines() if ln.strip()]):
            texts = _parse_lang_lines("\n".join(p.strip() for p in line.split("|")), self.default_lang)
            # Keep keys stable by position, so answers stay attached to their choice.
            key = existing[i]["key"] if i < len(existing) else f"c{i + 1}"
            result.append({"key": key, "texts": texts})
        if data.get("kind") not in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            result = []
        data["choices"] = result
        return data


class SettingsForm(forms.Form):
    reminder_delay_days = forms.IntegerField(
        label=_("Reminder delay (days)"),
        min_value=1,
        max_value=60,
        help_text=_("One reminder goes to those who have not answered after this many days."),
    )
    monthly_report = forms.BooleanField(
        label=_("Send me a monthly PDF report"),
        required=False,
        help_text=_("Sent on the 1st of each month to the organisation's account e-mail."),
    )


class MtmForm(forms.Form):
    reference = forms.CharField(label=_("Evaluation ID"), max_length=64)
    course = forms.CharField(label=_("Course"), max_length=200)
    completed_at = forms.DateTimeField(
        label=_("Completed"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    score = forms.DecimalField(label=_("Score"), required=False, max_digits=4, decimal_places=1)


class MtmImportForm(UploadForm):
    """The same size and type limits as the contacts upload."""

    file = forms.FileField(label=_("Evaluations file (.csv or .xlsx)"))


class FilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    customer_org = forms.ChoiceField(label=_("Customer organisation"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    question = forms.ChoiceField(label=_("Question"), required=False)

    def __init__(self, *args, customer_orgs=(), languages=(), questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", pgettext_lazy("csat", "All"))]
        self.fields["customer_org"].choices = everything + list(customer_orgs)
        names = dict(settings.LANGUAGES)
        self.fields["language"].choices = everything + [(c, names.get(c, c)) for c in languages]
        self.fields["question"].choices = everything + list(questions)
