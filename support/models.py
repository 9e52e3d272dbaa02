"""CSP customer support and billing: customers and subscriptions, the partner's published
support terms, support requests with SLA clocks, service health, escalations, invoices and
collections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from partnerportal.models import Organisation, language_choices


class Service(models.TextChoices):
    EXCHANGE_ONLINE = "exchange_online", _("Exchange Online")
    SHAREPOINT_ONLINE = "sharepoint_online", _("SharePoint Online")
    ONEDRIVE = "onedrive", _("OneDrive for Business")
    TEAMS = "teams", _("Teams")
    M365_APPS = "m365_apps", _("Microsoft 365 Apps")
    INTUNE = "intune", _("Intune")
    AZURE = "azure", _("Azure")
    DYNAMICS_365 = "dynamics_365", _("Dynamics 365")
    ENTRA_ID = "entra_id", _("Entra ID")
    OTHER = "other", pgettext_lazy("service", "Other")


class Region(models.TextChoices):
    NORTH_AMERICA = "north_america", _("North America")
    SOUTH_AMERICA = "south_america", _("South America")
    EUROPE = "europe", _("Europe")
    MIDDLE_EAST_AFRICA = "middle_east_africa", _("Middle East and Africa")
    ASIA_PACIFIC = "asia_pacific", _("Asia Pacific")
    GLOBAL = "global", _("Worldwide")


# --- Customers and subscriptions --------------------------------------------------------------


class Customer(models.Model):
    """A CSP customer of the partner. The partner owns the relationship end to end: billing,
    support and every message the customer receives about its subscriptions."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="csp_customers")
    company = models.CharField(pgettext_lazy("support", "company"), max_length=200)
    tenant_domain = models.CharField(
        _("tenant domain"), max_length=253, help_text=_("The customer's tenant, e.g. contosohotels.onmicrosoft.com.")
    )
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 two-letter code."))
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=language_choices,
        default="en",
        help_text=_("E-mails to this customer are written in this language."),
    )
    billing_contact_name = models.CharField(_("billing contact name"), max_length=150)
    billing_contact_email = models.EmailField(_("billing contact e-mail"))
    billing_contact_phone = models.CharField(_("billing contact phone"), max_length=40, blank=True)
    technical_contact_name = models.CharField(_("technical contact name"), max_length=150)
    technical_contact_email = models.EmailField(_("technical contact e-mail"))
    technical_contact_phone = models.CharField(_("technical contact phone"), max_length=40, blank=True)
    # The partner shown to the customer in its admin centre as the one to contact. For an
    # indirect reseller's customer this is the reseller, not its provider.
    partner_of_record = models.ForeignKey(
        Organisation,
        verbose_name=_("partner of record"),
        on_delete=models.PROTECT,
        related_name="customers_of_record",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("CSP customer")
        verbose_name_plural = _("CSP customers")
        ordering = ["company", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "tenant_domain"], name="support_unique_tenant")]
        indexes = [models.Index(fields=["org", "company", "id"])]

    def __str__(self):
        return self.company


