"""Incidents under SLA clocks, at fixed moments: the clocks count office hours only,
skip the National Day holidays, stand still while waiting on the agency; breaches and
escalations are recorded once; only the responsible vendor's certified technicians work
on an incident."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.incidents import service
from portal.incidents.clocks import clocks_of
from portal.incidents.models import Incident
from portal.incidents.tasks import sweep_clocks
from portal.inventory.reconcile import raise_missing
from portal.notifications.models import Notification
from portal.vendors.models import Technician
from tests.billing_factories import make_resource

BEIJING = ZoneInfo("Asia/Shanghai")
DATABASE = {"storage_gb": 50}


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def database(session, world):
    """Bureau a's PostgreSQL database (standard tier): v1 runs postgresql for a."""
    return make_resource(
        session,
        world.agencies["a"],
        "postgresql",
        [(at(9, 1, 9), "created", "active", DATABASE)],
        name="jw-db",
    )


def test_the_clocks_count_office_hours_and_skip_the_national_day_holidays(
    session, user, world, database
):
    # Wednesday 30 September, 16:00: P2 is 1 h to respond and 9 h to resolve.
    incident = service.open_incident(
        session,
        user("member.a"),
        priority="P2",
        title="报名系统数据库连接超时",
        resource_id=database.id,
        now=at(9, 30, 16),
    )
    assert incident.vendor.code == "v1" and incident.source == "agency"
    assert incident.response_due_at == at(9, 30, 17)
    # 1.5 h on the 30th, nothing from 1 to 7 October, 7.5 h from 08:30 on the 8th.
    assert incident.resolution_due_at == at(10, 8, 16)
    service.respond(session, user("vendor.tech"), incident.id, "已接单", now=at(9, 30, 16, 30))
    assert incident.technician.staff_number == "V1-001" and not incident.response_breached
    # Waiting on the agency from 09:00 to 11:00 on the 8th: 2 h of office time later.
    service.wait_on_agency(
        session, user("vendor.tech"), incident.id, "请提供数据库账号", now=at(10, 8, 9)
    )
    assert incident.resolution_due_at is None
    paused = clocks_of(incident, at(10, 8, 10))
    assert paused.resolution.paused and paused.resolution.elapsed == 2 * 3600
    service.resume(session, user("member.a"), incident.id, "账号已提供", now=at(10, 8, 11))
    assert incident.resolution_due_at == at(10, 9, 9)
    service.resolve(
        session, user("vendor.tech"), incident.id, "连接池参数过小，已调整", now=at(10, 9, 8, 45)
    )
    assert not incident.resolution_breached
    service.close(session, user("member.a"), incident.id, now=at(10, 9, 10))
    actions = [event.action for event in incident.events]
    assert actions == ["opened", "respond", "wait", "resume", "resolve", "close"]


def test_a_clock_near_its_end_escalates_once_then_breaches_once(session, user, world, database):
    # Friday 16 October, 17:20: P1 is 30 min to respond: 10 min today, 20 on Monday.
    incident = service.open_incident(
        session,
        user("operator"),
        priority="P1",
        title="数据库不可用",
        resource_id=database.id,
        now=at(10, 16, 17, 20),
    )
    assert incident.response_due_at == at(10, 19, 8, 50)
    assert sweep_clocks(session, now=at(10, 17, 12)) == []  # Saturday: the clock stands
    assert sweep_clocks(session, now=at(10, 19, 8, 45)) == [(incident.number, "escalated")]
    assert sweep_clocks(session, now=at(10, 19, 8, 46)) == []
    assert sweep_clocks(session, now=at(10, 19, 8, 51)) == [(incident.number, "response breached")]
    assert sweep_clocks(session, now=at(10, 19, 9)) == []
    told = set(session.scalars(select(Notification.user_id)))
    assert {world.users["vendor.manager"], world.users["operator"]} <= told
    service.respond(session, user("vendor.tech"), incident.id, now=at(10, 19, 9))
    assert incident.response_breached


