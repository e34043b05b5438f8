"""Cursor pagination: complete, no repeats, stable while rows are inserted."""

from backend.accounts.models import Network


def _add(db, n, prefix):
    for i in range(n):
        db.add(Network(code=f"{prefix}{i}", name="x"))
    db.commit()


def _walk(client, limit, on_each_page=None):
    seen, cursor = [], None
    while True:
        query = f"/v1/_test/networks?limit={limit}" + (f"&starting_after={cursor}" if cursor else "")
        page = client.get(query).get_json()
        seen += [item["code"] for item in page["data"]]
        if on_each_page:
            on_each_page()
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return seen
        cursor = page["next_cursor"]


def test_pages_cover_everything_once_newest_first(client, db):
    _add(db, 25, "N")
    seen = _walk(client, 10)
    assert seen == [f"N{i}" for i in reversed(range(25))]


def test_inserts_while_paging_neither_repeat_nor_shift_items(client, db):
    _add(db, 12, "S")
    inserted = iter(range(100))
    seen = _walk(client, 5, on_each_page=lambda: _add(db, 1, f"NEW{next(inserted)}-"))
    assert seen == [f"S{i}" for i in reversed(range(12))]


def test_bad_cursor_and_limit_are_400(client, db):
    _add(db, 3, "B")
    bad = client.get("/v1/_test/networks?starting_after=net_doesnotexist")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "invalid_cursor"
    too_big = client.get("/v1/_test/networks?limit=1000")
    assert too_big.status_code == 400
    assert too_big.get_json()["error"]["param"] == "limit"
