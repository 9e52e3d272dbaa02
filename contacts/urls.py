from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_new, name="new"),
    path("log/", views.contact_list, name="list"),
    path("log/<int:pk>/", views.contact_detail, name="detail"),
    path("log/<int:pk>/close/", views.contact_close, name="close"),
    path("log/<int:pk>/correct/", views.contact_correct, name="correct"),
    path("reasons/search.json", views.reason_search, name="reason_search"),
    path("reasons/tree.json", views.reason_tree, name="reason_tree"),
    path("callers/search.json", views.caller_search, name="caller_search"),
    path("callers/<int:pk>/recent/", views.caller_recent, name="caller_recent"),
    path("reports/", views.reports, name="reports"),
    path("reports/export.csv", views.reports_export, name="reports_export"),
    path("reports/complaints/", views.complaints, name="complaints"),
]
