from django.urls import path

from ihospital.accounts import views

app_name = "accounts"
urlpatterns = [
    path("p/sign-in/", views.patient_sign_in, name="patient_sign_in"),
    path("privacy/", views.privacy_notice, name="privacy_notice"),
    path("p/", views.patient_home, name="patient_home"),
    path("p/visit-persons/new/", views.visit_person_add, name="visit_person_add"),
    path("p/visit-persons/<uuid:person_id>/", views.visit_person_edit, name="visit_person_edit"),
    path("p/visit-persons/<uuid:person_id>/remove/", views.visit_person_remove, name="visit_person_remove"),
    path("p/visit-persons/<uuid:person_id>/name/", views.visit_person_name_correct, name="visit_person_name"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("staff/sign-in/", views.staff_sign_in, name="staff_sign_in"),
    path("staff/sign-in/verify/", views.staff_sign_in_verify, name="staff_sign_in_verify"),
    path("staff/password/", views.staff_password, name="staff_password"),
    path("staff/sessions/", views.staff_sessions_page, name="staff_sessions"),
    path("dev/totp/", views.dev_totp, name="dev_totp"),
    path("staff/security/", views.staff_security, name="staff_security"),
    path("staff/confirm-identity/", views.confirm_identity, name="confirm_identity"),
]
