"""Tenancy: the one way partner-facing views reach partner-owned rows.

- `request.org` / `request.membership` are the current organisation and the user's
  membership in it (CurrentOrganisationMiddleware; switchable when a person belongs to
  several organisations).
- `@member_required(*roles)` guards a view: anonymous -> login, no membership -> 403,
  membership without any of `roles` -> 403. Partner admins hold every role.
- `get_for_member(request, queryset, *roles, **lookup)` fetches one object among the
  organisations the user belongs to: another organisation's object is a 404 (it does not
  exist for you), a missing role in the object's own organisation is a 403.
- `scoped(queryset, request)` narrows a list to the current organisation.
Vendor-side views use `@agent_required` or `@programme_staff_required`.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

SESSION_KEY = "current_org_id"


def _login_redirect(request):
    return redirect_to_login(request.get_full_path())


def member_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _login_redirect(request)
            membership = getattr(request, "membership", None)
            if membership is None:
                raise PermissionDenied
            if roles and not membership.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def _vendor_required(check, audience: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _login_redirect(request)
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        # Who may open it, readable from the URLconf (the security tests walk every page).
        wrapped.vendor_audience = audience
        return wrapped

    return decorator


agent_required = _vendor_required(lambda u: u.is_call_center_agent or u.is_programme_staff, "agent")
programme_staff_required = _vendor_required(lambda u: u.is_programme_staff, "programme_staff")
superuser_required = _vendor_required(lambda u: u.is_superuser, "superuser")


def scoped(queryset: QuerySet, request, *, field: str = "org") -> QuerySet:
    return queryset.filter(**{field: request.org})


def get_for_member(request, queryset: QuerySet, *roles: str, org_field: str = "org", **lookup) -> Model:
    memberships = {m.org_id: m for m in request.user_memberships}
    obj = queryset.filter(**{f"{org_field}__in": list(memberships)}, **lookup).first()
    if obj is None:
        raise Http404
    membership = memberships[_org_id(obj, org_field)]
    if roles and not membership.has_role(*roles):
        raise PermissionDenied
    if request.org is None or membership.org_id != request.org.pk:
        switch_org(request, membership)
    return obj


def _org_id(obj, org_field: str):
    value = obj
    for part in org_field.split("__"):
        value = getattr(value, part)
    return value.pk


def switch_org(request, membership) -> None:
    request.session[SESSION_KEY] = membership.org_id
    request.membership = membership
    request.org = membership.org
