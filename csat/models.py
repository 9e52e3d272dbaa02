"""The CSAT survey programme: questions, customer contacts, invitations, responses,
Metrics-that-Matter evaluations, compliance status and monthly reports."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerportal.models import Organisation, language_choices

# The cap and thresholds of the programme's compliance rule.
REQUIRED_RESPONSES = 10
REQUIRED_CUSTOMER_ORGS = 2
MAX_COUNTED_PER_CUSTOMER_ORG = 8
REQUIRED_MTM_EVALUATIONS = 10
WINDOW_MONTHS = 12
AVERAGE_RESPONSE_RATE = 0.25

_LEGAL_SUFFIXES = re.compile(
    r"\b(inc|incorporated|ltd|limited|llc|gmbh|ag|sa|sas|sarl|bv|nv|plc|corp|corporation|co|company|"
    r"sp z o o|spzoo|oy|ab|as|kk|srl|spa|kft|sro|doo|pty)\b"
)


def customer_org_key(name: str) -> str:
    """Normalise a customer organisation's name for counting: "Contoso Ltd." and
    "CONTOSO" are one organisation for the 8-per-organisation cap."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    text = _LEGAL_SUFFIXES.sub(" ", text)
    return " ".join(text.split())[:200]


def text_for(texts: dict, language: str, fallback: str) -> str:
    """A partner-written text in the respondent's language, else the organisation's default,
    else any language it was written in."""
    if not texts:
        return ""
    for code in (language, language.split("-")[0], fallback, fallback.split("-")[0]):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()))


class SurveySettings(models.Model):
    org = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="csat_settings")
    # The open link's token is derived from SECRET_KEY and this salt (so it can be shown
    # again), and only its hash is compared: a leaked table alone opens no survey.
    open_token_salt = models.CharField(max_length=64)
    open_token_hash = models.CharField(max_length=64, unique=True)
    open_token_rotated_at = models.DateTimeField(default=timezone.now)
    reminder_delay = models.DurationField(_("reminder delay"), default=timedelta(days=7))
    monthly_report = models.BooleanField(
        _("monthly report"), default=False, help_text=_("E-mail a PDF report to the account e-mail each month.")
    )

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self):
        return str(self.org)


class Question(models.Model):
    """A partner's own question, asked after the core questions."""

    class Kind(models.TextChoices):
        RATING = "rating", _("Rating scale (1–5)")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="csat_questions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # {language code: text}; shown in the respondent's language, else the org's default.
    texts = models.JSONField(_("question text"), default=dict)
    # [{"key": "a1", "texts": {language: text}}] for single and multiple choice.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("custom question")
        verbose_name_plural = _("custom questions")
        ordering = ["org", "order", "id"]

    def __str__(self):
        return self.text(self.org.default_language if self.org_id else "en")[:80]

    def text(self, language: str) -> str:
        return text_for(self.texts, language, self.org.default_language)

    def choice_list(self, language: str) -> list[tuple[str, str]]:
        return [(c["key"], text_for(c.get("texts", {}), language, self.org.default_language)) for c in self.choices]

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class Contact(models.Model):
    """A person at a partner's customer whom the portal may invite to the survey."""

    # No index of their own on org and customer_org_key: every query starts from the
    # organisation, which the indexes below lead with, and a 50,000-row upload then updates
    # three indexes instead of six.
    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="csat_contacts", db_index=False)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail address"))
    customer_org = models.CharField(_("customer organisation"), max_length=200)
    customer_org_key = models.CharField(max_length=200)
    language = models.CharField(_("language"), max_length=10, choices=language_choices, default="en")
    consent = models.BooleanField(
        _("agreed to receive the survey"), default=False, help_text=_("Only contacts who agreed are e-mailed.")
    )
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("delivery failed"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer contact")
        verbose_name_plural = _("customer contacts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint("org", models.functions.Lower("email"), name="csat_contact_unique_email")
        ]
        indexes = [models.Index(fields=["org", "-created_at", "-id"])]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def can_be_emailed(self) -> bool:
        return self.consent and self.opted_out_at is None and self.bounced_at is None


class ContactImport(models.Model):
    """An uploaded contacts file, validated and waiting to be committed (all or nothing)."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        COMMITTED = "committed", _("Imported")
        DISCARDED = "discarded", _("Discarded")

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="csat_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=200)
    rows = models.JSONField(default=list)  # the valid rows, ready to insert
    errors = models.JSONField(default=list)  # [{"line": 7, "reason": "..."}]
    total_rows = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    created_at = models.DateTimeField(default=timezone.now)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contacts upload")
        verbose_name_plural = _("contacts uploads")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.filename


class Invitation(models.Model):
    """One e-mailed invitation with a personal, single-use link; at most one reminder."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="csat_invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations")
    language = models.CharField(max_length=10, default="en")
    # Only hashes are stored; the invitation and the reminder each carry their own token.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    reminder_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["sent_at"], name="csat_inv_unsent", condition=Q(sent_at__isnull=True)),
            models.Index(
                fields=["sent_at"],
                name="csat_inv_remind",
                condition=Q(reminded_at__isnull=True, responded_at__isnull=True, cancelled_at__isnull=True),
            ),
            models.Index(fields=["org", "contact"]),
        ]

    def __str__(self):
        return f"#{self.pk}"


