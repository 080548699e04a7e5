"""The one commit point of a request: commit after a successful response, roll back
after an error, so a failed request leaves nothing half-written, only the audit trace of
a refused change."""

from portal.core import refusals
from portal.extensions import db


def init_app(app):
    @app.after_request
    def _commit_or_roll_back(response):
        if response.status_code < 400:
            _commit_answered(db.session())
            return response
        db.session.rollback()
        if refusals.record(db.session, response):
            db.session.commit()
        return response


def _commit_answered(session):
    """Commit once the answer is built: nothing reads this request's objects again, so
    the commit need not expire them all (each would be marked to load again)."""
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
