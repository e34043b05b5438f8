"""Cursor (keyset) pagination, Stripe style.

``?limit=20&starting_after=<public id of the last item seen>`` →
``{"data": [...], "has_more": true, "next_cursor": "<public id>"}``.
Each page costs one indexed range scan at any depth: no OFFSET. New rows
inserted while a client pages never shift or repeat items already seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from backend.errors import INVALID_CURSOR, DomainError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageArgsSchema(ma.Schema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, 1 to {MAX_LIMIT}"},
    )
    starting_after = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=64),
        metadata={"description": "`next_cursor` of the previous page"},
    )


@dataclass
class Page:
    data: list[Any]
    has_more: bool
    next_cursor: str | None


def paginate(
    session: Session,
    stmt: Select[Any],
    model: Any,
    *,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    order_by: Any = None,
    descending: bool = True,
    cursor: Any = None,
) -> Page:
    """Run ``stmt`` (a ``select(model)`` with its filters) one page at a time.

    Items are ordered by ``order_by`` (default: creation order, the internal
    id), ties broken by id. The cursor must name an item of the same listing;
    any other value is a 400 ``invalid_cursor``. ``cursor``: the unique column
    that names an item in this listing (default: its public id), for a listing
    that shows its items under another id (the donor wall).
    """
    key = order_by if order_by is not None else model.id
    named_by = cursor if cursor is not None else model.public_id
    if starting_after is not None:
        anchor = session.execute(stmt.with_only_columns(key, model.id).where(named_by == starting_after)).first()
        if anchor is None:
            raise DomainError(INVALID_CURSOR, param="starting_after")
        anchor_key, anchor_id = anchor
        if key is model.id:
            stmt = stmt.where(model.id < anchor_id if descending else model.id > anchor_id)
        elif descending:
            stmt = stmt.where(or_(key < anchor_key, and_(key == anchor_key, model.id < anchor_id)))
        else:
            stmt = stmt.where(or_(key > anchor_key, and_(key == anchor_key, model.id > anchor_id)))
    if key is model.id:
        ordering = [model.id.desc() if descending else model.id.asc()]
    else:
        ordering = [key.desc(), model.id.desc()] if descending else [key.asc(), model.id.asc()]
    rows = list(session.scalars(stmt.order_by(*ordering).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(data=rows, has_more=has_more, next_cursor=getattr(rows[-1], named_by.key) if has_more else None)


_page_schemas: dict[str, type[ma.Schema]] = {}


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The response schema of a page of ``item_schema`` items (one class per item schema)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (ma.Schema,),
            {
                "data": ma.fields.List(ma.fields.Nested(item_schema), required=True),
                "has_more": ma.fields.Boolean(required=True),
                "next_cursor": ma.fields.String(
                    allow_none=True,
                    required=True,
                    metadata={"description": "Pass as `starting_after` for the next page"},
                ),
            },
        )
    return _page_schemas[name]


__all__ = ["Page", "PageArgsSchema", "page_schema", "paginate", "select"]
