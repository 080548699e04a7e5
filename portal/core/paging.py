"""One page of a list query, with the page's bounds written into the SQL.

LIMIT and OFFSET are rendered as numbers, not bound. psycopg prepares a statement
it has run five times, and PostgreSQL then falls back to a generic plan, made without
the parameters' values: not knowing that a page is 50 rows, it read a bureau's first
page of orders by scanning every order newest first (4 ms instead of 0.3, growing
with the table).
"""

from sqlalchemy import Integer, bindparam


def _number(value):
    return bindparam(None, value, type_=Integer, literal_execute=True)


def page_of(query, page, per_page):
    """`query` limited to page `page` (from 1) of `per_page` rows."""
    return query.limit(_number(per_page)).offset(_number((page - 1) * per_page))


def paged(query):
    """page_of for a statement built once: its bounds come with page_params."""
    limit = bindparam("page_limit", type_=Integer, literal_execute=True)
    return query.limit(limit).offset(bindparam("page_offset", type_=Integer, literal_execute=True))


def page_params(page, per_page):
    return {"page_limit": per_page, "page_offset": (page - 1) * per_page}
