from django.urls import path

from ihospital.prescriptions import views

app_name = "prescriptions"
urlpatterns = [
    # the doctor's writer (in the consulting room, and after the visit)
    path("staff/consultations/<uuid:consultation_id>/prescription/", views.write, name="write"),
    path("staff/consultations/<uuid:consultation_id>/prescription/open/", views.open_draft, name="open"),
    path("staff/prescriptions/<uuid:prescription_id>/items/", views.item_add, name="item_add"),
    path("staff/prescriptions/<uuid:prescription_id>/items/<int:position>/", views.item_change, name="item_change"),
    path(
        "staff/prescriptions/<uuid:prescription_id>/items/<int:position>/remove/",
        views.item_remove,
        name="item_remove",
    ),
    path("staff/prescriptions/<uuid:prescription_id>/item-form/", views.item_form, name="item_form"),
    path("staff/prescriptions/<uuid:prescription_id>/facts/", views.facts, name="facts"),
    path("staff/prescriptions/<uuid:prescription_id>/check/", views.check, name="check"),
    path("staff/prescriptions/<uuid:prescription_id>/submit/", views.submit, name="submit"),
    path("staff/prescriptions/<uuid:prescription_id>/revise/", views.revise, name="revise"),
    path("staff/drugs/", views.drug_search, name="drug_search"),
    # reading and reviewing (审方)
    path("staff/prescriptions/review/", views.review_queue, name="review_queue"),
    path("staff/prescriptions/review/rows/", views.review_queue_rows, name="review_queue_rows"),
    path("staff/prescriptions/review-times/", views.review_times, name="review_times"),
    path("staff/prescriptions/<uuid:prescription_id>/", views.detail, name="detail"),
    path("staff/prescriptions/<uuid:prescription_id>/approve/", views.approve, name="approve"),
    path("staff/prescriptions/<uuid:prescription_id>/reject/", views.reject, name="reject"),
]
