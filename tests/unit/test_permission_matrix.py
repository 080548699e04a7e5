"""The permission matrix: every route × every role × own/other agency (DESIGN.md, Testing).

`ROUTES` below classifies every (rule, method) the app serves. For each route it says,
per role, what must happen when that role's user calls it on an object of their own
agency (bureau a) and on one of another agency (bureau b). `test_every_route_is_classified`
reads the app's url_map and fails naming any route the table does not classify, so a
new route cannot ship without a line here; `test_permission` runs every cell.

The expectations are written from the rules (DESIGN.md's role table, "Permissions live on
the objects", four eyes) and the code's stated intent, not computed with the portal's
permission functions. Outcomes:

    ok       allowed: 2xx or 3xx (and not a redirect to the login page); where the route
             changes something, the change must be in the database
    unauth   not logged in: a page redirects to /login?next=…, the API answers 401
    403      refused: the user may not do this (but may see the object, if it names one)
    404      refused without confirming that the object exists (other agencies' objects)
    ok[…]    a list: allowed, and it shows exactly the objects named, nothing else: the
             seeded orders a1, a2, b1, b2 (see Matrix) or the agencies d, a, b, t, c

Scopes (whose object the request names):

    self     an order the acting user made (agency roles only: nobody else can order)
    own      an object of bureau a, the agency of member.a and manager.a: an order made by
             their colleague member2.a, or member2.a as a user; a token is the user's own
    other    an object of bureau b: an order made by member.b, or member.b as a user; a
             token is member.b's
    -        no object, or the caller is anonymous (refused before any object is read)

For the platform-wide and vendor roles, who belong to no agency, "own" and "other" are
simply bureau a and bureau b: their answer must not depend on it.

A cell whose code is wrong keeps the correct expectation and is listed in KNOWN_BUGS,
which marks it xfail(strict=True): fixing the bug turns the cell into an XPASS failure,
so the entry must then be removed.
"""

import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from portal.accounts.models import ApiToken, User
from portal.accounts.roles import Role
from portal.billing import service as billing
from portal.billing.models import Bill, Budget
from portal.billing.prices import sync_price_lists
from portal.extensions import db
from portal.incidents import service as incidents
from portal.incidents.models import Incident
from portal.inventory.models import Resource
from portal.knowledge import service as knowledge
from portal.knowledge.models import IncidentArticle, KnowledgeArticle
from portal.maintenance import approvals
from portal.maintenance import service as maintenance
from portal.maintenance.artifacts import runs_root
from portal.maintenance.models import MaintenanceRun
from portal.maintenance.states import RunState
from portal.orders import service as orders
from portal.orders.models import Order
from portal.provisioning import engine
from portal.provisioning.models import Operation
from portal.provisioning.tasks import runtime
from portal.tenancy.models import Agency
from portal.vendors.models import (
    Certificate,
    Contract,
    ExpertReview,
    SatisfactionSurvey,
    Technician,
    Vendor,
)
from tests.billing_factories import make_resource, write_price_lists
from tests.conftest import csrf_token, login, make_app, provisioning_config
from tests.factories import PASSWORD

# ---------------------------------------------------------------------------------------
# Who acts, and on whose objects.

ROLE_USERS = {
    "anonymous": None,
    "agency_member": "member.a",
    "agency_manager": "manager.a",
    "platform_operator": "operator",
    "finance_officer": "finance",
    "auditor": "auditor",
    "admin": "admin",
    "vendor_technician": "vendor.tech",
    "vendor_manager": "vendor.manager",
}
AGENCY_ROLES = {"agency_member", "agency_manager"}

SELF, OWN, OTHER, ANY = "self", "own", "other", "-"

# What a route names, which decides the scopes its cells are run in.
NOTHING = "nothing"  # no object
LISTING = "listing"  # a list: checked for what it shows of bureau a and bureau b
AGENCY = "agency"  # /…/<agency_id>: bureau a or bureau b
ORDER = "order"  # /…/<order_id>: an order of bureau a or bureau b
MY_ORDER = "my order"  # as ORDER, where who made the order matters: adds "self"
TOKEN = "token"  # the user's own API token, or member.b's
RESOURCE = "resource"  # /…/<resource_id> or its operation: a volume of bureau a or b
USER = "user"  # /…/<user_id>: member2.a (bureau a) or member.b (bureau b)
BILL = "bill"  # /…/<bill_id>: bureau a's or bureau b's bill (see "Billing" below)
VENDOR = "vendor"  # /…/<vendor_id> and below: vendor v1 or v2 (see "Vendors" below)
INCIDENT = "incident"  # /…/<incident_id>: bureau a's or bureau b's (see "Incidents" below)


def scopes_for(objects, role):
    if role == "anonymous" or objects in (NOTHING, LISTING):
        return [ANY]
    if objects == MY_ORDER and role in AGENCY_ROLES:
        return [SELF, OWN, OTHER]
    return [OWN, OTHER]


# ---------------------------------------------------------------------------------------
# The table's vocabulary.


def expect(**by_role):
    """One row of the matrix: an outcome per role, every role named."""
    missing, unknown = set(ROLE_USERS) - set(by_role), set(by_role) - set(ROLE_USERS)
    if missing or unknown:
        raise ValueError(f"a matrix row must name every role: missing {missing}, unknown {unknown}")
    return by_role


def seen(*labels):
    return f"ok[{' '.join(labels)}]"


EVERYONE = expect(
    anonymous="ok",
    agency_member="ok",
    agency_manager="ok",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="ok",
    vendor_manager="ok",
)
ANY_USER = expect(
    anonymous="unauth",
    agency_member="ok",
    agency_manager="ok",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="ok",
    vendor_manager="ok",
)
AUDITORS_ONLY = expect(  # "auditor: read-only everything, the audit log and its integrity check"
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="403",
    finance_officer="403",
    auditor="ok",
    admin="ok",
    vendor_technician="403",
    vendor_manager="403",
)
ADMINS_ONLY = expect(  # "admin: users, roles, system settings"
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="ok",
    vendor_technician="403",
    vendor_manager="403",
)
AGENCY_STAFF_ORDER = expect(  # staff order for their own agency; no one else orders
    anonymous="unauth",
    agency_member="ok",
    agency_manager="ok",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)
# Orders: bureau a's staff see a's orders only; platform-wide roles see every order;
# vendors serve no agency yet (no vendor assignments exist), so they see none.
LIST_ORDERS = expect(
    anonymous="unauth",
    agency_member=seen("a1", "a2", "ra", "da"),
    agency_manager=seen("a1", "a2", "ra", "da"),
    platform_operator=seen("a1", "a2", "b1", "b2", "ra", "rb", "da", "db"),
    finance_officer=seen("a1", "a2", "b1", "b2", "ra", "rb", "da", "db"),
    auditor=seen("a1", "a2", "b1", "b2", "ra", "rb", "da", "db"),
    admin=seen("a1", "a2", "b1", "b2", "ra", "rb", "da", "db"),
    vendor_technician=seen(),
    vendor_manager=seen(),
)
# The approval queue: what the user may decide now. a1/b1 wait for their agency's
# manager, a2/b2 for a platform operator.
APPROVAL_QUEUE = expect(
    anonymous="unauth",
    agency_member=seen(),
    agency_manager=seen("a1"),
    platform_operator=seen("a2", "b2"),
    finance_officer=seen(),
    auditor=seen(),
    admin=seen(),
    vendor_technician=seen(),
    vendor_manager=seen(),
)
VIEW_ORDER = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="404",
    vendor_manager="404",
)
# Only the person who drafted a request submits it.
SUBMIT_ORDER = expect(
    anonymous="unauth",
    agency_member="self:ok own:403 other:404",
    agency_manager="self:ok own:403 other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="404",
    vendor_manager="404",
)
# Step 1 of the chain: a manager of the requesting agency, never on their own request.
DECIDE_AT_MANAGER_STEP = expect(
    anonymous="unauth",
    agency_member="self:403 own:403 other:404",
    agency_manager="self:403 own:ok other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="404",
    vendor_manager="404",
)
# Step 2: a platform operator; nobody else, whatever else they may see.
DECIDE_AT_OPERATOR_STEP = expect(
    anonymous="unauth",
    agency_member="self:403 own:403 other:404",
    agency_manager="self:403 own:403 other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="404",
    vendor_manager="404",
)
# The requester, or a manager of the requesting agency.
CANCEL_ORDER = expect(
    anonymous="unauth",
    agency_member="self:ok own:403 other:404",
    agency_manager="self:ok own:ok other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="404",
    vendor_manager="404",
)
UNKNOWN_ORDER_ACTION = expect(
    anonymous="unauth",
    agency_member="404",
    agency_manager="404",
    platform_operator="404",
    finance_officer="404",
    auditor="404",
    admin="404",
    vendor_technician="404",
    vendor_manager="404",
)
# Filtering by agency narrows what the user may see; it never widens it.
LIST_ORDERS_OF_B = expect(
    anonymous="unauth",
    agency_member=seen(),
    agency_manager=seen(),
    platform_operator=seen("b1", "b2", "rb", "db"),
    finance_officer=seen("b1", "b2", "rb", "db"),
    auditor=seen("b1", "b2", "rb", "db"),
    admin=seen("b1", "b2", "rb", "db"),
    vendor_technician=seen(),
    vendor_manager=seen(),
)
# Resources: seen like orders. The seed holds volume ra (bureau a) and rb (bureau b).
LIST_RESOURCES = expect(
    anonymous="unauth",
    agency_member=seen("ra", "da"),
    agency_manager=seen("ra", "da"),
    platform_operator=seen("ra", "rb", "da", "db"),
    finance_officer=seen("ra", "rb", "da", "db"),
    auditor=seen("ra", "rb", "da", "db"),
    admin=seen("ra", "rb", "da", "db"),
    vendor_technician=seen(),
    vendor_manager=seen(),
)
VIEW_RESOURCE = VIEW_ORDER
# Day-2 actions: staff of the owning agency and platform operators; read-only roles see
# but may not act.
OPERATE_RESOURCE = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="404",
    vendor_manager="404",
)
# Deleting loses data: the agency's managers and platform operators.
DELETE_RESOURCE = expect(
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:ok other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="404",
    vendor_manager="404",
)
# Credentials go to the person who ordered the resource (member2.a), nobody else.
REVEAL_SECRET = expect(
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:403 other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="404",
    vendor_manager="404",
)
UNKNOWN_RESOURCE_ACTION = UNKNOWN_ORDER_ACTION
# More time on a lease: the agency's own staff order it. The seeded volumes have no
# lease, so those allowed are told 409 (nothing to extend); it must not be 403/404.
EXTEND_LEASE = expect(
    anonymous="unauth",
    agency_member="own:409 other:404",
    agency_manager="own:409 other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="404",
    vendor_manager="404",
)
# Agencies: the user's subtree (bureau a has none below it), or all for platform roles.
LIST_AGENCIES = expect(
    anonymous="unauth",
    agency_member=seen("a"),
    agency_manager=seen("a"),
    platform_operator=seen("a", "b", "c", "d", "t"),
    finance_officer=seen("a", "b", "c", "d", "t"),
    auditor=seen("a", "b", "c", "d", "t"),
    admin=seen("a", "b", "c", "d", "t"),
    vendor_technician=seen(),
    vendor_manager=seen(),
)
VIEW_AGENCY = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="404",
    vendor_manager="404",
)
# Quotas are set by platform operators; the code (tenancy.permissions.can_manage_quotas)
# lets administrators do it too. Those who may see the agency are told 403, others 404.
SET_QUOTAS = expect(
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:403 other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="404",
    vendor_manager="404",
)
# The platform team onboards agencies; an agency's profile is changed like its quotas.
CHANGE_AGENCY = SET_QUOTAS
# Everyone revokes their own tokens only. Nobody else may see a user's tokens, so
# another's token is answered like a missing one.
REVOKE_TOKEN = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="own:ok other:404",
    finance_officer="own:ok other:404",
    auditor="own:ok other:404",
    admin="own:ok other:404",
    vendor_technician="own:ok other:404",
    vendor_manager="own:ok other:404",
)