class CustomerContact(models.Model):
    """A person at the customer who may submit and follow support requests.

    Customers have no accounts in the portal: each contact gets a personal link whose token
    (256 bits) is stored only as its SHA-256, like survey links. A link is tied to one
    person, so requests are followed per person, and the partner can revoke or renew it."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(pgettext_lazy("support", "name"), max_length=150)
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=10, choices=language_choices, default="en")
    token_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("link active"), default=True)
    link_sent_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("support", "customer contact")
        verbose_name_plural = pgettext_lazy("support", "customer contacts")
        ordering = ["customer", "name"]
        constraints = [models.UniqueConstraint(fields=["customer", "email"], name="support_unique_contact_email")]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class Subscription(models.Model):
    class BillingCycle(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ANNUAL = "annual", _("Annual")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("support", "Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    service = models.CharField(_("service"), max_length=30, choices=Service.choices)
    plan = models.CharField(_("plan"), max_length=120, blank=True, help_text=_("e.g. Microsoft 365 Business Premium"))
    seats = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    billing_cycle = models.CharField(
        _("billing cycle"), max_length=10, choices=BillingCycle.choices, default=BillingCycle.MONTHLY
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Prepaid up to this day: collections never suspends a subscription already paid for.
    paid_through = models.DateField(_("paid through"), null=True, blank=True)
    suspended_by_invoice = models.ForeignKey(
        "Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="suspended_subscriptions"
    )
    started_on = models.DateField(_("start date"), default=dt.date.today)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["customer", "service", "id"]
        indexes = [models.Index(fields=["customer", "status"])]

    def __str__(self):
        return f"{self.get_service_display()} × {self.seats}"

    @property
    def monthly_total(self) -> Decimal:
        return self.unit_price * self.seats


# --- The partner's published support terms -----------------------------------------------------


class SupportProfile(models.Model):
    """How the partner supports its customers, shown to them: the programme asks partners to
    tell customers the type of support, hours, contact method and pricing if charged."""

    class Delivery(models.TextChoices):
        DIRECT = "direct", _("We provide support ourselves")
        RESOLD = "resold", _("Support resold from another company")
        OUTSOURCED = "outsourced", _("Support outsourced to another company")

    class OutsourcedScope(models.TextChoices):
        ALL = "all", _("All of it")
        PART = "part", _("Part of it")

    class Charging(models.TextChoices):
        FREE = "free", _("Included at no charge")
        ALL = "all", _("All support is charged")
        PART = "part", _("Part of the support is charged")

    org = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="support_profile")
    delivery = models.CharField(_("how support is provided"), max_length=12, choices=Delivery.choices)
    provider_company = models.CharField(
        _("support company"),
        max_length=200,
        blank=True,
        help_text=_("The company support is resold from or outsourced to."),
    )
    outsourced_scope = models.CharField(_("outsourced part"), max_length=4, choices=OutsourcedScope.choices, blank=True)
    hours = models.CharField(_("support hours"), max_length=200, help_text=_("e.g. Monday to Friday, 8:00–18:00"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    contact_email = models.EmailField(_("support e-mail"), blank=True)
    contact_phone = models.CharField(_("support phone"), max_length=40, blank=True)
    contact_url = models.URLField(_("support web page"), blank=True)
    contact_notes = models.TextField(_("other contact methods"), blank=True)
    charging = models.CharField(_("charges"), max_length=4, choices=Charging.choices, default=Charging.FREE)
    pricing = models.TextField(_("pricing"), blank=True, help_text=_("Required when support is charged for."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("support profile")
        verbose_name_plural = _("support profiles")

    def __str__(self):
        return str(self.org)


# --- Service health ----------------------------------------------------------------------------


class ServiceHealthIncident(models.Model):
    """The vendor's own service-event notice, published by programme staff. Partners check
    these first: a known incident is not something to diagnose or escalate again."""

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", _("Investigating")
        DEGRADED = "degraded", _("Service degradation")
        INTERRUPTED = "interrupted", _("Service interruption")
        RESTORING = "restoring", _("Restoring service")
        RESOLVED = "resolved", pgettext_lazy("support", "Resolved")

    ACTIVE_STATUSES = (Status.INVESTIGATING, Status.DEGRADED, Status.INTERRUPTED, Status.RESTORING)

    service = models.CharField(_("service"), max_length=30, choices=Service.choices)
    regions = ArrayField(
        models.CharField(max_length=24, choices=Region.choices), default=list, verbose_name=_("regions")
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.INVESTIGATING)
    started_at = models.DateTimeField(_("start"), default=timezone.now)
    ended_at = models.DateTimeField(_("end"), null=True, blank=True)
    public_description = models.TextField(_("public description"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service health incident")
        verbose_name_plural = _("service health incidents")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["service", "status"])]

    def __str__(self):
        return f"{self.get_service_display()}: {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES and (self.ended_at is None or self.ended_at > timezone.now())

    def get_regions_display(self) -> list[str]:
        labels = dict(Region.choices)
        return [str(labels.get(r, r)) for r in self.regions]


# --- Support requests --------------------------------------------------------------------------


class SupportRequest(models.Model):
    class Category(models.TextChoices):
        TECHNICAL = "technical", _("Technical")
        BILLING = "billing", _("Billing")
        COMMERCIAL = "commercial", _("Commercial")

    class Severity(models.TextChoices):
        A = "A", _("A — critical")
        B = "B", _("B — high")
        C = "C", _("C — normal")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        DIAGNOSING = "diagnosing", _("Diagnosing")
        WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
        ESCALATED = "escalated", pgettext_lazy("support", "Escalated")
        RESOLVED = "resolved", pgettext_lazy("support", "Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.NEW, Status.DIAGNOSING, Status.WAITING_ON_CUSTOMER, Status.ESCALATED)

    # First-response targets from the programme's severity definitions; resolution targets
    # are the partner's published defaults. Both pause while waiting on the customer.
    FIRST_RESPONSE_TARGET = {"A": dt.timedelta(hours=2), "B": dt.timedelta(hours=4), "C": dt.timedelta(hours=8)}
    RESOLUTION_TARGET = {"A": dt.timedelta(hours=24), "B": dt.timedelta(hours=72), "C": dt.timedelta(hours=120)}

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="support_requests")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="requests")
    requester = models.ForeignKey(
        CustomerContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    requester_name = models.CharField(_("requester"), max_length=150)
    requester_email = models.EmailField(_("requester e-mail"))
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    service = models.CharField(_("affected service"), max_length=30, choices=Service.choices)
    severity = models.CharField(_("severity"), max_length=1, choices=Severity.choices, default=Severity.C)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_support_requests",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Service health: the first step, recorded before any escalation.
    health_checked_at = models.DateTimeField(null=True, blank=True)
    health_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident = models.ForeignKey(
        ServiceHealthIncident, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    # SLA clocks. The due times move forward by every pause, so "breached" is a plain
    # comparison the queue can filter on in SQL.
    first_response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    # Satisfaction after close: stored here only. It is not a CSAT survey answer and is
    # never counted toward CSAT compliance.
    satisfaction = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    satisfaction_comment = models.TextField(blank=True)
    satisfaction_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["org", "-created_at", "-id"], name="support_req_queue"),
            models.Index(fields=["org", "status", "-created_at", "-id"], name="support_req_status"),
            models.Index(fields=["org", "assignee", "-created_at", "-id"], name="support_req_assignee"),
            models.Index(fields=["org", "first_response_due_at"], name="support_req_frdue"),
            models.Index(fields=["customer", "requester", "-created_at"], name="support_req_customer"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def paused_minutes(self) -> int:
        return self.paused_seconds // 60

    @property
    def is_paused(self) -> bool:
        return self.waiting_since is not None

    def _pause_now(self, now) -> dt.timedelta:
        return (now - self.waiting_since) if self.waiting_since else dt.timedelta(0)

    def first_response_breached(self, now=None) -> bool:
        now = now or timezone.now()
        if self.first_response_at:
            return self.first_response_at > self.first_response_due_at
        return now - self._pause_now(now) > self.first_response_due_at

    def resolution_breached(self, now=None) -> bool:
        now = now or timezone.now()
        if self.resolved_at:
            return self.resolved_at > self.resolution_due_at
        return now - self._pause_now(now) > self.resolution_due_at

    @property
    def is_breached(self) -> bool:
        now = timezone.now()
        return self.first_response_breached(now) or self.resolution_breached(now)

    def time_to_first_response(self) -> dt.timedelta | None:
        return self.first_response_at - self.created_at if self.first_response_at else None

    def time_to_resolution(self) -> dt.timedelta | None:
        # Working time: the customer's own delays do not count against the partner.
        if not self.resolved_at:
            return None
        return self.resolved_at - self.created_at - dt.timedelta(seconds=self.paused_seconds)


class RequestMessage(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply to the customer")
        NOTE = "note", _("Internal note")
        CUSTOMER = "customer", _("Message from the customer")
        PROVIDER = "provider", _("Message from the indirect provider")

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_name = models.CharField(max_length=150)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def visible_to_customer(self) -> bool:
        return self.kind in (self.Kind.REPLY, self.Kind.CUSTOMER)


# --- Escalations -------------------------------------------------------------------------------


class EscalationCategory(models.TextChoices):
    """The only problems the partner hands to the vendor; everything else stays with it."""

    UNDOCUMENTED = "undocumented_issue", _("Undocumented service issue")
    UNAVAILABLE = "service_unavailable", _("Service unavailable")
    DEFECT = "defect", _("Defect affecting how a service looks or works")
    NETWORK = "network_disruption", _("Large-scale network disruption")
    REGIONAL = "regional_multitenant", _("Regional issue with multi-tenant impact")
    BILLING_DISPUTE = "billing_dispute", _("Billing dispute")


ESCALATION_CATEGORY_HELP = {
    EscalationCategory.UNDOCUMENTED: _(
        "The service does not work as its service description says, and it is not documented."
    ),
    EscalationCategory.UNAVAILABLE: _(
        "The service cannot be reached or used at all, and no health incident explains it."
    ),
    EscalationCategory.DEFECT: _(
        "A fault in the service itself changes how it looks or behaves; not a setting you can change."
    ),
    EscalationCategory.NETWORK: _(
        "A network disruption well beyond this customer, affecting many tenants or locations."
    ),
    EscalationCategory.REGIONAL: _("Problems limited to a region that affect several tenants, not just this customer."),
    EscalationCategory.BILLING_DISPUTE: _(
        "The customer disputes a charge on the vendor's side that you cannot correct yourself."
    ),
}

TECHNICAL_CATEGORIES = frozenset(c for c in EscalationCategory.values if c != EscalationCategory.BILLING_DISPUTE)


class Escalation(models.Model):
    class Vehicle(models.TextChoices):
        COMMERCIAL = "commercial", _("Commercial (non-technical) support")
        PREMIER = "premier", _("Premier Support for Partners")
        ADVANCED = "advanced", _("Advanced Support for Partners")
        PARTNER_CLOUD = "partner_cloud", _("Partner cloud support")
        INDIRECT_PROVIDER = "indirect_provider", _("Your indirect provider")

    class Target(models.TextChoices):
        VENDOR = "vendor", _("Vendor")
        INDIRECT_PROVIDER = "indirect_provider", _("Indirect provider")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", pgettext_lazy("support", "Resolved")
        DECLINED = "declined", _("Declined")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="escalations")
    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="escalations")
    category = models.CharField(_("category"), max_length=24, choices=EscalationCategory.choices)
    explanation = models.TextField(_("why this needs escalating"))
    vehicle = models.CharField(_("support vehicle"), max_length=20, choices=Vehicle.choices)
    target = models.CharField(_("escalated to"), max_length=20, choices=Target.choices)
    provider_org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="provider_escalations"
    )
    vendor_ticket_number = models.CharField(_("ticket number"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    escalated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    escalated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-escalated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(status__in=["open", "in_progress"]), name="support_one_open_escalation"
            ),
        ]
        indexes = [models.Index(fields=["provider_org", "-escalated_at", "-id"])]

    def __str__(self):
        return f"{self.get_category_display()} ({self.get_vehicle_display()})"


# --- Invoices and collections ------------------------------------------------------------------


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        OVERDUE = "overdue", _("Overdue")
        DISPUTED = "disputed", _("Disputed")

    # No index of their own: the composite indexes below (and the unique number) lead with them,
    # and every index is one more write when the collections job updates 60,000 invoices.
    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="csp_invoices", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices", db_index=False)
    number = models.CharField(_("invoice number"), max_length=40)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    issued_on = models.DateField(_("issued on"), default=dt.date.today)
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    paid_at = models.DateTimeField(null=True, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(_("dispute reason"), blank=True)
    # When this invoice first held the customer's subscriptions suspended; from then on its
    # timeline no longer plans a suspension.
    suspended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-due_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="support_unique_invoice_number"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="support_period_order"),
        ]
        indexes = [
            models.Index(fields=["org", "-due_date", "-id"], name="support_inv_list"),
            models.Index(fields=["org", "status", "-due_date", "-id"], name="support_inv_status"),
            models.Index(fields=["status", "due_date"], name="support_inv_collections"),
            models.Index(fields=["customer", "-due_date"], name="support_inv_customer"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_unpaid(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.OVERDUE)


class Payment(models.Model):
    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    paid_on = models.DateField(_("paid on"), default=dt.date.today)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "id"]

    def __str__(self):
        return f"{self.amount} ({self.paid_on})"


def default_before():
    return [7, 1]


def default_after():
    return [1, 7]


class CollectionsPolicy(models.Model):
    """The partner's published rules on when non-payment affects access."""

    DEFAULT_BEFORE = (7, 1)
    DEFAULT_AFTER = (1, 7)
    DEFAULT_SUSPEND_AFTER = 14

    org = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="collections_policy")
    reminder_days_before = ArrayField(
        models.PositiveSmallIntegerField(), default=default_before, blank=True, verbose_name=_("reminders before due")
    )
    reminder_days_after = ArrayField(
        models.PositiveSmallIntegerField(), default=default_after, blank=True, verbose_name=_("reminders after due")
    )
    suspend_after_days = models.PositiveSmallIntegerField(
        _("suspend after days overdue"),
        null=True,
        blank=True,
        default=DEFAULT_SUSPEND_AFTER,
        help_text=_("Leave empty never to suspend access."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("collections policy")
        verbose_name_plural = _("collections policies")

    def __str__(self):
        return str(self.org)


class CollectionEvent(models.Model):
    """One collections step taken for an invoice. Unique per invoice, kind and day: the
    insert is the claim, so a second run or a second worker cannot do the same step again."""

    class Kind(models.TextChoices):
        REMINDER_BEFORE = "reminder_before", _("Reminder sent")
        OVERDUE = "overdue", _("Marked overdue")
        REMINDER_AFTER = "reminder_after", _("Overdue reminder sent")
        SUSPENDED = "suspended", _("Subscriptions suspended")
        REINSTATED = "reinstated", _("Subscriptions reinstated")
        PAID = "paid", _("Payment received")
        DISPUTED = "disputed", _("Invoice disputed")
        DISPUTE_SETTLED = "dispute_settled", _("Dispute settled")

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # Indexed by the unique constraint, which leads with it.
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="collection_events", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind", "day"], name="support_collection_event_once"),
        ]

    def __str__(self):
        return f"{self.kind} {self.day}"
