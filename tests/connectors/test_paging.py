"""Every paging style walks a list to its end, and refuses endless or unreadable paging."""

from __future__ import annotations

import httpx
import pytest

from connectors.errors import UpstreamInvalid
from connectors.paging import collect, field_at
from connectors.spec import CursorPaging, LinkHeaderPaging, NoPaging, OffsetPaging, PagePaging
from connectors.transport import JsonPage

RECORDS = list(range(23))


def items(page: JsonPage):
    return page.body["items"] if isinstance(page.body, dict) else page.body


async def test_offset_with_total_fetches_the_rest_at_once():
    asked = []

    async def fetch(query, url):
        asked.append(dict(query))
        start, limit = int(query["offset"]), int(query["limit"])
        return JsonPage(RECORDS[start : start + limit], httpx.Headers({"X-Total-Count": "23"}))

    found = await collect(OffsetPaging(page_size=5), fetch, items, {"id": "a"}, carrier="c")
    assert found == RECORDS
    assert [q["offset"] for q in asked] == ["0", "5", "10", "15", "20"]
    assert all(q["id"] == "a" for q in asked)


async def test_offset_without_total_stops_on_a_short_page():
    async def fetch(query, url):
        start, limit = int(query["offset"]), int(query["limit"])
        return JsonPage(RECORDS[start : start + limit], httpx.Headers())

    paging = OffsetPaging(page_size=5, total_header=None)
    assert await collect(paging, fetch, items, {}, carrier="c") == RECORDS


async def test_page_numbers_with_a_page_count():
    async def fetch(query, url):
        number, size = int(query["page"]), int(query["size"])
        start = (number - 1) * size
        return JsonPage(
            {"items": RECORDS[start : start + size], "meta": {"pages": 5}}, httpx.Headers()
        )

    paging = PagePaging(type="page", page_size=5, total_pages_field="meta.pages")
    assert await collect(paging, fetch, items, {}, carrier="c") == RECORDS


async def test_cursor_follows_next_until_absent():
    async def fetch(query, url):
        start = int(query.get("cursor", 0))
        end = start + int(query["limit"])
        nxt = str(end) if end < len(RECORDS) else None
        return JsonPage({"items": RECORDS[start:end], "next_cursor": nxt}, httpx.Headers())

    paging = CursorPaging(type="cursor", page_size=7)
    assert await collect(paging, fetch, items, {}, carrier="c") == RECORDS


async def test_link_header_follows_rel_next():
    async def fetch(query, url):
        start = 0 if url is None else int(url.rsplit("=", 1)[1])
        end = start + 10
        link = f'<https://carrier.example/list?from={end}>; rel="next"' if end < 23 else ""
        return JsonPage(RECORDS[start:end], httpx.Headers({"Link": link}))

    paging = LinkHeaderPaging(type="link_header", page_size=10)
    assert await collect(paging, fetch, items, {}, carrier="c") == RECORDS


async def test_no_paging_is_one_request():
    calls = []

    async def fetch(query, url):
        calls.append(query)
        return JsonPage(RECORDS, httpx.Headers())

    assert await collect(NoPaging(type="none"), fetch, items, {"q": "1"}, carrier="c") == RECORDS
    assert calls == [{"q": "1"}]


async def test_a_cursor_that_never_ends_is_refused():
    async def fetch(query, url):
        return JsonPage({"items": [1], "next_cursor": "again"}, httpx.Headers())

    paging = CursorPaging(type="cursor", page_size=1, max_pages=3)
    with pytest.raises(UpstreamInvalid, match="kept paging"):
        await collect(paging, fetch, items, {}, carrier="c")


async def test_an_unreadable_page_count_is_refused():
    async def fetch(query, url):
        return JsonPage({"items": [1], "meta": {"pages": "many"}}, httpx.Headers())

    paging = PagePaging(type="page", page_size=1, total_pages_field="meta.pages")
    with pytest.raises(UpstreamInvalid) as info:
        await collect(paging, fetch, items, {}, carrier="c")
    assert info.value.field == "meta.pages"
    assert info.value.carrier == "c"


def test_field_at_reads_dotted_paths():
    assert field_at({"a": {"b": 3}}, "a.b") == 3
    assert field_at({"a": [1]}, "a.b") is None
    assert field_at(None, "a") is None
