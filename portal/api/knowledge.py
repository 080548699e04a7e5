"""The knowledge base: search, write, read, edit (optimistic-locked), and the articles
an incident's resolution cites. The same service functions and rules as the pages."""

from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.knowledge_schemas import (
    ArticleDetailOut,
    ArticleEditIn,
    ArticleIn,
    ArticlePage,
    ArticleSearchArgs,
    CitationIn,
    CitationOut,
)
from portal.extensions import db
from portal.incidents.service import get_incident
from portal.knowledge import service
from portal.knowledge.display import snippet_text

blp = Blueprint(
    "api_knowledge",
    __name__,
    url_prefix="/api/v1",
    description="Knowledge base, and the articles incidents cite",
)
blp.before_request(authenticate_request)


@blp.get("/knowledge")
@blp.arguments(ArticleSearchArgs, location="query")
@blp.response(200, ArticlePage)
def articles(args):
    """Articles with every word in the title or text, of the domain and skill if given,
    newest first."""
    rows, total = service.search_articles(
        db.session,
        actor(),
        query=args["q"],
        domain=args["domain"],
        skill=args["skill"],
        page=args["page"],
        per_page=args["per_page"],
    )
    words = service.search_words(args["q"])
    hits = [Hit(article, snippet_text(article.body, words)) for article in rows]
    return {"total": total, "page": args["page"], "articles": hits}


class Hit:
    """An article with the snippet of its search hit, as ArticleHitOut reads it."""

    def __init__(self, article, snippet):
        self.article, self.snippet = article, snippet

    def __getattr__(self, name):
        return getattr(self.article, name)


@blp.post("/knowledge")
@blp.arguments(ArticleIn)
@blp.response(201, ArticleDetailOut)
def create(data):
    return service.create_article(db.session, actor(), **data)


@blp.get("/knowledge/<int:article_id>")
@blp.response(200, ArticleDetailOut)
def article(article_id):
    return service.get_article(db.session, actor(), article_id)


@blp.put("/knowledge/<int:article_id>")
@blp.arguments(ArticleEditIn)
@blp.response(200, ArticleDetailOut)
def edit(data, article_id):
    """A new version from `expected_version`; 409 when another was saved meanwhile."""
    return service.edit_article(db.session, actor(), article_id, **data)


@blp.get("/incidents/<int:incident_id>/articles")
@blp.response(200, CitationOut(many=True))
def citations(incident_id):
    """The articles the incident's resolution cites."""
    incident = get_incident(db.session, actor(), incident_id)
    return service.citations_of(db.session, incident)


@blp.post("/incidents/<int:incident_id>/articles")
@blp.arguments(CitationIn)
@blp.response(201, CitationOut)
def cite(data, incident_id):
    """Cite an article (whoever may work on the incident, until it is closed)."""
    return service.link_article(db.session, actor(), incident_id, data["article_id"])


@blp.delete("/incidents/<int:incident_id>/articles/<int:article_id>")
@blp.response(204)
def uncite(incident_id, article_id):
    service.unlink_article(db.session, actor(), incident_id, article_id)
