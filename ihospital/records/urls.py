from django.urls import path

from ihospital.records import views

app_name = "records"
urlpatterns = [
    path("staff/consultations/<uuid:consultation_id>/record/", views.record_open, name="open"),
    path("staff/records/<uuid:record_id>/draft/", views.draft_save, name="draft_save"),
    path("staff/records/<uuid:record_id>/sign/", views.sign, name="sign"),
    path("staff/records/<uuid:record_id>/amend/", views.amend, name="amend"),
    path("staff/records/<uuid:record_id>/templates/", views.template_create, name="template_create"),
    path("staff/record-phrases/", views.phrase_create, name="phrase_create"),
    path("staff/icd10/", views.icd_search, name="icd_search"),
    path("staff/record-templates/", views.templates_manage, name="templates_manage"),
    path("staff/record-templates/<uuid:template_id>/retire/", views.template_retire, name="template_retire"),
    path("staff/record-phrases/<uuid:phrase_id>/retire/", views.phrase_retire, name="phrase_retire"),
    path("p/records/", views.my_records, name="mine"),
    path("records/<uuid:record_id>/", views.record_detail, name="detail"),
    path("records/<uuid:record_id>/v<int:number>.pdf", views.record_pdf_download, name="pdf"),
    path("verify/records/<uuid:signature_id>/", views.verify, name="verify"),
]
