from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from ihospital.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_home, name="staff_home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links; the icon itself is a static file.
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.ico"), permanent=True), name="favicon"),
    path("csp-report/", views.csp_report, name="csp_report"),
]
