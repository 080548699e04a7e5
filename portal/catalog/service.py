"""Sync the catalog from its YAML files, and look items up."""

import functools
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from catalog.loader import digest, load_catalog
from portal.catalog.models import CatalogItem, CatalogItemVersion
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import NotFound
from portal.tenancy.vocabulary import QUOTA_RESOURCES


@dataclass
class SyncReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    retired: list = field(default_factory=list)


def sync_catalog(session, actor, directory, note=None):
    """Make the catalog match the directory. Validates every file first: one bad
    file raises CatalogInvalid and changes nothing."""
    definitions = load_catalog(directory, list(QUOTA_RESOURCES))
    report = SyncReport()
    existing = {item.key: item for item in session.scalars(select(CatalogItem))}
    for key, definition in sorted(definitions.items()):
        item = existing.get(key)
        fingerprint = digest(definition)
        if item is None:
            item = CatalogItem(key=key, kind=definition["kind"])
            session.add(item)
            session.flush()
            report.created.append(key)
        elif item.current_version.digest == fingerprint and not item.is_retired:
            report.unchanged.append(key)
            continue
        else:
            report.updated.append(key)
        number = (item.current_version.number + 1) if item.current_version else 1
        version = CatalogItemVersion(
            item_id=item.id,
            number=number,
            definition=definition,
            digest=fingerprint,
            created_by_id=actor.id if actor else None,
            note=note,
        )
        session.add(version)
        session.flush()
        before = item.current_version.number if item.current_version else None
        item.current_version = version
        item.kind = definition["kind"]
        item.retired_at = None
        audit.record(
            session,
            actor,
            "catalog.item_versioned",
            "catalog_item",
            key,
            before={"version": before},
            after={"version": number, "digest": fingerprint},
            note=note,
        )
    for key, item in sorted(existing.items()):
        if key not in definitions and not item.is_retired:
            item.retired_at = utcnow()
            report.retired.append(key)
            audit.record(session, actor, "catalog.item_retired", "catalog_item", key, note=note)
    session.flush()
    return report


def list_items(session):
    """The items on offer (not retired), by key."""
    return session.scalars(
        select(CatalogItem)
        .options(joinedload(CatalogItem.current_version))
        .where(CatalogItem.retired_at.is_(None))
        .order_by(CatalogItem.key)
    ).all()


def offered_versions(session):
    """(key, current version id) of each item on offer, by key. Versions are never
    overwritten, so this names what list_items would return, without reading it."""
    return tuple(
        session.execute(
            select(CatalogItem.key, CatalogItem.current_version_id)
            .where(CatalogItem.retired_at.is_(None))
            .order_by(CatalogItem.key)
        )
    )


@functools.cache
def _item_by_key():
    """Built once, at first use (a loader option needs every model mapped): composing
    it per call took as much CPU as running it, and every submission reads its item."""
    return (
        select(CatalogItem)
        .options(joinedload(CatalogItem.current_version))
        .where(CatalogItem.key == bindparam("key"))
    )


def get_item(session, key):
    item = session.scalar(_item_by_key(), {"key": key})
    if item is None or item.is_retired:
        raise NotFound(
            _l("This catalog item does not exist or is no longer offered."),
            {"item": _l("Unknown or retired catalog item.")},
        )
    return item