# ---------------------------------------------------------------------------------------
# The database the cells run in.
#
# One app for the whole module, on a database put back from a seeded copy of the test
# world before any cell that could see what an earlier cell wrote: every cell starts from
# the state it expects, as with a fresh database per test, without building an app and
# logging in again for every cell. The seed adds four orders to the world:
#
#     a1, b1   awaiting their agency's manager (step 1), made by member2.a / member.b
#     a2, b2   awaiting a platform operator (step 2, step 1 approved by manager2.a /
#              manager.b), made by member2.a / member.b
#
# Reading cells use those. After a cell that was allowed to write, the seed is put back
# before the next cell, except after the order actions: each acts on an order made for it
# alone and touches nothing else, so they share the database until their orders could
# use up the quota (ORDER_BUDGET) or a listing would show them. A refused cell has written
# nothing (its effect, where the route has one, was checked unchanged); a cell that fails
# may have written anything, and the seed is put back after it.
# Logged-in page clients are kept per role (their sessions stay valid: the seed holds the
# same users); the routes that change the session itself get a client of their own.

VM_ORDER = {"hostname": "web-1", "flavor": "medium", "purpose": "permission matrix"}
# A medium VM exceeds the automatic approval limits: its manager, then an operator.
SECOND_MANAGER = {"a": "manager2.a", "b": "manager.b"}
SEEDED = [("a1", "member2.a", "step1"), ("a2", "member2.a", "step2"),
          ("b1", "member.b", "step1"), ("b2", "member.b", "step2")]  # fmt: skip
# Bureau a may hold 16 vCPUs (tests.factories.QUOTA); a1 and a2 hold 4, a medium VM 2:
# six more orders fit whichever agency they are made in and whatever state they reach.
ORDER_BUDGET = 6


def make_orders(app, world, *specs):
    """Orders through the service functions: specs are (creator, state), the state one of
    'draft', 'step1' (awaiting the agency's manager) or 'step2' (awaiting an operator)."""
    ids = []
    with app.app_context():
        session = db.session
        for creator, state in specs:
            user = session.get(User, world.users[creator])
            order = orders.create_order(
                session, user, "vm", dict(VM_ORDER), submit=state != "draft"
            )
            if state == "step2":
                approver = session.get(User, world.users[SECOND_MANAGER[user.agency.code]])
                orders.approve_order(session, approver, order.id, "first step")
            ids.append(order.id)
        session.commit()
    return ids


SMALL_VOLUME = {"volume_name": "matrix", "size_gb": 20, "purpose": "permission matrix"}


def make_resources(app, world):
    """A volume each for bureaus a (ra, made by member2.a) and b (rb, by member.b),
    provisioned on the simulated cloud: label → (resource id, operation id, order id).
    Their orders (fulfilled) show in the order listings under the same labels."""
    made = {}
    with app.app_context():
        session = db.session
        for label, creator in (("ra", "member2.a"), ("rb", "member.b")):
            user = session.get(User, world.users[creator])
            order = orders.create_order(session, user, "volume", dict(SMALL_VOLUME))
            session.commit()
            operation = session.scalar(select(Operation).where(Operation.order_id == order.id))
            assert engine.run(session, operation.id, runtime(app)).finished
            made[label] = (operation.resource_id, operation.id, order.id)
    return made


class Matrix:
    def __init__(self, backend, template, cloud_dir):
        template_url, self.world = template
        self.backend = backend
        self.seed_url = backend.clone(template_url)
        self.cloud = provisioning_config(cloud_dir)
        seed_app = make_app(self.seed_url, **self.cloud)
        ids = make_orders(seed_app, self.world, *((who, state) for _, who, state in SEEDED))
        self.resources = make_resources(seed_app, self.world)
        self.bills = make_bills(seed_app, self.world, cloud_dir / "prices")  # see "Billing"
        self.incidents = make_incidents(seed_app, self.world, self.resources)  # "Incidents"
        self.runs = make_runs(seed_app, self.world, self.resources)  # see "Maintenance"
        self.article = make_article(seed_app, self.world, self.incidents)  # "Knowledge"
        with seed_app.app_context():
            db.engine.dispose()
        self.seeded = {label: order_id for (label, _, _), order_id in zip(SEEDED, ids, strict=True)}
        self.work_url = backend.clone(self.seed_url)
        self.app = make_app(self.work_url, **self.cloud)
        self.dirty = False  # something beyond the seed was written
        self.orders_made = 0  # orders made by order actions since the seed was put back
        self.clients = {}

    def restore(self):
        """Put the seeded database back under the app."""
        with self.app.app_context():
            db.engine.dispose()
        self.backend.drop(self.work_url)
        work, seed = make_url(self.work_url).database, make_url(self.seed_url).database
        if self.backend.name == "sqlite":
            shutil.copyfile(seed, work)
        else:
            with self.backend.admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{work}" TEMPLATE "{seed}"'))
        self.dirty, self.orders_made = False, 0

    def prepare(self, route):
        """Put the seed back if this cell could see what earlier cells wrote."""
        if (
            self.dirty
            or (route.objects == LISTING and self.orders_made)
            or (route.order_action and self.orders_made >= ORDER_BUDGET)
        ):
            self.restore()

    def client(self, username, fresh=False):
        """A page client logged in as username (None: anonymous) and its CSRF token."""
        if fresh or username not in self.clients:
            client = self.app.test_client()
            if username:
                login(client, username)
            made = client, csrf_token(client, "/login")
            if fresh:
                return made
            self.clients[username] = made
        return self.clients[username]

    def close(self):
        with self.app.app_context():
            db.engine.dispose()
        self.backend.drop(self.work_url)
        self.backend.drop(self.seed_url)


@pytest.fixture(scope="module")
def matrix(backend, template, tmp_path_factory):
    built = Matrix(backend, template, tmp_path_factory.mktemp("matrix-cloud"))
    yield built
    built.close()


# ---------------------------------------------------------------------------------------
# What each cell sends, and the objects it needs.


@dataclass
class Ctx:
    matrix: Matrix
    role: str
    username: str | None
    scope: str

    @property
    def app(self):
        return self.matrix.app

    @property
    def world(self):
        return self.matrix.world


@dataclass
class Call:
    path: str
    form: dict = field(default_factory=dict)
    json: dict | None = None
    data: bytes | None = None  # an API body that is not JSON (a CSV file)
    object_id: int | None = None
    labels: dict = field(default_factory=dict)  # listings: object id → its label in the table


def fixed(path, **kwargs):
    return lambda ctx: Call(path, **kwargs)


def seeded_order(path):
    """Read-only routes look at a seeded order: a1 (bureau a) or b1 (bureau b)."""

    def build(ctx):
        order_id = ctx.matrix.seeded["b1" if ctx.scope == OTHER else "a1"]
        return Call(path.format(id=order_id), object_id=order_id)

    return build


def new_order(path, state, **kwargs):
    """Actions get an order of their own in `state`, made by the scope's creator."""
    creators = {SELF: None, OWN: "member2.a", OTHER: "member.b", ANY: "member2.a"}

    def build(ctx):
        creator = creators[ctx.scope] or ctx.username
        (order_id,) = make_orders(ctx.app, ctx.world, (creator, state))
        ctx.matrix.orders_made += 1
        return Call(path.format(id=order_id), object_id=order_id, **kwargs)

    build.own_order = True
    return build


def an_agency(path, **kwargs):
    def build(ctx):
        agency_id = ctx.world.agencies["b" if ctx.scope == OTHER else "a"]
        return Call(path.format(id=agency_id), object_id=agency_id, **kwargs)

    return build


def a_token(path):
    """The user's own API token, or member.b's."""

    def build(ctx):
        owner = ctx.username if ctx.scope == OWN else "member.b"
        with ctx.app.app_context():
            token_id = db.session.scalar(
                select(ApiToken.id).where(ApiToken.user_id == ctx.world.users[owner])
            )
        return Call(path.format(id=token_id), object_id=token_id)

    return build


def orders_listed(path):
    """A listing of orders; "{b}" in the path stands for bureau b's id."""

    def build(ctx):
        labels = {order_id: label for label, order_id in ctx.matrix.seeded.items()}
        labels.update({oid: label for label, (_, _, oid) in ctx.matrix.resources.items()})
        return Call(path.format(b=ctx.world.agencies["b"]), labels=labels)

    return build


def a_resource(path, **kwargs):
    """Volume ra (bureau a) or rb (bureau b); "{op}" stands for its operation's id."""

    def build(ctx):
        resource_id, operation_id, _ = ctx.matrix.resources["rb" if ctx.scope == OTHER else "ra"]
        return Call(path.format(id=resource_id, op=operation_id), object_id=resource_id, **kwargs)

    return build


def resources_listed(path):
    def build(ctx):
        labels = {rid: label for label, (rid, _, _) in ctx.matrix.resources.items()}
        return Call(path, labels=labels)

    return build


def agencies_listed(path):
    def build(ctx):
        return Call(
            path, labels={agency_id: code for code, agency_id in ctx.world.agencies.items()}
        )

    return build


def a_user(path, **kwargs):
    """member2.a or member.b; `form` below is filled in for that user."""

    def build(ctx):
        username, code = ("member.b", "b") if ctx.scope == OTHER else ("member2.a", "a")
        user_id = ctx.world.users[username]
        form = {
            "username": username,
            "display_name": "Renamed by the matrix",
            "agency_id": ctx.world.agencies[code],
            "roles": ["agency_member"],
            "enabled": "y",
        }
        return Call(path.format(id=user_id), object_id=user_id, form=form, **kwargs)

    return build


def fixed_user_reset(ctx):
    call = a_user("/admin/users/{id}/password")(ctx)
    return replace(call, form={"password": "Matrix-reset-2026"})


def new_user_form(ctx):
    form = {
        "username": "matrix.clerk",
        "display_name": "Matrix Clerk",
        "agency_id": ctx.world.agencies["a"],
        "roles": ["agency_member"],
        "password": "Clerk-password-9",
    }
    return Call("/admin/users/new", form=form)


def login_form(ctx):
    """Log in as the role's user; anonymous logs in as member.a."""
    return Call("/login", form={"username": ctx.username or "member.a", "password": PASSWORD})


NEW_PASSWORD = "Changed-password-2"
PASSWORD_FORM = {
    "current_password": PASSWORD,
    "new_password": NEW_PASSWORD,
    "confirm": NEW_PASSWORD,
}
QUOTA_FORM = {"instances": "11", "vcpus": "16", "ram_gb": "64", "disk_gb": "1000", "databases": "2"}
AGENCY_PROFILE = {
    "name_zh": "矩阵单位",
    "name_en": "Renamed by the matrix",
    "domain": "health",
    "outsourcing_mode": "hybrid",
}


def new_agency(path, as_json=False):
    def build(ctx):
        values = {**AGENCY_PROFILE, "code": "m01", "kind": "bureau"}
        values["parent_id"] = ctx.world.agencies["d"]
        return Call(path, json=values) if as_json else Call(path, form=values)

    return build


DECISION = {"comment": "permission matrix"}


# What a route that writes changes, read before and after the request: an allowed call
# must change it, a refused one must leave it as it was.


def order_state(ctx, call):
    with ctx.app.app_context():
        order = db.session.get(Order, call.object_id)
        return order.state, order.current_step


def order_values(ctx, call):
    with ctx.app.app_context():
        order = db.session.get(Order, call.object_id)
        return order.state, order.parameters


