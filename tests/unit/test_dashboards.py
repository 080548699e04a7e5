"""The operations overview (/operations and its JSON twin): failure rates per resource
class and vendor from seeded resources and incidents, the incidents whose clocks are at
risk at a fixed moment, expiring and lapsed certificates, the weakest spots, who sees
which part of it, and the page in Chinese."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.api import operations as api_operations
from portal.dashboards import views
from portal.dashboards.figures import operations_dashboard
from portal.extensions import db
from portal.incidents import service as incidents
from portal.tenancy.models import Agency
from portal.vendors import service as vendors
from portal.vendors.models import Vendor
from tests.billing_factories import make_resource
from tests.factories import make_agency, make_user

BEIJING = ZoneInfo("Asia/Shanghai")
# A Wednesday afternoon in office hours: the moment the clocks are read at.
NOW = datetime(2026, 10, 14, 15, 0, tzinfo=BEIJING)
PAGE = "/operations?month=2026-10"
API = "/api/v1/operations/dashboard?month=2026-10"


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


def html(response):
    return response.get_data(as_text=True)


def table(page, name):
    """The rows of the table of class `name` as lists of cell texts."""
    found = re.search(rf'<table class="[^"]*\b{name}\b[^"]*">(.*?)</table>', page, re.S)
    assert found, f"no table {name}"
    return [
        [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    ]


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(views, "utcnow", lambda: NOW)
    monkeypatch.setattr(api_operations, "utcnow", lambda: NOW)


@pytest.fixture
def october(app, world):
    """October 2026. In service: four PostgreSQL databases of the health bureaus a and b
    (v1 operates them: hybrid, its contract names postgresql), a volume of bureau a
    (v1's too), two servers of bureau a (the platform team's: v1's contract does not name
    vm) and two of agency e (civil affairs, fully outsourced: v2's). Not in service in
    October: a database deleted in September, one created in November.

    Incidents opened in October: three on database db1 (v1: a P2 whose response clock
    has used 50 of its 60 minutes at NOW, a P3 unanswered since Monday, a P4 just
    opened), a P4 on server vm-a1 (the platform team's) and a P3 on server vm-e1 (v2,
    unanswered since 09:00). One more on db1 in September, resolved.

    Certificates: v1's 王芳 expires on 30 October; v1's 李强 expires on 1 November but
    holds a renewal; v2's 钱进, who can sign in, let his lapse on 30 September."""
    with app.app_context():
        session = db.session

        def user(name):
            return session.scalar(select(User).where(User.username == name))

        operator = user("operator")
        district = session.get(Agency, world.agencies["d"])
        agency_e = make_agency(
            session, "e", parent=district, domain="civil_affairs", mode="fully_outsourced"
        )
        made = {}

        def resource(agency_id, key, name, created=None, deleted=None):
            created = created or at(9, 1, 9)
            size = {"storage_gb": 50} if key != "vm" else {"vcpus": 2, "ram_gb": 4}
            history = [(created, "created", "active", size)]
            if deleted:
                history.append((deleted, "deleted", "deleted", size))
            made[name] = make_resource(session, agency_id, key, history, name=name).id

        a, b = world.agencies["a"], world.agencies["b"]
        for agency_id, name in ((a, "db1"), (a, "db2"), (b, "db3"), (b, "db4")):
            resource(agency_id, "postgresql", name)
        resource(a, "postgresql", "db-gone", deleted=at(9, 20, 10))
        resource(a, "postgresql", "db-later", created=at(11, 2, 9))
        resource(a, "volume", "vol-a")
        for agency_id, name in ((a, "vm-a1"), (a, "vm-a2"), (agency_e.id, "vm-e1")):
            resource(agency_id, "vm", name)
        resource(agency_e.id, "vm", "vm-e2")

        def report(name, priority, when, title):
            incident = incidents.open_incident(
                session, operator, priority=priority, title=title,
                resource_id=made[name], now=when,
            )  # fmt: skip
            return incident

        september = report("db1", "P3", at(9, 15, 9), "九月的故障")
        tech = user("vendor.tech")
        incidents.respond(session, tech, september.id, now=at(9, 15, 10))
        incidents.resolve(session, tech, september.id, "已处理", now=at(9, 15, 11))
        ids = {
            "warning": report("db1", "P2", at(10, 14, 14, 10), "连接数告警").id,
            "breached": report("db1", "P3", at(10, 12, 9), "备份失败").id,
            "calm": report("db1", "P4", at(10, 14, 14), "咨询扩容").id,
            "platform": report("vm-a1", "P4", at(10, 14, 13), "主机时钟偏差").id,
            "v2": report("vm-e1", "P3", at(10, 14, 9), "社区服务器宕机").id,
            "september": september.id,
        }

        def certified(vendor, staff_number, name, certificates, username=None):
            """A technician with certificates [(number, issued on, expires on)]."""
            technician = vendors.register_technician(
                session, operator, world.vendors[vendor], staff_number=staff_number,
                name=name, username=username,
            )  # fmt: skip
            for number, issued_on, expires_on in certificates:
                vendors.issue_certificate(
                    session, operator, technician.id, number=number, domains=["health"],
                    skills=["database"], exam_score=80, issued_on=issued_on,
                    expires_on=expires_on,
                )  # fmt: skip
            return technician.id

        make_user(session, "v2.tech", [Role.VENDOR_TECHNICIAN],
                  vendor=session.get(Vendor, world.vendors["v2"]))  # fmt: skip
        ids["expiring"] = certified(
            "v1", "V1-002", "王芳", [("HD-2025-0101", date(2025, 11, 1), date(2026, 10, 30))]
        )
        ids["renewed"] = certified("v1", "V1-003", "李强", [
            ("HD-2025-0102", date(2025, 11, 2), date(2026, 11, 1)),
            ("HD-2026-0102", date(2026, 10, 10), date(2027, 10, 31)),
        ])  # fmt: skip
        ids["lapsed"] = certified(
            "v2", "V2-002", "钱进", [("HD-2025-0201", date(2025, 10, 1), date(2026, 9, 30))],
            username="v2.tech",
        )  # fmt: skip
        session.commit()
        ids["resources"] = made
        return ids


def test_failure_rates_per_class_and_vendor(app, world, october):
    with app.app_context():
        operator = db.session.scalar(select(User).where(User.username == "operator"))
        board = operations_dashboard(db.session, operator, date(2026, 10, 1), NOW)
        by_kind = {r.kind: (r.incidents, r.resources, r.rate) for r in board.kind_rates}
        # database: 3 of October's incidents on 4 databases in service (the deleted and
        # the later one do not count, nor September's incident); vm: 2 on 4; volume: none.
        assert by_kind == {
            "database": (3, 4, Decimal("75.00")),
            "vm": (2, 4, Decimal("50.00")),
            "volume": (0, 1, Decimal("0.00")),
        }
        assert [r.kind for r in board.kind_rates] == ["database", "vm", "volume"]  # worst first
        by_vendor = {(r.vendor.code, r.kind): (r.incidents, r.resources, r.rate)
                     for r in board.vendor_rates}  # fmt: skip
        # v1 serves the databases and the volume of a and b, not their servers (hybrid);
        # v2 the servers of the fully outsourced agency e.
        assert by_vendor == {
            ("v1", "database"): (3, 4, Decimal("75.00")),
            ("v1", "volume"): (0, 1, Decimal("0.00")),
            ("v2", "vm"): (1, 2, Decimal("50.00")),
        }
        totals = {r.vendor.code: (r.incidents, r.resources, r.rate) for r in board.vendor_totals}
        assert totals == {"v1": (3, 5, Decimal("60.00")), "v2": (1, 2, Decimal("50.00"))}
        # The weakest spots over August to October: September's incident counts too.
        assert [(c.subject, c.incidents) for c in board.weak_kinds] == [("database", 4), ("vm", 2)]
        assert [(c.subject.key, c.incidents) for c in board.weak_items] == [
            ("postgresql", 4),
            ("vm", 2),
        ]
        top = [(c.subject.name, c.incidents) for c in board.weak_resources]
        assert top[0] == ("db1", 4) and sorted(top[1:]) == [("vm-a1", 1), ("vm-e1", 1)]
        assert board.open_by_priority == {"P1": 0, "P2": 1, "P3": 2, "P4": 2}
        # A month with nothing opened: rates of 0, resources still counted.
        november = operations_dashboard(db.session, operator, date(2026, 11, 1), NOW)
        assert {r.kind: r.incidents for r in november.kind_rates} == {
            "database": 0, "vm": 0, "volume": 0,
        }  # fmt: skip
        assert {r.kind: r.resources for r in november.kind_rates}["database"] == 5


def test_the_operator_sees_rates_clocks_at_risk_certificates_and_weak_spots(
    as_user, october, fixed_now
):
    operator = as_user("operator")
    page = html(operator.get("/operations"))  # this month (of NOW): October
    assert "Operations overview · 2026-10" in page
    assert 'href="/operations"' in page  # in the navigation
    rates = table(page, "failure-rates")
    assert rates[1:] == [
        ["Databases", "4", "3", "75.00%"],
        ["Virtual machines", "4", "2", "50.00%"],
        ["Volumes", "1", "0", "0.00%"],
    ]
    vendor_rows = table(page, "vendor-rates")[1:]
    assert vendor_rows == [  # the vendor's name spans its rows
        ["Vendor v1", "Databases", "4", "3", "75.00%"],
        ["Volumes", "1", "0", "0.00%"],
        ["Vendor v2", "Virtual machines", "2", "1", "50.00%"],
    ]
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert "75.00 %" in page and "60.00 %" in page  # the charts' values: kinds, vendor v1

    # At 15:00 the P3 unanswered since Monday is 20 service hours over its response
    # target, v2's since 09:00 two hours over; the P2 has 10 minutes left of its hour.
    at_risk = page.split('id="at-risk"', 1)[1].split("</section>", 1)[0]
    numbers = re.findall(r'href="/incidents/(\d+)">INC-', at_risk)
    assert numbers == [str(october[key]) for key in ("breached", "v2", "warning")]
    assert "over by 20 h" in at_risk and "over by 2 h" in at_risk and "10 min left" in at_risk
    for calm in ("calm", "platform", "september"):
        assert f'href="/incidents/{october[calm]}"' not in at_risk
    assert 'href="/incidents/"' in at_risk  # the way to every incident

    certificates = table(page, "certificates")[1:]
    assert certificates == [["Vendor v1", "王芳 V1-002", "HD-2025-0101", "2026-10-30", "16"]]
    assert f'href="/vendors/technicians/{october["expiring"]}"' in page
    assert "李强" not in page  # renewed in time
    assert table(page, "lapsed")[1:] == [["Vendor v2", "钱进 V2-002", "2026-09-30"]]

    assert "2026-08 to 2026-10" in page
    assert table(page, "weak-items")[1:] == [["PostgreSQL database", "4"], ["Virtual machine", "2"]]
    weak = table(page, "weak-resources")[1:]
    assert weak[0][0].startswith("db1") and weak[0][1:] == ["Databases", "Agency a", "4"]
    assert f'href="/resources/{october["resources"]["db1"]}"' in page


def test_vendor_staff_see_their_own_vendor_only(as_user, api, october, fixed_now):
    manager = html(as_user("vendor.manager").get(PAGE))
    assert "failure-rates" not in manager  # no platform-wide rows
    assert [row[:2] for row in table(manager, "vendor-rates")[1:]] == [
        ["Vendor v1", "Databases"],
        ["Volumes", "1"],
    ]
    at_risk = manager.split('id="at-risk"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'href="/incidents/(\d+)">INC-', at_risk) == [
        str(october["breached"]),
        str(october["warning"]),
    ]
    assert "社区服务器宕机" not in manager and "钱进" not in manager  # v2's
    assert "王芳" in manager
    # Vendor staff do not see the resources' pages: names without links.
    assert "db1" in manager and not re.search(r'href="/resources/\d+"', manager)

    v2 = as_user("vendor2.manager")
    page = html(v2.get(PAGE))
    assert "社区服务器宕机" in page and "备份失败" not in page and "连接数告警" not in page
    assert "钱进" in page and "王芳" not in page
    assert table(page, "vendor-rates")[1:] == [
        ["Vendor v2", "Virtual machines", "2", "1", "50.00%"]
    ]

    body = api("vendor.tech").get(API).get_json()
    assert body["vendor_id"] is not None and body["failure_rates"]["by_kind"] == []
    assert {row["vendor"] for row in body["failure_rates"]["by_vendor_and_kind"]} == {"v1"}
    assert [risk["id"] for risk in body["at_risk"]] == [october["breached"], october["warning"]]
    assert body["open_incidents"] == {"P1": 0, "P2": 1, "P3": 1, "P4": 1}


def test_the_api_gives_the_pages_figures(api, october, fixed_now):
    response = api("auditor").get(API)
    assert response.status_code == 200
    body = response.get_json()
    assert body["month"] == "2026-10" and body["vendor_id"] is None
    by_kind = {row["kind"]: row for row in body["failure_rates"]["by_kind"]}
    assert by_kind["database"]["rate"] == "75.00" and by_kind["database"]["resources"] == 4
    assert [risk["id"] for risk in body["at_risk"]] == [
        october[key] for key in ("breached", "v2", "warning")
    ]
    first = body["at_risk"][0]
    assert first["clock_name"] == "response" and first["clock"]["breached"] is True
    assert first["clock"]["remaining_seconds"] == -20 * 3600
    assert body["at_risk_total"] == 3 and body["breached_total"] == 2
    assert [c["number"] for c in body["expiring_certificates"]] == ["HD-2025-0101"]
    assert [t["staff_number"] for t in body["lapsed_technicians"]] == ["V2-002"]
    assert body["weak_resources"][0]["name"] == "db1"
    assert api("auditor").get("/api/v1/operations/dashboard?month=2026-13").status_code == 422
    assert api("auditor").get("/api/v1/operations/dashboard").get_json()["month"] == "2026-10"


def test_agency_staff_are_refused(as_user, api, client):
    member = as_user("member.a")
    assert member.get(PAGE).status_code == 403
    assert 'href="/operations"' not in html(member.get("/"))
    assert api("manager.a").get(API).status_code == 403
    anonymous = client.get(PAGE)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert as_user("finance").get(PAGE).status_code == 200


def test_a_bad_month_is_shown_on_the_page(as_user):
    refused = as_user("operator").get("/operations?month=2026-13")
    assert refused.status_code == 422
    assert "is not a month" in html(refused) and '<select id="month"' in html(refused)


def test_the_page_in_chinese(as_user, october, fixed_now):
    operator = as_user("operator")
    operator.get("/language/zh_CN")
    page = html(operator.get(PAGE))
    words = ("2026年10月", "2026年8月", "故障工单", "运维服务商", "数据库服务", "响应时间",
             "超时 20 小时", "剩余 10 分钟")  # fmt: skip
    assert [word for word in words if word not in page] == []
