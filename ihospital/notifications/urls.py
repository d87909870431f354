from django.urls import path

from ihospital.notifications import views

app_name = "notifications"
urlpatterns = [
    path("p/messages/", views.patient_messages, name="patient_messages"),
    path("p/messages/read-all/", views.patient_mark_all_read, name="patient_mark_all_read"),
    path("p/messages/<uuid:notification_id>/", views.patient_open, name="patient_open"),
    path("staff/messages/", views.staff_messages, name="staff_messages"),
    path("staff/messages/read-all/", views.staff_mark_all_read, name="staff_mark_all_read"),
    path("staff/messages/<uuid:notification_id>/", views.staff_open, name="staff_open"),
]
