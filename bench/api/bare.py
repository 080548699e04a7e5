"""The baseline of bench/api: the portal's three API calls as a bare Flask app.

Same database, same data, same answers (the fields of the portal's JSON), same
gunicorn settings; what it leaves out is what the benchmark weighs: the ORM,
flask-smorest/marshmallow, Flask-Login, CSRF, Babel, the audit hash chains (one per
agency) and their locks, the commit hook. Each call runs hand-written SQL on a plain SQLAlchemy
engine in one transaction:

  auth     the bearer token's SHA-256 looked up with the user, agency path and roles
           in one query (the portal: three); no token, no answer, as in the portal
  catalog  items on offer with their current version, by key
  orders   the caller's agency subtree, newest first: count + one page (page,
           per_page as the portal) with the item key and creator joined in
  submit   the catalog library's own validation (catalog.form), the same quota check
           (limits of the agency and its ancestors, a row lock on the limiting
           agencies in id order, subtree usage), then INSERTs of the order, its quota
           cost rows, its timeline events and its audit events; the audit rows are
           hashed but not chained, so no advisory lock serializes an agency's writers;
           an order approved at once is planned for provisioning as in the portal (its
           resource, operation and steps, an audit row) and, after the commit, the
           worker's task is published to the same broker and queue

Callers are agency staff (the bench uses members); others get 403 here.
Run by bench/api/run: gunicorn -c bench/api/gunicorn.conf.py bench.api.bare:app
"""

import hashlib
import json
import os
import uuid
from datetime import UTC, datetime

from celery import Celery
from flask import Flask, jsonify, request
from sqlalchemy import Integer, String, bindparam, create_engine, text

from catalog.form import quota_cost, resolve_spec, validate_parameters

# A plain pool sized to the worker's threads; no pre-ping, no per-request setup.
engine = create_engine(
    os.environ["BENCH_DATABASE_URL"], pool_size=int(os.environ.get("BENCH_THREADS", "4"))
)
app = Flask(__name__)
# Only to publish: the portal's worker task, by name, to the portal's queue.
broker = Celery(broker=os.environ["JIYUN_BROKER_URL"])
QUEUE = os.environ["JIYUN_TASK_QUEUE"]

AGENCY_ROLES = {"agency_member", "agency_manager"}
HELD_STATES = [
    "submitted",
    "awaiting_approval",
    "approved",
    "provisioning",
]  # orders a quota counts
LIVE_STATES = ["provisioning", "active", "stopped", "missing"]  # resources a quota counts
GENESIS = "0" * 64

AUTH = text("""
    SELECT u.id, u.username, u.agency_id, a.path, a.code, a.cloud_project_id,
           ARRAY(SELECT r.role FROM user_roles r WHERE r.user_id = u.id) AS roles
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    LEFT JOIN agencies a ON a.id = u.agency_id
    WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND u.is_enabled""")
CATALOG = """
    SELECT i.id, i.key, i.kind, v.id AS version_id, v.number, v.definition
    FROM catalog_items i JOIN catalog_item_versions v ON v.id = i.current_version_id
    WHERE i.retired_at IS NULL"""
CATALOG_LIST = text(CATALOG + " ORDER BY i.key")
CATALOG_ITEM = text(CATALOG + " AND i.key = :key")
# The scope of an agency user: the agency's subtree by materialized path. The path and
# the page's bounds are written into the SQL, as the portal writes them (agency_scope,
# portal.core.paging), so PostgreSQL plans for them even in a generic plan.
SCOPE_PATH = bindparam("path", type_=String, literal_execute=True)
PAGE_BOUNDS = (
    bindparam("limit", type_=Integer, literal_execute=True),
    bindparam("offset", type_=Integer, literal_execute=True),
)
COUNT_ORDERS = text("""SELECT count(*) FROM orders
    WHERE agency_id IN (SELECT id FROM agencies WHERE path LIKE :path || '%')""").bindparams(
    SCOPE_PATH
)
# The fields of the portal's OrderOut (a list row; the detail has parameters, cost…).
PAGE_ORDERS = text("""
    SELECT o.id, o.agency_id, i.key AS item, o.state, o.version, o.sla_tier,
           u.username AS created_by, o.created_at, o.submitted_at, o.decided_at
    FROM orders o
    JOIN catalog_items i ON i.id = o.item_id
    JOIN users u ON u.id = o.created_by_id
    WHERE o.agency_id IN (SELECT id FROM agencies WHERE path LIKE :path || '%')
    ORDER BY o.id DESC LIMIT :limit OFFSET :offset""").bindparams(SCOPE_PATH, *PAGE_BOUNDS)
LIMITS = text("""SELECT agency_id, resource, "limit" FROM quotas
    WHERE agency_id = ANY(:ancestors) AND resource = ANY(:resources)""")
