"""The vendors API: the same rules as the service, answered as JSON with reasons."""

from tests.factories import CONTRACT_YEAR

HEADER = (
    "vendor,staff_number,name,certificate_number,exam_score,issued_on,expires_on,domains,skills\n"
)


def test_the_platform_team_registers_a_vendor_and_its_contract(api, world):
    operator = api("operator")
    created = operator.post(
        "/api/v1/vendors", json={"code": "v3", "name_zh": "恒信科技", "name_en": "Hengxin"}
    )
    assert created.status_code == 201, created.json
    vendor_id = created.json["id"]
    contract = operator.post(
        f"/api/v1/vendors/{vendor_id}/contracts",
        json={
            "number": "HT-v3-1",
            "starts_on": CONTRACT_YEAR[0].isoformat(),
            "ends_on": CONTRACT_YEAR[1].isoformat(),
            "domains": ["economy"],
        },
    )
    assert contract.status_code == 201, contract.json
    overlap = operator.post(
        f"/api/v1/vendors/{vendor_id}/contracts",
        json={
            "number": "HT-v3-2",
            "starts_on": CONTRACT_YEAR[0].isoformat(),
            "ends_on": CONTRACT_YEAR[1].isoformat(),
            "domains": ["health"],
        },
    )
    assert overlap.status_code == 409 and "HT-v1" in overlap.json["error"]["message"]
    bad = operator.post(
        f"/api/v1/vendors/{vendor_id}/contracts",
        json={"number": "x", "starts_on": "2026-02-30", "domains": ["astrology"]},
    )
    assert bad.status_code == 422
    assert {"starts_on", "ends_on", "domains.0"} <= set(bad.json["error"]["fields"])
    detail = operator.get(f"/api/v1/vendors/{vendor_id}").json
    assert [c["number"] for c in detail["contracts"]] == ["HT-v3-1"]


def test_vendor_staff_see_only_their_vendor(api, world):
    manager = api("vendor.manager")
    assert [v["code"] for v in manager.get("/api/v1/vendors").json] == ["v1"]
    assert manager.get(f"/api/v1/vendors/{world.vendors['v2']}").status_code == 404
    detail = manager.get(f"/api/v1/vendors/{world.vendors['v1']}").json
    assert [t["staff_number"] for t in detail["technicians"]] == ["V1-001"]
    assert detail["technicians"][0]["certificates"][0]["number"] == "HD-2026-0001"
    other = api("vendor2.manager")
    path = f"/api/v1/vendors/technicians/{world.technicians['vendor.tech']}"
    assert other.get(path).status_code == 404
    assert api("member.a").get("/api/v1/vendors").status_code == 403
    refused = api("member.a").post(
        "/api/v1/vendors", json={"code": "v4", "name_zh": "x", "name_en": "x"}
    )
    assert refused.status_code == 403


def test_certificates_are_issued_and_revoked_by_the_platform_team(api, world):
    path = f"/api/v1/vendors/technicians/{world.technicians['vendor.tech']}/certificates"
    certificate = {
        "number": "HD-2027-0100",
        "domains": ["health"],
        "skills": ["network"],
        "exam_score": 77,
        "issued_on": CONTRACT_YEAR[0].isoformat(),
        "expires_on": CONTRACT_YEAR[1].isoformat(),
    }
    assert api("vendor.manager").post(path, json=certificate).status_code == 403
    issued = api("operator").post(path, json=certificate)
    assert issued.status_code == 201, issued.json
    low = api("operator").post(
        path, json={**certificate, "number": "HD-2027-0101", "exam_score": 59}
    )
    assert low.status_code == 422 and "pass mark" in low.json["error"]["fields"]["exam_score"]
    revoke = f"/api/v1/vendors/certificates/{issued.json['id']}/revoke"
    assert api("operator").post(revoke, json={}).status_code == 422
    revoked = api("operator").post(revoke, json={"reason": "证书信息有误"})
    assert revoked.status_code == 200 and revoked.json["revoked_reason"] == "证书信息有误"


def test_eligibility_says_why(api, world):
    tech = api("vendor.tech")
    path = f"/api/v1/vendors/technicians/{world.technicians['vendor.tech']}/eligibility"
    allowed = tech.get(
        path, query_string={"agency_id": world.agencies["a"], "service": "postgresql"}
    )
    assert allowed.status_code == 200
    assert allowed.json == {
        "allowed": True,
        "reason": "Certificate HD-2026-0001.",
        "certificate": "HD-2026-0001",
    }
    refused = tech.get(path, query_string={"agency_id": world.agencies["c"]})
    assert refused.json["allowed"] is False and "not responsible" in refused.json["reason"]
    assert tech.get(path, query_string={"agency_id": 999999}).status_code == 404
    assert tech.get(path, query_string={"agency_id": "x"}).status_code == 422


def test_the_exam_csv_goes_in_as_the_body(api, world):
    body = (
        HEADER
        + "v2,V2-010,吴芳,HD-2027-0200,82,2027-01-01,2027-12-31,civil_affairs,os\n"
        + "v2,V2-011,郑军,,35,2027-01-01,2027-12-31,civil_affairs,os\n"
    )
    operator = api("operator")
    headers = {**operator.headers, "Content-Type": "text/csv"}
    answer = operator.client.post(
        "/api/v1/vendors/exam-results", data=body.encode(), headers=headers
    )
    assert answer.status_code == 201, answer.json
    assert [c["number"] for c in answer.json["issued"]] == ["HD-2027-0200"]
    assert answer.json["not_passed"] == [
        {"line": 3, "vendor": "v2", "staff_number": "V2-011", "exam_score": 35}
    ]
    bad = operator.client.post(
        "/api/v1/vendors/exam-results",
        data=(HEADER + "v2,V2-012,x,N,abc,,,,\n").encode(),
        headers=headers,
    )
    assert bad.status_code == 422 and "line 2" in bad.json["error"]["fields"]
    empty = operator.client.post("/api/v1/vendors/exam-results", data=b"", headers=headers)
    assert empty.status_code == 422
