from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="lead_list"),
    path("qualified/", views.lead_list, {"tab": "qualified"}, name="lead_list_qualified"),
    path("favourites/", views.lead_list, {"tab": "favourites"}, name="lead_list_favourites"),
    path("export.csv", views.lead_export, name="lead_export"),
    path("<int:pk>/", views.lead_detail, name="lead_detail"),
    path("<int:pk>/accept/", views.lead_accept, name="lead_accept"),
    path("<int:pk>/decline/", views.lead_decline, name="lead_decline"),
    path("<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("<int:pk>/colleagues/add/", views.lead_add_contact, name="lead_add_contact"),
    path("<int:pk>/won/", views.lead_close, {"outcome": "won"}, name="lead_mark_won"),
    path("<int:pk>/lost/", views.lead_close, {"outcome": "lost"}, name="lead_mark_lost"),
    path("<int:pk>/favourite/", views.lead_favourite, name="lead_favourite"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("profile/publish/", views.profile_publish, name="profile_publish"),
    path("directory/", views.directory, name="directory"),
    path("directory/<int:pk>/", views.directory_profile, name="directory_profile"),
    path("directory/<int:pk>/sent/", views.directory_sent, name="directory_sent"),
    path("staff/", views.staff_funnel, name="staff_funnel"),
    path("staff/new/", views.staff_lead_create, name="staff_lead_create"),
]
