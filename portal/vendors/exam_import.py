"""The yearly exam's results from a CSV file: a certificate for every technician who
passed, the technician registered if the vendor had not yet. Every line is checked
first; one bad line imports nothing, and every bad line is reported with its number.

Columns (a header row, in English or Chinese): vendor (供应商编码), staff_number (工号),
name (姓名), certificate_number (证书编号), exam_score (考试成绩), issued_on (发证日期),
expires_on (有效期至), domains (业务领域), skills (技能). Domains and skills are codes or
their Chinese names, separated by ; or 、. Excel's Chinese CSV (GB18030) is read too.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core.errors import Forbidden, InvalidInput
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.models import Vendor
from portal.vendors.permissions import can_certify
from portal.vendors.service import (
    certificate_errors,
    record_certificate,
    register_technician,
    technician_by_number,
)
from portal.vendors.vocabulary import PASS_MARK, SKILLS

COLUMNS = {
    "vendor": "供应商编码",
    "staff_number": "工号",
    "name": "姓名",
    "certificate_number": "证书编号",
    "exam_score": "考试成绩",
    "issued_on": "发证日期",
    "expires_on": "有效期至",
    "domains": "业务领域",
    "skills": "技能",
}
MAX_BYTES = 2 * 1024 * 1024
_SEPARATORS = re.compile(r"[;；、,，]")


@dataclass
class ImportReport:
    issued: list = field(default_factory=list)  # certificates
    registered: list = field(default_factory=list)  # technicians new to their vendor
    not_passed: list = field(default_factory=list)  # (line, vendor, staff number, score)


def import_exam_results(session, actor, data):
    """Import the results in `data` (bytes). Only flushes."""
    if not can_certify(actor):
        raise Forbidden(_l("Exam results are imported by the platform team."))
    rows = _rows(data)
    domain_codes = _codes(BUSINESS_DOMAINS)
    skill_codes = _codes(SKILLS)
    vendors = {vendor.code: vendor for vendor in session.scalars(select(Vendor))}
    errors, parsed, numbers = {}, [], set()
    for line, row in rows:
        values, problems = _parse(row, domain_codes, skill_codes)
        vendor = vendors.get(values.get("vendor"))
        if vendor is None:
            problems["vendor"] = _l("No vendor has this code.")
        if values.get("exam_score") is not None and values["exam_score"] < PASS_MARK:
            # A fail issues nothing: only who sat the exam must be right.
            who = {
                key: problems[key] for key in ("vendor", "staff_number", "name") if key in problems
            }
            _report(errors, line, who)
            parsed.append((line, vendor, values))
            continue
        number = values.get("certificate_number")
        if number in numbers:
            problems["certificate_number"] = _l("The number appears twice in the file.")
        numbers.add(number)
        if not problems:
            problems.update(
                certificate_errors(
                    session,
                    number,
                    values["domains"],
                    values["skills"],
                    values["exam_score"],
                    values["issued_on"],
                    values["expires_on"],
                )
            )
            known = technician_by_number(session, vendor.id, values["staff_number"])
            if known is not None and known.name != values["name"]:
                problems["name"] = _l(
                    "Staff number %(n)s of this vendor is %(name)s.",
                    n=values["staff_number"],
                    name=known.name,
                )
        _report(errors, line, problems)
        parsed.append((line, vendor, values))
    if errors:
        raise InvalidInput(
            _l("%(count)s line(s) of the file are wrong: nothing was imported.", count=len(errors)),
            errors,
        )
    report = ImportReport()
    for line, vendor, values in parsed:
        if values["exam_score"] < PASS_MARK:
            report.not_passed.append(
                (line, vendor.code, values["staff_number"], values["exam_score"])
            )
            continue
        technician = technician_by_number(session, vendor.id, values["staff_number"])
        if technician is None:
            technician = register_technician(
                session,
                actor,
                vendor.id,
                staff_number=values["staff_number"],
                name=values["name"],
            )
            report.registered.append(technician)
        report.issued.append(
            record_certificate(
                session,
                actor,
                technician,
                number=values["certificate_number"],
                domains=values["domains"],
                skills=values["skills"],
                exam_score=values["exam_score"],
                issued_on=values["issued_on"],
                expires_on=values["expires_on"],
            )
        )
    return report


def _rows(data):
    if not data:
        raise InvalidInput(_l("The file is empty."), {"file": _l("Required.")})
    if len(data) > MAX_BYTES:
        raise InvalidInput(_l("The file is larger than 2 MB."), {"file": _l("Too large.")})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(_l("The file is neither UTF-8 nor GB18030 text."), {"file": "?"})
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    names = {english: english for english in COLUMNS} | {zh: en for en, zh in COLUMNS.items()}
    columns = [names.get((cell or "").strip()) for cell in header or ()]
    if missing := [name for name in COLUMNS if name not in columns]:
        raise InvalidInput(
            _l("The header row lacks: %(names)s.", names=", ".join(missing)),
            {"file": _l("Columns: %(names)s.", names=", ".join(COLUMNS))},
        )
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(
            (
                number,
                {
                    column: cell.strip()
                    for column, cell in zip(columns, cells, strict=False)
                    if column
                },
            )
        )
    if not rows:
        raise InvalidInput(_l("The file has no results under its header."), {"file": "?"})
    return rows


def _parse(row, domain_codes, skill_codes):
    values, problems = {}, {}
    for column in ("vendor", "staff_number", "name", "certificate_number"):
        values[column] = row.get(column, "")
        if not values[column]:
            problems[column] = _l("Required.")
    score = row.get("exam_score", "")
    if re.fullmatch(r"\d{1,3}", score) and int(score) <= 100:
        values["exam_score"] = int(score)
    else:
        values["exam_score"] = None
        problems["exam_score"] = _l("A whole number from 0 to 100.")
    for column in ("issued_on", "expires_on"):
        try:
            values[column] = date.fromisoformat(row.get(column, "").replace("/", "-"))
        except ValueError:
            values[column] = None
            problems[column] = _l("A date such as 2026-03-01.")
    for column, codes in (("domains", domain_codes), ("skills", skill_codes)):
        names = [name.strip() for name in _SEPARATORS.split(row.get(column, "")) if name.strip()]
        unknown = [name for name in names if name not in codes]
        values[column] = sorted({codes[name] for name in names if name in codes})
        if unknown:
            problems[column] = _l("Unknown: %(names)s.", names="、".join(unknown))
    return values, problems


def _codes(vocabulary):
    """Each code, its English and its Chinese label → the code."""
    codes = {code: code for code in vocabulary}
    for locale in ("en", "zh_CN"):
        with force_locale(locale):
            codes.update({str(label): code for code, label in vocabulary.items()})
    return codes


def _report(errors, line, problems):
    """One entry per bad line, keyed "line N", naming each bad column and why."""
    if problems:
        errors[f"line {line}"] = "; ".join(
            f"{column}: {reason}" for column, reason in problems.items()
        )