def order_count(ctx, call):
    with ctx.app.app_context():
        return db.session.scalar(select(func.count(Order.id)))


def token_count(ctx, call):
    with ctx.app.app_context():
        return db.session.scalar(select(func.count(ApiToken.id)))


def token_revoked(ctx, call):
    with ctx.app.app_context():
        return db.session.get(ApiToken, call.object_id).revoked_at is not None


def session_epochs(ctx, call):
    with ctx.app.app_context():
        return sorted(db.session.scalars(select(User.session_epoch)))


def user_count(ctx, call):
    with ctx.app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def user_facts(ctx, call):
    with ctx.app.app_context():
        user = db.session.get(User, call.object_id)
        return user.display_name, user.agency_id, sorted(user.roles), user.is_enabled


def password_facts(ctx, call):
    with ctx.app.app_context():
        user = db.session.get(User, call.object_id)
        return user.password_hash, user.must_change_password


def operation_count(ctx, call):
    with ctx.app.app_context():
        return db.session.scalar(
            select(func.count(Operation.id)).where(Operation.resource_id == call.object_id)
        )


def sealed_secret(ctx, call):
    with ctx.app.app_context():
        return db.session.get(Resource, call.object_id).sealed_secret


def agency_count(ctx, call):
    with ctx.app.app_context():
        return db.session.scalar(select(func.count(Agency.id)))


def agency_names(ctx, call):
    with ctx.app.app_context():
        agency = db.session.get(Agency, call.object_id)
        return agency.name_zh, agency.name_en


def quota_limits(ctx, call):
    with ctx.app.app_context():
        return db.session.get(Agency, call.object_id).quota_limits()


# What "allowed" means where a 3xx alone would not show it.


def logged_in_home(ctx, client, response):
    assert urlsplit(response.location).path == "/", response.location


def logged_out(ctx, client, response):
    assert urlsplit(response.location).path == "/login", response.location
    assert outcome_of(client.get("/"), api=False) == "unauth", "still logged in after logging out"


def back_to_next(ctx, client, response):
    assert response.location == "/orders/", response.location


# ---------------------------------------------------------------------------------------
# Billing: who sees costs and who changes bills, on the /billing pages and in the JSON
# API (/api/v1/billing).
#
# Costs are seen like agencies: an agency's staff see their own subtree's (bureau a has
# none below it), the platform-wide roles every agency's. Vendors are not billed and see
# no costs: they are refused outright (403) whatever they name, before any object is
# read. Price lists are public to every user (as the catalog's quotes are). Only finance
# officers make, review, adjust, finalize and reissue bills and set budgets; others who
# may see the bill or agency are told 403, those who may not 404.
#
# The seed holds the test price lists (tests.billing_factories) and every agency's bills for three
# months that ended before any resource existed (nothing to meter, every bill 0.00), one
# month per state a bill can be acted on in:

BILL_MONTHS = {"draft": date(2026, 7, 1), "under_review": date(2026, 8, 1),
               "finalized": date(2026, 9, 1)}  # fmt: skip
UNBILLED_MONTH = "2026-06"  # no bills: generating it makes five
BUDGET_YEAR = 2026

BILLING_VIEWERS = expect(
    anonymous="unauth",
    agency_member="ok",
    agency_manager="ok",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="403",
    vendor_manager="403",
)
LIST_BILLS = expect(
    anonymous="unauth",
    agency_member=seen("a"),
    agency_manager=seen("a"),
    platform_operator=seen("a", "b", "c", "d", "t"),
    finance_officer=seen("a", "b", "c", "d", "t"),
    auditor=seen("a", "b", "c", "d", "t"),
    admin=seen("a", "b", "c", "d", "t"),
    vendor_technician="403",
    vendor_manager="403",
)
# A bill, or an agency's usage, running cost or budget.
VIEW_COSTS = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="403",
    vendor_manager="403",
)
GENERATE_BILLS = expect(
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="403",
    finance_officer="ok",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)
# Submit, return, adjust, finalize, reissue a bill; set an agency's budget.
FINANCE_CHANGES = expect(
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:403 other:404",
    platform_operator="403",
    finance_officer="ok",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)


def make_bills(app, world, directory):
    """The seeded bills: state → agency code → bill id (see BILL_MONTHS)."""
    write_price_lists(directory)
    codes = {agency_id: code for code, agency_id in world.agencies.items()}
    made = {}
    with app.app_context():
        session = db.session
        finance = session.get(User, world.users["finance"])
        sync_price_lists(session, finance, directory)
        for state, month in BILL_MONTHS.items():
            billing.generate_bills(session, finance, month)
            bills = billing.current_bills(session, month)
            for bill in bills:
                if state != "draft":
                    billing.submit_for_review(session, finance, bill)
                if state == "finalized":
                    billing.finalize(session, finance, bill)
            made[state] = {codes[bill.agency_id]: bill.id for bill in bills}
        session.commit()
    return made


def a_bill(path, state, **kwargs):
    """Bureau a's or bureau b's seeded bill in `state`."""

    def build(ctx):
        bill_id = ctx.matrix.bills[state]["b" if ctx.scope == OTHER else "a"]
        return Call(path.format(id=bill_id), object_id=bill_id, **kwargs)

    return build


def bills_listed(path):
    """The draft month's bills, labelled with their agency's code."""

    def build(ctx):
        labels = {bill_id: code for code, bill_id in ctx.matrix.bills["draft"].items()}
        return Call(path.format(month=f"{BILL_MONTHS['draft']:%Y-%m}"), labels=labels)

    return build


def bill_facts(ctx, call):
    with ctx.app.app_context():
        bill = db.session.get(Bill, call.object_id)
        return bill.status, bill.total, bill.version


def bill_count(ctx, call):
    with ctx.app.app_context():
        return db.session.scalar(select(func.count(Bill.id)))


def budget_amount(ctx, call):
    with ctx.app.app_context():
        return db.session.scalar(
            select(Budget.amount).where(
                Budget.agency_id == call.object_id, Budget.year == BUDGET_YEAR
            )
        )


def a_billed_resource(path, **kwargs):
    """Bureau a's draft bill with its volume ra, or bureau b's with rb."""

    def build(ctx):
        code, label = ("b", "rb") if ctx.scope == OTHER else ("a", "ra")
        bill_id = ctx.matrix.bills["draft"][code]
        resource_id = ctx.matrix.resources[label][0]
        return Call(path.format(id=bill_id, rid=resource_id), object_id=bill_id, **kwargs)

    return build


def budget_form(ctx):
    """Bureau a's budget for BUDGET_YEAR, set through the page's form."""
    agency_id = ctx.world.agencies["a"]
    form = {"agency_code": "a", "year": str(BUDGET_YEAR), "amount": "1000.00"}
    return Call("/billing/budgets", form=form, object_id=agency_id)


# Next year's operations budget: finance and the platform-wide roles.
OPS_BUDGET = expect(
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="403",
    vendor_manager="403",
)

PAGE_BILL = "/billing/bills/<int:bill_id>"
BILL_PAGE = "/billing/bills/{id}"
API_BILL = "/api/v1/billing/bills/<int:bill_id>"
BILLS_API = "/api/v1/billing/bills/{id}"
API_COSTS = "/api/v1/billing/agencies/<int:agency_id>"
COSTS_API = "/api/v1/billing/agencies/{id}"
DRAFT_MONTH = f"{BILL_MONTHS['draft']:%Y-%m}"
REASON = {"reason": "permission matrix"}


# ---------------------------------------------------------------------------------------
# Vendors: their contracts, technicians and certificates (/api/v1/vendors).
#
# Vendors are the platform-wide roles' and the vendors' own staff's business: agency staff
# are refused outright (403) whatever they name. "own" is vendor v1 (vendor.manager's and
# vendor.tech's; its technician V1-001 is vendor.tech, with certificate HD-2026-0001),
# "other" is v2 (technician V2-001, certificate HD-2026-0002): vendor staff get 404 for
# another vendor's objects. The platform team registers vendors, records contracts and
# certificates (the district runs the exam); a vendor's manager registers its staff.

LIST_VENDORS = expect(
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator=seen("v1", "v2"),
    finance_officer=seen("v1", "v2"),
    auditor=seen("v1", "v2"),
    admin=seen("v1", "v2"),
    vendor_technician=seen("v1"),
    vendor_manager=seen("v1"),
)
VIEW_VENDOR = expect(
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="own:ok other:404",
    vendor_manager="own:ok other:404",
)
PLATFORM_TEAM_ONLY = expect(  # register a vendor, import the exam's results
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)
CERTIFY = expect(  # a contract, a certificate issued or revoked
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="own:403 other:404",
    vendor_manager="own:403 other:404",
)
REGISTER_STAFF = expect(
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="own:403 other:404",
    vendor_manager="own:ok other:404",
)
API_VENDOR = "/api/v1/vendors/<int:vendor_id>"
API_TECHNICIAN = "/api/v1/vendors/technicians/<int:technician_id>"
API_CERTIFICATE = "/api/v1/vendors/certificates/<int:certificate_id>"
EXAM_CSV = (
    b"vendor,staff_number,name,certificate_number,exam_score,issued_on,expires_on,domains,skills\n"
    b"v1,V1-077,matrix,HD-MATRIX-1,90,2026-01-01,2030-12-31,health,os\n"
)


def a_vendor(path, key="vendors", own="v1", other="v2", **kwargs):
    """v1's object of `key` (world.vendors, .technicians, .certificates) or v2's."""

    def build(ctx):
        object_id = getattr(ctx.world, key)[other if ctx.scope == OTHER else own]
        return Call(path.format(id=object_id), object_id=object_id, **kwargs)

    return build


def a_technician(path, **kwargs):
    return a_vendor(path, "technicians", "vendor.tech", "v2", **kwargs)


def a_certificate(path, **kwargs):
    return a_vendor(path, "certificates", "v1", "v2", **kwargs)


def eligibility_for_a(ctx):
    """May the technician (v1's or v2's) work on bureau a's resources?"""
    call = a_technician("/api/v1/vendors/technicians/{id}/eligibility")(ctx)
    call.path += f"?agency_id={ctx.world.agencies['a']}"
    return call


def vendors_listed(path):
    def build(ctx):
        return Call(path, labels={vid: code for code, vid in ctx.world.vendors.items()})

    return build


def counts_of(*models):
    def effect(ctx, call):
        with ctx.app.app_context():
            return tuple(
                db.session.scalar(select(func.count()).select_from(model)) for model in models
            )

    return effect


def certificate_revoked(ctx, call):
    with ctx.app.app_context():
        return db.session.get(Certificate, call.object_id).revoked_at


PAGE_VENDOR = "/vendors/<int:vendor_id>"
PAGE_TECHNICIAN = "/vendors/technicians/<int:technician_id>"


def exam_upload(ctx):
    """The exam's CSV as the page uploads it (a fresh stream for every request)."""
    return Call("/vendors/exam-results", form={"file": (io.BytesIO(EXAM_CSV), "exam.csv")})


def page_eligibility_for_a(ctx):
    call = a_technician("/vendors/technicians/{id}/eligibility")(ctx)
    call.path += f"?agency_id={ctx.world.agencies['a']}&service=volume"
    return call


NEW_CONTRACT = {
    "number": "HT-MATRIX",
    "starts_on": "2099-01-01",
    "ends_on": "2099-12-31",
    "domains": ["economy"],
}
NEW_CERTIFICATE = {
    "number": "HD-MATRIX-2",
    "domains": ["health"],
    "skills": ["os"],
    "exam_score": 80,
    "issued_on": "2026-01-01",
    "expires_on": "2030-12-31",
}