# FOR NO KEY UPDATE: the portal's with_for_update(key_share=True)
LOCK = text("SELECT id, path FROM agencies WHERE id = ANY(:ids) ORDER BY id FOR NO KEY UPDATE")
# What one subtree holds: its held orders and its live resources, in one statement.
HELD_UNDER = text("""
    SELECT c.resource, sum(c.amount) FROM order_quota_costs c
    JOIN orders o ON o.id = c.order_id JOIN agencies a ON a.id = o.agency_id
    WHERE a.path LIKE :path || '%' AND o.state = ANY(:states) AND c.resource = ANY(:resources)
    GROUP BY c.resource
    UNION ALL
    SELECT c.resource, sum(c.amount) FROM resource_quota_costs c
    JOIN resources r ON r.id = c.resource_id JOIN agencies a ON a.id = r.agency_id
    WHERE a.path LIKE :path || '%' AND r.state = ANY(:live) AND c.resource = ANY(:resources)
    GROUP BY c.resource""")
INSERT_RESOURCE = text("""
    INSERT INTO resources (agency_id, order_id, item_id, catalog_version_id, kind, name,
        state, sla_tier, size, cloud, created_at, version)
    VALUES (:agency_id, :order_id, :item_id, :version_id, :kind, :name, 'provisioning',
        :sla_tier, CAST(:size AS jsonb), '{}', :now, 1)
    RETURNING id""")
INSERT_OPERATION = text("""
    INSERT INTO operations (id, kind, agency_id, order_id, resource_id, spec, state,
        attempts, created_at)
    VALUES (:id, 'provision', :agency_id, :order_id, :resource_id, CAST(:spec AS jsonb),
        'queued', 0, :now)""")
INSERT_OPERATION_STEP = text("""
    INSERT INTO operation_steps (operation_id, seq, name, action, params, state, attempts)
    VALUES (:operation_id, :seq, :name, :action, CAST(:params AS jsonb), :state, 0)""")
INSERT_ORDER = text("""
    INSERT INTO orders (agency_id, item_id, catalog_version_id, created_by_id, state,
        parameters, spec, sla_tier, current_step, version, created_at, submitted_at,
        decided_at)
    VALUES (:agency_id, :item_id, :version_id, :user_id, :state, CAST(:parameters AS jsonb),
        CAST(:spec AS jsonb), :sla_tier, :current_step, 1, :now, :now, :decided_at)
    RETURNING id""")
INSERT_COST = text("""INSERT INTO order_quota_costs (order_id, resource, amount)
    VALUES (:order_id, :resource, :amount)""")
INSERT_STEP = text(
    "INSERT INTO approval_steps (order_id, seq, role, state) VALUES (:o, :seq, :role, 'pending')"
)
INSERT_EVENT = text("""
    INSERT INTO order_events (order_id, occurred_at, actor_id, kind, from_state, to_state, comment)
    VALUES (:order_id, :now, :actor_id, :kind, :from_state, :to_state, :comment)""")
INSERT_AUDIT = text("""
    INSERT INTO audit_events (occurred_at, actor_id, actor_name, action, object_type,
        object_id, agency_id, after, source_address, prev_hash, hash)
    VALUES (:now, :actor_id, :actor_name, :action, 'order', :object_id, :agency_id,
        CAST(:after AS jsonb), :address, :prev_hash, :hash)""")


class ApiError(Exception):
    def __init__(self, status, code, fields=None):
        super().__init__(code)
        self.status, self.code, self.fields = status, code, fields or {}


@app.errorhandler(ApiError)
def _api_error(error):
    body = {"error": {"code": error.code, "message": error.code, "fields": error.fields}}
    return jsonify(body), error.status


def _caller(conn):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith("jy_"):
        raise ApiError(401, "unauthorized")
    user = conn.execute(AUTH, {"hash": hashlib.sha256(token.encode()).hexdigest()}).first()
    if user is None:
        raise ApiError(401, "unauthorized")
    if user.path is None or not AGENCY_ROLES & set(user.roles):
        raise ApiError(403, "forbidden")
    return user


def _time(value):
    return value.isoformat() if value is not None else None


def _int_arg(name, default, low, high):
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        raise ApiError(422, "invalid_input", {name: "Not a valid integer."}) from None
    if not low <= value <= high:
        raise ApiError(422, "invalid_input", {name: "Out of range."})
    return value


@app.get("/api/v1/catalog/items")
def catalog_items():
    with engine.begin() as conn:
        _caller(conn)
        rows = conn.execute(CATALOG_LIST).all()
    return jsonify(
        [
            {
                "key": row.key,
                "kind": row.kind,
                "version": row.number,
                "name": row.definition["name"],
                "description": row.definition["description"],
            }
            for row in rows
        ]
    )


