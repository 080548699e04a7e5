def test_demo_flow(api):
    r = api("member.a").post("/api/v1/orders", json={"item": "vm", "parameters": {
        "hostname": "web-1", "flavor": "medium", "purpose": "x"}})
    assert r.status_code == 201, r.json
    oid = r.json["id"]
    assert r.json["state"] == "awaiting_approval"
    r = api("manager.a").post(f"/api/v1/orders/{oid}/approve", json={"comment": "ok"})
    assert r.status_code == 200, r.json
    r = api("operator").post(f"/api/v1/orders/{oid}/approve", json={})
    assert r.status_code == 200, r.json
    assert r.json["state"] == "approved"
