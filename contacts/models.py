"""Call-center contacts: the contact-reason taxonomy and the record of each interaction.

A "contact" is one interaction with a customer (mostly a phone call), logged by a
call-center agent while talking. Reasons form a tree of at most three levels; a contact
always ends on a leaf.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PATH_SEPARATOR = " › "
MAX_LEVEL = 3


class ContactReason(models.Model):
    """One node of the "Why are they contacting us?" tree.

    Nodes are retired (is_active=False), never deleted, so old contacts keep their reason.
    A node never moves to another parent: the reports count contacts under the level-1
    and level-2 ancestors stored on each contact.
    """

    class Grouping(models.TextChoices):
        NONE = "", pgettext_lazy("reason grouping", "None")
        ACCOUNT_MANAGEMENT = "account_management", _("Account Management")

    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    label_en = models.CharField(_("English label"), max_length=120)
    label_en_original = models.CharField(
        _("original English label"),
        max_length=120,
        blank=True,
        help_text=_("The wording in the source manual, kept when the label corrects a typo."),
    )
    label_ru = models.CharField(_("Russian label"), max_length=200, blank=True)
    definition_ru = models.TextField(_("Russian definition"), blank=True)
    definition_en = models.TextField(_("English definition"), blank=True)
    grouping = models.CharField(_("grouping"), max_length=30, choices=Grouping.choices, default="", blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(
        pgettext_lazy("contacts", "active"),
        default=True,
        help_text=_("Retired reasons are hidden from agents but kept on old contacts."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact reason")
        verbose_name_plural = _("contact reasons")
        ordering = ["level", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "label_en"], name="contactreason_unique_label_per_parent"),
            models.UniqueConstraint(
                fields=["label_en"], condition=Q(parent__isnull=True), name="contactreason_unique_root_label"
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=MAX_LEVEL), name="contactreason_level_1_to_3"),
            models.CheckConstraint(
                condition=(Q(level=1) & Q(parent__isnull=True)) | (Q(level__gt=1) & Q(parent__isnull=False)),
                name="contactreason_root_iff_level_1",
            ),
        ]

    def __str__(self):
        return self.label_en


class CallerCustomer(models.Model):
    """A registered customer who calls the call center (the vendor's own customer)."""

    name = models.CharField(pgettext_lazy("contacts", "name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Digits only, so "+1 (425) 555-0100" is found by "4255550100" or "555 0100".
    phone_digits = models.CharField(max_length=40, blank=True, editable=False)
    company = models.CharField(_("company"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("caller")
        verbose_name_plural = _("callers")
        ordering = ["name", "id"]
        indexes = [
            models.Index(Upper("name"), name="caller_name_upper"),
            models.Index(Upper("email"), name="caller_email_upper"),
            models.Index(fields=["phone_digits"], name="caller_phone_digits"),
        ]

    def __str__(self):
        return self.name


class InteractionType(models.TextChoices):
    INBOUND_CALL = "inbound_call", _("Inbound call")
    OUTBOUND_CALL = "outbound_call", _("Outbound call")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social media")
    WEB_FORM = "web_form", _("Web form")
    LETTER = "letter", _("Letter or fax")


class Market(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    SMALL_BUSINESS = "small_business", _("Small business")
    MIDMARKET = "midmarket", _("Midmarket")
    ENTERPRISE = "enterprise", _("Enterprise")
    PUBLIC_SECTOR = "public_sector", _("Public sector")
    EDUCATION = "education", _("Education")
    DEVELOPER = "developer", _("Developer")
    PARTNER = "partner", _("Partner")


class DeliveryChannel(models.TextChoices):
    """How the customer got the product (the manual's "delivery channel")."""

    RETAIL = "retail", _("Retail (boxed product)")
    OEM = "oem", _("OEM (pre-installed)")
    VOLUME_LICENSING = "volume_licensing", _("Volume licensing")
    ONLINE_STORE = "online_store", _("Online store")
    CSP_PARTNER = "csp_partner", _("Cloud Solution Provider partner")
    SUBSCRIPTION = "subscription", _("MSDN/TechNet subscription")
    UNKNOWN = "unknown", _("Unknown")


class Team(models.TextChoices):
    TECHNICAL_SUPPORT = "technical_support", _("Technical support")
    LICENSING = "licensing", _("Licensing")
    BILLING = "billing", _("Billing and accounts")
    ORDER_DESK = "order_desk", _("Order desk")
    PARTNER_SUPPORT = "partner_support", _("Partner support")
    EVENTS = "events", _("Events team")
    ANTI_PIRACY = "anti_piracy", _("Anti-piracy")
    CUSTOMER_RELATIONS = "customer_relations", _("Customer relations")


class ActionTaken(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    INFORMATION_PROVIDED = "information_provided", _("Information provided")
    REFERRED = "referred", _("Referred")
    TRANSFERRED = "transferred", _("Transferred")
    ESCALATED = "escalated", _("Escalated")
    CALLBACK_SCHEDULED = "callback_scheduled", _("Callback scheduled")
    FEEDBACK_RECORDED = "feedback_recorded", _("Feedback recorded")
    CUSTOMER_DISCONNECTED = "customer_disconnected", _("Customer disconnected")
    NO_ACTION = "no_action", _("No action needed")


# A referral or transfer goes somewhere: a team or a partner organisation.
ACTIONS_NEEDING_TARGET = (ActionTaken.REFERRED, ActionTaken.TRANSFERRED)
# These leave work to do, so the contact stays open until it is closed.
ACTIONS_LEAVING_OPEN = (ActionTaken.CALLBACK_SCHEDULED, ActionTaken.ESCALATED)


class Contact(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("contact status", "Open")
        CLOSED = "closed", pgettext_lazy("contact status", "Closed")

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="logged_contacts"
    )
    created_at = models.DateTimeField(_("logged at"), default=timezone.now)
    reason = models.ForeignKey(
        ContactReason, verbose_name=_("contact reason"), on_delete=models.PROTECT, related_name="+"
    )
    # The leaf's ancestors, so counts per level are one GROUP BY on an indexed column.
    reason_l1 = models.ForeignKey(ContactReason, on_delete=models.PROTECT, related_name="+", editable=False)
    reason_l2 = models.ForeignKey(
        ContactReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    product = models.CharField(_("product"), max_length=120, blank=True)
    market = models.CharField(_("market"), max_length=20, choices=Market.choices, blank=True)
    interaction_type = models.CharField(
        _("interaction type"), max_length=20, choices=InteractionType.choices, default=InteractionType.INBOUND_CALL
    )
    referred_team = models.CharField(
        _("referred or transferred to team"), max_length=30, choices=Team.choices, blank=True
    )
    referred_org = models.ForeignKey(
        "partnerportal.Organisation",
        verbose_name=_("referred or transferred to partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    caller = models.ForeignKey(
        CallerCustomer,
        verbose_name=_("caller"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        help_text=_("Empty for an anonymous caller."),
    )
    delivery_channel = models.CharField(
        _("delivery channel"), max_length=20, choices=DeliveryChannel.choices, default=DeliveryChannel.UNKNOWN
    )
    action_taken = models.CharField(_("action taken"), max_length=30, choices=ActionTaken.choices)
    notes = models.TextField(_("contact summary notes"), blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    follow_up_date = models.DateField(_("follow-up date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CLOSED)
    corrected_at = models.DateTimeField(_("last corrected"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="contact_recent"),
            models.Index(fields=["agent", "-created_at", "-id"], name="contact_agent_recent"),
            models.Index(fields=["caller", "-created_at"], name="contact_caller_recent"),
            models.Index(fields=["reason", "-created_at"], name="contact_reason_recent"),
            models.Index(fields=["reason_l1", "-created_at"], name="contact_l1_recent"),
            models.Index(fields=["reason_l2", "-created_at"], name="contact_l2_recent"),
            # Reports group a date range by one of these columns: an index-only scan.
            models.Index(
                fields=["created_at"],
                include=["reason_l1", "reason_l2", "reason", "interaction_type", "action_taken", "agent"],
                name="contact_report_cover",
            ),
        ]

    def __str__(self):
        return f"#{self.pk}"

    @property
    def duration_display(self) -> str:
        if self.duration_seconds is None:
            return ""
        minutes, seconds = divmod(self.duration_seconds, 60)
        return f"{minutes}:{seconds:02d}"
