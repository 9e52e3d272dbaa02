"""Core models: people, partner organisations, memberships and roles, audit log, outgoing mail."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def language_choices():
    return settings.LANGUAGES


def new_token() -> str:
    """A URL-safe random token of 256 bits (the programme asks for at least 128)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are stored only as their SHA-256: a database leak does not leak live links."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        # Sign-in by e-mail ignores case (an address typed in the admin may keep capitals).
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_programme_staff", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Partners' people reach organisations through memberships;
    the vendor's own people are call-center agents or programme staff."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=language_choices, default="en")
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("admin site access"), default=False, help_text=_("Can sign in to the administration site.")
    )
    is_call_center_agent = models.BooleanField(_("call-center agent"), default=False)
    is_programme_staff = models.BooleanField(
        _("programme staff"),
        default=False,
        help_text=_("The vendor's programme people: aggregates across partners, never customer contact details."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return (self.full_name or self.email).split(" ")[0]

    @property
    def is_vendor_side(self) -> bool:
        return self.is_call_center_agent or self.is_programme_staff


class ParentCompany(models.Model):
    """A company that holds several programme memberships (one organisation each)."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("parent company")
        verbose_name_plural = _("parent companies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Organisation(models.Model):
    """One partner programme membership. Compliance rules apply per organisation, so a
    company with two memberships is two organisations under one parent company."""

    class Level(models.TextChoices):
        GOLD = "gold", _("Gold")
        SILVER = "silver", _("Silver")
        SMB = "smb", _("Small and Midsize Business")
        NONE = "none", pgettext_lazy("membership level", "None")

    class Competency(models.TextChoices):
        CLOUD_PRODUCTIVITY = "cloud_productivity", _("Cloud Productivity")
        CLOUD_PLATFORM = "cloud_platform", _("Cloud Platform")
        DATA_ANALYTICS = "data_analytics", _("Data Analytics")
        SECURITY = "security", _("Security")
        APPLICATION_DEVELOPMENT = "application_development", _("Application Development")
        COLLABORATION = "collaboration", _("Collaboration and Content")
        LEARNING = "learning", _("Learning")

    class CspRelationship(models.TextChoices):
        NONE = "none", _("Not in the CSP programme")
        DIRECT = "direct", _("Direct-bill partner")
        INDIRECT_PROVIDER = "indirect_provider", _("Indirect provider")
        INDIRECT_RESELLER = "indirect_reseller", _("Indirect reseller")

    class SupportContract(models.TextChoices):
        NONE = "none", _("No paid support contract")
        PREMIER = "premier", _("Premier Support for Partners")
        ADVANCED = "advanced", _("Advanced Support for Partners")

    name = models.CharField(_("name"), max_length=200)
    partner_id = models.CharField(_("partner ID"), max_length=32, unique=True)
    parent_company = models.ForeignKey(
        ParentCompany,
        verbose_name=_("parent company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
    )
    membership_level = models.CharField(_("membership level"), max_length=10, choices=Level.choices, default=Level.NONE)
    competencies = ArrayField(
        models.CharField(max_length=40, choices=Competency.choices),
        default=list,
        blank=True,
        verbose_name=_("competencies"),
    )
    renewal_date = models.DateField(_("membership renewal date"), null=True, blank=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 two-letter code."))
    default_language = models.CharField(_("default language"), max_length=10, choices=language_choices, default="en")
    account_email = models.EmailField(
        _("account e-mail"), blank=True, help_text=_("Where programme reports for this membership are sent.")
    )
    csp_relationship = models.CharField(
        _("CSP relationship"), max_length=20, choices=CspRelationship.choices, default=CspRelationship.NONE
    )
    indirect_provider = models.ForeignKey(
        "self",
        verbose_name=_("indirect provider"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resellers",
        limit_choices_to={"csp_relationship": "indirect_provider"},
    )
    support_contract = models.CharField(
        _("paid support contract"), max_length=10, choices=SupportContract.choices, default=SupportContract.NONE
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="reseller_has_provider",
                condition=~Q(csp_relationship="indirect_reseller") | Q(indirect_provider__isnull=False),
                violation_error_message=_("An indirect reseller must be linked to its indirect provider."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.partner_id})"

    @property
    def is_training_partner(self) -> bool:
        # Training partners (Learning competency) have their own CSAT compliance path.
        return self.Competency.LEARNING in self.competencies

    def get_competencies_display(self) -> list[str]:
        labels = dict(self.Competency.choices)
        return [str(labels.get(c, c)) for c in self.competencies]


class Location(models.Model):
    """An office of an organisation; each has its own contact person."""

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(_("name"), max_length=120)
    address = models.TextField(_("address"), blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    country = models.CharField(_("country"), max_length=2)
    contact_name = models.CharField(_("contact name"), max_length=150)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["org", "name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="unique_location_name")]

    def __str__(self):
        return f"{self.name} — {self.city}" if self.city else self.name


class Role(models.TextChoices):
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    SURVEY_ADMIN = "survey_admin", _("Survey admin")
    REFERRAL_ADMIN = "referral_admin", _("Referral admin")
    SUPPORT_AGENT = "support_agent", _("Support agent")
    BILLING_ADMIN = "billing_admin", _("Billing admin")
    SALES_AGENT = "sales_agent", _("Sales agent")
    USER_ADMIN = "user_admin", _("User-management admin")


class Membership(models.Model):
    """A person's place in an organisation. Partner admins hold every role implicitly."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["org", "user__email"]
        constraints = [models.UniqueConstraint(fields=["user", "org"], name="unique_membership")]

    def __str__(self):
        return f"{self.user} @ {self.org}"

    def has_role(self, *roles: str) -> bool:
        if not self.is_active:
            return False
        if Role.PARTNER_ADMIN in self.roles:
            return True
        return any(r in self.roles for r in roles)

    def get_roles_display(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels[r]) for r in self.roles if r in labels]


class Invitation(models.Model):
    """An invitation for a colleague to join an organisation with given roles."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=language_choices, default="en")
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self):
        return f"{self.email} → {self.org}"

    def get_roles_display(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels[r]) for r in self.roles if r in labels]

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.PENDING and now < self.expires_at


class AuditEntry(models.Model):
    """Who did what to which object, when. Written by service functions, never by signals."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    org = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class OutgoingMail(models.Model):
    """Every e-mail the portal sends is a row here first, written in the same transaction
    as the business change; a task claims the row and sends it exactly once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    org = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # `kind` and `related` are read from a row, never searched by: no index, so that a job
    # queuing a hundred thousand mails does not also write a hundred thousand entries to each.
    kind = models.CharField(max_length=64)
    to = models.EmailField()
    language = models.CharField(max_length=10, default="en")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Lets the business object learn of a bounce or failure (e.g. "csat.Invitation:42").
    related = models.CharField(max_length=80, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # Mail queued in bulk without rendering (see mail.mail_queue_many(defer=True)): the
    # template and its context (model instances as {"__model__": label, "pk": pk}); the
    # subject and bodies are rendered by the worker that sends it.
    template = models.CharField(max_length=200, blank=True)
    context = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.to}: {self.subject}"

    @property
    def message_id(self) -> str:
        # Stable per row, so a receiving server can recognise a repeat delivery.
        domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].rstrip(">") or "partnerportal"
        return f"<mail-{self.pk}@{domain}>"
