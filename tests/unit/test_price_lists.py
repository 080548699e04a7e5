"""Price lists as a library: the shipped files load, every bad input is named with its
file, field and reason, rates apply tiers, discounts and negotiated rates exactly, and a
month splits at the moment a new version takes effect."""

import copy
import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import yaml

from billing.metrics import DIMENSION_RULES
from billing.prices import (
    PRICES_DIR,
    QUANTUM,
    NoPriceInEffect,
    PriceListInvalid,
    Rates,
    digest,
    load_price_lists,
    periods,
)

VOCABULARY = {
    "metrics": DIMENSION_RULES,
    "tiers": {"standard", "important", "critical"},
    "agency_kinds": {"district", "bureau", "town", "community"},
    "outsourcing_modes": {"self_operated", "hybrid", "fully_outsourced"},
}
CST = timezone(timedelta(hours=8))
CHANGE = datetime(2026, 10, 15, 16, tzinfo=UTC)  # 2026-10-16 00:00 in Beijing


def load(directory=PRICES_DIR):
    return load_price_lists(directory, **VOCABULARY)


@pytest.fixture
def prices_dir(tmp_path):
    target = tmp_path / "prices"
    shutil.copytree(PRICES_DIR, target)
    return target


def edit(directory, name, change):
    path = directory / name
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


def errors_of(directory):
    with pytest.raises(PriceListInvalid) as caught:
        load(directory)
    return caught.value.errors


@pytest.fixture(scope="module")
def lists():
    return load()


def test_shipped_files_load(lists):
    assert [d["version"] for d in lists] == ["2026.01", "2026.10"]
    first, second = (Rates(d) for d in lists)
    assert first.effective_from == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert second.effective_from == CHANGE
    for rates in (first, second):
        for metric, rule in VOCABULARY["metrics"].items():
            keys = rates.keys()
            dimensions = {dim for m, dim, _tier in keys if m == metric}
            assert dimensions
            if rule == "optional":  # the shipped lists price every volume type alike
                assert dimensions == {""}
            else:
                assert all(bool(dim) == bool(rule) for dim in dimensions)
            for dim in dimensions:
                for tier in VOCABULARY["tiers"]:
                    assert rates.rate(metric, dim, tier) is not None, (metric, dim, tier)
    assert second.agency_codes() == {"b08"}
    json.dumps(lists)  # plain data, ready for a JSON column


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


