from django.urls import path

from ihospital.fulfilment.views import addresses, patient, pharmacy

app_name = "fulfilment"
urlpatterns = [
    path("fulfilment/courier/callback/", addresses.courier_callback, name="courier_callback"),
    path("p/addresses/", addresses.addresses, name="addresses"),
    path("p/addresses/new/", addresses.address_add, name="address_add"),
    path("p/addresses/<uuid:address_id>/", addresses.address_edit, name="address_edit"),
    path("p/addresses/<uuid:address_id>/remove/", addresses.address_retire, name="address_retire"),
    path("p/prescriptions/", patient.prescriptions, name="prescriptions"),
    path("p/prescriptions/<uuid:prescription_id>/", patient.prescription, name="prescription"),
    path("p/prescriptions/<uuid:prescription_id>/choose/", patient.prescription_choose, name="choose"),
    path("p/prescriptions/<uuid:prescription_id>/pay/", patient.prescription_pay, name="pay"),
    path("staff/pharmacy/", pharmacy.console, name="console"),
    path("staff/pharmacy/pickup/", pharmacy.pickup, name="pickup"),
    path("staff/pharmacy/<uuid:prescription_id>/<slug:action>/", pharmacy.act, name="act"),
    path("staff/prescriptions/<uuid:prescription_id>/void/", pharmacy.void, name="void"),
    path("verify/prescriptions/<uuid:signature_id>/", pharmacy.verify, name="verify"),
]
