"""The hospital side of the push (his/push.py): released reports, read through the HIS's own interface and
POSTed signed to the app. In production the gateway host runs this against the real HIS; with the
simulated HIS the app's worker plays that part (``tasks.his_sim_push``), as the payment sandbox's worker
plays the payment platform's notifications."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from ihospital.core import http
from ihospital.integrations.his import push, vendor
from ihospital.integrations.his.base import ExamOrderQuery, HisError
from ihospital.integrations.his.simulated.system import SimulatedHis

logger = logging.getLogger("ihospital.his.push")
OPERATION = {"lab": "LabResults", "exam": "ExamReport"}


@dataclass(frozen=True)
class Pushed:
    delivered: int
    failed: int


def _post(body: bytes) -> tuple[int, str]:
    client = http.Client(
        service="his-push",
        transport=settings.HIS_PUSH_TRANSPORT,
        read_timeout=settings.HIS_READ_TIMEOUT_SECONDS,
        attempts=1,
    )
    headers = push.signed_headers(settings.HIS_PUSH_SECRET, body)
    try:
        response = client.request("POST", settings.HIS_PUSH_URL, headers=headers, content=body)
    except http.HttpError as error:
        if error.response is None:
            return 0, str(error)[:200]
        return error.response.status_code, error.response.text[:200]
    return response.status_code, response.text[:200]


def push_pending(his: SimulatedHis, *, copies: int = 1, limit: int = 20) -> Pushed:
    """Deliver the released reports not yet delivered, oldest first; each ``copies`` times (2: as an
    integration engine that redelivers after a lost answer). A notice stays pending until a 200, or a
    refusal (4xx) that sending again cannot change (kept with its answer)."""
    delivered = failed = 0
    for notice in his.pending_notices(limit):
        try:
            report = vendor.invoke(his, OPERATION[notice["kind"]], ExamOrderQuery(request_no=notice["request_no"]))
        except HisError as error:
            his.notice_outcome(notice["notice_id"], delivered=False, error=str(error))
            failed += 1
            continue
        body = push.body_of(notice["notice_id"], notice["kind"], report)
        answers = [_post(body) for _copy in range(max(1, copies))]
        ok = any(status == 200 for status, _text in answers)
        status, text = answers[-1]
        # A refusal (4xx but a timeout or a rate limit) is final: the same report would be refused again.
        refused = not ok and 400 <= status < 500 and status not in (408, 429)
        his.notice_outcome(notice["notice_id"], delivered=ok or refused, error="" if ok else f"{status} {text}")
        if ok:
            delivered += 1
        else:
            failed += 1
            logger.warning("his push of %s not accepted: %s %s", notice["report_no"], status, text[:100])
    return Pushed(delivered=delivered, failed=failed)
