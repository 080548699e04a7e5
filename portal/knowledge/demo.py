"""Demo articles of the knowledge base (demo_articles.yaml, beside this file): four
faults the district's platform meets, written as its technicians would. Called from
the demo seed with a writer (a platform operator or a vendor's technician) as author."""

from pathlib import Path

import yaml

from portal.knowledge.service import create_article

ARTICLES_FILE = Path(__file__).with_name("demo_articles.yaml")


def seed_articles(session, author):
    """The demo articles, written by `author`. Only flushes, as the service does."""
    articles = yaml.safe_load(ARTICLES_FILE.read_text(encoding="utf-8"))
    return [create_article(session, author, **article) for article in articles]
