"""How pages draw articles: the body as paragraphs of plain text (no Markdown library
is pinned, and no HTML of the writer's reaches the page), and a search hit's snippet
with the words marked. What the incident page shows of the knowledge base."""

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from portal.knowledge import service

SNIPPET = 160  # characters of the body shown with a search hit
BLANK_LINE = re.compile(r"\n[ \t]*\n")


def paragraphs(text):
    """Blank lines part paragraphs; the CSS keeps line breaks and indents inside one,
    so that commands and their output read as written."""
    blocks = [block.strip("\n") for block in BLANK_LINE.split((text or "").strip())]
    return Markup("").join(Markup("<p>{}</p>").format(block) for block in blocks if block)


def _window(text, words, width):
    """(before, piece, after, pattern): about `width` characters of the text on one
    line, starting a little before the first word found."""
    flat = " ".join((text or "").split())
    pattern = None
    if words:
        alternatives = sorted({re.escape(word) for word in words}, key=len, reverse=True)
        pattern = re.compile("|".join(alternatives), re.IGNORECASE)
    found = pattern.search(flat) if pattern else None
    start = max(found.start() - width // 4, 0) if found else 0
    end = min(start + width, len(flat))
    return ("…" if start else ""), flat[start:end], ("…" if end < len(flat) else ""), pattern


def snippet_text(text, words, width=SNIPPET):
    before, piece, after, _pattern = _window(text, words, width)
    return f"{before}{piece}{after}"


def snippet(text, words, width=SNIPPET):
    """The snippet as HTML, the words in <mark>; everything else escaped."""
    before, piece, after, pattern = _window(text, words, width)
    marked, position = escape(before), 0
    for found in pattern.finditer(piece) if pattern else ():
        marked += escape(piece[position : found.start()])
        marked += Markup("<mark>{}</mark>").format(found.group())
        position = found.end()
    return marked + escape(piece[position:]) + after


@dataclass
class CitationPanel:
    """The incident page's knowledge-base part: what the resolution cites, and for those
    who may cite, the search box and its hits."""

    citations: list
    may_cite: bool
    query: str = ""
    hits: list = field(default_factory=list)  # [(article, snippet)]

    @property
    def cited_ids(self):
        return {link.article_id for link in self.citations}


def citation_panel(session, user, incident, query="", now=None, limit=10):
    panel = CitationPanel(
        citations=service.citations_of(session, incident),
        may_cite=service.may_cite(session, user, incident, now),
        query=(query or "").strip()[:200],
    )
    if panel.may_cite and panel.query:
        articles, _total = service.search_articles(session, user, query=panel.query, per_page=limit)
        words = service.search_words(panel.query)
        panel.hits = [(article, snippet(article.body, words)) for article in articles]
    return panel
