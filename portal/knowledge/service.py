"""The knowledge base: articles written and edited as revisions, searched by words,
business domain and skill, and cited by incidents' resolutions. Functions take a
session and ids, check the rules of knowledge.permissions, add and flush, and never
commit."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.core.paging import page_of
from portal.incidents.models import Incident
from portal.incidents.permissions import incident_scope
from portal.incidents.service import get_incident, may_work
from portal.knowledge.models import (
    DOMAIN,
    SKILL,
    ArticleRevision,
    ArticleTopic,
    IncidentArticle,
    KnowledgeArticle,
)
from portal.knowledge.permissions import can_read_knowledge, can_write_knowledge, citable
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.vocabulary import SKILLS

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_NOTE = 1000
MAX_WORDS = 8  # of a search: more narrow nothing further and cost a LIKE each


def search_words(query):
    """The words of a search, as typed: Chinese has no spaces, so a phrase is one word."""
    return (query or "").split()[:MAX_WORDS]


def _require_reader(actor):
    if not can_read_knowledge(actor):
        raise Forbidden(_l("The knowledge base is read by the portal's staff with a role."))


def _require_writer(actor):
    if not can_write_knowledge(actor):
        raise Forbidden(
            _l("Articles are written by technicians, vendor managers and the platform team.")
        )


def search_articles(session, actor, *, query="", domain=None, skill=None, page=1, per_page=20):
    """(articles, total): those with every word in the title or the body, of the domain
    and skill if named, newest first."""
    _require_reader(actor)
    conditions = []
    for word in search_words(query):
        conditions.append(
            or_(
                KnowledgeArticle.title.icontains(word, autoescape=True),
                KnowledgeArticle.body.icontains(word, autoescape=True),
            )
        )
    for kind, code in ((DOMAIN, domain), (SKILL, skill)):
        if code:
            tagged = select(ArticleTopic.article_id).where(
                ArticleTopic.kind == kind, ArticleTopic.code == code
            )
            conditions.append(KnowledgeArticle.id.in_(tagged))
    total = session.scalar(select(func.count()).select_from(KnowledgeArticle).where(*conditions))
    rows = session.scalars(
        page_of(
            select(KnowledgeArticle)
            .where(*conditions)
            .order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id.desc()),
            page,
            per_page,
        )
    ).all()
    return rows, total


def get_article(session, actor, article_id):
    _require_reader(actor)
    article = session.get(KnowledgeArticle, article_id)
    if article is None:
        raise NotFound(_l("No such article."))
    return article


def create_article(session, actor, *, title, body, domains=(), skills=(), note=None):
    _require_writer(actor)
    values = _checked(title, body, domains, skills, note)
    now = utcnow()
    article = KnowledgeArticle(
        title=values["title"],
        body=values["body"],
        author_id=actor.id,
        created_at=now,
        updated_by_id=actor.id,
        updated_at=now,
    )
    _set_topics(article, values)
    session.add(article)
    session.flush()  # the version counter starts at 1 on insert
    _keep_revision(article, actor, values, now)
    audit.record(
        session,
        actor,
        "knowledge.create",
        "knowledge_article",
        article.id,
        after={"version": article.version, "title": article.title, **_scope(values)},
        note=values["note"],
    )
    session.flush()
    return article


def edit_article(
    session, actor, article_id, *, expected_version, title, body, domains=(), skills=(), note=None
):
    """A new revision from the version the editor started from; if someone saved another
    meanwhile, Conflict, and the editor's text is not lost (the page shows it again).
    Saving the same text adds nothing."""
    _require_writer(actor)
    article = get_article(session, actor, article_id)
    if _as_int(expected_version) != article.version:
        raise _stale()
    values = _checked(title, body, domains, skills, note)
    before = {"version": article.version, "title": article.title, **_scope(_current(article))}
    if {k: v for k, v in values.items() if k != "note"} == _current(article):
        return article
    now = utcnow()
    article.title, article.body = values["title"], values["body"]
    article.updated_by_id, article.updated_at = actor.id, now
    _set_topics(article, values)
    try:
        session.flush()  # bumps the version, or finds another's save in between
    except StaleDataError:
        raise _stale() from None
    _keep_revision(article, actor, values, now)
    audit.record(
        session,
        actor,
        "knowledge.edit",
        "knowledge_article",
        article.id,
        before=before,
        after={"version": article.version, "title": article.title, **_scope(values)},
        note=values["note"],
    )
    session.flush()
    return article


def revisions_of(session, article):
    """Every saved version, newest first."""
    return session.scalars(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.version.desc())
    ).all()


def citing_incidents(session, actor, article, limit=20):
    """The incidents the user may see that cite the article, newest first."""
    return session.scalars(
        select(Incident)
        .join(IncidentArticle, IncidentArticle.incident_id == Incident.id)
        .where(IncidentArticle.article_id == article.id, incident_scope(actor, Incident))
        .order_by(Incident.opened_at.desc(), Incident.id.desc())
        .limit(limit)
    ).all()


def citations_of(session, incident):
    """The articles an incident cites (IncidentArticle rows), in the order cited."""
    return session.scalars(
        select(IncidentArticle)
        .where(IncidentArticle.incident_id == incident.id)
        .order_by(IncidentArticle.linked_at, IncidentArticle.id)
    ).all()


def may_cite(session, user, incident, now=None):
    """Whether the incident page offers citing articles: the rule link_article keeps."""
    return citable(incident) and may_work(session, user, incident, now)[0]


def link_article(session, actor, incident_id, article_id, now=None):
    """Cite an article in the incident's resolution; citing it again changes nothing."""
    incident = _for_citing(session, actor, incident_id, now)
    article = session.get(KnowledgeArticle, article_id) if article_id else None
    if article is None:
        raise InvalidInput(
            _l("Choose an article of the knowledge base."), {"article_id": _l("No such article.")}
        )
    link = _link(session, incident.id, article.id)
    if link is not None:
        return link
    link = IncidentArticle(
        incident_id=incident.id,
        article_id=article.id,
        linked_by_id=actor.id,
        linked_at=now or utcnow(),
    )
    session.add(link)
    _audit_citation(session, actor, incident, "incident.cite_article", after=article)
    session.flush()
    return link