@app.get("/api/v1/orders")
def orders():
    page = _int_arg("page", 1, 1, 100_000)  # the portal's MAX_PAGE
    per_page = _int_arg("per_page", 50, 1, 200)
    with engine.begin() as conn:
        caller = _caller(conn)
        scope = {"path": caller.path}
        total = conn.execute(COUNT_ORDERS, scope).scalar_one()
        rows = conn.execute(
            PAGE_ORDERS, {**scope, "limit": per_page, "offset": (page - 1) * per_page}
        ).all()
    found = []
    for row in rows:
        order = row._asdict()
        order["number"] = f"SR{row.id:06d}"
        for name in ("created_at", "submitted_at", "decided_at"):
            order[name] = _time(order[name])
        found.append(order)
    return jsonify({"total": total, "page": page, "orders": found})


def _check_quota(conn, caller, cost):
    """The portal's quota check, statement for statement (portal/orders/quota.py)."""
    ancestors = [int(part) for part in caller.path.strip("/").split("/")]
    wanted = sorted(resource for resource, amount in cost.items() if amount > 0)
    limits = conn.execute(LIMITS, {"ancestors": ancestors, "resources": wanted}).all()
    if not limits:
        return
    locked = conn.execute(LOCK, {"ids": sorted({q.agency_id for q in limits})}).all()
    shortfalls = {}
    for agency in locked:
        used = {}
        held = conn.execute(
            HELD_UNDER,
            {"path": agency.path, "states": HELD_STATES, "live": LIVE_STATES, "resources": wanted},
        )
        for resource, amount in held:
            used[resource] = used.get(resource, 0) + amount
        for quota in (q for q in limits if q.agency_id == agency.id):
            if cost[quota.resource] > quota.limit - (used.get(quota.resource) or 0):
                shortfalls[quota.resource] = "exceeds the quota"
    if shortfalls:
        raise ApiError(409, "quota_exceeded", shortfalls)


def _auto_approvable(definition, cost):
    rule = definition["approval"].get("auto_approve")
    return bool(rule) and all(cost.get(r, 0) <= most for r, most in rule["within"].items())


def _timeline(caller, state):
    """(kind, from, to, actor) of the portal's _submit: created, submitted, decided;
    an automatic approval is the portal's own act (no actor), as in the portal."""
    last = ("auto_approved", None) if state == "approved" else ("awaiting_approval", caller)
    return [
        ("created", None, "draft", caller),
        ("submitted", "draft", "submitted", caller),
        (last[0], "submitted", state, last[1]),
    ]


@app.post("/api/v1/orders")
def submit():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("parameters"), dict):
        raise ApiError(422, "invalid_input", {"parameters": "A JSON object is required."})
    with engine.begin() as conn:
        caller = _caller(conn)
        item = conn.execute(CATALOG_ITEM, {"key": data.get("item")}).first()
        if item is None:
            raise ApiError(404, "not_found", {"item": "Unknown or retired catalog item."})
        definition = item.definition
        values, errors = validate_parameters(definition, data["parameters"])
        if errors:
            raise ApiError(422, "invalid_input", {name: e.code for name, e in errors.items()})
        spec = resolve_spec(definition, values)
        cost = quota_cost(definition, spec)
        _check_quota(conn, caller, cost)
        chain = definition["approval"]["chain"]
        approved = not chain or _auto_approvable(definition, cost)
        order = {
            "agency_id": caller.agency_id,
            "item_id": item.id,
            "version_id": item.version_id,
            "user_id": caller.id,
            "state": "approved" if approved else "awaiting_approval",
            "parameters": values,
            "spec": spec,
            "sla_tier": definition["sla_tiers"][0]["key"],
            "current_step": None if approved else 1,
            "now": datetime.now(UTC),
            "decided_at": None,
        }
        order["decided_at"] = order["now"] if approved else None
        steps = [] if approved else list(enumerate(chain, 1))
        order_id = _insert(conn, caller, item, order, cost, steps)
        operation_id = _plan(conn, caller, item, order, order_id) if approved else None
    if operation_id:
        broker.send_task("portal.provisioning.run_operation", args=[operation_id], queue=QUEUE)
    return jsonify(_order_json(order_id, caller, item, order, cost, steps)), 201


