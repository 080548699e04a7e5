"""Vendors, contracts and certified technicians: who operates an agency, who may work
on its resources today, the exam's CSV import, the expiry warnings."""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.core.errors import Conflict, Forbidden, InvalidInput
from portal.notifications.models import Notification
from portal.tenancy.models import Agency
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors import eligibility as eligibility_rules
from portal.vendors import service
from portal.vendors.exam_import import import_exam_results
from portal.vendors.models import Certificate, Technician
from portal.vendors.tasks import warn_expiring_certificates
from portal.vendors.vocabulary import SKILLS
from tests.factories import CONTRACT_YEAR

TODAY = eligibility_rules.today()
HEADER = "供应商编码,工号,姓名,证书编号,考试成绩,发证日期,有效期至,业务领域,技能\n"


def agency(session, world, code):
    return session.get(Agency, world.agencies[code])


def technician(session, world):
    return session.get(Technician, world.technicians["vendor.tech"])


def test_who_operates_an_agency_follows_its_outsourcing_mode(session, world):
    bureau_a = agency(session, world, "a")  # health, hybrid: v1 runs postgresql only
    assert eligibility_rules.responsible_vendor(session, bureau_a, "postgresql").vendor.code == "v1"
    stays = eligibility_rules.responsible_vendor(session, bureau_a, "vm")
    assert stays.vendor is None and "platform team" in str(stays.reason)
    bureau_a.outsourcing_mode = "fully_outsourced"
    assert eligibility_rules.responsible_vendor(session, bureau_a, "vm").vendor.code == "v1"
    bureau_a.outsourcing_mode = "self_operated"
    assert eligibility_rules.responsible_vendor(session, bureau_a, "postgresql").vendor is None
    after = CONTRACT_YEAR[1] + timedelta(days=1)
    bureau_a.outsourcing_mode = "fully_outsourced"
    assert eligibility_rules.responsible_vendor(session, bureau_a, "vm", after).vendor is None


def test_a_domain_has_one_designated_vendor_at_a_time(session, user, world):
    operator = user("operator")
    with pytest.raises(Conflict, match="HT-v1"):
        service.add_contract(
            session,
            operator,
            world.vendors["v2"],
            number="HT-v2-extra",
            starts_on=CONTRACT_YEAR[1] - timedelta(days=10),
            ends_on=CONTRACT_YEAR[1] + timedelta(days=300),
            domains=["health", "economy"],
        )
    # The day after v1's contract ends, v2 may take over health.
    service.add_contract(
        session,
        operator,
        world.vendors["v2"],
        number="HT-v2-next",
        starts_on=CONTRACT_YEAR[1] + timedelta(days=1),
        ends_on=CONTRACT_YEAR[1] + timedelta(days=365),
        domains=["health"],
    )


def test_contract_and_vendor_input_is_checked(session, user, world):
    operator = user("operator")
    with pytest.raises(InvalidInput) as bad:
        service.add_contract(
            session,
            operator,
            world.vendors["v2"],
            number="bad number!",
            starts_on=date(2027, 5, 1),
            ends_on=date(2027, 4, 1),
            domains=["astrology"],
            hybrid_services=["teleporter"],
        )
    assert set(bad.value.fields) == {"number", "ends_on", "domains", "hybrid_services"}
    with pytest.raises(InvalidInput) as taken:
        service.create_vendor(session, operator, code="v1", name_zh="", name_en="x")
    assert set(taken.value.fields) == {"code", "name_zh"}
    with pytest.raises(Forbidden):
        service.create_vendor(session, user("vendor.manager"), code="v9", name_zh="x", name_en="x")


def test_a_certified_technician_of_the_responsible_vendor_may_work(session, world):
    tech = technician(session, world)
    bureau_a = agency(session, world, "a")
    allowed = eligibility_rules.eligibility(
        session, tech, bureau_a, skill="database", service="postgresql"
    )
    assert allowed.allowed and allowed.certificate.number == "HD-2026-0001"
    community = agency(session, world, "c")  # civil affairs: v2's
    refused = eligibility_rules.eligibility(session, tech, community)
    assert not refused.allowed and "not responsible" in str(refused.reason)
    skill = eligibility_rules.eligibility(
        session, tech, bureau_a, skill="network", service="postgresql"
    )
    assert not skill.allowed and "does not cover" in str(skill.reason)


