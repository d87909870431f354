from django.urls import path

from ihospital.integrations.video.sandbox import views

app_name = "sandbox_video"
urlpatterns = [
    path("meetings/create", views.create, name="create"),
    path("meetings/get", views.get, name="get"),
    path("meetings/delete", views.delete, name="delete"),
    path("join/<str:meeting_id>/", views.join, name="join"),
]
