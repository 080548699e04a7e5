"""Test data, made through the portal's own service functions."""

import shutil
from dataclasses import dataclass, field
from datetime import date

import yaml

from catalog.sla import SLAS_DIR
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.service import create_api_token, create_user, hash_password
from portal.tenancy.service import create_agency
from portal.vendors import service as vendors
from portal.vendors.eligibility import today

PASSWORD = "Test-password-1"
# Contracts and certificates of the test world run from 2025 (tests that replay a
# fixed month use months of 2026) to next year, so they are in force for those months
# and whenever the suite runs.
THIS_YEAR = today().year
CONTRACT_YEAR = (date(min(THIS_YEAR - 1, 2025), 1, 1), date(THIS_YEAR + 1, 12, 31))


def make_agency(
    session, code, kind="bureau", parent=None, quotas=None, domain="health", mode="hybrid"
):
    return create_agency(
        session,
        None,
        code=code,
        name_zh=f"{code}单位",
        name_en=f"Agency {code}",
        kind=kind,
        domain=domain,
        outsourcing_mode=mode,
        parent=parent,
        quotas=quotas,
    )


def make_user(session, username, roles, agency=None, password_hash=None, vendor=None):
    return create_user(
        session,
        None,
        username=username,
        display_name=username.title(),
        password=PASSWORD,
        roles=roles,
        agency_id=agency.id if agency else None,
        password_hash=password_hash,
        vendor_id=vendor.id if vendor else None,
    )


def make_vendor(session, actor, code, domains, hybrid_services=(), period=CONTRACT_YEAR):
    vendor = vendors.create_vendor(
        session, actor, code=code, name_zh=f"{code}服务商", name_en=f"Vendor {code}"
    )
    vendors.add_contract(
        session,
        actor,
        vendor.id,
        number=f"HT-{code}-{period[0].year}",
        starts_on=period[0],
        ends_on=period[1],
        domains=domains,
        hybrid_services=hybrid_services,
    )
    return vendor


@dataclass
class World:
    """Ids and names of the standard test world (objects do not outlive a session)."""

    agencies: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    vendors: dict = field(default_factory=dict)
    technicians: dict = field(default_factory=dict)
    certificates: dict = field(default_factory=dict)


QUOTA = {"instances": 10, "vcpus": 16, "ram_gb": 64, "disk_gb": 1000, "databases": 2}

USERS = [
    # username, roles, agency code
    ("member.a", [Role.AGENCY_MEMBER], "a"),
    ("member2.a", [Role.AGENCY_MEMBER], "a"),
    ("manager.a", [Role.AGENCY_MANAGER], "a"),
    ("manager2.a", [Role.AGENCY_MANAGER], "a"),
    ("member.b", [Role.AGENCY_MEMBER], "b"),
    ("manager.b", [Role.AGENCY_MANAGER], "b"),
    ("member.t", [Role.AGENCY_MEMBER], "t"),
    ("manager.t", [Role.AGENCY_MANAGER], "t"),
    ("member.c", [Role.AGENCY_MEMBER], "c"),
    ("operator", [Role.PLATFORM_OPERATOR], None),
    ("operator2", [Role.PLATFORM_OPERATOR], None),
    ("finance", [Role.FINANCE_OFFICER], None),
    ("auditor", [Role.AUDITOR], None),
    ("admin", [Role.ADMIN], None),
]
# Vendor staff: username, roles, vendor code. v1 serves health (bureaus a and b, hybrid:
# its contract names postgresql and volume), v2 civil affairs (town t and community c).
VENDOR_USERS = [
    ("vendor.tech", [Role.VENDOR_TECHNICIAN], "v1"),
    ("vendor.manager", [Role.VENDOR_MANAGER], "v1"),
    ("vendor2.manager", [Role.VENDOR_MANAGER], "v2"),
]


def build_world(session):
    """District d → bureaus a, b and town t → community c; a user of every role."""
    world = World()
    district = make_agency(session, "d", kind="district", domain="general_affairs")
    agencies = {"d": district}
    agencies["a"] = make_agency(session, "a", parent=district, quotas=dict(QUOTA))
    agencies["b"] = make_agency(session, "b", parent=district, quotas=dict(QUOTA))
    agencies["t"] = make_agency(
        session, "t", kind="town", parent=district, quotas=dict(QUOTA), domain="civil_affairs"
    )
    agencies["c"] = make_agency(
        session,
        "c",
        kind="community",
        parent=agencies["t"],
        domain="civil_affairs",
        quotas={"instances": 2, "vcpus": 4, "ram_gb": 8, "disk_gb": 200, "databases": 1},
    )
    world.agencies = {code: agency.id for code, agency in agencies.items()}
    shared = hash_password(PASSWORD)
    for username, roles, code in USERS:
        user = make_user(session, username, roles, agencies.get(code), password_hash=shared)
        world.users[username] = user.id
        world.tokens[username] = create_api_token(session, user, "tests")[1]
    operator = session.get(User, world.users["operator"])
    made = {
        "v1": make_vendor(session, operator, "v1", ["health"], ["postgresql", "volume"]),
        "v2": make_vendor(session, operator, "v2", ["civil_affairs"]),
    }
    world.vendors = {code: vendor.id for code, vendor in made.items()}
    for username, roles, code in VENDOR_USERS:
        user = make_user(session, username, roles, password_hash=shared, vendor=made[code])
        world.users[username] = user.id
        world.tokens[username] = create_api_token(session, user, "tests")[1]
    # vendor.tech (v1), and a technician of v2 with no login: one certificate each.
    for key, code, number, name, username, domain in (
        ("vendor.tech", "v1", "1", "杨磊", "vendor.tech", "health"),
        ("v2", "v2", "2", "赵敏", None, "civil_affairs"),
    ):
        technician = vendors.register_technician(
            session,
            operator,
            made[code].id,
            staff_number=f"V{number}-001",
            name=name,
            username=username,
        )
        certificate = vendors.issue_certificate(
            session,
            operator,
            technician.id,
            number=f"HD-2026-000{number}",
            domains=[domain],
            skills=["os", "database"],
            exam_score=86,
            issued_on=CONTRACT_YEAR[0],
            expires_on=CONTRACT_YEAR[1],
        )
        world.technicians[key] = technician.id
        world.certificates[code] = certificate.id
    return world


def slas_with_contract_terms(tmp_path, number, terms, tier="standard"):
    """A copy of the shipped SLA definitions in which contract `number` sets `terms` for
    one tier: the directory, to sync."""
    directory = tmp_path / "slas"
    shutil.copytree(SLAS_DIR, directory)
    path = directory / "2026.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["contracts"] = {number: {tier: terms}}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return directory
