"""A sandbox SMS's title (admin, dev inbox) is in hospital time and the reader's language."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from ihospital.integrations.models import SandboxSms

pytestmark = pytest.mark.django_db


def test_a_sandbox_sms_is_titled_in_hospital_time_and_the_readers_language():
    sms = SandboxSms(phone="13800000001", text="x", provider_message_id="m", idempotency_key="k")
    sms.sent_at = datetime(2026, 12, 7, 8, 23, 22, tzinfo=UTC)  # 16:23:22 in Beijing
    with translation.override("zh-hans"):
        assert str(sms) == "发送至 13800000001 的短信（2026-12-07 16:23:22）"
    with translation.override("en"):
        assert str(sms) == "SMS to 13800000001 at 2026-12-07 16:23:22"