# ---------------------------------------------------------------------------------------
# Incidents (/api/v1/incidents). The seed holds, for each of bureau a (own) and bureau b
# (other), an incident on its volume (ra, rb) in each state an action needs: open,
# acknowledged, waiting (on the agency), resolved. Both bureaus are hybrid in health, and
# v1's contract runs volumes for hybrid agencies: every incident is v1's, so vendor.tech
# (certified for health) works on both bureaus' and vendor.manager assigns both.
# An agency's staff report, answer, confirm and reopen their own; the platform-wide roles
# see all, and only platform operators of them act (they close on the agency's behalf
# and assign, but do not work on a vendor's incident).

INCIDENT_STATES = ("open", "acknowledged", "waiting", "resolved")
INCIDENT_LIST = {code: [f"{code}-{state}" for state in INCIDENT_STATES] for code in ("a", "b")}
LIST_INCIDENTS = expect(
    anonymous="unauth",
    agency_member=seen(*INCIDENT_LIST["a"]),
    agency_manager=seen(*INCIDENT_LIST["a"]),
    platform_operator=seen(*INCIDENT_LIST["a"], *INCIDENT_LIST["b"]),
    finance_officer=seen(*INCIDENT_LIST["a"], *INCIDENT_LIST["b"]),
    auditor=seen(*INCIDENT_LIST["a"], *INCIDENT_LIST["b"]),
    admin=seen(*INCIDENT_LIST["a"], *INCIDENT_LIST["b"]),
    vendor_technician=seen(*INCIDENT_LIST["a"], *INCIDENT_LIST["b"]),
    vendor_manager=seen(*INCIDENT_LIST["a"], *INCIDENT_LIST["b"]),
)
VIEW_INCIDENT = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="ok",
    vendor_manager="ok",
)
OPEN_INCIDENT = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)
WORK_ON_INCIDENT = expect(  # respond, wait on the agency, resolve
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:403 other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="ok",
    vendor_manager="403",
)
ANSWER_INCIDENT = expect(  # the agency answers what the incident waited for
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="ok",
    vendor_manager="403",
)
CLOSE_INCIDENT = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)
REOPEN_INCIDENT = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)
COMMENT_INCIDENT = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="ok",
    vendor_manager="ok",
)
ASSIGN_INCIDENT = expect(
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:403 other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="ok",
)
CORRECT_CLOCK = expect(  # the platform team corrects when a clock stopped
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:403 other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)
API_INCIDENT = "/api/v1/incidents/<int:incident_id>"
# Scorecards are read by the platform-wide roles and each vendor's staff (their own);
# survey results by the platform team, auditors and admins, and a vendor's manager
# (their own); expert reviews are entered by platform operators; the agency that
# reported an incident rates it.
READ_SCORECARDS = expect(
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="ok",
    vendor_manager="ok",
)
READ_PLATFORM_SURVEYS = expect(  # the platform team's own service: not a vendor's
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="ok",
    finance_officer="403",
    auditor="ok",
    admin="ok",
    vendor_technician="403",
    vendor_manager="403",
)
READ_SURVEYS = expect(
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="ok",
    finance_officer="403",
    auditor="ok",
    admin="ok",
    vendor_technician="own:403 other:404",
    vendor_manager="own:ok other:404",
)
RATE_INCIDENT = expect(
    anonymous="unauth",
    agency_member="own:ok other:404",
    agency_manager="own:ok other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)
SCORE_PERIOD = "2026-10"


RATE_ORDER = RATE_INCIDENT  # a fulfilled order: the agency's staff, once


def rate_fulfilled_order(ctx):
    """Bureau a's fulfilled volume order (ra's), or bureau b's (rb's), from its page."""
    order_id = ctx.matrix.resources["rb" if ctx.scope == OTHER else "ra"][2]
    return Call(f"/vendors/surveys/order/{order_id}", form={"score": 4}, object_id=order_id)


def review_form(ctx):
    vendor_id = ctx.world.vendors["v1"]
    form = {"vendor_id": vendor_id, "period": SCORE_PERIOD, "score": 66}
    return Call("/vendors/scorecards/review", form=form, object_id=vendor_id)


def rate_resolved_incident(ctx):
    call = an_incident("/api/v1/vendors/surveys", "resolved")(ctx)
    call.json = {"incident_id": call.object_id, "score": 4}
    return call


def expert_score(ctx, call):
    with ctx.app.app_context():
        return db.session.scalar(
            select(ExpertReview.score).where(ExpertReview.vendor_id == call.object_id)
        )


def make_incidents(app, world, resources):
    """state → agency code → the id of an incident on its volume in that state."""
    made = {state: {} for state in INCIDENT_STATES}
    with app.app_context():
        session = db.session
        tech = session.get(User, world.users["vendor.tech"])
        # Opened two hours ago and worked on a minute apart, so that a stopped clock can
        # be corrected to a whole minute between its start and now.
        began = datetime.now(UTC) - timedelta(hours=2)
        for code, label in (("a", "ra"), ("b", "rb")):
            reporter = session.get(User, world.users[f"member.{code}"])
            for state in INCIDENT_STATES:
                incident = incidents.open_incident(
                    session,
                    reporter,
                    priority="P3",
                    title=f"{code}-{state}",
                    resource_id=resources[label][0],
                    now=began,
                )
                if state != "open":
                    incidents.respond(session, tech, incident.id, now=began + MINUTE)
                if state == "waiting":
                    incidents.wait_on_agency(
                        session, tech, incident.id, "logs, please", now=began + 2 * MINUTE
                    )
                if state == "resolved":
                    incidents.resolve(session, tech, incident.id, "fixed", now=began + 3 * MINUTE)
                made[state][code] = incident.id
        session.commit()
    return made


MINUTE = timedelta(minutes=1)
BEIJING = ZoneInfo("Asia/Shanghai")  # the test users' time zone


def a_response_corrected(path, page=False):
    """Correct the acknowledged incident's response to the whole minute (Beijing time on
    the page) after it was opened: within what happened, so only the rules refuse."""

    def build(ctx):
        call = an_incident(path, "acknowledged")(ctx)
        with ctx.app.app_context():
            opened = db.session.get(Incident, call.object_id).opened_at
        moment = (opened + MINUTE).astimezone(BEIJING).replace(second=0, microsecond=0)
        body = {"clock": "response", "note": "permission matrix"}
        if page:
            return replace(call, form={**body, "at": moment.strftime("%Y-%m-%dT%H:%M")})
        return replace(call, json={**body, "at": moment.isoformat()})

    return build


def an_incident(path, state, **kwargs):
    def build(ctx):
        incident_id = ctx.matrix.incidents[state]["b" if ctx.scope == OTHER else "a"]
        return Call(path.format(id=incident_id), object_id=incident_id, **kwargs)

    return build


def incidents_listed(path):
    def build(ctx):
        labels = {
            incident_id: f"{code}-{state}"
            for state, by_code in ctx.matrix.incidents.items()
            for code, incident_id in by_code.items()
        }
        return Call(path, labels=labels)

    return build


def incident_on_a_volume(path, page=False):
    """Open an incident on bureau a's volume ra (or b's rb), by the API or the form."""

    def build(ctx):
        label = "rb" if ctx.scope == OTHER else "ra"
        values = {"resource_id": ctx.matrix.resources[label][0], "priority": "P4"}
        if page:
            return Call(path, form={**values, "title": "matrix"})
        return Call(path, json={**values, "title": "matrix"})

    return build


def incident_form_for_a_volume(ctx):
    label = "rb" if ctx.scope == OTHER else "ra"
    return Call(f"/incidents/new?resource_id={ctx.matrix.resources[label][0]}")


def assign_vendor_tech(ctx):
    """Bureau a's (or b's) open incident, to vendor.tech."""
    technician_id = ctx.world.technicians["vendor.tech"]
    path = "/api/v1/incidents/{id}/assign"
    return an_incident(path, "open", json={"technician_id": technician_id})(ctx)


def page_assign_vendor_tech(ctx):
    technician_id = ctx.world.technicians["vendor.tech"]
    return an_incident("/incidents/{id}/assign", "open", form={"technician_id": technician_id})(ctx)


def incident_facts(ctx, call):
    with ctx.app.app_context():
        incident = db.session.get(Incident, call.object_id)
        return incident.state, incident.technician_id, len(incident.events)


NOTE = {"note": "permission matrix"}


# ---------------------------------------------------------------------------------------
# Maintenance runs (/maintenance, /api/v1/maintenance). The seed holds a PostgreSQL
# database for each of bureau a (da, own) and bureau b (db, other), both operated by v1
# (hybrid, health), and vendor.tech's backup runs on each in the states the actions need:
# a planned check run (start, cancel), a succeeded check run (apply), a planned real run
# (submit) and one awaiting approval (approve, reject). The check runs are marked
# succeeded in the seed rather than run: running Ansible is the integration tests' job.
# An agency's staff see the runs on their resources; the platform-wide roles see all,
# vendor staff their vendor's; only the planning technician starts and submits, a
# technician of the vendor plans the real run, platform operators approve or reject,
# the technician or an operator cancels.

RUN_STATES = ("planned", "checked", "apply_planned", "awaiting")
LIST_RUNS = expect(
    anonymous="unauth",
    agency_member=seen(*(f"a-{state}" for state in RUN_STATES)),
    agency_manager=seen(*(f"a-{state}" for state in RUN_STATES)),
    platform_operator=seen(*(f"{c}-{state}" for c in "ab" for state in RUN_STATES)),
    finance_officer=seen(*(f"{c}-{state}" for c in "ab" for state in RUN_STATES)),
    auditor=seen(*(f"{c}-{state}" for c in "ab" for state in RUN_STATES)),
    admin=seen(*(f"{c}-{state}" for c in "ab" for state in RUN_STATES)),
    vendor_technician=seen(*(f"{c}-{state}" for c in "ab" for state in RUN_STATES)),
    vendor_manager=seen(*(f"{c}-{state}" for c in "ab" for state in RUN_STATES)),
)
ANYONE_SEEING = expect(  # the playbooks: every signed-in user may read the catalog of them
    anonymous="unauth",
    agency_member="ok",
    agency_manager="ok",
    platform_operator="ok",
    finance_officer="ok",
    auditor="ok",
    admin="ok",
    vendor_technician="ok",
    vendor_manager="ok",
)
TECHNICIANS_PLAN = expect(
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="ok",
    vendor_manager="403",
)
VIEW_RUN = VIEW_INCIDENT
RUN_IT = expect(  # start, submit, plan the real run
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:403 other:404",
    platform_operator="403",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="ok",
    vendor_manager="403",
)
DECIDE_RUN = expect(
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:403 other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="403",
    vendor_manager="403",
)
CANCEL_RUN = expect(
    anonymous="unauth",
    agency_member="own:403 other:404",
    agency_manager="own:403 other:404",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="ok",
    vendor_manager="403",
)
API_RUN = "/api/v1/maintenance/runs/<int:run_id>"


def make_runs(app, world, resources):
    """state → agency code → run id; the databases join `resources` as da and db."""
    made = {state: {} for state in RUN_STATES}
    with app.app_context():
        session = db.session
        tech = session.get(User, world.users["vendor.tech"])
        for code in "ab":
            database = make_resource(
                session,
                world.agencies[code],
                "postgresql",
                # Made now, as the volumes were: after the months the seed bills.
                [(datetime.now(UTC), "created", "active", {"storage_gb": 20})],
                name=f"d{code}",
            )
            database.cloud = {"host": "127.0.0.1", "port": 5432, "database": f"d{code}"}
            resources[f"d{code}"] = (database.id, None, database.order_id)

            def plan(database=database):
                return maintenance.plan_run(
                    session, tech, playbook="backup_postgresql", resource_ids=[database.id]
                )

            made["planned"][code] = plan().id
            checked = plan()
            checked.state, checked.finished_at = RunState.SUCCEEDED, checked.created_at
            # What ansible-runner leaves, for the artifacts' download.
            folder = runs_root(app.config) / checked.uuid / "artifacts" / checked.uuid
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "stdout").write_text("ok=1", encoding="utf-8")
            checked.artifact_path = str(folder)
            session.flush()
            made["checked"][code] = checked.id
            made["apply_planned"][code] = maintenance.plan_apply(session, tech, checked.id).id
            awaiting = maintenance.plan_apply(session, tech, checked.id)
            approvals.submit(session, tech, awaiting.id)
            made["awaiting"][code] = awaiting.id
        session.commit()
    return made