def test_reopening_counts_on_from_where_the_clock_stopped(session, user, world, database):
    incident = service.open_incident(
        session,
        user("member.a"),
        priority="P3",
        title="慢查询",
        resource_id=database.id,
        now=at(10, 12, 9),
    )
    tech = user("vendor.tech")
    service.respond(session, tech, incident.id, now=at(10, 12, 9, 30))
    service.resolve(session, tech, incident.id, "加了索引", now=at(10, 12, 10))
    with pytest.raises(Forbidden):
        service.reopen(session, tech, incident.id, "?", now=at(10, 13, 9))
    service.reopen(session, user("member.a"), incident.id, "仍然很慢", now=at(10, 14, 9))
    # One hour of office time before the resolution; the two days it stood resolved
    # do not count.
    assert clocks_of(incident, at(10, 14, 10)).resolution.elapsed == 2 * 3600
    with pytest.raises(Conflict):
        service.close(session, user("member.a"), incident.id, now=at(10, 14, 11))


def test_only_licensed_technicians_of_the_responsible_vendor_work_on_it(
    session, user, world, database
):
    incident = service.open_incident(
        session,
        user("member.a"),
        priority="P3",
        title="备份失败",
        resource_id=database.id,
        now=at(10, 12, 9),
    )
    with pytest.raises(NotFound):  # another vendor does not even see it
        service.respond(session, user("vendor2.manager"), incident.id, now=at(10, 12, 9))
    with pytest.raises(Forbidden, match="technicians"):
        service.respond(session, user("vendor.manager"), incident.id, now=at(10, 12, 9))
    certificate = session.get(Technician, world.technicians["vendor.tech"]).certificates[0]
    certificate.expires_on = at(10, 1, 0).date()
    with pytest.raises(Forbidden, match="expired"):
        service.respond(session, user("vendor.tech"), incident.id, now=at(10, 12, 9))
    certificate.expires_on = at(12, 31, 0).date() + timedelta(days=365)
    newcomer = session.scalar(select(Technician).where(Technician.staff_number == "V2-001"))
    with pytest.raises(InvalidInput, match="technician"):
        service.assign(session, user("vendor.manager"), incident.id, newcomer.id, now=at(10, 12, 9))
    service.assign(
        session,
        user("vendor.manager"),
        incident.id,
        world.technicians["vendor.tech"],
        now=at(10, 12, 9),
    )
    told = session.scalars(select(Notification.user_id)).all()
    assert world.users["vendor.tech"] in told


def test_a_self_operated_agencys_incident_is_the_platform_teams(session, user, world, database):
    database.agency.outsourcing_mode = "self_operated"
    incident = service.open_incident(
        session,
        user("member.a"),
        priority="P4",
        title="咨询扩容流程",
        resource_id=database.id,
        now=at(10, 12, 9),
    )
    assert incident.vendor is None
    with pytest.raises(NotFound):
        service.get_incident(session, user("vendor.tech"), incident.id)
    service.respond(session, user("operator"), incident.id, now=at(10, 12, 9, 5))
    assert incident.state == "acknowledged"


def test_bad_input_and_other_agencies_are_refused(session, user, world, database):
    with pytest.raises(InvalidInput) as bad:
        service.open_incident(
            session, user("member.a"), priority="P9", title=" ", resource_id=database.id
        )
    assert set(bad.value.fields) == {"priority", "title"}
    with pytest.raises(NotFound):
        service.open_incident(
            session, user("member.b"), priority="P3", title="x", resource_id=database.id
        )
    with pytest.raises(NotFound):
        service.get_incident(session, user("member.b"), 999999)


def test_reconciliation_raises_a_p1_for_a_vanished_resource(session, world, database):
    raise_missing(session, database, ["server-1"])
    incident = session.scalar(select(Incident).where(Incident.resource_id == database.id))
    assert incident.priority == "P1" and incident.source == "reconciler"
    assert incident.vendor.code == "v1" and "not found" in incident.title