TIERS3 = {"standard": "0.09", "important": "0.1", "critical": "0.2"}
BAD = [
    (("rates", "gpu_hours"), "1", "rates.gpu_hours: unknown metric (known: db_instance_hours"),
    (("rates", "vcpu_hours"), {**TIERS3, "gold": "1"}, "rates.vcpu_hours.gold: unknown SLA tier"),
    (("rates", "vcpu_hours"), {"standard": "0.09"}, "rates.vcpu_hours: no rate for critical, im"),
    (("rates", "snapshot_gb_hours"), None, "rates.snapshot_gb_hours: no rate: a price list"),
    (("rates", "instance_hours"), "0.2", "rates.instance_hours: give a rate per dimension"),
    (("rates", "instance_hours"), {}, "rates.instance_hours: give a rate per dimension"),
    (("rates", "instance_hours", ""), "0.2", "rates.instance_hours.'': a dimension is a non-empty"),
    (("rates", "volume_gb_hours"), {}, "rates.volume_gb_hours: give a rate per dimension"),
    (("rates", "volume_gb_hours"), {"jy-ssd": "x"}, "rates.volume_gb_hours.jy-ssd: 'x' is not"),
    (("rates", "disk_gb_hours"), "-0.1", "rates.disk_gb_hours: cannot be negative"),
    (("rates", "disk_gb_hours"), "0.0000001", "rates.disk_gb_hours: at most 6 decimal places"),
    (("rates", "disk_gb_hours"), "abc", "rates.disk_gb_hours: 'abc' is not a decimal number"),
    (("rates", "disk_gb_hours"), "1e-3", "rates.disk_gb_hours: '1e-3' is not a decimal number"),
    (("rates", "disk_gb_hours"), True, "rates.disk_gb_hours: not a decimal number"),
    (("rates", "vcpu_hours"), 0.09, 'rates.vcpu_hours: write it in quotes ("0.09")'),
    (("rates", "instance_hours", "jy.small", "critical"), 0.3, "jy.small.critical: write it in"),
    (("service_fee", "hybrid"), 0.08, "service_fee.hybrid: write it in quotes"),
    (("service_fee", "outsourced"), "0.1", "service_fee.outsourced: unknown outsourcing mode"),
    (("service_fee", "hybrid"), None, 'service_fee: no fee for hybrid (write "0" for none)'),
    (("service_fee", "hybrid"), "1", "service_fee.hybrid: must be from 0 up to (not including) 1"),
    (("agency_kinds", "village"), {"discount": "0.1"}, "agency_kinds.village: unknown agency kind"),
    (("agency_kinds", "town"), {"discount": "1"}, "agency_kinds.town.discount: must be from 0 up"),
    (("agency_kinds", "town"), {"discount": "-0.1"}, "agency_kinds.town.discount: cannot be neg"),
    (("agency_kinds", "town"), {}, "agency_kinds.town.discount: Missing data"),
    (("agencies", "b01"), {"discount": "1.5"}, "agencies.b01.discount: must be from 0 up to"),
    (("agencies", "b01"), {}, "agencies.b01: give a discount, rates or both"),
    (("agencies", "b01"), {"rates": {"gpu_hours": "1"}}, "agencies.b01.rates.gpu_hours: unknown"),
    (("agencies", "b01"), {"rebate": "0.1"}, "agencies.b01.rebate: Unknown field."),
    (("agencies", "b" * 41), {"discount": "0.1"}, "the name: Length must be between 1 and 40"),
    (("agencies", "b01", "rates"), {"vcpu_hours": 0.08}, "b01.rates.vcpu_hours: write it in quo"),
    (("effective_from",), "2026-01-01T00:00:00", "effective_from: give the timezone"),
    (("effective_from",), datetime(2026, 1, 1), "effective_from: give the timezone"),  # noqa: DTZ001
    (("effective_from",), "2026-01-01T00:30:00+08:00", "effective_from: must be on the hour"),
    (("effective_from",), "2026-01-01T00:00:00+05:30", "effective_from: must be on the hour"),
    (("effective_from",), "1 January 2026", "effective_from: not a date and time"),
    (("effective_from",), None, "effective_from: Missing data for required field."),
    (("version",), 2026.01, 'version: write it in quotes, e.g. "2026.01"'),
    (("reason", "en"), None, "reason.en: Missing data for required field."),
    (("discounts",), {}, "discounts: Unknown field."),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD, ids=[m for _p, _v, m in BAD])
def test_bad_input_is_named(prices_dir, path, value, message):
    edit(prices_dir, "2026-01.yaml", set_in(path, value))
    errors = errors_of(prices_dir)
    assert any(error.startswith("2026-01.yaml: ") and message in error for error in errors), errors


def test_every_error_of_a_file_is_reported(prices_dir):
    def change(raw):
        raw["rates"]["vcpu_hours"] = 0.09
        raw["rates"]["gpu_hours"] = "1"
        raw["service_fee"]["hybrid"] = "-1"

    edit(prices_dir, "2026-01.yaml", change)
    errors = errors_of(prices_dir)
    assert len(errors) == 3
    assert str(PriceListInvalid(errors)) == "\n".join(errors)


@pytest.mark.parametrize(
    ("text", "message"),
    [("rates: [unclosed", "(file): not valid YAML"), ("- a list", "(file): the file must hold")],
)
def test_not_a_price_list(prices_dir, text, message):
    (prices_dir / "2026-01.yaml").write_text(text)
    assert any(error.startswith(f"2026-01.yaml: {message}") for error in errors_of(prices_dir))


def test_missing_or_empty_directory_is_refused(tmp_path):
    assert "no such directory" in errors_of(tmp_path / "nowhere")[0]
    assert "no price list files" in errors_of(tmp_path)[0]


def test_overlap_is_refused(prices_dir):
    # The same instant written in UTC is still the same moment.
    def change(raw):
        raw["version"] = "2026.01b"
        raw["effective_from"] = "2025-12-31T16:00:00+00:00"

    shutil.copy(prices_dir / "2026-01.yaml", prices_dir / "2026-01b.yaml")
    edit(prices_dir, "2026-01b.yaml", change)
    assert errors_of(prices_dir) == [
        "2026-01b.yaml: effective_from: the same moment as 2026-01.yaml: "
        "one price list is in effect at a time"
    ]