def a_run(path, state, **kwargs):
    def build(ctx):
        run_id = ctx.matrix.runs[state]["b" if ctx.scope == OTHER else "a"]
        return Call(path.format(id=run_id), object_id=run_id, **kwargs)

    return build


def runs_listed(path):
    def build(ctx):
        labels = {
            run_id: f"{code}-{state}"
            for state, by_code in ctx.matrix.runs.items()
            for code, run_id in by_code.items()
        }
        return Call(path, labels=labels)

    return build


def plan_on_a_database(path, page=False):
    def build(ctx):
        resource_id = ctx.matrix.resources["db" if ctx.scope == OTHER else "da"][0]
        values = {"playbook": "backup_postgresql", "resource_ids": [resource_id]}
        return Call(path, form=values) if page else Call(path, json=values)

    return build


def run_facts(ctx, call):
    with ctx.app.app_context():
        run = db.session.get(MaintenanceRun, call.object_id)
        count = db.session.scalar(select(func.count()).select_from(MaintenanceRun))
        return run.state, count


# ---------------------------------------------------------------------------------------
# The knowledge base (/knowledge, /api/v1/knowledge, citations on incidents). Articles
# carry no agency data: every role reads them; platform operators and vendor staff write
# them. The seed holds one article, cited by both bureaus' acknowledged incidents (v1's);
# citing works like working on the incident: vendor.tech may, others who see it may not.

READ_ARTICLES = ANYONE_SEEING
WRITE_ARTICLES = expect(
    anonymous="unauth",
    agency_member="403",
    agency_manager="403",
    platform_operator="ok",
    finance_officer="403",
    auditor="403",
    admin="403",
    vendor_technician="ok",
    vendor_manager="ok",
)
ARTICLE = {
    "title": "矩阵",
    "body": "权限矩阵的测试文章。",
    "domains": ["health"],
    "skills": ["database"],
    "note": "matrix",
}


def make_article(app, world, incidents_made):
    """The seeded article's id, cited by the acknowledged incidents of a and b."""
    with app.app_context():
        session = db.session
        operator = session.get(User, world.users["operator"])
        tech = session.get(User, world.users["vendor.tech"])
        article = knowledge.create_article(session, operator, **ARTICLE)
        session.flush()
        for code in "ab":
            incident_id = incidents_made["acknowledged"][code]
            knowledge.link_article(session, tech, incident_id, article.id)
        session.commit()
        return article.id


def the_article(path, **kwargs):
    def build(ctx):
        return Call(path.format(id=ctx.matrix.article), object_id=ctx.matrix.article, **kwargs)

    return build


def cite_the_article(path, state, *, page=False):
    def build(ctx):
        call = an_incident(path.replace("{aid}", str(ctx.matrix.article)), state)(ctx)
        values = {"article_id": ctx.matrix.article}
        if page:
            call.form = values
        elif "{aid}" not in path:
            call.json = values
        return call

    return build


def article_version(ctx, call):
    with ctx.app.app_context():
        return db.session.get(KnowledgeArticle, call.object_id).version


def citations(ctx, call):
    with ctx.app.app_context():
        return db.session.scalar(select(func.count()).select_from(IncidentArticle))


# ---------------------------------------------------------------------------------------
# The table: every (rule, method) the app serves. One rule may have several rows where
# it does different things (the order actions) or the object's state decides who may act.


@dataclass(frozen=True, eq=False)
class Route:
    method: str
    rule: str
    objects: str
    expect: dict
    build: Callable
    variant: str = ""
    effect: Callable | None = None  # routes that write: what they change
    check_ok: Callable | None = None
    own_session: bool = False  # changes the session (login, logout, language, password)

    @property
    def order_action(self):
        """Acts on an order made for the cell alone (see Matrix)."""
        return getattr(self.build, "own_order", False)

    @property
    def api(self):
        return self.rule.startswith("/api/")

    @property
    def name(self):
        return f"{self.method} {self.rule}" + (f" [{self.variant}]" if self.variant else "")


ACT = "/orders/<int:order_id>/<action>"
API_ORDER = "/api/v1/orders/<int:order_id>"
ORDERS_API = "/api/v1/orders/{id}"

