from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/escalate/", views.request_escalate, name="request_escalate"),
    path("escalations/<int:pk>/", views.escalation_update, name="escalation_update"),
    path("provider/escalations/", views.provider_escalation_list, name="provider_escalation_list"),
    path("provider/escalations/<int:pk>/", views.provider_escalation_detail, name="provider_escalation_detail"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_edit, name="customer_create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/contacts/", views.contact_create, name="contact_create"),
    path("customers/<int:customer_pk>/subscriptions/new/", views.subscription_edit, name="subscription_create"),
    path("contacts/<int:pk>/link/", views.contact_link, name="contact_link"),
    path("subscriptions/<int:pk>/", views.subscription_edit, name="subscription_edit"),
    path("terms/", views.support_profile, name="support_profile"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("collections/policy/", views.policy_edit, name="policy_edit"),
    path("health/", views.incident_list, name="incident_list"),
    path("health/new/", views.incident_edit, name="incident_create"),
    path("health/<int:pk>/", views.incident_edit, name="incident_edit"),
    path("programme/escalations/", views.escalation_stats, name="escalation_stats"),
    path("c/<str:token>/", views.customer_home, name="customer_home"),
    path("c/<str:token>/requests/new/", views.customer_request_create, name="customer_request_create"),
    path("c/<str:token>/requests/<int:pk>/", views.customer_request_detail, name="customer_request"),
]
