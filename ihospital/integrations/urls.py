from django.urls import path

from ihospital.integrations import views

app_name = "dev"
urlpatterns = [path("sms/", views.sms_inbox, name="sms_inbox")]
