"""Writing new objects as plain rows, for the few hot paths where the unit of work's
flush costs more than the work itself."""

from functools import cache

from sqlalchemy import insert, inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value


@cache
def _insert_returning_id(table):
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


@cache
def _columns(cls):
    """The mapped class's column attributes but its integer id, which the database gives."""
    return tuple(attr.key for attr in inspect(cls).column_attrs if attr.key != "id")


def insert_as_loaded(session, objects):
    """INSERT new objects of one class in one statement, give each its id and make it a
    detached object as if just loaded. Every column is written as the object holds it,
    None included: column defaults do not apply, so the caller sets each value (a
    version counter to 1). The objects join the session later, by session.add or by
    cascade from a parent added so."""
    if not objects:
        return
    cls = type(objects[0])
    columns = _columns(cls)
    rows = [{key: getattr(obj, key) for key in columns} for obj in objects]
    statement = _insert_returning_id(cls.__table__)
    ids = session.connection().execute(statement, rows).scalars().all()
    for obj, row, new_id in zip(objects, rows, ids, strict=True):
        # An attribute never set reads None but is not held: hold it, or it would be
        # expired on the detached object and loaded again on first use.
        for key, value in row.items():
            if key not in obj.__dict__:
                set_committed_value(obj, key, value)
        obj.id = new_id
        make_transient_to_detached(obj)
