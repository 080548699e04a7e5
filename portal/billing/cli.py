"""`flask --app portal billing …`: metering backfill, price lists, the month's bills."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from billing.prices import PriceListInvalid
from portal.accounts.models import User
from portal.billing.metering import meter_hour
from portal.billing.periods import floor_hour, hours_between, parse_month
from portal.billing.prices import sync_price_lists
from portal.billing.rollup import pending_days, roll_up_day
from portal.billing.service import generate_bills
from portal.core.errors import DomainError
from portal.extensions import db
from portal.tenancy.models import Agency

billing_cli = AppGroup("billing", help="Metering, price lists and bills.")


@billing_cli.command("meter")
@click.option("--from", "start", required=True, help="First hour, e.g. 2026-10-01T00:00Z.")
@click.option("--to", "end", required=True, help="End (excluded), e.g. 2026-11-01T00:00Z.")
@click.option("--force", is_flag=True, help="Re-meter hours metered already.")
def meter(start, end, force):
    """Meter every hour in [from, to): fills the gaps an outage left. Then roll up the
    days that are whole. Each hour and day commits on its own, so an interrupted run
    keeps what it did and can simply be run again."""
    start, end = _moment(start, "--from"), _moment(end, "--to")
    if end <= start:
        raise click.BadParameter("must be after --from", param_hint="--to")
    written = hours = 0
    for hour in hours_between(floor_hour(start), end):
        try:
            count = meter_hour(db.session, hour, force=force)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(f"{hour:%Y-%m-%d %H:%M}Z: {error.message}") from error
        db.session.commit()
        written += count
        hours += 1
    days = pending_days(db.session)
    for start in days:
        roll_up_day(db.session, start)
        db.session.commit()
    click.echo(
        f"{hours} hour(s) looked at, {written} usage record(s) written, "
        f"{len(days)} day(s) rolled up"
    )


@billing_cli.command("prices")
@click.option("--directory", default=None, help="Price list files (default: billing/prices).")
@click.option("--note", default=None, help="Why: kept with every new revision.")
@click.option("--as", "username", default=None, help="The finance officer loading them.")
def prices(directory, note, username):
    """Validate the price lists and make the database match; a bad file changes nothing."""
    actor = _user(username) if username else None
    try:
        report = sync_price_lists(
            db.session, actor, directory or current_app.config["PRICES_DIR"], note=note
        )
    except PriceListInvalid as invalid:
        db.session.rollback()
        for error in invalid.errors:
            click.echo(f"error: {error}", err=True)
        raise click.ClickException(
            f"{len(invalid.errors)} error(s); the price lists are unchanged"
        ) from invalid
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.message}; the price lists are unchanged") from error
    db.session.commit()
    for label, versions in (
        ("new", report.created),
        ("new revision", report.revised),
        ("unchanged", report.unchanged),
        ("withdrawn", report.withdrawn),
    ):
        if versions:
            click.echo(f"{label}: {', '.join(versions)}")


@billing_cli.command("bills")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option("--as", "username", required=True, help="The finance officer making them.")
@click.option("--agency", "codes", multiple=True, help="Only these agencies (codes).")
def bills(month, username, codes):
    """Make (or remake) the month's draft bills."""
    actor = _user(username)
    try:
        agency_ids = None
        if codes:
            found = dict(
                db.session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(codes)))
            )
            missing = sorted(set(codes) - set(found))
            if missing:
                raise click.ClickException(f"no agency with code {', '.join(missing)}")
            agency_ids = list(found.values())
        report = generate_bills(db.session, actor, parse_month(month), agency_ids=agency_ids)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    total = sum(bill.total for bill in report.created + report.regenerated)
    click.echo(
        f"{len(report.created)} new, {len(report.regenerated)} remade, "
        f"{len(report.skipped)} under review or finalized left alone; drafts total {total} yuan"
    )


def _moment(text, name):
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            "not a time: write e.g. 2026-10-01T00:00Z", param_hint=name
        ) from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the zone, e.g. 2026-10-01T00:00Z or +08:00", param_hint=name)
    return moment.astimezone(UTC)


def _user(username):
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise click.ClickException(f"no user named {username}")
    return user
