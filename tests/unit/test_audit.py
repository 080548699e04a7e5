"""The audit log is append-only and its hash chain reveals tampering."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.core.audit import GENESIS, AuditEvent, verify_chain
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
    from sqlalchemy import func

    before = session.scalar(select(func.count()).select_from(AuditEvent))
    create_order(
        session, user("member.a"), "volume", {"volume_name": "gone", "size_gb": 10, "purpose": "p"}
    )
    session.rollback()
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def _order_volume(session, user, username, name):
    params = {"volume_name": name, "size_gb": 10, "purpose": "p"}
    return create_order(session, user(username), "volume", params)


def test_each_agency_has_a_chain_of_its_own(session, user, world):
    """Writers of different agencies never wait for one another: each agency's events
    name the previous event of that agency, the others' the platform chain's."""
    for username, name in (("member.a", "a-1"), ("member.b", "b-1"), ("member.a", "a-2")):
        _order_volume(session, user, username, name)
        session.commit()
    last = {}
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        assert event.prev_hash == last.get(event.agency_id, GENESIS)
        last[event.agency_id] = event.hash
    assert {world.agencies["a"], world.agencies["b"], None} <= set(last)
    assert verify_chain(session)[1] is None


def _lift_append_only(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    else:
        session.execute(text("DROP TRIGGER audit_events_no_update"))
        session.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_a_removed_or_moved_event_breaks_its_chain(session, user, world):
    _order_volume(session, user, "member.a", "a-1")
    session.commit()
    _order_volume(session, user, "member.b", "b-1")
    session.commit()
    agency_a = world.agencies["a"]
    first, second, third = session.scalars(
        select(AuditEvent.id).where(AuditEvent.agency_id == agency_a).order_by(AuditEvent.id)
    ).all()[-3:]
    _lift_append_only(session)
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": second})
    assert verify_chain(session)[1] == third  # its successor no longer follows it
    session.rollback()
    _lift_append_only(session)
    session.execute(
        text("UPDATE audit_events SET agency_id = :other WHERE id = :id"),
        {"other": world.agencies["b"], "id": first},
    )
    assert verify_chain(session)[1] == first  # its hash covers the chain it belongs to
    session.rollback()
