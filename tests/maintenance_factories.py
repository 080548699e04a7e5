"""Maintenance test data: technicians of vendor v1 with the certificate a test needs,
resources for the playbooks (bureau a's databases, VMs of a fully outsourced health
agency), moments inside and outside the maintenance window."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.tenancy.models import Agency
from portal.vendors import service as vendors
from tests.billing_factories import SMALL_VM, make_resource
from tests.factories import CONTRACT_YEAR, THIS_YEAR, make_agency, make_user

BEIJING = ZoneInfo("Asia/Shanghai")
VALID = CONTRACT_YEAR


def local(hour, *, weekend=False):
    """A moment of this year (inside the test world's contracts) at `hour` Beijing time,
    on a weekday or a weekend day."""
    day = date(THIS_YEAR, 6, 1)
    while (day.weekday() >= 5) != weekend:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), BEIJING)


def technician(session, world, username, *, skills=("os", "database"), valid=VALID, roles=()):
    """A v1 technician with a login and one certificate for health over `valid`."""
    operator = session.scalar(select(User).where(User.username == "operator"))
    user = make_user(
        session,
        username,
        [Role.VENDOR_TECHNICIAN, *roles],
        vendor=vendors.get_vendor(session, operator, world.vendors["v1"]),
    )
    record = vendors.register_technician(
        session,
        operator,
        world.vendors["v1"],
        staff_number=f"V1-{user.id:03d}",
        name=username.title(),
        username=username,
    )
    vendors.issue_certificate(
        session,
        operator,
        record.id,
        number=f"HD-{username}",
        domains=["health"],
        skills=list(skills),
        exam_score=80,
        issued_on=valid[0],
        expires_on=valid[1],
    )
    session.flush()
    return user


def database(session, agency_id, item="postgresql", name="gis", **cloud):
    """An active database with its connection details as provisioning records them."""
    resource = make_resource(
        session,
        agency_id,
        item,
        [(local(9), "created", "active", {"storage_gb": 20})],
        name=name,
    )
    resource.cloud = {
        "host": "127.0.0.1",
        "port": 5432 if item == "postgresql" else 3306,
        "database": f"jy{resource.id}_{name}",
        "user": f"jy{resource.id}_owner",
        **cloud,
    }
    session.flush()
    return resource


def outsourced_vm(session, world, name="web"):
    """A VM of a fully outsourced health bureau: v1 operates all its services."""
    agency = session.scalar(select(Agency).where(Agency.code == "f"))
    if agency is None:
        district = session.get(Agency, world.agencies["d"])
        agency = make_agency(session, "f", parent=district, mode="fully_outsourced")
    return make_resource(
        session, agency.id, "vm", [(local(9), "created", "active", SMALL_VM)], name=name
    )
