from django.urls import path

from ihospital.fulfilment import views

app_name = "fulfilment"
urlpatterns = [
    path("fulfilment/courier/callback/", views.courier_callback, name="courier_callback"),
    path("p/addresses/", views.addresses, name="addresses"),
    path("p/addresses/new/", views.address_add, name="address_add"),
    path("p/addresses/<uuid:address_id>/", views.address_edit, name="address_edit"),
    path("p/addresses/<uuid:address_id>/remove/", views.address_retire, name="address_retire"),
]