def test_a_version_is_unique(prices_dir):
    shutil.copy(prices_dir / "2026-01.yaml", prices_dir / "2026-02.yaml")
    edit(prices_dir, "2026-02.yaml", set_in(("effective_from",), "2026-02-01T00:00:00+08:00"))
    assert errors_of(prices_dir) == [
        "2026-02.yaml: version: '2026.01' is also the version of 2026-01.yaml"
    ]


def test_rates_by_tier_and_single_values(lists):
    rates = Rates(lists[0])
    assert rates.rate("instance_hours", "jy.small", "standard") == Decimal("0.200000")
    assert rates.rate("instance_hours", "jy.small", "important") == Decimal("0.26")
    assert rates.rate("instance_hours", "jy.small", "critical") == Decimal("0.32")
    for tier in VOCABULARY["tiers"]:  # one value is every tier's
        assert rates.rate("volume_gb_hours", "", tier) == Decimal("0.0007")
        assert rates.rate("volume_gb_hours", None, tier) == Decimal("0.0007")
    assert rates.rate("instance_hours", "jy.huge", "standard") is None
    assert rates.rate("db_instance_hours", "oracle", "standard") is None
    assert (
        rates.rate("vcpu_hours", "", "standard").as_tuple().exponent == QUANTUM.as_tuple().exponent
    )
    assert rates.service_fee("fully_outsourced") == Decimal("0.15")
    assert rates.service_fee("self_operated") == 0
    assert rates.agency_codes() == set()
    keys = rates.keys()
    assert ("instance_hours", "jy.large", "critical") in keys
    assert len(keys) == 3 * (3 + 6 + 2)  # 3 flavours, 6 plain metrics, 2 engines


def test_discounts_and_negotiated_rates(lists):
    rates = Rates(lists[1])
    small = ("instance_hours", "jy.small", "standard")
    assert rates.rate(*small, "bureau", "b01") == Decimal("0.18")
    assert rates.rate(*small, "community", "c0101") == Decimal("0.126")  # 30% off
    assert rates.rate(*small, "bureau", "b08") == Decimal("0.162")  # 10% off
    # b08's own vCPU rate replaces the list's, and its discount applies to it too.
    assert rates.rate("vcpu_hours", "", "standard", "bureau", "b01") == Decimal("0.081")
    assert rates.rate("vcpu_hours", "", "standard", "bureau", "b08") == Decimal("0.0675")
    assert rates.rate("vcpu_hours", "", "critical", "bureau", "b08") == Decimal("0.108")


def test_agency_discount_wins_over_kind_discount(lists):
    definition = copy.deepcopy(lists[1])
    definition["agencies"]["c0101"] = {"discount": "0.05"}
    definition["agencies"]["c0102"] = {"rates": {"ram_gb_hours": {"standard": "0.04"}}}
    rates = Rates(definition)
    ram = ("ram_gb_hours", "", "standard")
    assert rates.rate(*ram, "community", "c0101") == Decimal("0.038475")  # 0.0405 × 0.95
    # Negotiated rates without a discount of its own: the kind's applies.
    assert rates.rate(*ram, "community", "c0102") == Decimal("0.028")  # 0.04 × 0.70
    assert rates.rate("ram_gb_hours", "", "critical", "community", "c0102") == Decimal("0.04536")


def test_rates_round_half_up_to_six_places(lists):
    definition = copy.deepcopy(lists[1])
    definition["rates"]["snapshot_gb_hours"] = dict.fromkeys(VOCABULARY["tiers"], "0.000005")
    definition["agency_kinds"]["town"] = {"discount": "0.5"}
    # 0.0000025 → 0.000003 (half-even would give 0.000002).
    assert Rates(definition).rate("snapshot_gb_hours", "", "standard", "town") == QUANTUM * 3


