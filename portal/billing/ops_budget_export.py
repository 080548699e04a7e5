"""The operations budget as an XLSX workbook for finance: one row per business domain
with both methods side by side, exact amounts as numbers with two places."""

import io

from flask_babel import force_locale, gettext
from openpyxl import Workbook

from portal.tenancy.vocabulary import BUSINESS_DOMAINS

MONEY = "#,##0.00"
HEADERS = (
    "Business domain",
    "Asset value",
    "Asset-proportion coefficient method",
    "Workload hours",
    "Workload method",
    "Difference",
)


def ops_budget_xlsx(year, rows, locale):
    workbook = Workbook(write_only=True)
    with force_locale(locale):
        sheet = workbook.create_sheet(gettext("Operations budget %(year)s", year=year))
        sheet.append([gettext(header) for header in HEADERS])
        for row in rows:
            found = row.estimate
            sheet.append(
                [
                    str(BUSINESS_DOMAINS[row.domain]),
                    found.asset_value,
                    found.asset_amount,
                    found.hours,
                    found.workload_amount,
                    found.workload_amount - found.asset_amount,
                ]
            )
        sheet.append(
            [
                gettext("Total"),
                sum(row.estimate.asset_value for row in rows),
                sum(row.estimate.asset_amount for row in rows),
                sum(row.estimate.hours for row in rows),
                sum(row.estimate.workload_amount for row in rows),
                sum(row.estimate.workload_amount - row.estimate.asset_amount for row in rows),
            ]
        )
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
