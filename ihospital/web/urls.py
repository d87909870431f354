from django.urls import path

from ihospital.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_home, name="staff_home"),
    path("healthz", views.healthz, name="healthz"),
]
