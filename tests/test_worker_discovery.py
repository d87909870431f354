"""The task worker knows every app's periodic sweepers from the moment it starts.

Huey registers a task when its module is imported. ``run_huey`` imports every app's ``tasks`` module
(``autodiscover_modules("tasks")``) before it consumes; a worker that skips that step only learns the
sweepers some request happens to import, and reminders, call time-outs, no-shows, auto-completion and
recording assembly never run. Each worker is started in a fresh interpreter, as the commands start it,
so nothing imported by this test process can hide the gap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.utils.module_loading import autodiscover_modules

EMBEDDED_WORKER = """
import json
from ihospital.cli import _start_worker_in_process
consumer = _start_worker_in_process()
from huey.contrib.djhuey import HUEY
names = sorted(HUEY._registry.task_to_string(task) for task in HUEY._registry._periodic_tasks)
consumer.stop(graceful=False)
print("PERIODIC=" + json.dumps(names))
"""

# The separate worker process (`ihospital worker`), stopped where huey's consumer would start consuming.
SEPARATE_WORKER = """
import json, sys
from huey.consumer import Consumer

def report_and_stop(self):
    names = sorted(self.huey._registry.task_to_string(task) for task in self.huey._registry._periodic_tasks)
    print("PERIODIC=" + json.dumps(names), flush=True)
    sys.exit(0)

Consumer.run = report_and_stop
from ihospital.cli import main
main(["worker"])
"""


def every_periodic_task() -> set[str]:
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")
    return {HUEY._registry.task_to_string(task) for task in HUEY._registry._periodic_tasks}


def periodic_tasks_registered_by(script: str, tmp_path) -> set[str]:
    env = {**os.environ, "IHOSPITAL_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for shared in ("DATABASE_URL", "REDIS_URL"):  # a throw-away embedded queue, not the suite's Redis
        env.pop(shared, None)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("PERIODIC=")]
    assert lines, result.stdout + result.stderr
    return set(json.loads(lines[-1].removeprefix("PERIODIC=")))


def test_every_app_has_its_sweepers_registered():
    expected = every_periodic_task()
    assert {
        "ihospital.appointments.tasks.appointments_sweep",
        "ihospital.consultations.tasks.consultations_sweep",
        "ihospital.core.tasks.outbox_sweep",
        "ihospital.payments.tasks.payment_query_pending",
        "ihospital.audit.tasks.audit_chain_sweep",
        "ihospital.fulfilment.tasks.fulfilment_sweep",
        "ihospital.fulfilment.tasks.pharmacies_sync_daily",
        "ihospital.labs.tasks.lab_bookings_remind",  # the day-before reminder of a booked exam (issue 14)
    } <= expected


def test_the_embedded_worker_of_demo_and_serve_registers_every_periodic_task(tmp_path):
    assert periodic_tasks_registered_by(EMBEDDED_WORKER, tmp_path) == every_periodic_task()


def test_the_separate_worker_process_registers_every_periodic_task(tmp_path):
    assert periodic_tasks_registered_by(SEPARATE_WORKER, tmp_path) == every_periodic_task()
