from django.urls import path

from ihospital.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("doctors/<uuid:doctor_id>/photo", views.doctor_photo, name="doctor_photo"),
    path("staff/schedules/week/", views.schedule_week, name="schedule_week"),
]
