"""Writing many rows' changed fields at once, faster than Django's bulk_update.

bulk_update builds a CASE WHEN per row and field and compiles it through the expression machinery:
a few milliseconds for a few dozen rows, most of an arrival evaluation's write (and ~4 ms a cell
of a form's save). `update_rows` sends one plain `UPDATE … WHERE pk = %s` per row in one
executemany, which psycopg pipelines on PostgreSQL; values are prepared by the model's fields, as
the ORM would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def update_rows(model: type[Model], rows: Sequence[Model], fields: Sequence[str]) -> None:
    """UPDATE `fields` of `rows` (saved instances of `model`) by primary key."""
    if not rows:
        return
    meta = model._meta
    qn = connection.ops.quote_name
    chosen: list[Any] = [meta.get_field(name) for name in fields]
    sets = ", ".join(f"{qn(f.column)} = %s" for f in chosen)
    pk = qn(str(meta.pk.column))
    # Table and column names come from the model, values are parameters.
    sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {pk} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [*(f.get_db_prep_save(getattr(row, f.attname), connection) for f in chosen), row.pk]
                for row in rows
            ],
        )
