"""Core state changes: invitations, memberships and roles. Each checks state, locks the row,
saves, writes the audit log and sends mail after commit."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_history, audit_log  # noqa: F401 - audit_history is used by views
from .errors import DomainError
from .mail import mail_queue
from .models import Invitation, Membership, Organisation, Role, User, hash_token, new_token

INVITATION_VALIDITY = timedelta(days=7)
MANAGER_ROLES = (Role.PARTNER_ADMIN, Role.USER_ADMIN)


def _check_grantable(*, actor_membership: Membership, roles: list[str]) -> None:
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise DomainError(_("Unknown role: %(role)s") % {"role": ", ".join(sorted(unknown))})
    # A user-management admin may manage colleagues but not create partner admins: only a
    # partner admin can hand out the role that holds every other role.
    if Role.PARTNER_ADMIN in roles and Role.PARTNER_ADMIN not in actor_membership.roles:
        raise DomainError(_("Only a partner admin can grant the partner admin role."), field="roles")


def invitation_create(
    *, org: Organisation, actor: User, actor_membership: Membership, email: str, roles: list[str], language: str
) -> tuple[Invitation, str]:
    email = email.strip().lower()
    _check_grantable(actor_membership=actor_membership, roles=roles)
    if Membership.objects.filter(org=org, user__email__iexact=email, is_active=True).exists():
        raise DomainError(_("%(email)s is already a member of this organisation.") % {"email": email}, field="email")
    token = new_token()
    with transaction.atomic():
        # A fresh invitation replaces any pending one for the same address.
        Invitation.objects.filter(org=org, email__iexact=email, status=Invitation.Status.PENDING).update(
            status=Invitation.Status.REVOKED
        )
        invitation = Invitation.objects.create(
            org=org,
            email=email,
            roles=sorted(set(roles)),
            language=language,
            token_hash=hash_token(token),
            invited_by=actor,
            expires_at=timezone.now() + INVITATION_VALIDITY,
        )
        audit_log(
            actor=actor,
            action="invitation.created",
            obj=invitation,
            org=org,
            details={"email": email, "roles": invitation.roles},
        )
        mail_queue(
            to=email,
            template="partnerportal/email/invitation",
            context={
                "invitation": invitation,
                "inviter": actor,
                "accept_url": org_absolute_url(reverse("invitation_accept", args=[token])),
            },
            language=language,
            org=org,
            kind="team_invitation",
        )
    return invitation, token


def org_absolute_url(path: str) -> str:
    from django.conf import settings

    return f"{settings.SITE_URL}{path}"


def invitation_get_by_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("org").filter(token_hash=hash_token(token)).first()


def invitation_accept(*, token: str, user: User | None, full_name: str = "", password: str = "") -> Membership:
    """Accept an invitation: as the signed-in user whose e-mail it names, or by creating an
    account for that e-mail. Single use."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().select_related("org").filter(token_hash=hash_token(token)).first()
        )
        if invitation is None or not invitation.is_usable():
            raise DomainError(_("This invitation is no longer valid. Ask your administrator for a new one."))
        if user is None:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise DomainError(_("An account with this e-mail already exists: sign in to accept the invitation."))
            user = User.objects.create_user(
                email=invitation.email, password=password, full_name=full_name, language=invitation.language
            )
        elif user.email.lower() != invitation.email.lower():
            raise DomainError(
                _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
                % {"email": invitation.email}
            )
        membership, created = Membership.objects.select_for_update().get_or_create(
            user=user, org=invitation.org, defaults={"roles": invitation.roles}
        )
        if not created:
            # A deactivated person who is invited back gets the invitation's roles, not the
            # ones they held before: the inviter may not be allowed to grant those (partner admin).
            kept = membership.roles if membership.is_active else []
            membership.roles = sorted(set(kept) | set(invitation.roles))
            membership.is_active = True
            membership.save(update_fields=["roles", "is_active"])
        invitation.status = Invitation.Status.ACCEPTED
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["status", "accepted_at"])
        audit_log(
            actor=user,
            action="invitation.accepted",
            obj=invitation,
            org=invitation.org,
            details={"roles": membership.roles},
        )
    return membership


def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
            status=Invitation.Status.REVOKED
        )
        if not updated:
            raise DomainError(_("Only a pending invitation can be revoked."))
        audit_log(actor=actor, action="invitation.revoked", obj=invitation, org=invitation.org)


def invitations_expire(*, now=None) -> int:
    """Periodic job: mark pending invitations past their date expired."""
    now = now or timezone.now()
    return Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=now).update(
        status=Invitation.Status.EXPIRED
    )


def _lock_org(membership: Membership) -> None:
    # Two admins demoting or deactivating each other at once would each still see the other
    # as an admin; locking the organisation row makes the "last partner admin" check hold.
    Organisation.objects.select_for_update().only("pk").get(pk=membership.org_id)


def _other_admins_exist(membership: Membership) -> bool:
    return (
        Membership.objects.filter(org=membership.org, is_active=True, roles__contains=[Role.PARTNER_ADMIN])
        .exclude(pk=membership.pk)
        .exists()
    )


def membership_set_roles(
    *, membership: Membership, roles: list[str], actor: User, actor_membership: Membership
) -> Membership:
    roles = sorted(set(roles))
    with transaction.atomic():
        _lock_org(membership)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        before = list(membership.roles)
        changed = set(before) ^ set(roles)
        _check_grantable(actor_membership=actor_membership, roles=list(changed))
        if Role.PARTNER_ADMIN in before and Role.PARTNER_ADMIN not in roles and not _other_admins_exist(membership):
            raise DomainError(_("An organisation needs at least one active partner admin."), field="roles")
        if before == roles:
            return membership
        membership.roles = roles
        membership.save(update_fields=["roles"])
        audit_log(
            actor=actor,
            action="membership.roles_changed",
            obj=membership,
            org=membership.org,
            details={"user": membership.user.email, "before": before, "after": roles},
        )
    return membership


def membership_set_active(
    *, membership: Membership, active: bool, actor: User, actor_membership: Membership
) -> Membership:
    with transaction.atomic():
        _lock_org(membership)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.is_active == active:
            return membership
        if active and Role.PARTNER_ADMIN in membership.roles and Role.PARTNER_ADMIN not in actor_membership.roles:
            # Reactivating a partner admin hands the role out again.
            raise DomainError(_("Only a partner admin can grant the partner admin role."))
        if not active:
            if membership.user_id == actor.pk:
                raise DomainError(_("You cannot deactivate yourself."))
            if Role.PARTNER_ADMIN in membership.roles:
                if Role.PARTNER_ADMIN not in actor_membership.roles:
                    raise DomainError(_("Only a partner admin can deactivate a partner admin."))
                if not _other_admins_exist(membership):
                    raise DomainError(_("An organisation needs at least one active partner admin."))
        membership.is_active = active
        membership.save(update_fields=["is_active"])
        audit_log(
            actor=actor,
            action="membership.activated" if active else "membership.deactivated",
            obj=membership,
            org=membership.org,
            details={"user": membership.user.email},
        )
    return membership
