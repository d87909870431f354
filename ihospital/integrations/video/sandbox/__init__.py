"""The cloud-video sandbox: a fake of the 云视讯 platform, served by this product at ``/sandbox/video/v1/``.

It answers the same three POST operations as the platform (see ``video/cloud.py`` for the wire format),
checks the Bearer JWT as strictly as the platform must (HS256 only, typ JWT, our secret, the configured
API key and organisation id, an ``exp`` not past), keeps its meetings in ``SandboxMeeting``, takes its
time (CLOUD_VIDEO_SANDBOX_LATENCY_SECONDS) and fails on demand (``control.fail_next``). It answers 404
unless CLOUD_VIDEO_SANDBOX_ENABLED.
"""
