"""Entry point of the Celery worker and beat: `celery -A portal.worker worker`.

The app is created here, in the worker's own process, never as a side effect of
importing portal.extensions. (Named flask_app: Celery looks for `app` first.)
"""

from portal import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
