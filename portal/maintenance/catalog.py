"""The maintenance playbooks on offer (playbooks/maintenance/catalog.yaml), read and
checked once, and a run's parameters checked against what its playbook declares."""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l

from portal.core.errors import InvalidInput
from portal.provisioning.ansible import PLAYBOOKS_DIR
from portal.vendors.vocabulary import SKILLS

CATALOG = PLAYBOOKS_DIR / "maintenance" / "catalog.yaml"
KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
RISKS = ("low", "medium", "high")
KINDS = ("vm", "volume", "database")
TYPES = ("boolean", "integer", "choice", "name", "subdir")
CREDENTIALS = ("none", "database")
# Credentials come from the inventory at run time, never from a person's typing.
SECRET_LIKE = re.compile(r"pass|secret|token|credential|(^|_)key$", re.IGNORECASE)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$")
# A relative path whose parts cannot be "." or ".." (none starts with a dot).
SUBDIR = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
SUBDIR_MAX = 200
MAX_TARGETS = 50
MAX_TIMEOUT_MINUTES = 120


class CatalogError(ValueError):
    """The catalog file is wrong; the message names the entry and the field."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    label: dict
    default: object = None
    required: bool = True
    minimum: int | None = None
    maximum: int | None = None
    choices: dict | None = None


@dataclass(frozen=True)
class Playbook:
    key: str
    playbook: str  # relative to playbooks/
    name: dict
    description: dict
    kinds: tuple
    items: tuple  # empty: any item of the kinds
    risk: str
    skill: str
    check_mode: bool
    credentials: str
    max_targets: int
    timeout_minutes: int
    parameters: tuple

    def applies_to(self, resource):
        return resource.kind in self.kinds and (not self.items or resource.item.key in self.items)


@lru_cache(maxsize=8)
def load_catalog(path=CATALOG):
    """{key: Playbook}, in the file's order; CatalogError names the first mistake."""
    path = Path(path)
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CatalogError(f"{path.name}: cannot be read: {error}") from error
    if not isinstance(entries, dict) or not entries:
        raise CatalogError(f"{path.name}: expected a mapping of playbook keys to entries")
    return {key: _entry(path, key, entry) for key, entry in entries.items()}


def playbooks():
    return load_catalog()


def _entry(path, key, entry):
    def fail(field, problem):
        where = f"{key}.{field}".rstrip(".")
        raise CatalogError(f"{path.name}: {where}: {problem}")

    if not isinstance(key, str) or not KEY.match(key):
        raise CatalogError(f"{path.name}: {key!r}: a key is 2-40 of a-z, 0-9, _")
    if not isinstance(entry, dict):
        fail("", "expected a mapping")
    known = {
        "playbook", "name", "description", "applies_to", "risk", "skill", "check_mode",
        "credentials", "max_targets", "timeout_minutes", "parameters",
    }  # fmt: skip
    if unknown := sorted(set(entry) - known):
        fail(unknown[0], "unknown field")
    playbook = entry.get("playbook")
    if not isinstance(playbook, str) or not (path.parent / playbook).is_file():
        fail("playbook", f"no file {playbook!r} beside the catalog")
    for field in ("name", "description"):
        _texts(entry.get(field), lambda problem, field=field: fail(field, problem))
    applies = entry.get("applies_to") or {}
    kinds, items = applies.get("kinds") or [], applies.get("items") or []
    if not kinds or not set(kinds) <= set(KINDS):
        fail("applies_to.kinds", f"a list of {', '.join(KINDS)}")
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        fail("applies_to.items", "a list of catalog item keys")
    if entry.get("risk") not in RISKS:
        fail("risk", f"one of {', '.join(RISKS)}")
    if entry.get("skill") not in SKILLS:
        fail("skill", f"one of {', '.join(SKILLS)}")
    if not isinstance(entry.get("check_mode"), bool):
        fail("check_mode", "true or false")
    if entry.get("credentials", "none") not in CREDENTIALS:
        fail("credentials", f"one of {', '.join(CREDENTIALS)}")
    limits = {"max_targets": MAX_TARGETS, "timeout_minutes": MAX_TIMEOUT_MINUTES}
    for field, ceiling in limits.items():
        value = entry.get(field, 1 if field == "max_targets" else 10)
        if not _whole(value) or not 1 <= value <= ceiling:
            fail(field, f"a whole number from 1 to {ceiling}")
    parameters = entry.get("parameters") or {}
    if not isinstance(parameters, dict):
        fail("parameters", "expected a mapping of names to declarations")
    return Playbook(
        key=key,
        playbook=f"maintenance/{playbook}",
        name=entry["name"],
        description=entry["description"],
        kinds=tuple(kinds),
        items=tuple(items),
        risk=entry["risk"],
        skill=entry["skill"],
        check_mode=entry["check_mode"],
        credentials=entry.get("credentials", "none"),
        max_targets=entry.get("max_targets", 1),
        timeout_minutes=entry.get("timeout_minutes", 10),
        parameters=tuple(
            _parameter(name, spec, lambda f, p, n=name: fail(f"parameters.{n}.{f}", p))
            for name, spec in parameters.items()
        ),
    )


