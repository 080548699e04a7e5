"""Who hears of a maintenance run: the platform operators when one waits for approval,
its technician when it is decided or ends, the targets' agency managers when a real run
ends (something was done to their resources)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User, UserRole
from portal.accounts.roles import Role
from portal.maintenance.states import RunState
from portal.notifications.service import notify


def ask_operators(session, run):
    operators = select(UserRole.user_id).where(UserRole.role == Role.PLATFORM_OPERATOR)
    notify(
        session,
        session.scalars(
            select(User).where(
                User.is_enabled, User.id.in_(operators), User.id != run.requested_by_id
            )
        ).all(),
        _l("Maintenance run %(number)s (%(playbook)s) waits for your approval"),
        link=f"/maintenance/{run.id}",
        number=run.number,
        playbook=run.playbook,
    )


def notify_finished(session, run):
    """The technician hears how the run ended; for a real run, the targets' agency
    managers too, as something was done to their resources."""
    users = [run.requested_by]
    if run.mode == "apply":
        managers = select(UserRole.user_id).where(UserRole.role == Role.AGENCY_MANAGER)
        users += session.scalars(
            select(User).where(
                User.is_enabled, User.agency_id.in_(run.agency_ids), User.id.in_(managers)
            )
        ).all()
    notify(
        session,
        users,
        _l("Maintenance run %(number)s (%(playbook)s) succeeded")
        if run.state == RunState.SUCCEEDED
        else _l("Maintenance run %(number)s (%(playbook)s) failed"),
        link=f"/maintenance/{run.id}",
        number=run.number,
        playbook=run.playbook,
    )
