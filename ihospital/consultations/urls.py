from django.urls import path

from ihospital.consultations import views

app_name = "consultations"
urlpatterns = [
    path("p/appointments/<uuid:appointment_id>/waiting-room/", views.waiting_room, name="waiting_room"),
    path("p/consultations/<uuid:consultation_id>/answer/", views.answer, name="answer"),
    path("p/consultations/<uuid:consultation_id>/decline/", views.decline, name="decline"),
    path("p/consultations/<uuid:consultation_id>/", views.patient_room, name="patient_room"),
    path("device-check/", views.device_check, name="device_check"),
    path("staff/desk/", views.desk, name="desk"),
    path("staff/desk/queue/", views.desk_queue, name="desk_queue"),
    path("staff/desk/call-next/", views.call, name="call_next"),
    path("staff/consultations/<uuid:consultation_id>/call/", views.call, name="call"),
    path("staff/consultations/<uuid:consultation_id>/no-show/", views.mark_no_show, name="no_show"),
    path("staff/consultations/<uuid:consultation_id>/", views.doctor_room, name="doctor_room"),
    path("staff/consultations/<uuid:consultation_id>/history/", views.doctor_visit_history, name="doctor_history"),
    path("p/visit-persons/<uuid:visit_person_id>/visits/", views.my_visits, name="my_visits"),
    path("staff/consultations/<uuid:consultation_id>/end/", views.end, name="end"),
    path("staff/consultations/<uuid:consultation_id>/recordings/", views.recording_start, name="recording_start"),
    path(
        "staff/consultations/<uuid:consultation_id>/recordings/<uuid:recording_id>/chunks/<int:seq>/",
        views.recording_chunk,
        name="recording_chunk",
    ),
    path(
        "staff/consultations/<uuid:consultation_id>/recordings/<uuid:recording_id>/finish/",
        views.recording_finish,
        name="recording_finish",
    ),
    path("consultations/<uuid:consultation_id>/images/", views.image_upload, name="image_upload"),
    path("consultations/<uuid:consultation_id>/images/<uuid:message_id>/", views.image_file, name="image_file"),
    path(
        "consultations/<uuid:consultation_id>/recordings/<uuid:recording_id>/",
        views.recording_file,
        name="recording_file",
    ),
    path("staff/audit/consultations/", views.audit_list, name="audit_list"),
    path("staff/audit/consultations/<uuid:consultation_id>/", views.audit_detail, name="audit_detail"),
]
