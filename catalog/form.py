"""An item's order form as rules: validate what a user entered, resolve the full
spec (choices fill in the values they stand for), and price it in quota.

Errors are codes with parameters, not sentences: the portal words them in the
user's language.
"""

import re
from dataclasses import dataclass, field

TRUE_WORDS = {"1", "true", "on", "yes"}
FALSE_WORDS = {"", "0", "false", "off", "no"}
DEFAULT_MAX_LENGTH = 200


@dataclass(frozen=True)
class FieldError:
    code: str
    params: dict = field(default_factory=dict)


class _Invalid(Exception):
    def __init__(self, code, **params):
        super().__init__(code)
        self.error = FieldError(code, params)


def when_holds(form_field, values):
    """Whether a field applies, given the values of the fields before it."""
    for name, wanted in (form_field.get("when") or {}).items():
        accepted = wanted if isinstance(wanted, list) else [wanted]
        if values.get(name) not in accepted:
            return False
    return True


def _is_blank(raw):
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def _parse_integer(form_field, raw):
    if isinstance(raw, bool):
        raise _Invalid("not_integer")
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, str) and re.fullmatch(r"\s*-?\d{1,12}\s*", raw):
        number = int(raw)
    else:
        raise _Invalid("not_integer")
    if "min" in form_field and number < form_field["min"]:
        raise _Invalid("too_small", min=form_field["min"])
    if "max" in form_field and number > form_field["max"]:
        raise _Invalid("too_large", max=form_field["max"])
    return number


def _parse_string(form_field, raw):
    if not isinstance(raw, str):
        raise _Invalid("not_text")
    text = raw.strip()
    limit = form_field.get("max_length", DEFAULT_MAX_LENGTH)
    if len(text) > limit:
        raise _Invalid("too_long", max_length=limit)
    if "pattern" in form_field and not re.fullmatch(form_field["pattern"], text):
        raise _Invalid("bad_format")
    return text


def _parse_choice(form_field, raw):
    value = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
    allowed = [option["value"] for option in form_field["options"]]
    if value not in allowed:
        raise _Invalid("not_a_choice", choices=", ".join(allowed))
    return value


def _parse_boolean(_form_field, raw):
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.strip().lower() in TRUE_WORDS
    raise _Invalid("not_boolean")


PARSERS = {
    "integer": _parse_integer,
    "string": _parse_string,
    "choice": _parse_choice,
    "boolean": _parse_boolean,
}


def _parse(form_field, raw):
    if form_field["type"] == "boolean" and raw is None:
        return form_field.get("default", False)
    if _is_blank(raw):
        if "default" in form_field:
            return form_field["default"]
        if form_field.get("required", True):
            raise _Invalid("required")
        return None
    return PARSERS[form_field["type"]](form_field, raw)


def validate_parameters(definition, raw):
    """Return (values, errors): values of the fields that apply, errors by field name.

    Values given for fields that do not apply (their `when` does not hold) are
    ignored, as a browser posts hidden inputs too; names the item does not know are
    errors, so an API caller learns of a typo.
    """
    values, errors = {}, {}
    known = {form_field["name"] for form_field in definition["fields"]}
    for name in raw:
        if name not in known:
            errors[name] = FieldError("unknown_field")
    for form_field in definition["fields"]:
        if not when_holds(form_field, values):
            continue
        try:
            values[form_field["name"]] = _parse(form_field, raw.get(form_field["name"]))
        except _Invalid as invalid:
            errors[form_field["name"]] = invalid.error
    return values, errors


def resolve_spec(definition, values):
    """The values plus what each chosen option sets (entered values win)."""
    spec = dict(values)
    for form_field in definition["fields"]:
        if form_field["type"] != "choice" or form_field["name"] not in values:
            continue
        for option in form_field["options"]:
            if option["value"] == values[form_field["name"]]:
                for name, value in option["sets"].items():
                    spec.setdefault(name, value)
    return spec


def quota_cost(definition, spec):
    """Quota resource → amount, from the item's quota_cost rules over the spec."""
    cost = {}
    for resource, rule in definition["quota_cost"].items():
        names = rule if isinstance(rule, list) else [rule]
        total = 0
        for term in names:
            value = term if isinstance(term, int) else spec.get(term)
            total += value or 0
        cost[resource] = total
    return cost


def spec_names(definition):
    """Every name a spec of this item can hold: its fields and what options set."""
    names = set()
    for form_field in definition["fields"]:
        names.add(form_field["name"])
        for option in form_field.get("options") or []:
            names.update(option["sets"])
    return names


def auto_approvable(definition, cost):
    """Whether the item's policy approves a request of this quota cost by itself."""
    rule = definition["approval"].get("auto_approve")
    if not rule:
        return False
    return all(cost.get(resource, 0) <= most for resource, most in rule["within"].items())


def needs_approval(definition, cost):
    return bool(definition["approval"]["chain"]) and not auto_approvable(definition, cost)
