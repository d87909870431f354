from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ihospital.web"
    label = "web"
    verbose_name = "Web shell"
