"""The demo district is realistic and complete, and seeding twice changes nothing."""

from collections import Counter

import flask_migrate
import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.extensions import db
from portal.tenancy.models import Agency
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.eligibility import eligibility
from portal.vendors.models import Contract, Technician
from tests.conftest import csrf_token, database, make_app


@pytest.fixture
def empty_app(backend):
    """A migrated portal with nothing in it but the catalog, as after `make demo`'s set-up."""
    url = backend.new_url()
    application = make_app(url)
    with application.app_context():
        flask_migrate.upgrade()
    assert application.test_cli_runner().invoke(args=["catalog", "sync"]).exit_code == 0
    yield application
    with application.app_context():
        db.engine.dispose()
    backend.drop(url)


def test_demo_seed_builds_the_district_once_and_its_logins_work(empty_app):
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "b03.member" in first.output and "Jiyun2026demo" in first.output
    with database(empty_app) as session:
        kinds = Counter(session.scalars(select(Agency.kind)))
        assert kinds == {"district": 1, "bureau": 72, "town": 29, "community": 113}
        roles = {row.role for user in session.scalars(select(User)) for row in user.role_rows}
        assert roles == {role.value for role in Role}
        users = session.scalar(select(func.count()).select_from(User))
        # Each of the twelve business domains has one designated vendor this year.
        domains = Counter(d for c in session.scalars(select(Contract)) for d in c.domains)
        assert domains == Counter(list(BUSINESS_DOMAINS))
        tech = session.scalar(select(Technician).join(User).where(User.username == "vendor.tech"))
        served = session.scalar(
            select(Agency).where(
                Agency.domain.in_(tech.vendor.contracts[0].domains),
                Agency.outsourcing_mode == "fully_outsourced",
            )
        )
        assert eligibility(session, tech, served).allowed
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0 and "nothing changed" in second.output
    with database(empty_app) as session:
        assert session.scalar(select(func.count()).select_from(User)) == users
    client = empty_app.test_client()  # the printed login works
    response = client.post(
        "/login",
        data={
            "username": "b03.member",
            "password": "Jiyun2026demo",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302
