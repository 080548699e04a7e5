"""SLA definitions as a library: the shipped file loads as plain JSON, the version in effect
is picked by moment, and every bad input is named with its file, field and reason while
nothing is handed back."""

import json
import shutil
from datetime import UTC, datetime, timedelta, timezone

import pytest
import yaml

from catalog.loader import CatalogError, CatalogInvalid
from catalog.sla import SLAS_DIR, NoSlaInEffect, digest, in_effect, load_sla_definitions

TIERS = {"standard", "important", "critical"}
CST = timezone(timedelta(hours=8))
SHIPPED = "2026.yaml"


def load(directory=SLAS_DIR):
    return load_sla_definitions(directory, TIERS)


@pytest.fixture
def slas_dir(tmp_path):
    target = tmp_path / "slas"
    shutil.copytree(SLAS_DIR, target)
    return target


def edit(directory, name, change):
    path = directory / name
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def set_in(path, value):
    """A change that sets raw[a][b]... = value (None deletes)."""

    def change(raw):
        *parents, last = path
        for key in parents:
            raw = raw.setdefault(key, {})
        if value is None:
            raw.pop(last, None)
        else:
            raw[last] = value

    return change


def errors_of(directory):
    with pytest.raises(CatalogInvalid) as caught:
        load(directory)
    return caught.value.errors


@pytest.fixture(scope="module")
def definitions():
    return load()


def test_shipped_file_loads(definitions):
    (definition,) = definitions
    assert definition["version"] == "2026.1"
    assert set(definition) == {
        "version",
        "effective_from",
        "reason",
        "calendars",
        "tiers",
        "escalation",
        "contracts",
    }
    assert set(definition["tiers"]) == TIERS
    office = definition["calendars"]["office"]
    assert office["hours"]["mon"] == [{"start": "08:30", "end": "17:30"}]
    assert office["hours"]["sat"] == []
    assert "2026-02-17" in office["holidays"] and len(office["holidays"]) == 33
    assert office["workdays"] == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert definition["calendars"]["round_the_clock"]["hours"] == "24x7"
    standard = definition["tiers"]["standard"]
    assert standard["availability"] == "99.5"
    assert standard["priorities"]["P1"] == {"response_seconds": 1800, "resolution_seconds": 14400}
    assert definition["tiers"]["critical"]["priorities"]["P3"]["resolution_seconds"] == 86400
    assert definition["tiers"]["critical"]["availability"] == "99.95"
    assert definition["escalation"] == {"warn_at": "0.8"}
    # A contract's own terms hold only what it changes.
    assert definition["contracts"]["HDYW-2026-01"]["standard"] == {
        "credit": {"per_point": "0.03", "cap": "0.25"}
    }
    assert json.loads(json.dumps(definitions)) == definitions  # ready for a JSON column


def test_in_effect_picks_by_moment(slas_dir, definitions):
    shutil.copy(slas_dir / SHIPPED, slas_dir / "2027.yaml")

    def change(raw):
        raw["version"] = "2027.1"
        raw["effective_from"] = "2027-01-01T00:00:00+08:00"

    edit(slas_dir, "2027.yaml", change)
    both = load(slas_dir)
    assert [d["version"] for d in both] == ["2026.1", "2027.1"]
    change_at = datetime(2026, 12, 31, 16, tzinfo=UTC)  # 2027-01-01 00:00 in Beijing
    assert in_effect(both, change_at - timedelta(seconds=1))["version"] == "2026.1"
    assert in_effect(list(reversed(both)), change_at)["version"] == "2027.1"
    assert in_effect(definitions, datetime(2026, 1, 1, tzinfo=CST)) is definitions[0]
    before = datetime(2025, 12, 31, 23, 59, tzinfo=CST)
    with pytest.raises(NoSlaInEffect) as caught:
        in_effect(definitions, before)
    assert caught.value.moment == before
    assert "2025-12-31T23:59:00+08:00" in str(caught.value)
    with pytest.raises(NoSlaInEffect):
        in_effect([], change_at)
    with pytest.raises(ValueError, match="timezone-aware"):
        in_effect(definitions, datetime(2026, 3, 1))  # noqa: DTZ001


