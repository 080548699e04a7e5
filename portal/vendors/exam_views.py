"""The yearly exam's results, imported from the exam's CSV file by the platform team
(the only ones who certify: everybody else gets 403 here), with a sample file."""

import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import force_locale
from flask_login import current_user, login_required

from portal.core.form_errors import run_service
from portal.extensions import db
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors import exam_import, service
from portal.vendors.eligibility import today
from portal.vendors.forms import ExamResultsForm
from portal.vendors.permissions import can_certify
from portal.vendors.vocabulary import PASS_MARK, SKILLS

bp = Blueprint("vendor_exams", __name__, url_prefix="/vendors/exam-results")


@bp.before_request
@login_required
def _certifiers_only():
    if not can_certify(current_user):
        abort(403)


@bp.route("", methods=["GET", "POST"])
def upload():
    form = ExamResultsForm()
    if not form.validate_on_submit():
        return _render_exam(form, status=422 if request.method == "POST" else 200)
    sent = form.file.data
    # One byte past the limit is enough for the import to refuse the file as too large.
    data = sent.read(exam_import.MAX_BYTES + 1) if sent else b""
    report, error = run_service(
        form, lambda: exam_import.import_exam_results(db.session, current_user, data)
    )
    if error:
        return _render_exam(form, error=error, status=error.status)
    # Shown at once rather than after a redirect: the report is about this upload only.
    return _render_exam(ExamResultsForm(formdata=None), report=report)


def _render_exam(form, *, error=None, report=None, status=200):
    # The import names bad lines "line N"; a bad file as a whole is on the file field.
    fields = error.fields.items() if error else ()
    lines = [(key[5:], reason) for key, reason in fields if key.startswith("line ")]
    return render_template(
        "vendors/exam_results.html",
        form=form,
        error=error,
        lines=lines,
        report=report,
        columns=exam_import.COLUMNS,
        pass_mark=PASS_MARK,
        skills=SKILLS,
    ), status


@bp.get("/sample.csv")
def sample():
    return Response(
        _sample_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="exam-results-sample.csv"'},
    )


def _sample_csv():
    """The Chinese header and two results: one with Chinese names of the domain and
    skills, one with their codes; UTF-8 with a BOM, which Excel opens as Chinese."""
    year = today().year
    vendors = service.visible_vendors(db.session, current_user)
    code = vendors[0].code if vendors else "vendor-code"
    with force_locale("zh_CN"):
        domain = str(BUSINESS_DOMAINS["health"])
        skills = "、".join(str(SKILLS[skill]) for skill in ("database", "os"))
    issued, expires = f"{year}-03-01", f"{year + 1}-02-28"
    rows = [
        list(exam_import.COLUMNS.values()),
        [code, "S-0101", "王强", f"ZS-{year}-0101", "88", issued, expires, domain, skills],
        [code, "S-0102", "李娜", f"ZS-{year}-0102", "75", issued, expires, "health", "network;os"],
    ]
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode("utf-8-sig")
