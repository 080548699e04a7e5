"""Writing new objects as plain rows, for the few hot paths where the unit of work's
flush costs more than the work itself."""

from functools import cache

from sqlalchemy import insert, inspect
from sqlalchemy.orm import make_transient_to_detached


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
    # A new object's column values are in its __dict__ (an attribute never set reads
    # None); reading them there spares the instrumented getter of every column.
    rows = [{key: obj.__dict__.get(key) for key in columns} for obj in objects]
    statement = _insert_returning_id(cls.__table__)
    ids = session.connection().execute(statement, rows).scalars().all()
    for obj, row, new_id in zip(objects, rows, ids, strict=True):
        # Every column is held, the never-set ones as None, and the id: written to the
        # __dict__ here, they become the loaded values when make_transient_to_detached
        # resets the history; a column not held would be expired and loaded again.
        obj.__dict__.update(row, id=new_id)
        make_transient_to_detached(obj)
