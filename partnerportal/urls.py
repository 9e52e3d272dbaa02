from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import QueuedPasswordResetForm

admin.site.site_header = "Partner Portal administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("organisation/", views.org_detail, name="org_detail"),
    path("organisation/switch/", views.org_switch, name="org_switch"),
    path("organisation/activity/", views.org_activity, name="org_activity"),
    path("organisation/locations/new/", views.location_edit, name="location_create"),
    path("organisation/locations/<int:pk>/", views.location_edit, name="location_edit"),
    path("team/", views.team, name="team"),
    path("team/invite/", views.team_invite, name="team_invite"),
    path("team/members/<int:pk>/", views.team_member, name="team_member"),
    path("team/invitations/<int:pk>/revoke/", views.team_invitation_revoke, name="team_invitation_revoke"),
    path("join/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
    # Sign-in
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "accounts/reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
]

# Each feature app mounts its own URLs (with app_name = its label) at /<app>/.
urlpatterns += [path(f"{app}/", include(f"{app}.urls")) for app in settings.PORTAL_APPS]

handler403 = "partnerportal.errorviews.permission_denied"
handler404 = "partnerportal.errorviews.page_not_found"
