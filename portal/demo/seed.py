"""Build the demo district through the same service functions the portal uses."""

from dataclasses import dataclass

from sqlalchemy import select

from portal.accounts.roles import Role
from portal.accounts.service import create_user, hash_password
from portal.demo.names import BUREAUS, COMMUNITY_STEMS, DISTRICT, TOWNS
from portal.demo.vendors import seed_vendors
from portal.knowledge.demo import seed_articles
from portal.orders import service as orders
from portal.tenancy.models import Agency
from portal.tenancy.service import create_agency

DEMO_PASSWORD = "Jiyun2026demo"  # noqa: S105 - the documented demo login
COMMUNITIES = 113
MODES = ("fully_outsourced", "hybrid", "self_operated")
BUREAU_QUOTA = {"instances": 20, "vcpus": 64, "ram_gb": 256, "disk_gb": 4000, "databases": 5}
TOWN_QUOTA = {"instances": 12, "vcpus": 32, "ram_gb": 128, "disk_gb": 2000, "databases": 3}
COMMUNITY_QUOTA = {"instances": 2, "vcpus": 4, "ram_gb": 8, "disk_gb": 200, "databases": 1}
PLATFORM_USERS = [
    ("admin", "系统管理员", [Role.ADMIN]),
    ("operator", "平台运维 张伟", [Role.PLATFORM_OPERATOR]),
    ("operator2", "平台运维 李娜", [Role.PLATFORM_OPERATOR]),
    ("finance", "财务 王芳", [Role.FINANCE_OFFICER]),
    ("auditor", "审计 刘洋", [Role.AUDITOR]),
]


@dataclass
class SeedResult:
    created: bool
    agencies: int
    users: int


def _agency(session, code, zh, en, kind, domain, mode, parent, quota):
    return create_agency(
        session,
        None,
        code=code,
        name_zh=zh,
        name_en=en,
        kind=kind,
        domain=domain,
        outsourcing_mode=mode,
        parent=parent,
        quotas=quota,
    )


def seed_demo(session):
    """Create the district unless it exists. Idempotent: a second run changes nothing."""
    if session.scalar(select(Agency.id).where(Agency.code == "hd")):
        return SeedResult(False, session.query(Agency).count(), 0)
    shared_hash = hash_password(DEMO_PASSWORD)  # one hash for hundreds of demo users

    def user(username, name, roles, agency=None, vendor_id=None):
        return create_user(
            session,
            None,
            username=username,
            display_name=name,
            password=None,
            roles=roles,
            agency_id=agency.id if agency else None,
            password_hash=shared_hash,
            vendor_id=vendor_id,
        )

    district = _agency(
        session, "hd", *DISTRICT, "district", "general_affairs", "hybrid", None, None
    )
    users = [user(*row) for row in PLATFORM_USERS]
    bureaus = []
    for index, (zh, en, domain) in enumerate(BUREAUS, 1):
        bureau = _agency(
            session,
            f"b{index:02d}",
            zh,
            en,
            "bureau",
            domain,
            MODES[index % 3],
            district,
            BUREAU_QUOTA,
        )
        bureaus.append(bureau)
        users.append(user(f"b{index:02d}.member", f"{zh}·业务员", [Role.AGENCY_MEMBER], bureau))
        users.append(user(f"b{index:02d}.manager", f"{zh}·主管", [Role.AGENCY_MANAGER], bureau))
    towns = []
    for index, (zh, en) in enumerate(TOWNS, 1):
        town = _agency(
            session,
            f"t{index:02d}",
            zh,
            en,
            "town",
            "civil_affairs",
            MODES[index % 3],
            district,
            TOWN_QUOTA,
        )
        towns.append(town)
        users.append(user(f"t{index:02d}.member", f"{zh}·业务员", [Role.AGENCY_MEMBER], town))
        users.append(user(f"t{index:02d}.manager", f"{zh}·主管", [Role.AGENCY_MANAGER], town))
    for index in range(COMMUNITIES):
        town = towns[index % len(towns)]
        zh_stem, en_stem = COMMUNITY_STEMS[index % len(COMMUNITY_STEMS)]
        number = index // len(towns) + 1
        code = f"{town.code}c{number}"
        community = _agency(
            session,
            code,
            f"{town.name_zh}{zh_stem}社区",
            f"{en_stem} Community, {town.name_en}",
            "community",
            "civil_affairs",
            "fully_outsourced",
            town,
            COMMUNITY_QUOTA,
        )
        users.append(
            user(
                f"{code}.member", f"{community.name_zh}·社区工作者", [Role.AGENCY_MEMBER], community
            )
        )
    operator = next(u for u in users if u.username == "operator")
    users.extend(seed_vendors(session, operator, user))
    seed_articles(session, operator)
    _sample_orders(session, users)
    return SeedResult(True, 1 + len(bureaus) + len(towns) + COMMUNITIES, len(users))


def _sample_orders(session, users):
    """A few requests in different states, so the pages have something to show."""
    by_name = {u.username: u for u in users}
    member, manager = by_name["b03.member"], by_name["b03.manager"]
    orders.create_order(
        session,
        member,
        "vm",
        {
            "hostname": "jw-portal",
            "flavor": "medium",
            "image": "kylin_v10",
            "root_disk_gb": "40",
            "data_volume_gb": "100",
            "purpose": "教育服务门户网站",
        },
    )
    waiting = orders.create_order(
        session,
        member,
        "postgresql",
        {"database_name": "jw_enrolment", "storage_gb": "50", "purpose": "入学报名系统数据库"},
    )
    orders.approve_order(session, manager, waiting.id, "同意")
    orders.create_order(
        session,
        member,
        "vm",
        {
            "hostname": "jw-test",
            "flavor": "small",
            "image": "uos_20",
            "root_disk_gb": "40",
            "data_volume_gb": "0",
            "purpose": "测试环境",
        },
    )
