"""The Celery configuration the worker and beat run with: every scheduled task exists, and
no task's limits are ones Celery refuses at enqueue time (a soft limit above the hard
one: beat then never sends the task, and .delay() raises)."""

import pytest

from portal.extensions import celery


@pytest.fixture
def worker_tasks(app):
    """The tasks as a worker has them: the modules of the `imports` setting loaded."""
    celery.loader.import_default_modules()
    return celery.tasks


def test_every_task_can_be_sent_with_its_time_limits(worker_tasks):
    conf = celery.conf
    portal_tasks = {name: task for name, task in worker_tasks.items() if name.startswith("portal.")}
    assert len(portal_tasks) >= 10  # every module of `imports` was loaded
    for name, task in portal_tasks.items():
        hard = task.time_limit or conf.task_time_limit
        soft = task.soft_time_limit or conf.task_soft_time_limit
        assert soft <= hard, f"{name}: soft limit {soft} s above the hard {hard} s"


def test_every_scheduled_task_is_a_registered_task(worker_tasks):
    for entry, schedule in celery.conf.beat_schedule.items():
        assert schedule["task"] in worker_tasks, entry