# fmt: off
ROUTES = [
    # public pages
    Route("GET", "/login", NOTHING, EVERYONE, fixed("/login")),
    Route("POST", "/login", NOTHING, EVERYONE, login_form,
          check_ok=logged_in_home, own_session=True),
    Route("GET", "/language/<code>", NOTHING, EVERYONE, fixed("/language/en?next=/orders/"),
          check_ok=back_to_next, own_session=True),
    # the user's own session and account
    Route("POST", "/logout", NOTHING, ANY_USER, fixed("/logout"),
          check_ok=logged_out, own_session=True),
    Route("GET", "/account", NOTHING, ANY_USER, fixed("/account")),
    Route("POST", "/account/password", NOTHING, ANY_USER,
          fixed("/account/password", form=PASSWORD_FORM), effect=session_epochs, own_session=True),
    Route("POST", "/account/tokens", NOTHING, ANY_USER,
          fixed("/account/tokens", form={"name": "matrix"}), effect=token_count),
    Route("POST", "/account/tokens/<int:token_id>/revoke", TOKEN, REVOKE_TOKEN,
          a_token("/account/tokens/{id}/revoke"), effect=token_revoked),
    # the start page: recent requests and the approval queue
    Route("GET", "/", LISTING, LIST_ORDERS, orders_listed("/")),
    # catalog
    Route("GET", "/catalog/", NOTHING, ANY_USER, fixed("/catalog/")),
    Route("GET", "/catalog/<key>", NOTHING, ANY_USER, fixed("/catalog/vm")),
    Route("POST", "/catalog/<key>", NOTHING, AGENCY_STAFF_ORDER,
          fixed("/catalog/vm", form={**VM_ORDER, "sla_tier": "standard"}), effect=order_count),
    Route("GET", "/catalog/<key>/quote", NOTHING, ANY_USER,
          fixed("/catalog/vm/quote?flavor=large")),
    # orders
    Route("GET", "/orders/", LISTING, LIST_ORDERS, orders_listed("/orders/")),
    Route("GET", "/orders/approvals", LISTING, APPROVAL_QUEUE, orders_listed("/orders/approvals")),
    Route("GET", "/orders/<int:order_id>", ORDER, VIEW_ORDER, seeded_order("/orders/{id}")),
    Route("POST", ACT, MY_ORDER, SUBMIT_ORDER, new_order("/orders/{id}/submit", "draft"),
          variant="submit a draft", effect=order_state),
    Route("POST", ACT, MY_ORDER, DECIDE_AT_MANAGER_STEP,
          new_order("/orders/{id}/approve", "step1", form=DECISION),
          variant="approve at the manager's step", effect=order_state),
    Route("POST", ACT, MY_ORDER, DECIDE_AT_OPERATOR_STEP,
          new_order("/orders/{id}/approve", "step2", form=DECISION),
          variant="approve at the operator's step", effect=order_state),
    Route("POST", ACT, MY_ORDER, DECIDE_AT_MANAGER_STEP,
          new_order("/orders/{id}/reject", "step1", form=DECISION),
          variant="reject at the manager's step", effect=order_state),
    Route("POST", ACT, MY_ORDER, DECIDE_AT_OPERATOR_STEP,
          new_order("/orders/{id}/reject", "step2", form=DECISION),
          variant="reject at the operator's step", effect=order_state),
    Route("POST", ACT, MY_ORDER, CANCEL_ORDER,
          new_order("/orders/{id}/cancel", "step1", form=DECISION),
          variant="cancel while awaiting approval", effect=order_state),
    Route("POST", ACT, ORDER, UNKNOWN_ORDER_ACTION, new_order("/orders/{id}/frobnicate", "step1"),
          variant="an unknown action", effect=order_state),
    # resources
    Route("GET", "/resources/", LISTING, LIST_RESOURCES, resources_listed("/resources/")),
    Route("GET", "/resources/<int:resource_id>", RESOURCE, VIEW_RESOURCE,
          a_resource("/resources/{id}")),
    Route("POST", "/resources/<int:resource_id>/<action>", RESOURCE, OPERATE_RESOURCE,
          a_resource("/resources/{id}/snapshot"), variant="snapshot", effect=operation_count),
    Route("POST", "/resources/<int:resource_id>/<action>", RESOURCE, DELETE_RESOURCE,
          a_resource("/resources/{id}/delete"), variant="delete", effect=operation_count),
    Route("POST", "/resources/<int:resource_id>/<action>", RESOURCE, UNKNOWN_RESOURCE_ACTION,
          a_resource("/resources/{id}/frobnicate"), variant="an unknown action",
          effect=operation_count),
    Route("POST", "/resources/<int:resource_id>/lease", RESOURCE, EXTEND_LEASE,
          a_resource("/resources/{id}/lease", form={"days": "10", "reason": "matrix"}),
          effect=order_count),
    Route("POST", "/resources/<int:resource_id>/secret", RESOURCE, REVEAL_SECRET,
          a_resource("/resources/{id}/secret"), effect=sealed_secret),
    Route("GET", "/operations/<operation_id>/progress", RESOURCE, VIEW_RESOURCE,
          a_resource("/operations/{op}/progress")),
    # notifications: everyone's own
    Route("GET", "/notifications/", NOTHING, ANY_USER, fixed("/notifications/")),
    Route("POST", "/notifications/read", NOTHING, ANY_USER, fixed("/notifications/read")),
    # agencies and quotas
    Route("GET", "/agencies/", LISTING, LIST_AGENCIES, agencies_listed("/agencies/")),
    Route("GET", "/agencies/<int:agency_id>", AGENCY, VIEW_AGENCY, an_agency("/agencies/{id}")),
    Route("POST", "/agencies/<int:agency_id>/quotas", AGENCY, SET_QUOTAS,
          an_agency("/agencies/{id}/quotas", form=QUOTA_FORM), effect=quota_limits),
    Route("GET", "/agencies/new", NOTHING, PLATFORM_TEAM_ONLY, fixed("/agencies/new")),
    Route("POST", "/agencies/new", NOTHING, PLATFORM_TEAM_ONLY, new_agency("/agencies/new"),
          effect=agency_count),
    Route("GET", "/agencies/<int:agency_id>/edit", AGENCY, CHANGE_AGENCY,
          an_agency("/agencies/{id}/edit")),
    Route("POST", "/agencies/<int:agency_id>/edit", AGENCY, CHANGE_AGENCY,
          an_agency("/agencies/{id}/edit", form=AGENCY_PROFILE), effect=agency_names),
    # user administration
    Route("GET", "/admin/users/", NOTHING, ADMINS_ONLY, fixed("/admin/users/")),
    Route("GET", "/admin/users/new", NOTHING, ADMINS_ONLY, fixed("/admin/users/new")),
    Route("POST", "/admin/users/new", NOTHING, ADMINS_ONLY, new_user_form, effect=user_count),
    Route("GET", "/admin/users/<int:user_id>", USER, ADMINS_ONLY, a_user("/admin/users/{id}")),
    Route("POST", "/admin/users/<int:user_id>", USER, ADMINS_ONLY, a_user("/admin/users/{id}"),
          effect=user_facts),
    Route("POST", "/admin/users/<int:user_id>/password", USER, ADMINS_ONLY,
          fixed_user_reset, effect=password_facts),
    # the audit log
    Route("GET", "/audit/", NOTHING, AUDITORS_ONLY, fixed("/audit/")),
    Route("POST", "/audit/verify", NOTHING, AUDITORS_ONLY, fixed("/audit/verify")),
    # the JSON API
    Route("GET", "/api/v1/me", NOTHING, ANY_USER, fixed("/api/v1/me")),
    Route("GET", "/api/v1/catalog/items", NOTHING, ANY_USER, fixed("/api/v1/catalog/items")),
    Route("GET", "/api/v1/catalog/items/<key>", NOTHING, ANY_USER,
          fixed("/api/v1/catalog/items/vm")),
    Route("GET", "/api/v1/agencies", LISTING, LIST_AGENCIES, agencies_listed("/api/v1/agencies")),
    Route("GET", "/api/v1/agencies/<int:agency_id>", AGENCY, VIEW_AGENCY,
          an_agency("/api/v1/agencies/{id}")),
    Route("PUT", "/api/v1/agencies/<int:agency_id>/quotas", AGENCY, SET_QUOTAS,
          an_agency("/api/v1/agencies/{id}/quotas", json={"instances": 11}), effect=quota_limits),
    Route("POST", "/api/v1/agencies", NOTHING, PLATFORM_TEAM_ONLY,
          new_agency("/api/v1/agencies", as_json=True), effect=agency_count),
    Route("PATCH", "/api/v1/agencies/<int:agency_id>", AGENCY, CHANGE_AGENCY,
          an_agency("/api/v1/agencies/{id}", json={"name_en": "Renamed by the matrix"}),
          effect=agency_names),
    Route("GET", "/api/v1/approvals", LISTING, APPROVAL_QUEUE, orders_listed("/api/v1/approvals")),
    Route("GET", "/api/v1/resources", LISTING, LIST_RESOURCES,
          resources_listed("/api/v1/resources")),
    Route("GET", "/api/v1/resources/<int:resource_id>", RESOURCE, VIEW_RESOURCE,
          a_resource("/api/v1/resources/{id}")),
    Route("POST", "/api/v1/resources/<int:resource_id>/actions", RESOURCE, OPERATE_RESOURCE,
          a_resource("/api/v1/resources/{id}/actions", json={"action": "snapshot"}),
          variant="snapshot", effect=operation_count),
    Route("POST", "/api/v1/resources/<int:resource_id>/actions", RESOURCE, DELETE_RESOURCE,
          a_resource("/api/v1/resources/{id}/actions", json={"action": "delete"}),
          variant="delete", effect=operation_count),
    Route("POST", "/api/v1/resources/<int:resource_id>/lease", RESOURCE, EXTEND_LEASE,
          a_resource("/api/v1/resources/{id}/lease", json={"days": 10}), effect=order_count),
    Route("POST", "/api/v1/resources/<int:resource_id>/secret", RESOURCE, REVEAL_SECRET,
          a_resource("/api/v1/resources/{id}/secret", json={}), effect=sealed_secret),
    Route("GET", "/api/v1/operations/<uuid:operation_id>", RESOURCE, VIEW_RESOURCE,
          a_resource("/api/v1/operations/{op}")),
    Route("GET", "/api/v1/audit/events", NOTHING, AUDITORS_ONLY, fixed("/api/v1/audit/events")),
    Route("GET", "/api/v1/audit/verify", NOTHING, AUDITORS_ONLY, fixed("/api/v1/audit/verify")),
    Route("GET", "/api/v1/orders", LISTING, LIST_ORDERS, orders_listed("/api/v1/orders")),
    Route("GET", "/api/v1/orders", LISTING, LIST_ORDERS_OF_B,
          orders_listed("/api/v1/orders?agency_id={b}"), variant="filtered to bureau b"),
    Route("POST", "/api/v1/orders", NOTHING, AGENCY_STAFF_ORDER,
          fixed("/api/v1/orders", json={"item": "vm", "parameters": VM_ORDER}), effect=order_count),
    Route("GET", API_ORDER, ORDER, VIEW_ORDER, seeded_order(ORDERS_API)),
    Route("POST", API_ORDER + "/submit", MY_ORDER, SUBMIT_ORDER,
          new_order(ORDERS_API + "/submit", "draft", json={}),
          variant="a draft", effect=order_state),
    Route("PUT", API_ORDER, MY_ORDER, SUBMIT_ORDER,  # a draft is changed by whom submits it
          new_order(ORDERS_API, "draft", json={"parameters": {**VM_ORDER, "hostname": "web-9"}}),
          variant="a draft", effect=order_values),
    Route("POST", API_ORDER + "/approve", MY_ORDER, DECIDE_AT_MANAGER_STEP,
          new_order(ORDERS_API + "/approve", "step1", json=DECISION),
          variant="at the manager's step", effect=order_state),
    Route("POST", API_ORDER + "/approve", MY_ORDER, DECIDE_AT_OPERATOR_STEP,
          new_order(ORDERS_API + "/approve", "step2", json=DECISION),
          variant="at the operator's step", effect=order_state),
    Route("POST", API_ORDER + "/reject", MY_ORDER, DECIDE_AT_MANAGER_STEP,
          new_order(ORDERS_API + "/reject", "step1", json=DECISION),
          variant="at the manager's step", effect=order_state),
    Route("POST", API_ORDER + "/reject", MY_ORDER, DECIDE_AT_OPERATOR_STEP,
          new_order(ORDERS_API + "/reject", "step2", json=DECISION),
          variant="at the operator's step", effect=order_state),
    Route("POST", API_ORDER + "/cancel", MY_ORDER, CANCEL_ORDER,
          new_order(ORDERS_API + "/cancel", "step1", json=DECISION),
          variant="while awaiting approval", effect=order_state),
    # billing, the pages (see "Billing" above for the rules and the seeded bills)
    Route("GET", "/billing/", NOTHING, BILLING_VIEWERS, fixed(f"/billing/?month={DRAFT_MONTH}")),
    Route("POST", "/billing/generate", NOTHING, GENERATE_BILLS,
          fixed("/billing/generate", form={"month": UNBILLED_MONTH}), effect=bill_count),
    Route("GET", "/billing/<month>/export.<fmt>", NOTHING, BILLING_VIEWERS,
          fixed(f"/billing/{DRAFT_MONTH}/export.csv")),
    Route("GET", PAGE_BILL, BILL, VIEW_COSTS, a_bill(BILL_PAGE, "draft")),
    Route("GET", PAGE_BILL + "/export.<fmt>", BILL, VIEW_COSTS,
          a_bill(BILL_PAGE + "/export.pdf", "draft")),
    Route("GET", PAGE_BILL + "/resources/<int:resource_id>", BILL, VIEW_COSTS,
          a_billed_resource(BILL_PAGE + "/resources/{rid}")),
    Route("POST", PAGE_BILL + "/adjust", BILL, FINANCE_CHANGES,
          a_bill(BILL_PAGE + "/adjust", "draft", form={"amount": "-1.00", **REASON}),
          effect=bill_facts),
    Route("POST", PAGE_BILL + "/<action>", BILL, FINANCE_CHANGES,
          a_bill(BILL_PAGE + "/submit", "draft"), variant="submit", effect=bill_facts),
    Route("POST", PAGE_BILL + "/<action>", BILL, FINANCE_CHANGES,
          a_bill(BILL_PAGE + "/return", "under_review", form=REASON), variant="return",
          effect=bill_facts),
    Route("POST", PAGE_BILL + "/<action>", BILL, FINANCE_CHANGES,
          a_bill(BILL_PAGE + "/finalize", "under_review"), variant="finalize",
          effect=bill_facts),
    Route("POST", PAGE_BILL + "/<action>", BILL, FINANCE_CHANGES,
          a_bill(BILL_PAGE + "/reissue", "finalized", form=REASON), variant="reissue",
          effect=bill_count),
    Route("GET", "/billing/running", AGENCY, VIEW_COSTS,
          an_agency("/billing/running?agency_id={id}")),
    Route("GET", "/billing/budgets", NOTHING, BILLING_VIEWERS,
          fixed(f"/billing/budgets?year={BUDGET_YEAR}")),
    Route("POST", "/billing/budgets", NOTHING, GENERATE_BILLS, budget_form,
          effect=budget_amount),
    Route("GET", "/billing/prices", NOTHING, ANY_USER, fixed("/billing/prices")),
    # billing, the JSON API
    Route("GET", "/api/v1/billing/prices", NOTHING, ANY_USER, fixed("/api/v1/billing/prices")),
    Route("GET", "/api/v1/billing/prices/history", NOTHING, ANY_USER,
          fixed("/api/v1/billing/prices/history")),
    Route("GET", "/api/v1/billing/months", NOTHING, BILLING_VIEWERS,
          fixed("/api/v1/billing/months")),
    Route("GET", "/api/v1/billing/usage", NOTHING, BILLING_VIEWERS,
          fixed(f"/api/v1/billing/usage?month={DRAFT_MONTH}"), variant="what the user may see"),
    Route("GET", "/api/v1/billing/usage", AGENCY, VIEW_COSTS,
          an_agency(f"/api/v1/billing/usage?month={DRAFT_MONTH}&agency_id={{id}}"),
          variant="of an agency's subtree"),
    Route("GET", "/api/v1/billing/bills", LISTING, LIST_BILLS,
          bills_listed("/api/v1/billing/bills?month={month}")),
    Route("GET", API_BILL, BILL, VIEW_COSTS, a_bill(BILLS_API, "draft")),
    Route("GET", API_BILL + "/export", BILL, VIEW_COSTS,
          a_bill(BILLS_API + "/export?format=csv", "draft")),
    Route("GET", "/api/v1/billing/months/<month>/export", NOTHING, BILLING_VIEWERS,
          fixed(f"/api/v1/billing/months/{DRAFT_MONTH}/export?format=csv")),
    Route("POST", "/api/v1/billing/bills/generate", NOTHING, GENERATE_BILLS,
          fixed("/api/v1/billing/bills/generate", json={"month": UNBILLED_MONTH}),
          effect=bill_count),
    Route("POST", API_BILL + "/submit", BILL, FINANCE_CHANGES,
          a_bill(BILLS_API + "/submit", "draft", json={}), effect=bill_facts),
    Route("POST", API_BILL + "/return", BILL, FINANCE_CHANGES,
          a_bill(BILLS_API + "/return", "under_review", json=REASON), effect=bill_facts),
    Route("POST", API_BILL + "/adjust", BILL, FINANCE_CHANGES,
          a_bill(BILLS_API + "/adjust", "draft", json={"amount": "-1.00", **REASON}),
          effect=bill_facts),
    Route("POST", API_BILL + "/finalize", BILL, FINANCE_CHANGES,
          a_bill(BILLS_API + "/finalize", "under_review", json={}), effect=bill_facts),
    Route("POST", API_BILL + "/reissue", BILL, FINANCE_CHANGES,
          a_bill(BILLS_API + "/reissue", "finalized", json=REASON), effect=bill_count),
    Route("GET", API_COSTS + "/running", AGENCY, VIEW_COSTS, an_agency(COSTS_API + "/running")),
    Route("GET", API_COSTS + "/budgets/<int:year>", AGENCY, VIEW_COSTS,
          an_agency(f"{COSTS_API}/budgets/{BUDGET_YEAR}")),
    Route("PUT", API_COSTS + "/budgets/<int:year>", AGENCY, FINANCE_CHANGES,
          an_agency(f"{COSTS_API}/budgets/{BUDGET_YEAR}", json={"amount": "120000.00"}),
          effect=budget_amount),
    Route("GET", "/billing/ops-budget", NOTHING, OPS_BUDGET,
          fixed("/billing/ops-budget?year=2027")),
    Route("GET", "/billing/ops-budget/export", NOTHING, OPS_BUDGET,
          fixed("/billing/ops-budget/export?year=2027")),
    Route("GET", "/api/v1/billing/ops-budget", NOTHING, OPS_BUDGET,
          fixed("/api/v1/billing/ops-budget?year=2027")),
    # vendors, the pages (see "Vendors" above)
    Route("GET", "/vendors/", LISTING, LIST_VENDORS, vendors_listed("/vendors/")),
    Route("POST", "/vendors/", NOTHING, PLATFORM_TEAM_ONLY,
          fixed("/vendors/", form={"code": "v-matrix", "name_zh": "矩阵", "name_en": "M"}),
          effect=counts_of(Vendor)),
    Route("GET", PAGE_VENDOR, VENDOR, VIEW_VENDOR, a_vendor("/vendors/{id}")),
    Route("POST", PAGE_VENDOR + "/contracts", VENDOR, CERTIFY,
          a_vendor("/vendors/{id}/contracts", form=NEW_CONTRACT), effect=counts_of(Contract)),
    Route("POST", PAGE_VENDOR + "/technicians", VENDOR, REGISTER_STAFF,
          a_vendor("/vendors/{id}/technicians", form={"staff_number": "M-1", "name": "矩阵"}),
          effect=counts_of(Technician)),
    Route("GET", PAGE_TECHNICIAN, VENDOR, VIEW_VENDOR, a_technician("/vendors/technicians/{id}")),
    Route("GET", PAGE_TECHNICIAN + "/eligibility", VENDOR, VIEW_VENDOR, page_eligibility_for_a),
    Route("POST", PAGE_TECHNICIAN + "/certificates", VENDOR, CERTIFY,
          a_technician("/vendors/technicians/{id}/certificates", form=NEW_CERTIFICATE),
          effect=counts_of(Certificate)),
    Route("POST", "/vendors/certificates/<int:certificate_id>/revoke", VENDOR, CERTIFY,
          a_certificate("/vendors/certificates/{id}/revoke", form=REASON),
          effect=certificate_revoked),
    Route("GET", "/vendors/exam-results", NOTHING, PLATFORM_TEAM_ONLY,
          fixed("/vendors/exam-results")),
    Route("POST", "/vendors/exam-results", NOTHING, PLATFORM_TEAM_ONLY, exam_upload,
          effect=counts_of(Certificate, Technician)),
    Route("GET", "/vendors/exam-results/sample.csv", NOTHING, PLATFORM_TEAM_ONLY,
          fixed("/vendors/exam-results/sample.csv")),
    # vendors, the API (see "Vendors" above)
    Route("GET", "/api/v1/vendors", LISTING, LIST_VENDORS, vendors_listed("/api/v1/vendors")),
    Route("POST", "/api/v1/vendors", NOTHING, PLATFORM_TEAM_ONLY,
          fixed("/api/v1/vendors", json={"code": "v-matrix", "name_zh": "矩阵", "name_en": "M"}),
          effect=counts_of(Vendor)),
    Route("GET", API_VENDOR, VENDOR, VIEW_VENDOR, a_vendor("/api/v1/vendors/{id}")),
    Route("POST", API_VENDOR + "/contracts", VENDOR, CERTIFY,
          a_vendor("/api/v1/vendors/{id}/contracts", json=NEW_CONTRACT),
          effect=counts_of(Contract)),
    Route("POST", API_VENDOR + "/technicians", VENDOR, REGISTER_STAFF,
          a_vendor("/api/v1/vendors/{id}/technicians",
                   json={"staff_number": "M-1", "name": "矩阵"}),
          effect=counts_of(Technician)),
    Route("GET", API_TECHNICIAN, VENDOR, VIEW_VENDOR,
          a_technician("/api/v1/vendors/technicians/{id}")),
    Route("GET", API_TECHNICIAN + "/eligibility", VENDOR, VIEW_VENDOR, eligibility_for_a),
    Route("POST", API_TECHNICIAN + "/certificates", VENDOR, CERTIFY,
          a_technician("/api/v1/vendors/technicians/{id}/certificates", json=NEW_CERTIFICATE),
          effect=counts_of(Certificate)),
    Route("POST", API_CERTIFICATE + "/revoke", VENDOR, CERTIFY,
          a_certificate("/api/v1/vendors/certificates/{id}/revoke", json=REASON),
          effect=certificate_revoked),
    Route("POST", "/api/v1/vendors/exam-results", NOTHING, PLATFORM_TEAM_ONLY,
          fixed("/api/v1/vendors/exam-results", data=EXAM_CSV),
          effect=counts_of(Certificate, Technician)),
    # incidents, the API (see "Incidents" above)
    Route("GET", "/api/v1/incidents", LISTING, LIST_INCIDENTS,
          incidents_listed("/api/v1/incidents")),
    Route("POST", "/api/v1/incidents", RESOURCE, OPEN_INCIDENT,
          incident_on_a_volume("/api/v1/incidents"), effect=counts_of(Incident)),
    Route("GET", API_INCIDENT, INCIDENT, VIEW_INCIDENT,
          an_incident("/api/v1/incidents/{id}", "open")),
    Route("POST", API_INCIDENT + "/assign", INCIDENT, ASSIGN_INCIDENT, assign_vendor_tech,
          effect=incident_facts),
    Route("POST", API_INCIDENT + "/respond", INCIDENT, WORK_ON_INCIDENT,
          an_incident("/api/v1/incidents/{id}/respond", "open", json={}), effect=incident_facts),
    Route("POST", API_INCIDENT + "/wait", INCIDENT, WORK_ON_INCIDENT,
          an_incident("/api/v1/incidents/{id}/wait", "acknowledged", json=NOTE),
          effect=incident_facts),
    Route("POST", API_INCIDENT + "/resolve", INCIDENT, WORK_ON_INCIDENT,
          an_incident("/api/v1/incidents/{id}/resolve", "acknowledged", json=NOTE),
          effect=incident_facts),
    Route("POST", API_INCIDENT + "/resume", INCIDENT, ANSWER_INCIDENT,
          an_incident("/api/v1/incidents/{id}/resume", "waiting", json=NOTE),
          effect=incident_facts),
    Route("POST", API_INCIDENT + "/close", INCIDENT, CLOSE_INCIDENT,
          an_incident("/api/v1/incidents/{id}/close", "resolved", json={}),
          effect=incident_facts),
    Route("POST", API_INCIDENT + "/reopen", INCIDENT, REOPEN_INCIDENT,
          an_incident("/api/v1/incidents/{id}/reopen", "resolved", json=NOTE),
          effect=incident_facts),
    Route("POST", API_INCIDENT + "/comment", INCIDENT, COMMENT_INCIDENT,
          an_incident("/api/v1/incidents/{id}/comment", "open", json=NOTE),
          effect=incident_facts),
    Route("POST", API_INCIDENT + "/correct-time", INCIDENT, CORRECT_CLOCK,
          a_response_corrected("/api/v1/incidents/{id}/correct-time"), effect=incident_facts),
    # incidents, the pages (see "Incidents" above)
    Route("GET", "/incidents/", LISTING, LIST_INCIDENTS, incidents_listed("/incidents/")),
    Route("GET", "/incidents/new", RESOURCE, OPEN_INCIDENT, incident_form_for_a_volume),
    Route("POST", "/incidents/", RESOURCE, OPEN_INCIDENT,
          incident_on_a_volume("/incidents/", page=True), effect=counts_of(Incident)),
    Route("GET", "/incidents/<int:incident_id>", INCIDENT, VIEW_INCIDENT,
          an_incident("/incidents/{id}", "open")),
    Route("POST", "/incidents/<int:incident_id>/<action>", INCIDENT, COMMENT_INCIDENT,
          an_incident("/incidents/{id}/comment", "open", form=NOTE), variant="comment",
          effect=incident_facts),
    Route("POST", "/incidents/<int:incident_id>/assign", INCIDENT, ASSIGN_INCIDENT,
          page_assign_vendor_tech, effect=incident_facts),
    Route("POST", "/incidents/<int:incident_id>/correct-time", INCIDENT, CORRECT_CLOCK,
          a_response_corrected("/incidents/{id}/correct-time", page=True),
          effect=incident_facts),
    # maintenance runs, the pages and the API (see "Maintenance" above)
    Route("GET", "/maintenance/", LISTING, LIST_RUNS, runs_listed("/maintenance/")),
    Route("GET", "/maintenance/new", NOTHING, TECHNICIANS_PLAN, fixed("/maintenance/new")),
    Route("POST", "/maintenance/new", RESOURCE, TECHNICIANS_PLAN,
          plan_on_a_database("/maintenance/new", page=True), effect=counts_of(MaintenanceRun)),
    Route("GET", "/maintenance/<int:run_id>", INCIDENT, VIEW_RUN,
          a_run("/maintenance/{id}", "planned")),
    Route("GET", "/maintenance/<int:run_id>/output", INCIDENT, VIEW_RUN,
          a_run("/maintenance/{id}/output", "planned")),
    Route("GET", "/maintenance/<int:run_id>/artifacts.zip", INCIDENT, VIEW_RUN,
          a_run("/maintenance/{id}/artifacts.zip", "checked")),
    Route("POST", "/maintenance/<int:run_id>/<action>", INCIDENT, CANCEL_RUN,
          a_run("/maintenance/{id}/cancel", "planned", form=NOTE), variant="cancel",
          effect=run_facts),
    Route("GET", "/api/v1/maintenance/playbooks", NOTHING, ANYONE_SEEING,
          fixed("/api/v1/maintenance/playbooks")),
    Route("GET", "/api/v1/maintenance/runs", LISTING, LIST_RUNS,
          runs_listed("/api/v1/maintenance/runs")),
    Route("POST", "/api/v1/maintenance/runs", RESOURCE, TECHNICIANS_PLAN,
          plan_on_a_database("/api/v1/maintenance/runs"), effect=counts_of(MaintenanceRun)),
    Route("GET", API_RUN, INCIDENT, VIEW_RUN,
          a_run("/api/v1/maintenance/runs/{id}", "planned")),
    Route("GET", API_RUN + "/output", INCIDENT, VIEW_RUN,
          a_run("/api/v1/maintenance/runs/{id}/output", "planned")),
    Route("GET", API_RUN + "/artifacts", INCIDENT, VIEW_RUN,
          a_run("/api/v1/maintenance/runs/{id}/artifacts", "checked")),
    Route("POST", API_RUN + "/start", INCIDENT, RUN_IT,
          a_run("/api/v1/maintenance/runs/{id}/start", "planned", json={}), effect=run_facts),
    Route("POST", API_RUN + "/submit", INCIDENT, RUN_IT,
          a_run("/api/v1/maintenance/runs/{id}/submit", "apply_planned", json={}),
          effect=run_facts),
    Route("POST", API_RUN + "/apply", INCIDENT, RUN_IT,
          a_run("/api/v1/maintenance/runs/{id}/apply", "checked", json={}), effect=run_facts),
    Route("POST", API_RUN + "/approve", INCIDENT, DECIDE_RUN,
          a_run("/api/v1/maintenance/runs/{id}/approve", "awaiting", json={}),
          effect=run_facts),
    Route("POST", API_RUN + "/reject", INCIDENT, DECIDE_RUN,
          a_run("/api/v1/maintenance/runs/{id}/reject", "awaiting", json=NOTE),
          effect=run_facts),
    Route("POST", API_RUN + "/cancel", INCIDENT, CANCEL_RUN,
          a_run("/api/v1/maintenance/runs/{id}/cancel", "planned", json={}), effect=run_facts),
    # the knowledge base, pages and API (see "Knowledge" above)
    Route("GET", "/knowledge/", NOTHING, READ_ARTICLES, fixed("/knowledge/?q=矩阵")),
    Route("GET", "/knowledge/new", NOTHING, WRITE_ARTICLES, fixed("/knowledge/new")),
    Route("POST", "/knowledge/", NOTHING, WRITE_ARTICLES, fixed("/knowledge/", form=ARTICLE),
          effect=counts_of(KnowledgeArticle)),
    Route("GET", "/knowledge/<int:article_id>", NOTHING, READ_ARTICLES,
          the_article("/knowledge/{id}")),
    Route("GET", "/knowledge/<int:article_id>/edit", NOTHING, WRITE_ARTICLES,
          the_article("/knowledge/{id}/edit")),
    Route("POST", "/knowledge/<int:article_id>/edit", NOTHING, WRITE_ARTICLES,
          the_article("/knowledge/{id}/edit", form={**ARTICLE, "body": "改过", "version": 1}),
          effect=article_version),
    Route("POST", "/incidents/<int:incident_id>/articles", INCIDENT, WORK_ON_INCIDENT,
          cite_the_article("/incidents/{id}/articles", "open", page=True), effect=citations),
    Route("POST", "/incidents/<int:incident_id>/articles/<int:article_id>/remove", INCIDENT,
          WORK_ON_INCIDENT,
          cite_the_article("/incidents/{id}/articles/{aid}/remove", "acknowledged", page=True),
          effect=citations),
    Route("GET", "/api/v1/knowledge", NOTHING, READ_ARTICLES, fixed("/api/v1/knowledge?q=矩阵")),
    Route("POST", "/api/v1/knowledge", NOTHING, WRITE_ARTICLES,
          fixed("/api/v1/knowledge", json=ARTICLE), effect=counts_of(KnowledgeArticle)),
    Route("GET", "/api/v1/knowledge/<int:article_id>", NOTHING, READ_ARTICLES,
          the_article("/api/v1/knowledge/{id}")),
    Route("PUT", "/api/v1/knowledge/<int:article_id>", NOTHING, WRITE_ARTICLES,
          the_article("/api/v1/knowledge/{id}",
                      json={**ARTICLE, "body": "改过", "expected_version": 1}),
          effect=article_version),
    Route("GET", API_INCIDENT + "/articles", INCIDENT, VIEW_INCIDENT,
          an_incident("/api/v1/incidents/{id}/articles", "acknowledged")),
    Route("POST", API_INCIDENT + "/articles", INCIDENT, WORK_ON_INCIDENT,
          cite_the_article("/api/v1/incidents/{id}/articles", "open"), effect=citations),
    Route("DELETE", API_INCIDENT + "/articles/<int:article_id>", INCIDENT, WORK_ON_INCIDENT,
          cite_the_article("/api/v1/incidents/{id}/articles/{aid}", "acknowledged"),
          effect=citations),
    # scorecards, surveys, expert reviews (see "Incidents" above)
    Route("GET", "/vendors/scorecards", NOTHING, READ_SCORECARDS,
          fixed(f"/vendors/scorecards?period={SCORE_PERIOD}")),
    Route("GET", "/vendors/scorecards/export", NOTHING, READ_SCORECARDS,
          fixed(f"/vendors/scorecards/export?period={SCORE_PERIOD}&format=xlsx")),
    Route("POST", "/vendors/scorecards/review", NOTHING, PLATFORM_TEAM_ONLY, review_form,
          effect=expert_score),
    Route("GET", "/vendors/sla-report", NOTHING, READ_SCORECARDS,
          fixed(f"/vendors/sla-report?period={SCORE_PERIOD}")),
    Route("GET", "/vendors/<int:vendor_id>/surveys", VENDOR, READ_SURVEYS,
          a_vendor(f"/vendors/{{id}}/surveys?period={SCORE_PERIOD}")),
    Route("POST", "/vendors/surveys/order/<int:order_id>", ORDER, RATE_ORDER,
          rate_fulfilled_order, effect=counts_of(SatisfactionSurvey)),
    Route("GET", "/api/v1/incidents/sla-report", NOTHING, READ_SCORECARDS,
          fixed(f"/api/v1/incidents/sla-report?period={SCORE_PERIOD}")),
    Route("GET", "/api/v1/vendors/scorecards", NOTHING, READ_SCORECARDS,
          fixed(f"/api/v1/vendors/scorecards?period={SCORE_PERIOD}")),
    Route("PUT", API_VENDOR + "/reviews/<period>", VENDOR, CERTIFY,
          a_vendor(f"/api/v1/vendors/{{id}}/reviews/{SCORE_PERIOD}", json={"score": 77}),
          effect=expert_score),
    Route("GET", API_VENDOR + "/surveys", VENDOR, READ_SURVEYS,
          a_vendor(f"/api/v1/vendors/{{id}}/surveys?period={SCORE_PERIOD}")),
    Route("POST", "/api/v1/vendors/surveys", INCIDENT, RATE_INCIDENT, rate_resolved_incident,
          effect=counts_of(SatisfactionSurvey)),
    Route("GET", "/vendors/platform/surveys", NOTHING, READ_PLATFORM_SURVEYS,
          fixed(f"/vendors/platform/surveys?period={SCORE_PERIOD}")),
    Route("GET", "/api/v1/vendors/platform/surveys", NOTHING, READ_PLATFORM_SURVEYS,
          fixed(f"/api/v1/vendors/platform/surveys?period={SCORE_PERIOD}")),
    # the operations overview: read as the scorecards are (the platform-wide roles; each
    # vendor's staff their vendor's part; agency staff 403)
    Route("GET", "/operations", NOTHING, READ_SCORECARDS,
          fixed(f"/operations?month={SCORE_PERIOD}")),
    Route("GET", "/api/v1/operations/dashboard", NOTHING, READ_SCORECARDS,
          fixed(f"/api/v1/operations/dashboard?month={SCORE_PERIOD}")),
]
# fmt: on

