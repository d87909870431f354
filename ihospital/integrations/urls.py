from django.urls import path

from ihospital.integrations import views
from ihospital.integrations.his.simulated import views as his_views

app_name = "dev"
urlpatterns = [
    path("sms/", views.sms_inbox, name="sms_inbox"),
    path("his/", his_views.his_control, name="his_control"),  # lab results: the simulated HIS performs orders
]
