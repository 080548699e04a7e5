"""Load and validate the catalog's item files; report every error with its file,
field and reason, and hand back nothing when anything is wrong."""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from marshmallow import ValidationError

from catalog.form import FieldError, spec_names, validate_parameters
from catalog.schema import ItemSchema


@dataclass(frozen=True)
class CatalogError:
    file: str
    field: str
    reason: str

    def __str__(self):
        return f"{self.file}: {self.field}: {self.reason}"


class CatalogInvalid(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


def digest(definition):
    """A stable fingerprint of a definition: a changed item gets a new version."""
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def error_paths(messages, prefix=""):
    """marshmallow's nested messages as (dotted path, reason) pairs; a Dict field's keys
    and values and a whole-schema check are named by the path above them."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("value", "_schema"):  # a Dict field's value, a whole-schema check
                part = ""
            elif key == "key":  # a Dict field's key: the path already names it
                yield from (
                    (field, f"the name: {reason}") for field, reason in error_paths(value, prefix)
                )
                continue
            elif isinstance(key, int):
                part = f"[{key}]"
            else:
                part = f".{key}" if prefix else str(key)
            yield from error_paths(value, prefix + part)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for message in messages:
            yield prefix or "(file)", message
    else:
        for index, value in enumerate(messages):
            yield from error_paths(value, f"{prefix}[{index}]")


def _check_fields(definition):
    seen = {}
    for index, form_field in enumerate(definition["fields"]):
        where = f"fields[{index}]"
        if form_field["name"] in seen:
            yield f"{where}.name", f"'{form_field['name']}' is used twice"
        for name, wanted in (form_field.get("when") or {}).items():
            earlier = seen.get(name)
            if earlier is None:
                yield f"{where}.when", f"'{name}' is not a field defined before this one"
            elif earlier["type"] == "choice":
                allowed = {option["value"] for option in earlier["options"]}
                for value in wanted if isinstance(wanted, list) else [wanted]:
                    if value not in allowed:
                        yield f"{where}.when", f"'{value}' is not an option of '{name}'"
        seen[form_field["name"]] = form_field
        if "default" in form_field:
            _values, errors = validate_parameters(
                {"fields": [{**form_field, "when": {}}]},
                {form_field["name"]: form_field["default"]},
            )
            if errors:
                error: FieldError = errors[form_field["name"]]
                yield f"{where}.default", f"the default is invalid ({error.code})"


def _check_rules(definition, quota_resources):
    names = spec_names(definition)
    for resource, rule in definition["quota_cost"].items():
        if resource not in quota_resources:
            yield (
                f"quota_cost.{resource}",
                f"unknown quota resource (known: {', '.join(quota_resources)})",
            )
            continue
        for term in rule if isinstance(rule, list) else [rule]:
            if isinstance(term, bool) or not isinstance(term, (int, str)):
                yield f"quota_cost.{resource}", "use a whole number or a field name"
            elif isinstance(term, int) and term < 0:
                yield f"quota_cost.{resource}", "a cost cannot be negative"
            elif isinstance(term, str) and term not in names:
                yield f"quota_cost.{resource}", f"'{term}' is no field or value of this item"
    auto = definition["approval"].get("auto_approve")
    for resource in (auto or {}).get("within", {}):
        if resource not in definition["quota_cost"]:
            yield f"approval.auto_approve.within.{resource}", "not a quota cost of this item"
    tiers = [tier["key"] for tier in definition["sla_tiers"]]
    if len(tiers) != len(set(tiers)):
        yield "sla_tiers", "tier keys repeat"
    steps = [step["name"] for step in definition["provisioning"]["steps"]]
    if len(steps) != len(set(steps)):
        yield "provisioning.steps", "step names repeat"
    if definition["provisioning"]["name_from"] not in names:
        yield "provisioning.name_from", "no field or value of that name"
    for index, step in enumerate(definition["provisioning"]["steps"]):
        for key in ("only_if", "size_from"):
            if key in step and step[key] not in names:
                yield (f"provisioning.steps[{index}].{key}", f"'{step[key]}' is no field or value")


def load_file(path, quota_resources):
    """Return (definition, errors) for one file."""
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, [CatalogError(name, "(file)", f"not valid YAML: {exc}")]
    if not isinstance(raw, dict):
        return None, [CatalogError(name, "(file)", "the file must hold one mapping (an item)")]
    try:
        definition = ItemSchema().load(raw)
    except ValidationError as exc:
        return None, [
            CatalogError(name, field, reason) for field, reason in error_paths(exc.messages)
        ]
    errors = [CatalogError(name, field, reason) for field, reason in _check_fields(definition)]
    errors += [
        CatalogError(name, field, reason)
        for field, reason in _check_rules(definition, quota_resources)
    ]
    if path.stem != definition["key"]:
        errors.append(CatalogError(name, "key", f"must match the file name ('{path.stem}')"))
    return (None if errors else definition), errors


def load_catalog(directory, quota_resources):
    """All items of a directory by key; raises CatalogInvalid listing every error."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CatalogInvalid([CatalogError(str(directory), "(directory)", "no such directory")])
    items, errors = {}, []
    for path in sorted(directory.glob("*.yaml")):
        definition, file_errors = load_file(path, quota_resources)
        errors += file_errors
        if definition is not None:
            items[definition["key"]] = definition
    if errors:
        raise CatalogInvalid(errors)
    return items
