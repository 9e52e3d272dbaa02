from django.urls import path

from . import views

app_name = "csat"

urlpatterns = [
    path("", views.results, name="results"),
    path("download/<str:fmt>/", views.results_download, name="results_download"),
    path("reports/<int:pk>/pdf/", views.report_download, name="report_download"),
    path("compliance/", views.compliance, name="compliance"),
    path("invite/", views.invite, name="invite"),
    path("invite/upload/", views.upload, name="upload"),
    path("invite/uploads/<int:pk>/", views.import_detail, name="import_detail"),
    path("invite/template.<str:fmt>", views.contacts_template, name="contacts_template"),
    path("invite/send/", views.invitations_send, name="invitations_send"),
    path("contacts/new/", views.contact_edit, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("questions/", views.questions, name="questions"),
    path("questions/new/", views.question_edit, name="question_create"),
    path("questions/<int:pk>/", views.question_edit, name="question_edit"),
    path("questions/<int:pk>/remove/", views.question_remove, name="question_remove"),
    path("settings/", views.survey_settings, name="settings"),
    path("evaluations/", views.mtm, name="mtm"),
    path("programme/", views.programme, name="programme"),
    # Public, no sign-in
    path("s/<str:token>/", views.personal_survey, name="personal_survey"),
    path("o/<str:token>/", views.open_survey, name="open_survey"),
    path("u/<str:token>/", views.opt_out, name="opt_out"),
]
