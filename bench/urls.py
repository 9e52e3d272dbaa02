from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/baseline/", views.baseline, name="bench_baseline"),
    path("", include("partnerportal.urls")),
]

handler403 = "partnerportal.errorviews.permission_denied"
handler404 = "partnerportal.errorviews.page_not_found"