def _texts(value, fail):
    if not isinstance(value, dict) or not all(
        isinstance(value.get(lang), str) and value[lang].strip() for lang in ("zh_CN", "en")
    ):
        fail("expected {zh_CN: …, en: …}")


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _parameter(name, spec, fail):
    if not isinstance(name, str) or not KEY.match(name):
        fail("", "a parameter name is 2-40 of a-z, 0-9, _")
    if SECRET_LIKE.search(name):
        fail("", "credentials are never parameters: the run takes them from the inventory")
    if not isinstance(spec, dict):
        fail("", "expected a mapping")
    if spec.get("type") not in TYPES:
        fail("type", f"one of {', '.join(TYPES)}")
    _texts(spec.get("label"), lambda problem: fail("label", problem))
    kind = spec["type"]
    choices = spec.get("choices")
    if kind == "choice":
        if not isinstance(choices, dict) or not choices:
            fail("choices", "a mapping of values to labels")
        for value, label in choices.items():
            _texts(label, lambda problem, v=value: fail(f"choices.{v}", problem))
    minimum, maximum = spec.get("min"), spec.get("max")
    if kind == "integer" and not (_whole(minimum) and _whole(maximum) and minimum <= maximum):
        fail("min", "an integer has whole-number limits, min <= max")
    parameter = Parameter(
        name=name,
        type=kind,
        label=spec["label"],
        default=spec.get("default"),
        required="default" not in spec,
        minimum=minimum,
        maximum=maximum,
        choices=choices,
    )
    if not parameter.required and _problem(parameter, parameter.default) is not None:
        fail("default", str(_problem(parameter, parameter.default)))
    return parameter


def _problem(parameter, value):
    """Why the value does not fit the declaration, or None."""
    kind = parameter.type
    if kind == "boolean" and not isinstance(value, bool):
        return _l("Yes or no.")
    if kind == "integer":
        if not _whole(value):
            return _l("A whole number.")
        if not parameter.minimum <= value <= parameter.maximum:
            return _l("From %(min)s to %(max)s.", min=parameter.minimum, max=parameter.maximum)
    if kind == "choice" and value not in parameter.choices:
        return _l("Choose one of: %(names)s.", names=", ".join(parameter.choices))
    if kind == "name" and not (isinstance(value, str) and NAME.match(value)):
        return _l("Letters, digits and @ . _ - only, at most 64.")
    if kind == "subdir" and not (
        isinstance(value, str) and (value == "" or SUBDIR.match(value)) and len(value) <= SUBDIR_MAX
    ):
        return _l("A folder below the configured root, like app/web: no leading / and no ..")
    return None


def clean_parameters(playbook, values):
    """The parameters as the run keeps them: declared ones only, defaults filled in."""
    values = values or {}
    errors = {}
    if not isinstance(values, dict):
        raise InvalidInput(_l("Parameters are a mapping of names to values."))
    declared = {parameter.name: parameter for parameter in playbook.parameters}
    for name in sorted(set(values) - set(declared)):
        errors[f"parameters.{name}"] = _l("The playbook has no such parameter.")
    cleaned = {}
    for name, parameter in declared.items():
        if name not in values or values[name] is None:
            if parameter.required:
                errors[f"parameters.{name}"] = _l("Required.")
                continue
            cleaned[name] = parameter.default
            continue
        problem = _problem(parameter, values[name])
        if problem is not None:
            errors[f"parameters.{name}"] = problem
        cleaned[name] = values[name]
    if errors:
        raise InvalidInput(_l("The parameters do not fit the playbook."), errors)
    return cleaned


def parameters_from_form(playbook, form):
    """Typed values from a page's form (`param-<name>` fields); clean_parameters judges."""
    values = {}
    for parameter in playbook.parameters:
        field = f"param-{parameter.name}"
        raw = form.get(field)
        if parameter.type == "boolean":
            values[parameter.name] = raw is not None
        elif raw is None or (raw.strip() == "" and parameter.type != "subdir"):
            values[parameter.name] = None
        elif parameter.type == "integer":
            try:
                values[parameter.name] = int(raw.strip())
            except ValueError:
                values[parameter.name] = raw
        else:
            values[parameter.name] = raw.strip()
    return values