def test_digest_is_stable_and_follows_edits(slas_dir, definitions):
    assert digest(load(slas_dir)[0]) == digest(definitions[0])
    edit(slas_dir, SHIPPED, set_in(("escalation", "warn_at"), "0.75"))
    assert digest(load(slas_dir)[0]) != digest(definitions[0])


OFFICE = ("calendars", "office")
STANDARD = ("tiers", "standard")
BAD = [
    (("support",), {"phone": "12345"}, "support", "Unknown field."),
    ((*OFFICE, "zone"), "Asia/Beijing", "calendars.office.zone", "not an IANA time zone"),
    (
        (*OFFICE, "hours", "mon"),
        ["08:30-12:30", "12:00-17:30"],
        "calendars.office.hours.mon[1]",
        "'12:00-17:30' overlaps '08:30-12:30'",
    ),
    (
        (*OFFICE, "hours", "mon"),
        ["13:00-17:30", "08:30-12:00"],
        "calendars.office.hours.mon[1]",
        "comes before",
    ),
    (
        (*OFFICE, "hours", "tue"),
        ["08:30-25:00"],
        "calendars.office.hours.tue[0]",
        "'25:00' is not a time",
    ),
    ((*OFFICE, "hours", "wed"), ["17:30-08:30"], "calendars.office.hours.wed[0]", "ends before"),
    ((*OFFICE, "hours", "monday"), ["08:30-17:30"], "hours.monday", "not a day of the week"),
    ((*OFFICE, "hours"), "24x5", "calendars.office.hours", 'give "24x7" or windows'),
    (
        (*OFFICE, "holidays"),
        ["2026-01-01", "2026-01-04"],
        "calendars.office.workdays",
        "also a holiday: 2026-01-04",
    ),
    ((*OFFICE, "holidays"), ["2026-02-30"], "calendars.office.holidays[0]", "is not a date"),
    ((*OFFICE, "workdays"), ["2026-01-07"], "calendars.office.workdays", "is a wed: already"),
    (
        ("calendars", "round_the_clock", "holidays"),
        ["2026-01-01"],
        "calendars.round_the_clock.holidays",
        "a 24x7 calendar has no holidays",
    ),
    ((*STANDARD, "priorities", "P3"), None, "tiers.standard.priorities.P3", "Missing data"),
    (
        (*STANDARD, "priorities", "P2"),
        {"response": "8h", "resolution": "4h"},
        "tiers.standard.priorities.P2.resolution",
        "shorter than the response (4h < 8h)",
    ),
    (
        (*STANDARD, "priorities", "P2"),
        {"response": "10m", "resolution": "9h"},
        "tiers.standard.priorities.P2.response",
        "shorter than P1's (30m)",
    ),
    (
        (*STANDARD, "priorities", "P1", "response"),
        "30 minutes",
        "tiers.standard.priorities.P1.response",
        "not a duration",
    ),
    (
        (*STANDARD, "priorities", "P1", "response"),
        "0m",
        "tiers.standard.priorities.P1.response",
        "must be more than 0",
    ),
    ((*STANDARD, "priorities", "P5"), {"response": "1d", "resolution": "9d"}, "P5", "Unknown"),
    (
        (*STANDARD, "availability"),
        99.5,
        "tiers.standard.availability",
        'write it in quotes ("99.5")',
    ),
    ((*STANDARD, "availability"), "100.5", "tiers.standard.availability", "at most 100"),
    ((*STANDARD, "availability"), "99.9999", "tiers.standard.availability", "at most 3 decimal"),
    ((*STANDARD, "credit", "per_point"), "0.5", "tiers.standard.credit.per_point", "the cap"),
    ((*STANDARD, "calendar"), "offce", "tiers.standard.calendar", "no calendar 'offce'"),
    (("tiers", "gold"), {}, "tiers.gold", "unknown SLA tier (known: critical, important, st"),
    (("tiers", "critical"), None, "tiers", "no definition for critical"),
    (("escalation", "warn_at"), "1", "escalation.warn_at", "less than 1"),
    (
        ("contracts", "HT-9", "gold"),
        {"availability": "99"},
        "contracts.HT-9.gold",
        "unknown SLA tier (known: critical, important, st",
    ),
    (
        ("contracts", "HT-9", "standard"),
        {"calendar": "offce"},
        "contracts.HT-9.standard.calendar",
        "no calendar 'offce'",
    ),
    (("contracts", "HT-9", "standard"), {}, "contracts.HT-9.standard", "or leave the tier out"),
    (
        ("contracts", "HT-9", "standard"),
        {"credit": {"per_point": "0.3", "cap": "0.2"}},
        "contracts.HT-9.standard.credit.per_point",
        "the cap",
    ),
    (
        ("contracts", "HT-9", "standard"),
        {"priorities": {"P1": {"response": "1h", "resolution": "4h"}}},
        "contracts.HT-9.standard.priorities.P2",
        "Missing data",
    ),
    (("contracts", "no contract"), {}, "contracts.no contract", "not a contract number"),
    (("effective_from",), "2026-01-01T00:00:00", "effective_from", "give the timezone"),
    (("version",), 2026.1, "version", 'write it in quotes, e.g. "2026.1"'),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"), BAD, ids=[f"{f}: {r}" for _p, _v, f, r in BAD]
)
def test_bad_input_is_named(slas_dir, path, value, field, reason):
    edit(slas_dir, SHIPPED, set_in(path, value))
    errors = errors_of(slas_dir)
    assert all(isinstance(error, CatalogError) for error in errors)
    assert any(
        error.file == SHIPPED and error.field.endswith(field) and reason in error.reason
        for error in errors
    ), errors


