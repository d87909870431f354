from django.urls import path

from ihospital.integrations.courier.sandbox import views

app_name = "sandbox_courier"
urlpatterns = [path("", views.console, name="console")]
