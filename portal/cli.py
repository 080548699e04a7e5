"""`flask --app portal <group> <command>`: catalog, demo, users, audit, billing; reconcile."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from catalog.loader import CatalogInvalid
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.accounts.service import create_api_token, create_user
from portal.billing.cli import billing_cli
from portal.catalog.service import sync_catalog
from portal.core.audit import verify_chain
from portal.core.errors import DomainError
from portal.demo.seed import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from portal.incidents.sla import sync_sla_definitions
from portal.inventory.tasks import reconcile_now

catalog_cli = AppGroup("catalog", help="The service catalog.")
demo_cli = AppGroup("demo", help="Demo data.")
users_cli = AppGroup("users", help="Users and API tokens.")
audit_cli = AppGroup("audit", help="The audit log.")


def init_app(app):
    for group in (catalog_cli, demo_cli, users_cli, audit_cli, billing_cli):
        app.cli.add_command(group)
    app.cli.add_command(reconcile_command)


@catalog_cli.command("sync")
@click.option("--directory", default=None, help="Item files (default: catalog/items).")
@click.option("--slas", default=None, help="SLA definition files (default: catalog/slas).")
@click.option("--note", default=None, help="Why: kept with every new version.")
def catalog_sync(directory, slas, note):
    """Validate every item and SLA definition file and make the catalog match; a bad
    file changes nothing."""
    try:
        report = sync_catalog(
            db.session, None, directory or current_app.config["CATALOG_DIR"], note=note
        )
        sla_report = sync_sla_definitions(
            db.session, None, slas or current_app.config["SLAS_DIR"], note=note
        )
    except CatalogInvalid as invalid:
        db.session.rollback()
        for error in invalid.errors:
            click.echo(f"error: {error}", err=True)
        raise click.ClickException(
            f"{len(invalid.errors)} error(s); the catalog is unchanged"
        ) from invalid
    db.session.commit()
    for label, keys in (
        ("new", report.created),
        ("new version", report.updated),
        ("unchanged", report.unchanged),
        ("retired", report.retired),
        ("SLA definitions new", sla_report.created),
        ("SLA definitions revised", sla_report.revised),
        ("SLA definitions unchanged", sla_report.unchanged),
        ("SLA definitions withdrawn", sla_report.withdrawn),
    ):
        if keys:
            click.echo(f"{label}: {', '.join(keys)}")


@demo_cli.command("seed")
def demo_seed():
    """Build the demo district (72 bureaus, 29 towns, 113 communities) and its users."""
    result = seed_demo(db.session)
    db.session.commit()
    if result.created:
        click.echo(f"Demo district created: {result.agencies} agencies, {result.users} users.")
    else:
        click.echo("The demo district already exists; nothing changed.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, what in (
        ("b03.member", "agency member, 区教育委员会 (Education Commission)"),
        ("b03.manager", "agency manager, 区教育委员会: first approval"),
        ("operator", "platform operator: second approval, quotas"),
        ("operator2", "a second platform operator"),
        ("t01.member / t01.manager", "a sub-district's staff (万寿路街道)"),
        ("finance", "finance officer"),
        ("auditor", "auditor: the audit log"),
        ("admin", "administrator: users and roles"),
        ("vendor.manager / vendor.tech", "a vendor's manager and technician"),
    ):
        click.echo(f"  {username:26} {what}")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([role.value for role in Role]),
)
@click.option("--agency-id", type=int, default=None)
@click.password_option()
def users_create(username, display_name, roles, agency_id, password):
    """Create a user."""
    try:
        create_user(
            db.session,
            None,
            username=username,
            display_name=display_name,
            password=password,
            roles=roles,
            agency_id=agency_id,
        )
    except DomainError as error:
        db.session.rollback()
        details = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
        raise click.ClickException(f"{error.message} {details}") from error
    db.session.commit()
    click.echo(f"created {username}")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for.")
def users_token(username, name):
    """Create an API token for a user and print it (shown this once)."""
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise click.ClickException(f"no user named {username}")
    _token, plaintext = create_api_token(db.session, user, name)
    db.session.commit()
    click.echo(plaintext)


@audit_cli.command("verify")
def audit_verify():
    """Walk the hash chain; exit 1 if any event was altered."""
    checked, broken_at = verify_chain(db.session)
    if broken_at is not None:
        raise click.ClickException(f"chain broken at event {broken_at} after {checked} good")
    click.echo(f"audit chain intact: {checked} events")


@click.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def reconcile_command(dry_run):
    """Compare the cloud with the inventory: orphans, missing and changed resources."""
    report = reconcile_now(db.session, dry_run=dry_run)
    if report is None:
        raise click.ClickException("a reconciliation is running elsewhere; try again later")
    lines = list(report.lines())
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} finding(s){' (dry run: nothing changed)' if dry_run else ''}")
