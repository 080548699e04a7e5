"""The API's shapes for the knowledge base and the articles incidents cite."""

from marshmallow import Schema, fields, validate

from portal.core.inputs import MAX_ID, MAX_PAGE
from portal.knowledge.service import MAX_BODY, MAX_NOTE, MAX_TITLE
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.vocabulary import SKILLS


class ArticleOut(Schema):
    id = fields.Integer()
    number = fields.String()
    title = fields.String()
    domains = fields.List(fields.String())
    skills = fields.List(fields.String())
    author = fields.String(attribute="author.username")
    created_at = fields.AwareDateTime()
    updated_by = fields.String(attribute="updated_by.username")
    updated_at = fields.AwareDateTime()
    version = fields.Integer(metadata={"description": "send back as expected_version"})


class ArticleHitOut(ArticleOut):
    snippet = fields.String(metadata={"description": "the text around the first word found"})


class RevisionOut(Schema):
    version = fields.Integer()
    title = fields.String()
    saved_by = fields.String(attribute="saved_by.username")
    saved_at = fields.AwareDateTime()
    note = fields.String(allow_none=True)


class ArticleDetailOut(ArticleOut):
    body = fields.String(metadata={"description": "plain text; blank lines part paragraphs"})
    revisions = fields.List(fields.Nested(RevisionOut), metadata={"description": "newest first"})


class ArticlePage(Schema):
    total = fields.Integer()
    page = fields.Integer()
    articles = fields.List(fields.Nested(ArticleHitOut))


class ArticleSearchArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    domain = fields.String(load_default=None, validate=validate.OneOf(list(BUSINESS_DOMAINS)))
    skill = fields.String(load_default=None, validate=validate.OneOf(list(SKILLS)))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class ArticleIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY))
    domains = fields.List(
        fields.String(validate=validate.OneOf(list(BUSINESS_DOMAINS))), load_default=list
    )
    skills = fields.List(fields.String(validate=validate.OneOf(list(SKILLS))), load_default=list)
    note = fields.String(
        load_default=None,
        validate=validate.Length(max=MAX_NOTE),
        metadata={"description": "what changed and why"},
    )


class ArticleEditIn(ArticleIn):
    expected_version = fields.Integer(
        required=True,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "the version the edit started from: 409 if another came"},
    )


class CitationIn(Schema):
    article_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))


class CitationOut(Schema):
    incident_id = fields.Integer()
    article = fields.Nested(ArticleOut)
    linked_by = fields.String(attribute="linked_by.username")
    linked_at = fields.AwareDateTime()
