from django.urls import path

from ihospital.payments import views

app_name = "payments"
urlpatterns = [
    path("notify/<slug:provider>/", views.notify, name="notify"),
    path("receipts/", views.receipts, name="receipts"),
    path("orders/<uuid:order_id>/", views.receipt, name="receipt"),
    path("staff/reconciliation/", views.his_mismatches, name="his_mismatches"),
    path("staff/reconciliation/<uuid:mismatch_id>/resolve/", views.his_mismatch_resolve, name="his_mismatch_resolve"),
]
