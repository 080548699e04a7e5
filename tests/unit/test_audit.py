"""The audit log is append-only and its hash chain reveals tampering."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.core.audit import verify_chain
from portal.orders.service import create_order


def test_the_chain_of_a_busy_log_verifies(session, user):
    for name in ("v-1", "v-2", "v-3"):
        create_order(
            session,
            user("member.a"),
            "volume",
            {"volume_name": name, "size_gb": 10, "purpose": "p"},
        )
    session.commit()
    checked, broken = verify_chain(session)
    assert broken is None and checked > 20


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor_name = 'someone else' WHERE id = 3",
        "DELETE FROM audit_events WHERE id = 3",
    ],
)
def test_the_database_refuses_to_change_or_delete_events(session, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
        session.flush()
    session.rollback()


def test_an_altered_event_breaks_the_chain_where_it_was_altered(session):
    """Someone with the power to drop the trigger still cannot hide an edit."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    else:
        session.execute(text("DROP TRIGGER audit_events_no_update"))
    session.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE id = 7"))
    checked, broken = verify_chain(session)
    assert (checked, broken) == (6, 7)
    session.rollback()


def test_a_rolled_back_change_leaves_no_audit_trace(session, user):
    from sqlalchemy import func, select

    from portal.core.audit import AuditEvent

    before = session.scalar(select(func.count()).select_from(AuditEvent))
    create_order(
        session, user("member.a"), "volume", {"volume_name": "gone", "size_gb": 10, "purpose": "p"}
    )
    session.rollback()
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