# Routes outside the matrix, by endpoint, and why:
NOT_IN_MATRIX = {
    # Flask's static files (CSS, JS, the icon): public by design, no data behind them.
    "static",
    # flask-smorest's OpenAPI document: a public description of the API's shapes that
    # holds no data; every path it describes is classified above.
    "api-docs.openapi_json",
}

# Cells where the portal is wrong, (route name, role, scope) → what happens instead.
# The cell keeps the correct expectation and is marked xfail(strict=True).
KNOWN_BUGS: dict = {}


# ---------------------------------------------------------------------------------------
# Running a cell.

REDIRECTS = {301, 302, 303, 307, 308}
ORDER_LINK = re.compile(r'href="/orders/(\d+)"')
RESOURCE_LINK = re.compile(r'href="/resources/(\d+)"')
AGENCY_LINK = re.compile(r'href="/agencies/(\d+)"')
VENDOR_LINK = re.compile(r'href="/vendors/(\d+)"')
INCIDENT_LINK = re.compile(r'href="/incidents/(\d+)"')
RUN_LINK = re.compile(r'href="/maintenance/(\d+)"')
LISTED = re.compile(r"ok\[(.*)\]")


def outcome_of(response, api):
    status = response.status_code
    if api and status == 401:
        return "unauth"
    if not api and status in REDIRECTS:
        target = urlsplit(response.location)
        if target.path == "/login" and "next" in parse_qs(target.query):
            return "unauth"
    if 200 <= status < 400:
        return "ok"
    return str(status)


