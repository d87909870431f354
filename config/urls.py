from django.contrib import admin
from django.urls import include, path

from config.api import patient_api, staff_api
from ihospital.web import views as web_views

urlpatterns = [
    path("api/patient/v1/", patient_api.urls),
    path("api/staff/v1/", staff_api.urls),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", web_views.language_set, name="set_language"),
    path("dev/", include("ihospital.integrations.urls")),
    path("payments/", include("ihospital.payments.urls")),
    path("sandbox/pay/", include("ihospital.integrations.payproviders.sandbox.urls")),
    path("sandbox/video/v1/", include("ihospital.integrations.video.sandbox.urls")),
    path("sandbox/courier/", include("ihospital.integrations.courier.sandbox.urls")),
    path("", include("ihospital.accounts.urls")),
    path("", include("ihospital.appointments.urls")),
    path("", include("ihospital.consultations.urls")),
    path("", include("ihospital.records.urls")),
    path("", include("ihospital.fulfilment.urls")),
    path("", include("ihospital.prescriptions.urls")),
    path("", include("ihospital.scheduling.urls")),
    path("", include("ihospital.notifications.urls")),
    path("", include("ihospital.signatures.urls")),
    path("", include("ihospital.labs.urls")),
    path("", include("ihospital.web.urls")),
]

handler403 = "ihospital.web.views.permission_denied"
handler404 = "ihospital.web.views.page_not_found"
handler500 = "ihospital.web.views.server_error"