def test_volumes_priced_by_type_or_by_one_rate(prices_dir):
    by_type = {"jy-standard": "0.0007", "jy-ssd": {**TIERS3, "standard": "0.0015"}}
    edit(prices_dir, "2026-10.yaml", set_in(("rates", "volume_gb_hours"), by_type))
    edit(prices_dir, "2026-01.yaml", set_in(("rates", "volume_gb_hours"), TIERS3))
    older, newer = (Rates(definition) for definition in load(prices_dir))
    # One rate (here by tier) prices every type, and a volume of no recorded type.
    for volume_type in ("jy-ssd", "jy-standard", ""):
        assert older.rate("volume_gb_hours", volume_type, "important") == Decimal("0.1")
    # A rate per type prices each type its own way; a type it does not name, nothing.
    assert newer.rate("volume_gb_hours", "jy-ssd", "standard") == Decimal("0.0015")
    assert newer.rate("volume_gb_hours", "jy-ssd", "critical") == Decimal("0.2")
    assert newer.rate("volume_gb_hours", "jy-standard", "critical") == Decimal("0.0007")
    assert newer.rate("volume_gb_hours", "jy-archive", "standard") is None
    assert newer.rate("volume_gb_hours", "", "standard") is None
    # Discounts apply to the type's rate; an agency's own one rate replaces the list's.
    assert newer.rate("volume_gb_hours", "jy-ssd", "standard", "community") == Decimal("0.00105")
    definition = load(prices_dir)[1]
    definition["agencies"]["b08"]["rates"]["volume_gb_hours"] = dict.fromkeys(TIERS3, "0.001")
    rates = Rates(definition)
    assert rates.rate("volume_gb_hours", "jy-ssd", "standard", "bureau", "b08") == Decimal("0.0009")
    assert rates.rate("volume_gb_hours", "jy-ssd", "standard", "bureau", "b01") == Decimal("0.0015")


def test_keys_include_negotiated_dimensions(lists):
    definition = copy.deepcopy(lists[1])
    definition["agencies"]["b08"]["rates"]["instance_hours"] = {"jy.gpu": {"standard": "5"}}
    rates = Rates(definition)
    keys = rates.keys()
    assert ("instance_hours", "jy.gpu", "standard") in keys
    assert ("instance_hours", "jy.gpu", "critical") not in keys
    assert rates.rate("instance_hours", "jy.gpu", "standard", "bureau", "b08") == Decimal("4.5")
    assert rates.rate("instance_hours", "jy.gpu", "standard", "bureau", "b01") is None


def test_a_month_splits_at_the_change(lists):
    start, end = datetime(2026, 10, 1, tzinfo=CST), datetime(2026, 11, 1, tzinfo=CST)
    pieces = periods(list(reversed(lists)), start, end)
    assert [(s, e, d["version"]) for s, e, d in pieces] == [
        (datetime(2026, 9, 30, 16, tzinfo=UTC), CHANGE, "2026.01"),
        (CHANGE, datetime(2026, 10, 31, 16, tzinfo=UTC), "2026.10"),
    ]
    assert all(s.tzinfo == UTC and e.tzinfo == UTC for s, e, _d in pieces)


def test_periods_within_one_version(lists):
    at = datetime(2026, 3, 5, 8, tzinfo=UTC)
    assert periods(lists, at, at + timedelta(seconds=1)) == [
        (at, at + timedelta(seconds=1), lists[0])
    ]
    assert periods(lists, CHANGE, CHANGE + timedelta(hours=1))[0][2] is lists[1]
    assert periods(lists, at, at) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        periods(lists, datetime(2026, 3, 5), datetime(2026, 3, 6))  # noqa: DTZ001


def test_no_price_before_the_first(lists):
    start = datetime(2025, 12, 1, tzinfo=CST)
    with pytest.raises(NoPriceInEffect) as caught:
        periods(lists, start, datetime(2026, 2, 1, tzinfo=CST))
    assert caught.value.start == datetime(2025, 11, 30, 16, tzinfo=UTC)
    assert caught.value.end == datetime(2025, 12, 31, 16, tzinfo=UTC)
    with pytest.raises(NoPriceInEffect):
        periods([], CHANGE, CHANGE + timedelta(hours=1))


def test_digest_is_stable_and_follows_edits(prices_dir, lists):
    again = load(prices_dir)
    assert [digest(d) for d in again] == [digest(d) for d in lists]
    reordered = json.loads(json.dumps(lists[0], sort_keys=True))
    reordered = dict(reversed(list(reordered.items())))
    assert digest(reordered) == digest(lists[0])
    edit(prices_dir, "2026-10.yaml", set_in(("rates", "disk_gb_hours"), "0.00075"))
    edited = load(prices_dir)
    assert digest(edited[0]) == digest(lists[0])
    assert digest(edited[1]) != digest(lists[1])


def test_a_stored_definition_rates_the_same(lists):
    # What the portal keeps in a JSON column, read back.
    stored = json.loads(json.dumps(lists[1]))
    rates, original = Rates(stored), Rates(lists[1])
    assert rates.keys() == original.keys()
    assert rates.rate("vcpu_hours", "", "important", "bureau", "b08") == original.rate(
        "vcpu_hours", "", "important", "bureau", "b08"
    )
