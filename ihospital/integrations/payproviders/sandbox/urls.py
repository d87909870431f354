from django.urls import path

from ihospital.integrations.payproviders.sandbox import views

app_name = "sandbox_pay"
urlpatterns = [
    path("faults/", views.faults, name="faults"),
    path("<str:out_trade_no>/", views.cashier, name="cashier"),
]
