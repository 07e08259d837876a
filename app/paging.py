"""One page of a list query, for every list screen and REST list: ``page`` from 0, ``page_size``
capped (Chinese errors from :mod:`app.querystring`), the total counted on the unordered query."""
from sqlalchemy import func, select

from . import querystring
from .extensions import db
from .vocab import page_size


def page(query, args, max_size):
    """(count, rows, size, page number) of one page of ``query``."""
    size = querystring.int_arg(args, "page_size", "每页条数", page_size(), 1, max_size)
    number = querystring.int_arg(args, "page", "页码", 0, 0, 100000)
    count = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return count, db.session.scalars(query.limit(size).offset(number * size)).all(), size, number
