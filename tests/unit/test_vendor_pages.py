"""The vendor pages: vendors and contracts by the platform team, technicians by their
vendor's manager, certificates issued and revoked, the eligibility check, the exam's
CSV, both languages, and who may see what."""

import io

import pytest
from sqlalchemy import func, select

from portal.incidents.sla import sync_sla_definitions
from portal.vendors.exam_import import COLUMNS
from portal.vendors.models import Certificate, Contract, Technician
from tests.conftest import csrf_token, database
from tests.factories import CONTRACT_YEAR, slas_with_contract_terms

YEAR = CONTRACT_YEAR[0].year + 1  # inside the test world's contracts and certificates


def post(client, path, page, **values):
    """A form post from `page`, with that page's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **values})


def html(response):
    return response.get_data(as_text=True)


def count(app, model, *where):
    with database(app) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def operator(as_user):
    return as_user("operator")


def test_the_operator_registers_a_vendor_and_records_its_contract(app, operator, world):
    listing = operator.get("/vendors/")
    assert listing.status_code == 200
    assert "HT-v1-" in html(listing) and "Register a vendor" in html(listing)
    bad = post(operator, "/vendors/", "/vendors/", code="Bad Code", name_zh="新服务商", name_en="")
    assert bad.status_code == 422
    assert "lower-case letters" in html(bad) and 'value="新服务商"' in html(bad)
    made = post(
        operator, "/vendors/", "/vendors/", code="v3", name_zh="新服务商", name_en="New vendor"
    )
    assert made.status_code == 302
    page = made.headers["Location"]
    contract = {
        "number": f"HT-v3-{YEAR}",
        "starts_on": f"{YEAR}-01-01",
        "ends_on": f"{YEAR}-12-31",
        "domains": ["economy", "culture_tourism"],
        "hybrid_services": ["postgresql"],
    }
    assert post(operator, f"{page}/contracts", page, **contract).status_code == 302
    shown = html(operator.get(page))
    assert f"HT-v3-{YEAR}" in shown and "Economy and commerce" in shown
    overlapping = post(
        operator,
        f"{page}/contracts",
        page,
        **{**contract, "number": "HT-v3-X", "domains": "health"},
    )
    assert overlapping.status_code == 409
    assert "already covers" in html(overlapping) and "Overlaps contract HT-v1-" in html(overlapping)
    assert 'value="HT-v3-X"' in html(overlapping)
    assert count(app, Contract, Contract.number == "HT-v3-X") == 0


def test_a_vendor_manager_registers_technicians_of_their_own_vendor_only(app, as_user, world):
    manager = as_user("vendor.manager")
    own, other = f"/vendors/{world.vendors['v1']}", f"/vendors/{world.vendors['v2']}"
    listing = html(manager.get("/vendors/"))
    assert "Vendor v1" in listing and "Vendor v2" not in listing
    assert "Register a vendor" not in listing
    assert manager.get(other).status_code == 404
    refused = post(manager, f"{other}/technicians", own, staff_number="X-1", name="某人")
    assert refused.status_code == 404
    done = post(manager, f"{own}/technicians", own, staff_number="V1-002", name="周强")
    assert done.status_code == 302
    page = html(manager.get(own))
    assert "周强" in page and "no certificate" in page and "Add a contract" not in page
    again = post(manager, f"{own}/technicians", own, staff_number="V1-002", name="又一个")
    assert again.status_code == 422 and "this staff number" in html(again)
    assert post(manager, f"{own}/contracts", own, number="HT-1").status_code == 403
    technician = as_user("vendor.tech")
    assert (
        post(technician, f"{own}/technicians", own, staff_number="V1-9", name="x").status_code
        == 403
    )


def test_the_operator_issues_and_revokes_a_certificate(app, operator, as_user, world):
    page = f"/vendors/technicians/{world.technicians['vendor.tech']}"
    certificate = {
        "number": f"HD-{YEAR}-0100",
        "domains": ["health"],
        "skills": ["network"],
        "exam_score": "90",
        "issued_on": f"{YEAR}-01-01",
        "expires_on": f"{YEAR}-12-31",
    }
    failed = post(operator, f"{page}/certificates", page, **{**certificate, "exam_score": "50"})
    assert failed.status_code == 422 and "Below the pass mark" in html(failed)
    assert post(operator, f"{page}/certificates", page, **certificate).status_code == 302
    assert f"HD-{YEAR}-0100" in html(operator.get(page))
    with database(app) as session:
        issued = session.scalar(
            select(Certificate.id).where(Certificate.number == certificate["number"])
        )
    revoke = f"/vendors/certificates/{issued}/revoke"
    assert post(as_user("vendor.manager"), revoke, page, reason="x").status_code == 403
    silent = post(operator, revoke, page, reason="  ")
    assert silent.status_code == 422
    assert "Say why the certificate is revoked." in html(silent) and "Required." in html(silent)
    assert count(app, Certificate, Certificate.id == issued, Certificate.revoked_at.is_(None)) == 1
    assert post(operator, revoke, page, reason="考试作弊").status_code == 302
    shown = html(operator.get(page))
    assert "revoked" in shown and "考试作弊" in shown
    assert post(operator, revoke, page, reason="again").status_code == 409


def test_the_eligibility_check_answers_with_the_services_reason(as_user, world):
    page = f"/vendors/technicians/{world.technicians['vendor.tech']}/eligibility"
    technician = as_user("vendor.tech")
    allowed = technician.get(
        f"{page}?agency_id={world.agencies['a']}&skill=database&service=postgresql"
    )
    assert allowed.status_code == 200 and "Allowed" in html(allowed)
    assert "HD-2026-0001" in html(allowed)
    refused = as_user("operator").get(f"{page}?agency_id={world.agencies['c']}&skill=database")
    assert refused.status_code == 200
    assert "Refused" in html(refused) and "is not responsible for c单位" in html(refused)
    # Vendor staff choose among the agencies their vendor serves; c is v2's.
    assert technician.get(f"{page}?agency_id={world.agencies['c']}").status_code == 404
    for wrong in ("abc", "-1", "99999999999999999999"):
        assert technician.get(f"{page}?agency_id={wrong}").status_code == 404
    assert technician.get(page).status_code == 422
    unknown = technician.get(f"{page}?agency_id={world.agencies['a']}&skill=cooking")
    assert unknown.status_code == 422 and "Unknown skill: cooking" in html(unknown)


def exam_csv(*lines, encoding="utf-8-sig"):
    rows = [",".join(COLUMNS.values()), *lines]
    return ("\r\n".join(rows) + "\r\n").encode(encoding)


def upload(client, data, name="results.csv"):
    page = "/vendors/exam-results"
    return client.post(
        page,
        data={"csrf_token": csrf_token(client, page), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_the_exam_results_issue_certificates_and_register_new_technicians(app, operator):
    page = operator.get("/vendors/exam-results")
    assert page.status_code == 200 and "供应商编码" in html(page)
    data = exam_csv(
        f"v1,V1-001,杨磊,HD-{YEAR}-0201,91,{YEAR}-01-01,{YEAR}-12-31,health,os;database",
        f"v2,V2-005,孙悦,HD-{YEAR}-0202,75,{YEAR}-01-01,{YEAR}-12-31,civil_affairs,network",
        f"v2,V2-002,钱涛,,41,{YEAR}-01-01,{YEAR}-12-31,civil_affairs,os",
    )
    done = upload(operator, data)
    assert done.status_code == 200
    shown = html(done)
    assert f"HD-{YEAR}-0201" in shown and "孙悦" in shown and "V2-002" in shown
    assert count(app, Technician, Technician.staff_number == "V2-005") == 1
    assert count(app, Certificate, Certificate.number.like(f"HD-{YEAR}-02%")) == 2


def test_a_bad_exam_file_shows_its_lines_and_imports_nothing(app, operator):
    before = count(app, Certificate)
    data = exam_csv(
        f"v1,V1-001,杨磊,HD-{YEAR}-0301,91,{YEAR}-01-01,{YEAR}-12-31,health,os",
        f"v9,V9-001,孙丽,HD-{YEAR}-0302,80,{YEAR}-13-01,{YEAR}-12-31,health,cooking",
    )
    refused = upload(operator, data)
    assert refused.status_code == 422
    assert "Line 3" in html(refused) and "cooking" in html(refused)
    assert "Line 2" not in html(refused)
    assert count(app, Certificate) == before
    assert upload(operator, b"").status_code == 422


def test_an_exam_file_saved_by_chinese_excel_is_read(app, operator):
    data = exam_csv(
        f"v1,V1-001,杨磊,HD-{YEAR}-0401,88,{YEAR}-01-01,{YEAR}-12-31,health,os",
        encoding="gb18030",
    )
    assert upload(operator, data).status_code == 200
    assert count(app, Certificate, Certificate.number == f"HD-{YEAR}-0401") == 1


def test_the_sample_file_is_chinese_excel_friendly_and_imports(app, operator):
    sample = operator.get("/vendors/exam-results/sample.csv")
    assert sample.status_code == 200 and "attachment" in sample.headers["Content-Disposition"]
    assert sample.data.startswith("\ufeff供应商编码".encode())
    assert len(sample.data.decode("utf-8-sig").strip().splitlines()) == 3
    assert upload(operator, sample.data).status_code == 200
    assert count(app, Technician, Technician.staff_number.in_(["S-0101", "S-0102"])) == 2


def test_the_vendor_page_shows_the_sla_terms_its_contract_sets(app, operator, world, tmp_path):
    page = html(operator.get(f"/vendors/{world.vendors['v1']}"))
    assert "The contracts set no SLA terms of their own" in page
    number = f"HT-v1-{CONTRACT_YEAR[0].year}"
    credit = {"credit": {"per_point": "0.025", "cap": "0.3"}}
    with database(app) as session:
        sync_sla_definitions(session, None, slas_with_contract_terms(tmp_path, number, credit))
        session.commit()
    page = html(operator.get(f"/vendors/{world.vendors['v1']}"))
    terms = page[page.index("SLA terms set by contract") :]
    assert number in terms
    # Its own credit rule in bold, the standard tier's availability and P1 clocks beside.
    assert '<td class="num own">2.5%</td>' in terms and '<td class="num own">30%</td>' in terms
    assert '<td class="num">99.5%</td>' in terms and "30 min" in terms
    other = html(operator.get(f"/vendors/{world.vendors['v2']}"))
    assert "The contracts set no SLA terms of their own" in other


def test_the_pages_speak_chinese(as_user, world):
    operator = as_user("operator")
    operator.get("/language/zh_CN")
    vendor = html(operator.get(f"/vendors/{world.vendors['v1']}"))
    assert "运维服务合同" in vendor and "技术服务人员" in vendor and "卫生健康" in vendor
    technician = html(operator.get(f"/vendors/technicians/{world.technicians['vendor.tech']}"))
    assert "从业资格" in technician and "HD-2026-0001" in technician
    exam = html(operator.get("/vendors/exam-results"))
    assert "资格认证考试" in exam


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("operator", 200),
        ("auditor", 200),
        ("finance", 200),
        ("admin", 200),
        ("vendor.manager", 200),
        ("vendor.tech", 200),
        ("vendor2.manager", 404),
        ("member.a", 403),
        ("manager.a", 403),
    ],
)
def test_who_sees_a_vendor(as_user, world, username, status):
    client = as_user(username)
    assert client.get(f"/vendors/{world.vendors['v1']}").status_code == status
    technician = client.get(f"/vendors/technicians/{world.technicians['vendor.tech']}")
    assert technician.status_code == status
    listing = client.get("/vendors/")
    assert listing.status_code == (403 if status == 403 else 200)
    assert ('href="/vendors/"' in html(client.get("/account"))) == (status != 403)


def test_only_the_operator_records_and_anonymous_users_log_in_first(as_user, client, world):
    for username in ("auditor", "finance", "vendor.manager"):
        reader = as_user(username)
        page = html(reader.get(f"/vendors/{world.vendors['v1']}"))
        assert "Add a contract" not in page and "Record a certificate" not in page
        assert reader.get("/vendors/exam-results").status_code == 403
    auditor = as_user("auditor")
    refused = post(auditor, "/vendors/", "/vendors/", code="v9", name_zh="某", name_en="x")
    assert refused.status_code == 403
    assert client.get("/vendors/").status_code == 302
    assert "/login" in client.get("/vendors/exam-results").headers["Location"]
