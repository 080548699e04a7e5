"""Entry point of the Celery worker and beat: `celery -A portal.worker worker`.

The app is created here, in the worker's own process, never as a side effect of
importing portal.extensions.
"""

from portal import create_app

app = create_app()
celery = app.extensions["celery"]
