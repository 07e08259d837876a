"""Pick-lists in the order a Chinese reader expects: by pinyin (拼音), not by code point.

Sorting Chinese text by Unicode code point puts 焦 (U+7126) after 温 (U+6E29) and scatters names
of the same surname; offices look names up alphabetically by pinyin. ``pypinyin`` (pinned in
requirements.txt) gives each character's reading with tone numbers; ties keep the text itself, so
the order is total and stable. Used by every pick-list the portal builds itself (ledger filters,
report filters, forms) and, through :func:`sorted_query`, by FAB's related-field selects (add, edit and
search forms of every ``CSOModelView``)."""
from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=20000)
def key(text):
    """The sort key of one name: its syllables with tone numbers (letters and digits stay as
    they are, lower-cased), then the text itself."""
    text = "" if text is None else str(text)
    return (tuple(s.lower() for s in lazy_pinyin(text, style=Style.TONE3, errors="default")), text)


def sort_rows(rows, key=None):
    """``rows`` sorted by the pinyin of ``key(row)`` (default: the row itself, as text)."""
    get = key or (lambda row: row)
    return sorted(rows, key=lambda row: _key(get(row)))


def sorted_query(query_func):
    """FAB's ``QuerySelectField`` ``query_func`` wrapped: the same rows, by the pinyin of their label
    (FAB 5.3 labels an option with ``str(row)``)."""
    def rows():
        return sort_rows(query_func(), key=str)

    rows.pinyin = True
    return rows


_key = key
