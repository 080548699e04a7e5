"""The demo district's operations vendors: four designated vendors covering the twelve
business domains under this year's contracts, their managers and technicians, and
certificates in every state a page can show (valid, expiring within 30 days, expired)."""

from datetime import date, timedelta

from portal.accounts.roles import Role
from portal.vendors import service as vendors
from portal.vendors.eligibility import today

# code, Chinese name, English name, domains, services run for hybrid agencies
VENDORS = [
    (
        "zhongke",
        "中科运维服务有限公司",
        "Zhongke Operations Services",
        ["general_affairs", "economy", "finance_audit"],
        ["postgresql", "mysql"],
    ),
    (
        "jinghua",
        "京华信息技术股份有限公司",
        "Jinghua Information Technology",
        ["education_science", "health", "culture_tourism"],
        ["vm"],
    ),
    (
        "anxin",
        "安信网络科技有限公司",
        "Anxin Network Technology",
        ["public_safety", "urban_management", "resources_environment"],
        [],
    ),
    (
        "huilian",
        "惠联数据服务有限公司",
        "Huilian Data Services",
        ["public_services", "social_security", "civil_affairs"],
        ["postgresql"],
    ),
]
# staff number, name, skills, how the certificate stands (days it has left, or None)
STAFF = [
    ("01", "杨磊", ["os", "database"], 300),
    ("02", "周强", ["network", "storage"], 20),
    ("03", "吴芳", ["middleware", "application"], -15),
    ("04", "郑军", ["security", "os"], None),
]


def seed_vendors(session, operator, user):
    """`user(username, name, roles, vendor_id=…)` makes a login; returns the logins made."""
    day = today()
    made_users = []
    for number, (code, zh, en, domains, hybrid) in enumerate(VENDORS, 1):
        vendor = vendors.create_vendor(session, operator, code=code, name_zh=zh, name_en=en)
        vendors.add_contract(
            session,
            operator,
            vendor.id,
            number=f"HDYW-{day.year}-{number:02d}",
            starts_on=date(day.year, 1, 1),
            ends_on=date(day.year, 12, 31),
            domains=domains,
            hybrid_services=hybrid,
        )
        manager = "vendor.manager" if number == 1 else f"{code}.manager"
        made_users.append(
            user(manager, f"{zh}·服务经理", [Role.VENDOR_MANAGER], vendor_id=vendor.id)
        )
        for staff, name, skills, days_left in STAFF:
            username = "vendor.tech" if number == 1 and staff == "01" else None
            if username:
                made_users.append(
                    user(username, name, [Role.VENDOR_TECHNICIAN], vendor_id=vendor.id)
                )
            technician = vendors.register_technician(
                session,
                operator,
                vendor.id,
                staff_number=f"{code.upper()}-{staff}",
                name=name if number == 1 else f"{name}{number}",
                username=username,
            )
            if days_left is not None:
                expires = day + timedelta(days=days_left)
                vendors.issue_certificate(
                    session,
                    operator,
                    technician.id,
                    number=f"HDYW-ZG-{day.year}-{number}{staff}",
                    domains=domains,
                    skills=skills,
                    exam_score=70 + 7 * int(staff),
                    issued_on=expires - timedelta(days=365),
                    expires_on=expires,
                )
    return made_users
