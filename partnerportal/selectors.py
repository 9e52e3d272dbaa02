from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditEntry, Invitation, Membership, Organisation, User


def memberships_for_user(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, is_active=True, org__is_active=True).select_related("org")


def team_members(*, org: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(org=org).select_related("user").order_by("-is_active", "user__email")


def pending_invitations(*, org: Organisation) -> QuerySet[Invitation]:
    return Invitation.objects.filter(org=org, status=Invitation.Status.PENDING).select_related("invited_by")


def org_audit_log(*, org: Organisation) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(org=org).select_related("actor")
