from django.urls import path

from ihospital.labs import views

app_name = "labs"
urlpatterns = [
    path("staff/consultations/<uuid:consultation_id>/lab-orders/", views.order_new, name="order_new"),
    path("staff/lab-orders/<uuid:order_id>/cancel/", views.order_cancel, name="order_cancel"),
    path("staff/lab-checkin/", views.checkin, name="checkin"),
    path("staff/lab-orders/<uuid:order_id>/performed/", views.performed, name="performed"),
    path("p/lab-orders/", views.my_orders, name="mine"),
    path("p/lab-orders/<uuid:order_id>/", views.detail, name="detail"),
    path("p/lab-orders/<uuid:order_id>/pay/", views.pay, name="pay"),
    path("p/lab-orders/<uuid:order_id>/payment-wait/", views.payment_wait, name="payment_wait"),
    path("p/lab-orders/<uuid:order_id>/book/", views.book, name="book"),
    path("p/lab-orders/<uuid:order_id>/cancel/", views.cancel, name="cancel"),
    path("p/lab-orders/<uuid:order_id>/checkin.svg", views.checkin_qr, name="checkin_qr"),
]
