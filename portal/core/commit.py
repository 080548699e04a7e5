"""The one commit point of a request: commit after a successful response, roll back
after an error, so a failed request leaves nothing half-written, only the audit trace of
a refused change."""

from portal.core import refusals
from portal.extensions import db


def init_app(app):
    @app.after_request
    def _commit_or_roll_back(response):
        if response.status_code < 400:
            db.session.commit()
            return response
        db.session.rollback()
        if refusals.record(db.session, response):
            db.session.commit()
        return response
