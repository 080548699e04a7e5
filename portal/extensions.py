"""Extensions, created unbound here and bound to the app in create_app."""

from celery import Celery
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
celery = Celery("jiyun")


def init_celery(app):
    """Bind the Celery app to the Flask app: config from it, tasks run in its context."""
    celery.conf.update(
        broker_url=app.config["BROKER_URL"],
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_time_limit=600,
        task_soft_time_limit=540,
        timezone="UTC",
        imports=(
            "portal.provisioning.tasks",
            "portal.inventory.tasks",
            "portal.billing.tasks",
            "portal.vendors.tasks",
            "portal.incidents.tasks",
            "portal.maintenance.tasks",
        ),
        broker_transport_options=app.config["BROKER_TRANSPORT_OPTIONS"],
        task_default_queue=app.config["TASK_QUEUE"],
        beat_schedule={
            "reconcile": {
                "task": "portal.inventory.reconcile",
                "schedule": app.config["RECONCILE_MINUTES"] * 60.0,
            },
            "leases": {"task": "portal.inventory.leases", "schedule": 3600.0},
            # Every ten minutes, so an hour is metered soon after it ends.
            "meter": {"task": "portal.billing.meter", "schedule": 600.0},
            "certificates": {"task": "portal.vendors.certificates", "schedule": 3600.0},
            # SLA clocks count minutes: breaches and escalations within five.
            "incidents": {"task": "portal.incidents.sweep", "schedule": 300.0},
            # Maintenance runs lost on their way to a worker, or left by a dead one.
            "maintenance-sweep": {"task": "portal.maintenance.sweep", "schedule": 300.0},
            "resume-stalled": {
                "task": "portal.provisioning.resume_stalled",
                "schedule": 120.0,
            },
        },
    )

    # Tasks run in the context of the app bound last: one per worker process in
    # production; in the test suite each test's own app (task classes, made once,
    # must not keep the first).
    celery.flask_app = app
    if not getattr(celery.Task, "runs_in_app_context", False):

        class AppContextTask(celery.Task):
            runs_in_app_context = True

            def __call__(self, *args, **kwargs):
                with celery.flask_app.app_context():
                    return self.run(*args, **kwargs)

        celery.Task = AppContextTask
    app.extensions["celery"] = celery
