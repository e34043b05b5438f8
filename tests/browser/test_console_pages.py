"""Each console page of ``pages.py``: opens as its user, shows what it should, no serious axe-core violation."""

from __future__ import annotations

import pytest

from tests.browser.pages import CONSOLE_PAGES


@pytest.mark.parametrize("console_page", CONSOLE_PAGES, ids=lambda p: p.name)
def test_console_page(console_page, console, staff_page, new_context, check_page):
    page = staff_page(console_page.login) if console_page.login else new_context().new_page()
    page.goto(console_page.path_in(console))
    assert page.get_by_text(console_page.shows).first.is_visible(), page.content()[:2000]
    check_page(page, f"page-{console_page.name}")
