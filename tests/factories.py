"""Test data, made through the portal's own service functions."""

from dataclasses import dataclass, field

from portal.accounts.roles import Role
from portal.accounts.service import create_api_token, create_user, hash_password
from portal.tenancy.service import create_agency

PASSWORD = "Test-password-1"


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


def make_user(session, username, roles, agency=None, password_hash=None):
    return create_user(
        session,
        None,
        username=username,
        display_name=username.title(),
        password=PASSWORD,
        roles=roles,
        agency_id=agency.id if agency else None,
        password_hash=password_hash,
    )


@dataclass
class World:
    """Ids and names of the standard test world (objects do not outlive a session)."""

    agencies: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)


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
    ("vendor.tech", [Role.VENDOR_TECHNICIAN], None),
    ("vendor.manager", [Role.VENDOR_MANAGER], None),
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
    return world
