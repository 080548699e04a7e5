"""Knowledge-base pages: search and list, write, read, edit with the revision history.

The rules are knowledge.permissions, decided by the service: every role reads (403 for
an account with none); technicians, vendor managers and the platform operators write
and edit (others: 403). An article id that does not exist is 404."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.core.form_errors import run_service
from portal.core.inputs import page_number
from portal.extensions import db
from portal.knowledge import service
from portal.knowledge.display import paragraphs, snippet
from portal.knowledge.forms import ArticleForm
from portal.knowledge.permissions import can_read_knowledge, can_write_knowledge
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.vocabulary import SKILLS

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")
PER_PAGE = 20


@bp.app_context_processor
def _helpers():
    # The navigation of every page offers the knowledge base to its readers.
    return {"may_read_knowledge": can_read_knowledge}


bp.add_app_template_filter(paragraphs, "paragraphs")


def _render(template, **context):
    return render_template(template, SKILL_LABELS=SKILLS, **context)


def _choice(name, vocabulary):
    value = request.args.get(name) or None
    return value if value in vocabulary else None


@bp.get("/")
@login_required
def index():
    query = (request.args.get("q") or "").strip()[:200]
    domain, skill = _choice("domain", BUSINESS_DOMAINS), _choice("skill", SKILLS)
    page = page_number(request.args.get("page"))
    articles, total = service.search_articles(
        db.session,
        current_user,
        query=query,
        domain=domain,
        skill=skill,
        page=page,
        per_page=PER_PAGE,
    )
    words = service.search_words(query)
    return _render(
        "knowledge/index.html",
        rows=[(article, snippet(article.body, words)) for article in articles],
        total=total,
        page=page,
        per_page=PER_PAGE,
        query=query,
        domain=domain,
        skill=skill,
        may_write=can_write_knowledge(current_user),
    )


def _writer_only():
    if not can_write_knowledge(current_user):
        abort(403)


def _values(form):
    return {
        "title": form.title.data,
        "body": form.body.data,
        "domains": form.domains.data or [],
        "skills": form.skills.data or [],
        "note": form.note.data,
    }


@bp.get("/new")
@login_required
def new():
    _writer_only()
    return _render("knowledge/edit.html", form=ArticleForm(formdata=None), article=None)


@bp.post("/")
@login_required
def create():
    _writer_only()
    form = ArticleForm()
    if not form.validate_on_submit():
        return _render("knowledge/edit.html", form=form, article=None), 422
    article, error = run_service(
        form, lambda: service.create_article(db.session, current_user, **_values(form))
    )
    if error:
        page = _render("knowledge/edit.html", form=form, article=None, error=error)
        return page, error.status
    flash(_l("Article %(number)s was published.", number=article.number), "success")
    return redirect(url_for("knowledge.detail", article_id=article.id))


@bp.get("/<int:article_id>")
@login_required
def detail(article_id):
    article = service.get_article(db.session, current_user, article_id)
    return _render(
        "knowledge/detail.html",
        article=article,
        incidents=service.citing_incidents(db.session, current_user, article),
        may_write=can_write_knowledge(current_user),
    )


def _render_edit(article, form, error=None, status=200):
    return _render(
        "knowledge/edit.html",
        form=form,
        article=article,
        revisions=service.revisions_of(db.session, article),
        error=error,
    ), status


@bp.get("/<int:article_id>/edit")
@login_required
def edit(article_id):
    article = service.get_article(db.session, current_user, article_id)
    _writer_only()
    form = ArticleForm(
        formdata=None,
        version=article.version,
        title=article.title,
        body=article.body,
        domains=article.domains,
        skills=article.skills,
    )
    return _render_edit(article, form)


@bp.post("/<int:article_id>/edit")
@login_required
def update(article_id):
    article = service.get_article(db.session, current_user, article_id)
    _writer_only()
    form = ArticleForm()
    if not form.validate_on_submit():
        return _render_edit(article, form, status=422)
    started_from = form.version.data
    article, error = run_service(
        form,
        lambda: service.edit_article(
            db.session, current_user, article_id, expected_version=started_from, **_values(form)
        ),
    )
    if error:
        current = service.get_article(db.session, current_user, article_id)
        return _render_edit(current, form, error, error.status)
    if article.version == started_from:
        flash(_l("Nothing changed: no new version was saved."), "info")
    else:
        flash(_l("Version %(n)s was saved.", n=article.version), "success")
    return redirect(url_for("knowledge.detail", article_id=article_id))
