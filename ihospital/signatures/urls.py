from django.urls import path

from ihospital.signatures import views

app_name = "signatures"

urlpatterns = [
    path("staff/signing-pin/", views.signing_pin, name="signing_pin"),
]
