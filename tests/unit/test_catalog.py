"""The catalog: item files are validated with file/field/reason, a bad sync changes
nothing, a change makes a new version, and orders keep the version they were made with."""

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from catalog.form import quota_cost, resolve_spec, validate_parameters
from catalog.loader import CatalogInvalid, load_catalog
from portal.catalog.models import CatalogItemVersion
from portal.catalog.service import get_item, list_items, sync_catalog
from portal.core.errors import NotFound
from portal.orders.service import create_order
from portal.tenancy.vocabulary import QUOTA_RESOURCES

ITEMS = Path(__file__).parents[2] / "catalog" / "items"
RESOURCES = list(QUOTA_RESOURCES)


@pytest.fixture
def items_dir(tmp_path):
    target = tmp_path / "items"
    shutil.copytree(ITEMS, target)
    return target


def edit(directory, key, change):
    path = directory / f"{key}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_shipped_catalog_offers_the_required_items():
    items = load_catalog(ITEMS, RESOURCES)
    assert {"vm", "volume", "postgresql", "mysql"} <= set(items)
    flavors = next(f for f in items["vm"]["fields"] if f["name"] == "flavor")
    assert {o["value"] for o in flavors["options"]} == {"small", "medium", "large", "custom"}


def test_custom_flavour_fields_apply_only_when_custom_is_chosen():
    vm = load_catalog(ITEMS, RESOURCES)["vm"]
    base = {"hostname": "web-1", "purpose": "p"}
    values, errors = validate_parameters(vm, {**base, "flavor": "large", "vcpus": "99"})
    assert not errors and "vcpus" not in values  # ignored: the field does not apply
    spec = resolve_spec(vm, values)
    assert (spec["vcpus"], spec["ram_gb"], spec["cloud_flavor"]) == (4, 8, "jy.large")
    values, errors = validate_parameters(vm, {**base, "flavor": "custom", "vcpus": "99"})
    assert errors["vcpus"].code == "too_large"
    values, errors = validate_parameters(
        vm, {**base, "flavor": "custom", "vcpus": "6", "ram_gb": "12", "data_volume_gb": "100"}
    )
    assert quota_cost(vm, resolve_spec(vm, values)) == {
        "instances": 1,
        "vcpus": 6,
        "ram_gb": 12,
        "disk_gb": 140,
    }


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda d: d.pop("name"), "name", "Missing data"),
        (lambda d: d["fields"][0].update(type="float"), "fields[0].type", "Must be one of"),
        (lambda d: d["fields"][1]["options"].clear(), "fields[1].options", "needs options"),
        (lambda d: d["quota_cost"].update(gpus=1), "quota_cost.gpus", "unknown quota resource"),
        (
            lambda d: d["quota_cost"].update(vcpus="cores"),
            "quota_cost.vcpus",
            "'cores' is no field",
        ),
        (
            lambda d: d["fields"][2].update(when={"flavour": "custom"}),
            "fields[2].when",
            "not a field defined before",
        ),
        (
            lambda d: d["fields"][2].update(default=99),
            "fields[2].default",
            "the default is invalid",
        ),
        (lambda d: d["approval"].update(chain=["mayor"]), "approval.chain[0]", "Must be one of"),
        (
            lambda d: d["provisioning"]["steps"][0].update(action="cloud.explode"),
            "provisioning.steps[0].action",
            "Must be one of",
        ),
        (lambda d: d.update(colour="red"), "colour", "Unknown field"),
        (lambda d: d["fields"][0]["label"].pop("en"), "fields[0].label.en", "Missing data"),
    ],
)
def test_a_malformed_item_is_rejected_with_file_field_and_reason(items_dir, change, field, reason):
    edit(items_dir, "vm", change)
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(items_dir, RESOURCES)
    errors = caught.value.errors
    assert any(e.file == "vm.yaml" and e.field == field and reason in e.reason for e in errors), [
        str(e) for e in errors
    ]


def test_a_file_that_is_not_yaml_is_named(items_dir):
    (items_dir / "broken.yaml").write_text("key: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(items_dir, RESOURCES)
    assert caught.value.errors[0].file == "broken.yaml"
    assert "not valid YAML" in caught.value.errors[0].reason


def test_a_bad_file_makes_the_sync_change_nothing(session, items_dir):
    edit(items_dir, "volume", lambda d: d["fields"][1].update(min=10, max=5))
    edit(items_dir, "vm", lambda d: d["name"].update(en="Server"))  # a valid change
    before = session.scalar(select(func.count()).select_from(CatalogItemVersion))
    with pytest.raises(CatalogInvalid) as caught:
        sync_catalog(session, None, items_dir)
    session.rollback()
    assert [e.file for e in caught.value.errors] == ["volume.yaml"]
    assert session.scalar(select(func.count()).select_from(CatalogItemVersion)) == before
    assert get_item(session, "vm").current_version.definition["name"]["en"] == "Virtual machine"


def test_a_change_makes_a_new_version_and_orders_keep_theirs(session, user, items_dir):
    member = user("member.a")
    order = create_order(
        session, member, "volume", {"volume_name": "v-one", "size_gb": 20, "purpose": "p"}
    )
    assert order.catalog_version.number == 1
    edit(items_dir, "volume", lambda d: d["fields"][1].update(max=8000))
    report = sync_catalog(session, None, items_dir, note="bigger volumes")
    assert report.updated == ["volume"]
    assert sorted(report.unchanged) == ["mysql", "postgresql", "test_vm", "vm"]
    item = get_item(session, "volume")
    assert item.current_version.number == 2
    assert item.current_version.note == "bigger volumes"
    session.refresh(order)
    assert order.catalog_version.number == 1
    assert order.catalog_version.definition["fields"][1]["max"] == 4000
    assert sync_catalog(session, None, items_dir).updated == []  # same files: no new version


def test_an_item_whose_file_is_gone_is_retired_and_cannot_be_ordered(session, user, items_dir):
    (items_dir / "mysql.yaml").unlink()
    report = sync_catalog(session, None, items_dir)
    assert report.retired == ["mysql"]
    assert "mysql" not in [item.key for item in list_items(session)]
    with pytest.raises(NotFound) as caught:
        create_order(session, user("member.a"), "mysql", {"database_name": "x1", "purpose": "p"})
    assert "item" in caught.value.fields


def test_the_cli_reports_every_error_and_exits_non_zero(app, items_dir):
    edit(items_dir, "vm", lambda d: d["quota_cost"].update(gpus=1))
    edit(items_dir, "mysql", lambda d: d.pop("sla_tiers"))
    result = app.test_cli_runner().invoke(args=["catalog", "sync", "--directory", str(items_dir)])
    assert result.exit_code == 1
    assert "vm.yaml: quota_cost.gpus: unknown quota resource" in result.output
    assert "mysql.yaml: sla_tiers: Missing data" in result.output
    assert "the catalog is unchanged" in result.output
