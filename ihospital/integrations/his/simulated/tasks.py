"""Huey tasks of the simulated HIS: performing an order and pushing its released reports to the app.

Imported by IntegrationsConfig.ready() so that a worker knows them (huey only autodiscovers
``<app>/tasks.py``).
"""

from huey.contrib.djhuey import task

from ihospital.integrations.his import simulated
from ihospital.integrations.his.simulated import relay

PUSH_RETRY_SECONDS = 30
PUSH_ATTEMPTS = 20


@task()
def his_sim_push(copies: int = 1, attempt: int = 1) -> None:
    """Push what the simulated HIS released; what was not accepted is tried again later."""
    pushed = relay.push_pending(simulated.configured(), copies=copies)
    if pushed.failed and attempt < PUSH_ATTEMPTS:
        his_sim_push.schedule(kwargs={"attempt": attempt + 1}, delay=PUSH_RETRY_SECONDS)


@task()
def his_sim_perform(request_no: str, outcome: str = "normal") -> None:
    """The laboratory or the imaging department performs the order (``Refusal`` when it cannot) and the
    reports are pushed."""
    simulated.configured().perform(request_no, outcome)
    his_sim_push()