def unlink_article(session, actor, incident_id, article_id, now=None):
    incident = _for_citing(session, actor, incident_id, now)
    link = _link(session, incident.id, article_id)
    if link is None:
        raise NotFound(_l("The incident does not cite this article."))
    _audit_citation(session, actor, incident, "incident.uncite_article", before=link.article)
    session.delete(link)
    session.flush()


def _for_citing(session, actor, incident_id, now):
    incident = get_incident(session, actor, incident_id)
    allowed, reason = may_work(session, actor, incident, now)
    if not allowed:
        raise Forbidden(reason)
    if not citable(incident):
        raise Conflict(_l("The incident is closed: its cited articles stay as they were."))
    return incident


def _link(session, incident_id, article_id):
    return session.scalar(
        select(IncidentArticle).where(
            IncidentArticle.incident_id == incident_id, IncidentArticle.article_id == article_id
        )
    )


def _audit_citation(session, actor, incident, action, *, before=None, after=None):
    def described(article):
        return {"article_id": article.id, "title": article.title} if article else None

    audit.record(
        session,
        actor,
        action,
        "incident",
        incident.id,
        agency_id=incident.agency_id,
        before=described(before),
        after=described(after),
    )


def _checked(title, body, domains, skills, note):
    """The values cleaned, or InvalidInput naming every field that is wrong."""
    errors = {}
    title, body = (title or "").strip(), (body or "").strip()
    note = (note or "").strip() or None
    if not title or len(title) > MAX_TITLE:
        errors["title"] = _l("Give a title of at most 200 characters.")
    if not body or len(body) > MAX_BODY:
        errors["body"] = _l("Write the article, in at most 50,000 characters.")
    if note is not None and len(note) > MAX_NOTE:
        errors["note"] = _l("At most 1,000 characters.")
    domains, skills = set(domains or ()), set(skills or ())
    if domains - set(BUSINESS_DOMAINS):
        errors["domains"] = _l("Choose business domains from the list.")
    if skills - set(SKILLS):
        errors["skills"] = _l("Choose skills from the list.")
    if errors:
        raise InvalidInput(_l("The article cannot be saved."), errors)
    return {
        "title": title,
        "body": body,
        # In the vocabulary's order, so that the same choice compares equal.
        "domains": [code for code in BUSINESS_DOMAINS if code in domains],
        "skills": [code for code in SKILLS if code in skills],
        "note": note,
    }


def _current(article):
    return {
        "title": article.title,
        "body": article.body,
        "domains": article.domains,
        "skills": article.skills,
    }


def _scope(values):
    return {"domains": values["domains"], "skills": values["skills"]}


def _set_topics(article, values):
    wanted = [(DOMAIN, code) for code in values["domains"]]
    wanted += [(SKILL, code) for code in values["skills"]]
    kept = [topic for topic in article.topics if (topic.kind, topic.code) in wanted]
    have = {(topic.kind, topic.code) for topic in kept}
    added = [
        ArticleTopic(kind=kind, code=code) for kind, code in wanted if (kind, code) not in have
    ]
    article.topics = kept + added


def _keep_revision(article, actor, values, now):
    article.revisions.append(
        ArticleRevision(
            version=article.version,
            title=values["title"],
            body=values["body"],
            domains=values["domains"],
            skills=values["skills"],
            note=values["note"],
            saved_by_id=actor.id,
            saved_at=now,
        )
    )


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _stale():
    return Conflict(
        _l("Someone saved this article after you opened it. Reload it and edit again."),
        {"version": _l("Stale: reload the article.")},
    )