def test_an_expired_or_revoked_certificate_blocks_the_technician(session, user, world):
    tech = technician(session, world)
    bureau_a = agency(session, world, "a")
    late = CONTRACT_YEAR[1]  # the contract's last day; the certificate's too
    assert eligibility_rules.eligibility(
        session, tech, bureau_a, service="postgresql", day=late
    ).allowed
    certificate = tech.certificates[0]
    certificate.expires_on = TODAY - timedelta(days=1)
    refused = eligibility_rules.eligibility(session, tech, bureau_a, service="postgresql")
    assert not refused.allowed
    assert f"expired on {certificate.expires_on}" in str(refused.reason)
    certificate.expires_on = CONTRACT_YEAR[1]
    with pytest.raises(InvalidInput):
        service.revoke_certificate(session, user("operator"), certificate.id, " ")
    service.revoke_certificate(session, user("operator"), certificate.id, "考试舞弊")
    revoked = eligibility_rules.eligibility(session, tech, bureau_a, service="postgresql")
    assert not revoked.allowed and "revoked" in str(revoked.reason)
    with pytest.raises(Conflict):
        service.revoke_certificate(session, user("operator"), certificate.id, "again")


def test_only_the_platform_team_certifies_and_managers_register_their_own_staff(
    session, user, world
):
    manager, other = user("vendor.manager"), user("vendor2.manager")
    with pytest.raises(Forbidden):
        service.issue_certificate(
            session,
            manager,
            world.technicians["vendor.tech"],
            number="X-1",
            domains=["health"],
            skills=["os"],
            exam_score=99,
            issued_on=TODAY,
            expires_on=TODAY,
        )
    added = service.register_technician(
        session, manager, world.vendors["v1"], staff_number="V1-002", name="周强"
    )
    assert added.vendor_id == world.vendors["v1"]
    with pytest.raises(Exception, match="No such vendor"):
        service.register_technician(
            session, other, world.vendors["v1"], staff_number="V1-003", name="x"
        )
    with pytest.raises(InvalidInput) as taken:
        service.register_technician(
            session, manager, world.vendors["v1"], staff_number="V1-002", name="again"
        )
    assert "staff_number" in taken.value.fields


def test_the_exam_csv_issues_certificates_for_passes_only(session, user, world):
    with force_locale("zh_CN"):  # the exam office writes names, not codes
        health, os, database = (
            str(BUSINESS_DOMAINS["health"]),
            str(SKILLS["os"]),
            str(SKILLS["database"]),
        )
    data = (
        HEADER
        + f"v1,V1-001,杨磊,HD-2027-0001,91,2027-01-01,2027-12-31,{health},{os};{database}\n"
        + "v2,V2-005,孙悦,HD-2027-0002,75,2027-01-01,2027-12-31,civil_affairs,network\n"
        + "v2,V2-002,钱涛,,41,2027-01-01,2027-12-31,civil_affairs,os\n"
    ).encode("utf-8-sig")
    report = import_exam_results(session, user("operator"), data)
    assert [c.number for c in report.issued] == ["HD-2027-0001", "HD-2027-0002"]
    assert [t.staff_number for t in report.registered] == ["V2-005"]
    assert report.not_passed == [(4, "v2", "V2-002", 41)]
    first = session.scalar(select(Certificate).where(Certificate.number == "HD-2027-0001"))
    assert first.domains == ["health"] and first.skills == ["database", "os"]
    assert first.technician_id == world.technicians["vendor.tech"]
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "certificate.issue" in actions


def test_a_bad_exam_csv_imports_nothing_and_names_every_bad_line(session, user, world):
    before = session.scalar(select(func.count()).select_from(Certificate))
    data = (
        HEADER
        + "v1,V1-001,杨磊,HD-2027-0001,91,2027-01-01,2027-12-31,health,os\n"
        + "v9,V9-001,孙丽,HD-2027-0002,80,2027-13-01,2027-12-31,health,cooking\n"
        + "v1,V1-001,错名,HD-2027-0003,88,2027-01-01,2027-12-31,health,os\n"
        + "v1,V1-004,李雷,HD-2027-0001,70,2027-01-01,2026-12-31,health,os\n"
    ).encode("gb18030")
    with pytest.raises(InvalidInput) as bad:
        import_exam_results(session, user("operator"), data)
    fields = bad.value.fields
    assert set(fields) == {"line 3", "line 4", "line 5"}
    assert "vendor" in fields["line 3"] and "issued_on" in fields["line 3"]
    assert "cooking" in fields["line 3"] and "杨磊" in fields["line 4"]
    assert "twice" in fields["line 5"] and "expires_on" not in fields["line 5"]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Certificate)) == before
    with pytest.raises(InvalidInput, match="header"):
        import_exam_results(session, user("operator"), b"a,b,c\n1,2,3\n")
    with pytest.raises(Forbidden):
        import_exam_results(session, user("vendor.manager"), data)


def test_technicians_and_managers_hear_of_an_expiry_thirty_days_ahead(session, user, world):
    certificate = technician(session, world).certificates[0]
    certificate.expires_on = TODAY + timedelta(days=20)
    session.flush()
    assert warn_expiring_certificates(session) == [certificate.number]
    told = session.scalars(select(Notification.user_id)).all()
    assert {world.users["vendor.tech"], world.users["vendor.manager"]} <= set(told)
    assert world.users["vendor2.manager"] not in told
    assert warn_expiring_certificates(session) == []  # once
