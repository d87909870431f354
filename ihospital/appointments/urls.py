from django.urls import path

from ihospital.appointments import views

app_name = "appointments"
urlpatterns = [
    path("p/book/", views.find_doctor, name="find_doctor"),
    path("p/book/departments/<uuid:department_id>/", views.department_doctors, name="department_doctors"),
    path("p/book/doctors/<uuid:doctor_id>/", views.doctor_schedules, name="doctor_schedules"),
    path("p/book/schedules/<uuid:schedule_id>/", views.book, name="book"),
    path("p/appointments/", views.my_appointments, name="mine"),
    path("p/appointments/<uuid:appointment_id>/", views.detail, name="detail"),
    path("p/appointments/<uuid:appointment_id>/pay/", views.pay, name="pay"),
    path("p/appointments/<uuid:appointment_id>/payment/", views.payment_wait, name="payment_wait"),
    path("p/appointments/<uuid:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("files/attachments/<uuid:attachment_id>/", views.attachment_file, name="attachment_file"),
    path("staff/review/", views.review_queue, name="review_queue"),
    path("staff/review/<uuid:appointment_id>/", views.review_decide, name="review_decide"),
]