class Response(models.Model):
    """One completed survey. An anonymous response keeps no person and no link to its
    invitation, only the customer organisation it came from (for the compliance rule)."""

    class Source(models.TextChoices):
        INVITATION = "invitation", _("Personal invitation")
        OPEN_LINK = "open", _("Open survey link")
        IMPORT = "import", _("Imported")

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="csat_responses")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    respondent_name = models.CharField(pgettext_lazy("csat", "name"), max_length=200, blank=True)
    respondent_email = models.EmailField(_("e-mail address"), blank=True)
    customer_org = models.CharField(_("customer organisation"), max_length=200)
    customer_org_key = models.CharField(max_length=200)
    language = models.CharField(_("language"), max_length=10)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    satisfaction = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    keep_business = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    engage_again = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    recommend = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["org", "submitted_at", "id"]),
            models.Index(fields=["org", "customer_org_key", "submitted_at", "id"]),
            models.Index(fields=["org", "language"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="csat_anonymous_has_no_person",
                condition=Q(is_anonymous=False) | Q(respondent_name="", respondent_email="", invitation__isnull=True),
            ),
            models.CheckConstraint(
                name="csat_satisfaction_range", condition=Q(satisfaction__gte=1, satisfaction__lte=5)
            ),
            models.CheckConstraint(name="csat_recommend_range", condition=Q(recommend__gte=0, recommend__lte=10)),
        ]

    def __str__(self):
        return f"#{self.pk}"


class Answer(models.Model):
    """An answer to a partner's own question."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value_int = models.PositiveSmallIntegerField(null=True, blank=True)
    value_text = models.TextField(blank=True)
    value_choices = ArrayField(models.CharField(max_length=20), default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="csat_one_answer")]
        indexes = [models.Index(fields=["question", "value_int"])]

    def __str__(self):
        return f"#{self.pk}"


class MtmEvaluation(models.Model):
    """A Metrics that Matter evaluation of a training partner's course."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="csat_mtm_evaluations")
    reference = models.CharField(_("evaluation ID"), max_length=64)
    course = models.CharField(_("course"), max_length=200)
    completed_at = models.DateTimeField(_("completed"))
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=1, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Metrics that Matter evaluation")
        verbose_name_plural = _("Metrics that Matter evaluations")
        ordering = ["-completed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["org", "reference"], name="csat_mtm_unique_ref")]
        indexes = [models.Index(fields=["org", "completed_at"])]

    def __str__(self):
        return self.reference


class ComplianceStatus(models.Model):
    """Each organisation's compliance as last recorded by `refresh_compliance`; what the
    membership account reflects."""

    class Path(models.TextChoices):
        SURVEY = "survey", _("Survey")
        MTM = "mtm", _("Metrics that Matter")

    org = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="csat_compliance")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    counted_responses = models.PositiveIntegerField(default=0)
    distinct_customer_orgs = models.PositiveIntegerField(default=0)
    mtm_evaluations = models.PositiveIntegerField(default=0)
    met = models.BooleanField(default=False)
    path = models.CharField(max_length=10, choices=Path.choices, blank=True)
    met_since = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("compliance status")
        verbose_name_plural = _("compliance statuses")
        ordering = ["org__partner_id"]

    def __str__(self):
        return f"{self.org}: {'met' if self.met else 'not met'}"


class BenchmarkSnapshot(models.Model):
    """The benchmark across all partners (the last 12 months' averages and NPS), computed
    by the periodic refresh and read by the results pages and PDFs: aggregating every
    partner's responses on each request would cost seconds. One row."""

    computed_at = models.DateTimeField()
    since = models.DateTimeField()
    partners = models.PositiveIntegerField(default=0)
    # None when too few partners have enough responses for none to be identifiable.
    summary = models.JSONField(null=True, blank=True)

    def __str__(self):
        return f"{self.computed_at:%Y-%m-%d %H:%M}"


class MonthlyReport(models.Model):
    """A generated monthly PDF; the e-mail links here (downloading needs signing in)."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="csat_reports")
    month = models.DateField(help_text="First day of the reported month.")
    pdf = models.BinaryField(default=bytes)
    claimed_at = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["org", "month"], name="csat_one_report_a_month")]

    def __str__(self):
        return f"{self.org} {self.month:%Y-%m}"
