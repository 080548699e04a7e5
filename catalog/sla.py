"""SLA definitions: service calendars, each tier's availability target, response and
resolution clocks by priority, and credits on a breach.

Each file in catalog/slas/ is one version, in effect from its effective_from until the
next version's, like a price list: an order is measured against the version in effect when
it happened. Every error of every file is reported with its file, field and reason, and
nothing is handed back when anything is wrong.
"""

from datetime import UTC, datetime
from pathlib import Path

import yaml
from marshmallow import ValidationError

from catalog.loader import (
    CatalogError,
    CatalogInvalid,
    digest,  # noqa: F401 - the same fingerprint
    error_paths,
)
from catalog.sla_schema import SlaSchema, check_tiers

SLAS_DIR = Path(__file__).parent / "slas"


class NoSlaInEffect(Exception):
    """The moment is before the first version: no target applies to it."""

    def __init__(self, moment):
        super().__init__(f"no SLA definition is in effect at {moment.isoformat()}")
        self.moment = moment


def load_file(path, tiers):
    """Return (definition, [CatalogError]) for one file."""
    name = Path(path).name
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, [CatalogError(name, "(file)", f"not valid YAML: {exc}")]
    if not isinstance(raw, dict):
        return None, [CatalogError(name, "(file)", "the file must hold one mapping (SLAs)")]
    problems = []
    try:
        definition = SlaSchema().load(raw)
    except ValidationError as exc:
        # Check the sections that passed too: every error of the file in one go.
        definition = {k: v for k, v in exc.valid_data.items() if k not in exc.messages}
        problems = list(error_paths(exc.messages))
    problems += check_tiers(raw, definition, set(tiers))
    errors = [CatalogError(name, field, reason) for field, reason in problems]
    return (None if errors else definition), errors


def _effective_from(definition):
    return datetime.fromisoformat(definition["effective_from"]).astimezone(UTC)


def load_sla_definitions(directory, tiers):
    """Every version of a directory, validated against the catalog's tiers and sorted by
    effective_from (plain JSON-ready dicts); raises CatalogInvalid listing every error."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogInvalid([CatalogError(str(directory), "(directory)", "no such directory")])
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        # An empty directory is a mistake, not an order to drop every target.
        raise CatalogInvalid(
            [CatalogError(str(directory), "(directory)", "no SLA definition files (*.yaml)")]
        )
    loaded, errors = [], []
    for path in paths:
        definition, file_errors = load_file(path, tiers)
        errors += file_errors
        if definition is not None:
            loaded.append((path.name, definition))
    versions, moments = {}, {}
    for name, definition in loaded:
        version, moment = definition["version"], _effective_from(definition)
        if version in versions:
            errors.append(
                CatalogError(
                    name, "version", f"'{version}' is also the version of {versions[version]}"
                )
            )
        if moment in moments:
            errors.append(
                CatalogError(
                    name,
                    "effective_from",
                    f"the same moment as {moments[moment]}: one version is in effect at a time",
                )
            )
        versions.setdefault(version, name)
        moments.setdefault(moment, name)
    if errors:
        raise CatalogInvalid(errors)
    return sorted((definition for _name, definition in loaded), key=_effective_from)


def in_effect(definitions, moment):
    """The version in effect at an aware moment: the last to take effect by then."""
    if moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    current = None
    for definition in sorted(definitions, key=_effective_from):
        if _effective_from(definition) > moment:
            break
        current = definition
    if current is None:
        raise NoSlaInEffect(moment)
    return current
