from django.conf.locale.zh_Hans import formats as django_formats  # type: ignore[import-untyped]

from ihospital.core.formats import with_zone

DATETIME_FORMAT = with_zone(django_formats.DATETIME_FORMAT, "zh-hans")
SHORT_DATETIME_FORMAT = with_zone(django_formats.SHORT_DATETIME_FORMAT, "zh-hans")
