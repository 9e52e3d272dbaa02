"""Referral leads: the business profile a partner publishes in the solution-provider
directory, the leads it receives (customer inquiries, marketing- and sales-qualified leads)
and their lifecycle (received -> accepted -> won/lost, or declined/expired)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerportal.models import Location, Organisation

# A lead nobody answered within this window is archived as expired (programme rule).
RESPONSE_WINDOW = timedelta(days=14)
# A customer who asked to be contacted directly should hear from the partner within this.
FLAME_WINDOW = timedelta(hours=72)
# Reminders to the referral admins while a lead waits for an answer.
NUDGES = (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("13d", timedelta(days=13)))


class CompanySize(models.TextChoices):
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-49", _("10–49 employees")
    MEDIUM = "50-249", _("50–249 employees")
    LARGE = "250-999", _("250–999 employees")
    ENTERPRISE = "1000+", _("1,000 or more employees")


class Industry(models.TextChoices):
    AGRICULTURE = "agriculture", _("Agriculture")
    AUTOMOTIVE = "automotive", _("Automotive")
    EDUCATION = "education", pgettext_lazy("leads", "Education")
    ENERGY = "energy", _("Energy and utilities")
    FINANCE = "finance", _("Financial services")
    GOVERNMENT = "government", _("Government")
    HEALTHCARE = "healthcare", _("Healthcare")
    HOSPITALITY = "hospitality", _("Hospitality and travel")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    MEDIA = "media", _("Media and communications")
    NONPROFIT = "nonprofit", _("Nonprofit")
    PROFESSIONAL = "professional", _("Professional services")
    RETAIL = "retail", _("Retail and consumer goods")
    TRANSPORT = "transport", _("Transport and logistics")


class BusinessProfile(models.Model):
    """What customers see in the directory. A partner needs a published profile to receive
    leads of any kind."""

    org = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="business_profile")
    description = models.TextField(pgettext_lazy("leads", "description"))
    keywords = ArrayField(
        models.CharField(max_length=60),
        default=list,
        blank=True,
        verbose_name=_("keywords"),
        help_text=_("Words that describe your expertise and business model."),
    )
    industries = ArrayField(
        models.CharField(max_length=20, choices=Industry.choices),
        default=list,
        blank=True,
        verbose_name=_("industries"),
    )
    company_sizes = ArrayField(
        models.CharField(max_length=10, choices=CompanySize.choices),
        default=list,
        blank=True,
        verbose_name=_("company sizes you work with"),
    )
    locations = models.ManyToManyField(
        Location,
        blank=True,
        related_name="+",
        verbose_name=_("locations"),
        help_text=_("The contact of each location receives new-lead alerts for customers in its country."),
    )
    # Countries of the linked locations, kept by the service that saves the profile so the
    # directory filters by country with an index instead of a join.
    countries = ArrayField(models.CharField(max_length=2), default=list, blank=True, editable=False)
    website = models.URLField(_("website"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    # Responsiveness, refreshed whenever a lead of the organisation is answered or expires.
    median_response_seconds = models.PositiveIntegerField(null=True, blank=True, editable=False)
    response_tier = models.PositiveSmallIntegerField(default=9, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business profile")
        verbose_name_plural = _("business profiles")
        ordering = ["org__name"]
        indexes = [
            GinIndex(fields=["search_vector"], name="leads_profile_search"),
            GinIndex(fields=["countries"], name="leads_profile_countries"),
            GinIndex(fields=["company_sizes"], name="leads_profile_sizes"),
            models.Index(fields=["is_published", "response_tier", "id"], name="leads_profile_rank"),
        ]

    def __str__(self):
        return str(self.org.name)

    def get_industries_display(self) -> list[str]:
        labels = dict(Industry.choices)
        return [str(labels[i]) for i in self.industries if i in labels]

    def get_company_sizes_display(self) -> list[str]:
        labels = dict(CompanySize.choices)
        return [str(labels[s]) for s in CompanySize.values if s in self.company_sizes]

    @property
    def median_response(self) -> timedelta | None:
        if self.median_response_seconds is None:
            return None
        return timedelta(seconds=self.median_response_seconds)


class Lead(models.Model):
    class Type(models.TextChoices):
        CUSTOMER_INQUIRY = "customer_inquiry", _("Customer inquiry")
        MARKETING_QUALIFIED = "marketing_qualified", _("Marketing qualified")
        SALES_QUALIFIED = "sales_qualified", _("Sales qualified")

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("lead status", "Received")
        ACCEPTED = "accepted", pgettext_lazy("lead status", "Accepted")
        WON = "won", pgettext_lazy("lead status", "Won")
        LOST = "lost", pgettext_lazy("lead status", "Lost")
        DECLINED = "declined", pgettext_lazy("lead status", "Declined")
        EXPIRED = "expired", pgettext_lazy("lead status", "Expired")

    class Timeframe(models.TextChoices):
        MONTH = "1m", _("Within a month")
        QUARTER = "3m", _("In 1–3 months")
        HALF_YEAR = "6m", _("In 3–6 months")
        YEAR = "12m", _("In 6–12 months")
        LATER = "later", _("In more than a year")
        UNKNOWN = "unknown", _("Not known yet")

    class DeclineReason(models.TextChoices):
        NOT_A_FIT = "not_a_fit", _("Not a fit for our expertise")
        TOO_SMALL = "too_small", _("Deal too small")
        NO_CAPACITY = "no_capacity", _("No capacity at the moment")
        LOCATION = "location", _("Outside our service area")
        UNREACHABLE = "unreachable", _("Customer could not be reached")
        DUPLICATE = "duplicate", _("Duplicate of another lead")
        OTHER = "other", _("Other")

    ARCHIVED = (Status.WON, Status.LOST, Status.DECLINED, Status.EXPIRED)
    QUALIFIED = (Type.MARKETING_QUALIFIED, Type.SALES_QUALIFIED)

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="leads")
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    # The partner location whose contact was alerted (matched by the customer's country).
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    # The customer and what they need.
    need = models.TextField(_("what the customer needs"))
    customer_company = models.CharField(pgettext_lazy("leads", "company"), max_length=200)
    company_size = models.CharField(_("company size"), max_length=10, choices=CompanySize.choices)
    country = models.CharField(_("country"), max_length=2)
    contact_name = models.CharField(pgettext_lazy("leads", "contact name"), max_length=150)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    may_contact_directly = models.BooleanField(_("the partner may contact me directly"), default=False)
    customer_language = models.CharField(max_length=10, default="en")

    # Who sent it: a member of the vendor's staff, or the customer (inquiries).
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    closed_at = models.DateTimeField(_("archived"), null=True, blank=True)

    # The deal, entered on acceptance.
    deal_name = models.CharField(_("deal name"), max_length=200, blank=True)
    deal_value = models.DecimalField(_("estimated deal value"), max_digits=14, decimal_places=2, null=True, blank=True)
    deal_currency = models.CharField(_("currency"), max_length=3, blank=True)
    purchase_timeframe = models.CharField(
        _("estimated purchase timeframe"), max_length=10, choices=Timeframe.choices, blank=True
    )
    purchase_date = models.DateField(_("estimated purchase date"), null=True, blank=True)
    deal_notes = models.TextField(_("notes"), blank=True)
    crm_id = models.CharField(_("CRM ID"), max_length=100, blank=True)
    campaign_id = models.CharField(_("marketing campaign ID"), max_length=100, blank=True)

    decline_reason = models.CharField(_("reason"), max_length=20, choices=DeclineReason.choices, blank=True)
    decline_notes = models.TextField(_("decline notes"), blank=True)
    outcome_notes = models.TextField(_("outcome notes"), blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-received_at", "-id"]
        indexes = [
            # The list tabs: by type (marketplace / qualified) and by status, newest first.
            models.Index(fields=["org", "type", "received_at", "id"], name="leads_org_type_recv"),
            models.Index(fields=["org", "status", "received_at", "id"], name="leads_org_status_recv"),
            models.Index(fields=["org", "received_at", "id"], name="leads_org_recv"),
            # The expiry and nudge jobs: received leads by age, across organisations.
            models.Index(fields=["received_at"], name="leads_open_by_age", condition=models.Q(status="received")),
        ]

    def __str__(self):
        return f"#{self.pk} {self.customer_company}"

    # --- Derived facts ---------------------------------------------------------------

    @property
    def is_archived(self) -> bool:
        return self.status in self.ARCHIVED

    @property
    def stage(self) -> str:
        return "archived" if self.is_archived else self.status

    def get_stage_display(self) -> str:
        return str(_("Archived")) if self.is_archived else self.get_status_display()

    @property
    def expires_at(self):
        return self.received_at + RESPONSE_WINDOW

    def time_left(self, now=None) -> timedelta | None:
        """Time before a received lead expires; None once it has been answered."""
        if self.status != self.Status.RECEIVED:
            return None
        return max(self.expires_at - (now or timezone.now()), timedelta(0))

    def flame(self, now=None) -> str | None:
        """'fresh' while a customer who asked to be called has waited less than 72 hours,
        'waiting' after that (the lead stays open: keep trying), None otherwise."""
        if not self.may_contact_directly or self.is_archived:
            return None
        return "fresh" if (now or timezone.now()) < self.received_at + FLAME_WINDOW else "waiting"

    @property
    def flame_state(self) -> str | None:
        return self.flame()

    @property
    def time_left_now(self) -> timedelta | None:
        return self.time_left()

    @property
    def contact_visible(self) -> bool:
        # After a decline or expiry the customer has moved on to another partner.
        return self.status not in (self.Status.DECLINED, self.Status.EXPIRED)

    @property
    def is_inquiry(self) -> bool:
        return self.type == self.Type.CUSTOMER_INQUIRY


class LeadContact(models.Model):
    """A colleague of the partner working on an accepted deal."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(pgettext_lazy("leads", "name"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["lead", "email"], name="unique_lead_contact_email")]

    def __str__(self):
        return self.name


class Favourite(models.Model):
    """A lead one person marked with the heart icon (per person, not per organisation)."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        constraints = [models.UniqueConstraint(fields=["user", "lead"], name="unique_favourite")]

    def __str__(self):
        return f"{self.user_id} ♥ {self.lead_id}"


class LeadNudge(models.Model):
    """A reminder sent about an unanswered lead; the unique key makes each one go once."""

    class Kind(models.TextChoices):
        DAY = "24h", _("After 24 hours")
        WEEK = "7d", _("After 7 days")
        LAST_DAY = "13d", _("After 13 days")

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="nudges")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lead reminder")
        verbose_name_plural = _("lead reminders")
        constraints = [models.UniqueConstraint(fields=["lead", "kind"], name="unique_lead_nudge")]

    def __str__(self):
        return f"{self.lead_id}: {self.kind}"