def shown(route, response):
    """The ids a listing shows: links on a page, ids in the API's answer."""
    if route.api:
        body = response.get_json()
        rows = (
            body
            if isinstance(body, list)
            else next(
                body[key]
                for key in ("orders", "resources", "bills", "incidents", "runs")
                if key in body
            )
        )
        return {row["id"] for row in rows}
    links = {
        "/agencies": AGENCY_LINK,
        "/resources": RESOURCE_LINK,
        "/vendors": VENDOR_LINK,
        "/incidents": INCIDENT_LINK,
        "/maintenance": RUN_LINK,
    }
    link = next((v for k, v in links.items() if route.rule.startswith(k)), ORDER_LINK)
    return {int(found) for found in link.findall(response.get_data(as_text=True))}


def cell_outcomes(route, role):
    """The table's outcome for one role, per scope."""
    spec = route.expect[role]
    scopes = scopes_for(route.objects, role)
    if ":" not in spec:
        return dict.fromkeys(scopes, spec)
    by_scope = dict(part.split(":", 1) for part in spec.split())
    if set(by_scope) != set(scopes):
        raise ValueError(f"{route.name}, {role}: name exactly the scopes {scopes}: {spec!r}")
    return by_scope


def cells():
    for route in ROUTES:
        for role in ROLE_USERS:
            for scope, expected in cell_outcomes(route, role).items():
                reason = KNOWN_BUGS.get((route.name, role, scope))
                marks = (
                    [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)]
                    if reason
                    else []
                )
                yield pytest.param(
                    route, role, scope, expected, marks=marks, id=f"{route.name} | {role} | {scope}"
                )


def send(ctx, route, call):
    """The request, as a page client with its session or an API caller with its token."""
    if route.api:
        client = ctx.app.test_client()
        headers = {}
        if ctx.username:
            headers["Authorization"] = f"Bearer {ctx.world.tokens[ctx.username]}"
        if call.data is not None:
            body = {"data": call.data, "content_type": "text/csv"}
        else:
            body = {"json": call.json}
        return client, client.open(call.path, method=route.method, headers=headers, **body)
    client, token = ctx.matrix.client(ctx.username, fresh=route.own_session)
    data = None
    if route.method != "GET":
        # Every form carries the session's CSRF token, so that only the permission decides.
        data = {"csrf_token": token, **call.form}
    return client, client.open(call.path, method=route.method, data=data)


@pytest.mark.parametrize(("route", "role", "scope", "expected"), list(cells()))
def test_permission(matrix, route, role, scope, expected):
    matrix.prepare(route)
    # Until it has passed, a cell that writes may have written anything.
    matrix.dirty = route.method != "GET"
    username = ROLE_USERS[role]
    ctx = Ctx(matrix, role, username, scope)
    call = route.build(ctx)
    before = route.effect(ctx, call) if route.effect else None

    client, response = send(ctx, route, call)

    where = f"{route.name} as {role} ({username}) on {scope} ({call.path})"
    listed = LISTED.fullmatch(expected)
    got = outcome_of(response, route.api)
    assert got == ("ok" if listed else expected), (
        f"{where}: expected {expected}, got {got}: {response.status_code} "
        f"{response.location or ''} {response.get_data(as_text=True)[:300]}"
    )
    if listed:
        shows = sorted(call.labels.get(i, f"id {i}") for i in shown(route, response))
        assert shows == sorted(listed.group(1).split()), f"{where} shows {shows}"
    if route.effect:
        after = route.effect(ctx, call)
        if expected == "ok":
            assert after != before, f"{where}: answered {response.status_code}, changed nothing"
        else:
            assert after == before, f"{where}: refused, yet changed {before} to {after}"
    if expected == "ok" and route.check_ok:
        route.check_ok(ctx, client, response)
    if route.order_action or expected != "ok":
        matrix.dirty = False  # only its own order changed, or it was refused and changed nothing


def test_every_route_is_classified(matrix):
    """Each (rule, method) the app serves has its row, and no row names a route that is gone."""
    served = {
        (rule.rule, method)
        for rule in matrix.app.url_map.iter_rules()
        if rule.endpoint not in NOT_IN_MATRIX
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    classified = {(route.rule, route.method) for route in ROUTES}
    unclassified = sorted(served - classified)
    assert not unclassified, "routes missing from the permission matrix: " + ", ".join(
        f"{method} {rule}" for rule, method in unclassified
    )
    gone = sorted(classified - served)
    assert not gone, "the permission matrix names routes the app no longer serves: " + ", ".join(
        f"{method} {rule}" for rule, method in gone
    )


def test_every_role_has_its_column():
    assert set(ROLE_USERS) == {"anonymous"} | {role.value for role in Role}