def _insert(conn, caller, item, order, cost, steps):
    """The order, its quota cost, approval steps, timeline and audit rows; its id."""
    as_json = {name: json.dumps(order[name]) for name in ("parameters", "spec")}
    order_id = conn.execute(INSERT_ORDER, {**order, **as_json}).scalar_one()
    conn.execute(
        INSERT_COST, [{"order_id": order_id, "resource": r, "amount": a} for r, a in cost.items()]
    )
    if steps:
        conn.execute(INSERT_STEP, [{"o": order_id, "seq": s, "role": r} for s, r in steps])
    now, timeline = order["now"], _timeline(caller, order["state"])
    events = [
        {
            "order_id": order_id,
            "now": now,
            "actor_id": actor.id if actor else None,
            "kind": kind,
            "from_state": old,
            "to_state": new,
            "comment": None,
        }
        for kind, old, new, actor in timeline
    ]
    conn.execute(INSERT_EVENT, events)
    audit = []
    for kind, _, new, actor in timeline:
        after = {"state": new}
        if kind == "created":
            after = {"item": item.key, "version": item.number, "parameters": order["parameters"]}
        audit.append(_audit_row(actor, caller.agency_id, order_id, now, kind, after))
    conn.execute(INSERT_AUDIT, audit)
    return order_id


def _plan(conn, caller, item, order, order_id):
    """What the portal's provisioning.service.provision writes: the resource, its
    operation and steps, an audit row; the operation's id."""
    definition, spec, now = item.definition, order["spec"], order["now"]
    plan = definition["provisioning"]
    size = {key: spec[key] for key in ("size_gb", "vcpus", "ram_gb", "cloud_flavor") if key in spec}
    resource_id = conn.execute(
        INSERT_RESOURCE,
        {
            **order,
            "order_id": order_id,
            "kind": definition["kind"],
            "name": str(spec[plan["name_from"]]),
            "size": json.dumps(size),
        },
    ).scalar_one()
    operation_id = str(uuid.uuid4())
    steps = [("prepare_project", "cloud.prepare_project", {}, "pending")]
    for step in plan["steps"]:
        params = {key: step[key] for key in ("playbook", "size_from", "name_suffix") if key in step}
        skipped = "only_if" in step and not spec.get(step["only_if"])
        steps.append((step["name"], step["action"], params, "skipped" if skipped else "pending"))
    op_spec = {
        **spec,
        "agency_code": caller.code,
        "project_id": caller.cloud_project_id,
        "name": str(spec[plan["name_from"]]),
        "sla_tier": order["sla_tier"],
        "item_kind": definition["kind"],
    }
    conn.execute(
        INSERT_OPERATION,
        {
            "id": operation_id,
            "agency_id": caller.agency_id,
            "order_id": order_id,
            "resource_id": resource_id,
            "spec": json.dumps(op_spec),
            "now": now,
        },
    )
    conn.execute(
        INSERT_OPERATION_STEP,
        [
            {
                "operation_id": operation_id,
                "seq": seq,
                "name": name,
                "action": action,
                "params": json.dumps(params),
                "state": state,
            }
            for seq, (name, action, params, state) in enumerate(steps, 1)
        ],
    )
    conn.execute(
        INSERT_AUDIT,
        [
            _audit_row(
                None, caller.agency_id, order_id, now, "provision.planned", {"order": order_id}
            )
        ],
    )
    return operation_id


def _audit_row(actor, agency_id, order_id, now, kind, after):
    """An audit event as the portal writes it, hashed alone (no chain head, no lock)."""
    row = {
        "now": now,
        "actor_id": actor.id if actor else None,
        "actor_name": actor.username if actor else "system",
        "action": f"order.{kind}",
        "object_id": str(order_id),
        "agency_id": agency_id,
        "after": json.dumps(after),
        "address": request.remote_addr,
    }
    payload = json.dumps({**row, "now": now.isoformat()}, sort_keys=True)
    return {**row, "prev_hash": GENESIS, "hash": hashlib.sha256(payload.encode()).hexdigest()}


def _order_json(order_id, caller, item, order, cost, steps):
    """The fields of the portal's OrderDetailOut."""
    now = _time(order["now"])
    return {
        "id": order_id,
        "number": f"SR{order_id:06d}",
        "agency_id": caller.agency_id,
        "item": item.key,
        "catalog_version": item.number,
        "state": order["state"],
        "version": 1,
        "parameters": order["parameters"],
        "spec": order["spec"],
        "sla_tier": order["sla_tier"],
        "quota_cost": cost,
        "created_by": caller.username,
        "created_at": now,
        "submitted_at": now,
        "decided_at": _time(order["decided_at"]),
        "steps": [
            {"seq": s, "role": r, "state": "pending", "decided_by": None}
            | {"decided_at": None, "comment": None}
            for s, r in steps
        ],
        "events": [
            {"occurred_at": now, "actor": actor.username if actor else None, "kind": kind}
            | {"from_state": old, "to_state": new, "comment": None}
            for kind, old, new, actor in _timeline(caller, order["state"])
        ],
    }
