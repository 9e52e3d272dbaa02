from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from . import selectors, services
from .errors import DomainError
from .forms import (
    ROLE_HELP,
    AcceptInvitationForm,
    InviteForm,
    LocationForm,
    LoginForm,
    MemberRolesForm,
    OrganisationSettingsForm,
    ProfileForm,
)
from .models import Invitation, Location, Membership, OutgoingMail, Role
from .registry import dashboard_panels_for
from .tenancy import get_for_member, member_required, superuser_required, switch_org

TEAM_ROLES = (Role.USER_ADMIN,)


@never_cache
def healthz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "down"
        checks["database"] = "down"
    if settings.CELERY_BROKER_URL:
        try:
            from .celery import app

            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception:  # noqa: BLE001
            checks["broker"] = "down"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", **checks}, status=200 if ok else 503)


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("dashboard")


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The person's own language wins over whatever the browser sent before sign-in.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            form.get_user().language,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            max_age=settings.LANGUAGE_COOKIE_AGE,
        )
        return response


@login_required
def dashboard(request):
    panels = dashboard_panels_for(request)
    return render(
        request,
        "partnerportal/dashboard.html",
        {
            "panels": panels,
            "panel_stylesheets": list(dict.fromkeys(path for panel in panels for path in panel.stylesheets)),
            "locations": request.org.locations.all() if request.org else [],
        },
    )


@require_POST
@login_required
def org_switch(request):
    membership = next((m for m in request.user_memberships if str(m.org_id) == request.POST.get("org")), None)
    if membership is None:
        messages.error(request, _("You are not a member of that organisation."))
    else:
        switch_org(request, membership)
        messages.success(request, _("You are now working in %(org)s.") % {"org": membership.org.name})
    return redirect("dashboard")


@require_POST
def set_language(request):
    lang = request.POST.get("language")
    if request.user.is_authenticated and lang in dict(settings.LANGUAGES):
        request.user.language = lang
        request.user.save(update_fields=["language"])
    return django_set_language(request)


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        response = redirect("profile")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            request.user.language,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    return render(request, "partnerportal/profile.html", {"form": form})


# --- Organisation and locations ---------------------------------------------------------------


@member_required()
def org_detail(request):
    org = request.org
    can_edit = request.membership.has_role(Role.PARTNER_ADMIN)
    form = OrganisationSettingsForm(request.POST or None, instance=org)
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            form.save()
            services.audit_log(
                actor=request.user,
                action="organisation.settings_changed",
                obj=org,
                details={f: str(form.cleaned_data[f]) for f in form.changed_data},
            )
            messages.success(request, _("Organisation settings saved."))
            return redirect("org_detail")
    return render(
        request,
        "partnerportal/org_detail.html",
        {
            "org": org,
            "form": form,
            "can_edit": can_edit,
            "locations": org.locations.all(),
            "siblings": org.parent_company.organisations.exclude(pk=org.pk) if org.parent_company_id else [],
        },
    )


@member_required(Role.PARTNER_ADMIN)
def location_edit(request, pk=None):
    location = get_for_member(request, Location.objects.all(), Role.PARTNER_ADMIN, pk=pk) if pk else None
    form = LocationForm(request.POST or None, instance=location, org=request.org)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        obj.org = request.org
        obj.save()
        services.audit_log(actor=request.user, action="location.saved", obj=obj, details={"fields": form.changed_data})
        messages.success(request, _("Location saved."))
        return redirect("org_detail")
    return render(request, "partnerportal/location_form.html", {"form": form, "location": location})


@member_required(Role.PARTNER_ADMIN)
def org_activity(request):
    page = Paginator(selectors.org_audit_log(org=request.org), 50).get_page(request.GET.get("page"))
    return render(request, "partnerportal/activity.html", {"page": page})


# --- Team ---------------------------------------------------------------------------------------


@member_required(*TEAM_ROLES)
def team(request):
    return render(
        request,
        "partnerportal/team_list.html",
        {
            "members": selectors.team_members(org=request.org),
            "invitations": selectors.pending_invitations(org=request.org),
        },
    )


@member_required(*TEAM_ROLES)
def team_invite(request):
    form = InviteForm(request.POST or None, initial={"language": request.org.default_language})
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                org=request.org,
                actor=request.user,
                actor_membership=request.membership,
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
                language=form.cleaned_data["language"],
            )
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("team")
    return render(request, "partnerportal/team_invite.html", {"form": form, "role_help": ROLE_HELP})


@member_required()
def team_member(request, pk):
    membership = get_for_member(request, Membership.objects.select_related("user", "org"), *TEAM_ROLES, pk=pk)
    form = MemberRolesForm(request.POST or None, initial={"roles": membership.roles})
    if request.method == "POST":
        action = request.POST.get("action", "roles")
        try:
            if action == "deactivate":
                services.membership_set_active(
                    membership=membership, active=False, actor=request.user, actor_membership=request.membership
                )
                messages.success(request, _("%(name)s was deactivated.") % {"name": membership.user})
                return redirect("team")
            if action == "activate":
                services.membership_set_active(
                    membership=membership, active=True, actor=request.user, actor_membership=request.membership
                )
                messages.success(request, _("%(name)s was reactivated.") % {"name": membership.user})
                return redirect("team")
            if form.is_valid():
                services.membership_set_roles(
                    membership=membership,
                    roles=form.cleaned_data["roles"],
                    actor=request.user,
                    actor_membership=request.membership,
                )
                messages.success(request, _("Roles of %(name)s saved.") % {"name": membership.user})
                return redirect("team")
        except DomainError as exc:
            if exc.field:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
    history = services.audit_history(membership)
    return render(
        request,
        "partnerportal/team_member.html",
        {
            "membership": membership,
            "form": form,
            "role_help": ROLE_HELP,
            "history": history,
        },
    )


@require_POST
@member_required()
def team_invitation_revoke(request, pk):
    invitation = get_for_member(request, Invitation.objects.all(), *TEAM_ROLES, pk=pk)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user)
        messages.success(request, _("Invitation revoked."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("team")


@never_cache
def invitation_accept(request, token):
    invitation = services.invitation_get_by_token(token)
    if invitation is None or not invitation.is_usable():
        return render(request, "partnerportal/invitation_invalid.html", status=404)
    form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = services.invitation_accept(token=token, user=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                switch_org(request, membership)
                messages.success(request, _("Welcome to %(org)s.") % {"org": membership.org.name})
                return redirect("dashboard")
    else:
        form = AcceptInvitationForm(request.POST or None, email=invitation.email)
        if request.method == "POST" and form.is_valid():
            try:
                membership = services.invitation_accept(
                    token=token,
                    user=None,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password1"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
                switch_org(request, membership)
                messages.success(request, _("Welcome to %(org)s.") % {"org": membership.org.name})
                return redirect("dashboard")
    return render(request, "partnerportal/invitation_accept.html", {"invitation": invitation, "form": form})


# --- Outbox (operators) -----------------------------------------------------------------------


@superuser_required
def outbox(request):
    qs = OutgoingMail.objects.all()
    status = request.GET.get("status")
    if status in OutgoingMail.Status.values:
        qs = qs.filter(status=status)
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(to__icontains=q)
    from .pagination import keyset_page

    page = keyset_page(request, qs, ("-created_at", "-id"))
    return render(request, "partnerportal/outbox_list.html", {"page": page, "statuses": OutgoingMail.Status.choices})


@superuser_required
def outbox_detail(request, pk):
    mail = get_object_or_404(OutgoingMail, pk=pk)
    return render(request, "partnerportal/outbox_detail.html", {"mail": mail})


def safe_next(request, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(reverse(default))
