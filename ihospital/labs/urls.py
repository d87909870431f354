from django.urls import path

from ihospital.labs import report_views, views

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
    # results and reports (报告查询)
    path("p/reports/", report_views.my_reports, name="reports"),
    path("staff/patients/<uuid:person_id>/reports/", report_views.patient_reports, name="patient_reports"),
    path("reports/<uuid:report_id>/", report_views.report_detail, name="report"),
    path("reports/<uuid:report_id>/report.pdf", report_views.report_pdf_download, name="report_pdf"),
    path("reports/<uuid:report_id>/images/<int:position>.png", report_views.report_image, name="report_image"),
    path("reports/<uuid:report_id>/trend/<str:code>/", report_views.report_trend, name="report_trend"),
    path("staff/critical-alerts/<uuid:alert_id>/", report_views.critical_alert, name="critical_alert"),
    path("his/push/reports/", report_views.push_reports, name="push_reports"),
]