def test_unknown_tier_with_a_valid_definition(slas_dir):
    def change(raw):
        raw["tiers"]["gold"] = raw["tiers"]["critical"]

    edit(slas_dir, SHIPPED, change)
    assert [str(error) for error in errors_of(slas_dir)] == [
        "2026.yaml: tiers.gold: unknown SLA tier (known: critical, important, standard)"
    ]


def test_every_error_of_a_file_is_reported(slas_dir):
    def change(raw):
        raw["calendars"]["office"]["zone"] = "Mars/Olympus"
        raw["tiers"]["standard"]["availability"] = 99.5
        raw["escalation"]["warn_at"] = "0"

    edit(slas_dir, SHIPPED, change)
    errors = errors_of(slas_dir)
    assert [error.field for error in errors] == [
        "calendars.office.zone",
        "tiers.standard.availability",
        "escalation.warn_at",
    ]
    assert str(CatalogInvalid(errors)) == "\n".join(str(error) for error in errors)


def test_a_version_is_unique(slas_dir):
    shutil.copy(slas_dir / SHIPPED, slas_dir / "2027.yaml")
    edit(slas_dir, "2027.yaml", set_in(("effective_from",), "2027-01-01T00:00:00+08:00"))
    assert [str(error) for error in errors_of(slas_dir)] == [
        "2027.yaml: version: '2026.1' is also the version of 2026.yaml"
    ]


def test_one_version_in_effect_at_a_time(slas_dir):
    # The same instant written in UTC is still the same moment.
    def change(raw):
        raw["version"] = "2026.1b"
        raw["effective_from"] = "2025-12-31T16:00:00+00:00"

    shutil.copy(slas_dir / SHIPPED, slas_dir / "2026b.yaml")
    edit(slas_dir, "2026b.yaml", change)
    assert [str(error) for error in errors_of(slas_dir)] == [
        "2026b.yaml: effective_from: the same moment as 2026.yaml: "
        "one version is in effect at a time"
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [("tiers: [unclosed", "not valid YAML"), ("- a list", "the file must hold one mapping")],
)
def test_not_a_definition_file(slas_dir, text, reason):
    (slas_dir / "2027.yaml").write_text(text)
    (error,) = errors_of(slas_dir)
    assert (error.file, error.field) == ("2027.yaml", "(file)")
    assert error.reason.startswith(reason)


def test_missing_or_empty_directory_is_refused(tmp_path):
    assert "no such directory" in errors_of(tmp_path / "nowhere")[0].reason
    assert "no SLA definition files" in errors_of(tmp_path)[0].reason
