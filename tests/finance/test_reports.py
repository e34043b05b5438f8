"""Monthly reports of a network: the numbers a treasurer checks by hand, in JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from backend.finance.reports import wallet_float_now
from backend.ledger.services import credit, debit, house_account, post_entry, wallet_of
from backend.money import Money
from tests.finance.helpers import auth, inside, last_month, make_net, pay_fee, top_up
from tests.support.factories import make_library


@pytest.fixture
def month_of_money(db, app_ctx):
    """Network A's last month: 2 top-ups (150 €), fees 12 € and 3 € at two libraries, a ticket 8 €,
    a donation 20 €, a supporter card 25 €, a 1,50 € cash deficit; a patron of B pays A 4 € of fees;
    A's patron pays 1.234,56 € in nothing but top-ups across the month's end, for the number format."""
    a, b = make_net(db), make_net(db)
    second = make_library(db, a.network)
    month = last_month()
    top_up(db, a.patron, 10000, dated=inside(month, 1))
    top_up(db, a.patron, 5000, dated=inside(month, 2))
    top_up(db, b.patron, 1000, dated=inside(month, 2))
    pay_fee(db, a.patron, a.library, 1200, dated=inside(month, 3))
    pay_fee(db, a.patron, second, 300, dated=inside(month, 4))
    pay_fee(db, b.patron, a.library, 400, dated=inside(month, 5))
    wallet = wallet_of(db, a.patron)
    tickets = house_account(db, "ticket_income", a.library.public_id, library=a.library)
    fund = house_account(db, "campaign_fund", "cmp_test", library=a.library, network=a.network)
    network_fund = house_account(db, "campaign_fund", a.network.public_id, network=a.network)
    for kind, account, cents in (
        ("ticket_purchase", tickets, 800),
        ("donation", fund, 2000),
        ("supporter_card", network_fund, 2500),
    ):
        post_entry(
            db, kind=kind, legs=[debit(wallet, Money(cents)), credit(account, Money(cents))], dated=inside(month, 6)
        )
    drawer = house_account(db, "cash_drawer", "desk_x", library=second)
    short = house_account(db, "cash_over_short", second.public_id, library=second)
    post_entry(
        db, kind="cash_over_short", legs=[debit(short, Money(150)), credit(drawer, Money(150))], dated=inside(month, 7)
    )
    top_up(db, a.patron, 123456, dated=inside(month, 8))
    # The next month (now): not in the report.
    pay_fee(db, a.patron, a.library, 999)
    db.commit()
    return a, b, second, month


def _get(client, who, month, report, fmt="json", lang="it"):
    return client.get(f"/v1/finance/reports/{month}/{report}?format={fmt}&lang={lang}", headers=auth(who))


def test_trial_balance_sums_to_zero_and_the_float_is_what_the_wallets_hold(client, db, month_of_money):
    a, _, _, month = month_of_money
    body = _get(client, a.finance, month, "trial_balance").get_json()
    debit_total = sum(row[3] for row in body["rows"])
    credit_total = sum(row[4] for row in body["rows"])
    assert debit_total == credit_total > 0
    floats = _get(client, a.finance, month, "wallet_float").get_json()["rows"]
    # A's patron: 150 + 1.234,56 − 12 − 3 − 8 − 20 − 25 = 1.316,56 € at the month's end; B's patron is B's.
    assert [row[2] for row in floats] == [0, 131656]
    cached, posted = wallet_float_now(db, a.network)
    assert cached == posted == 131656 - 999
    db.rollback()


def test_income_per_library_and_kind(client, db, month_of_money):
    a, _, second, month = month_of_money
    body = _get(client, a.finance, month, "income").get_json()
    names = [c["name"] for c in body["columns"]]
    assert names == ["library", "fees", "tickets", "donations", "supporter_cards", "total"]
    rows = {row[0]: row[1:] for row in body["rows"]}
    assert rows[a.library.name] == [1600, 800, 2000, 0, 4400]
    assert rows[second.name] == [300, 0, 0, 0, 300]
    assert rows[a.network.name] == [0, 0, 0, 2500, 2500]
    short = _get(client, a.finance, month, "cash_over_short").get_json()["rows"]
    assert short == [[second.name, 150]]
    assert _get(client, a.finance, month, "card_fees").get_json()["rows"] == []


def test_the_journal_as_csv_balances_and_shows_only_this_networks_accounts(client, db, month_of_money):
    a, b, _, month = month_of_money
    response = _get(client, a.finance, month, "journal", fmt="csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="{a.network.code}-{month}-journal.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["date", "entry", "kind", "account", "debit_cents", "credit_cents", "memo", "reference"]
    assert all(row["date"].startswith(month) for row in rows)
    debit_total = sum(int(row["debit_cents"]) for row in rows)
    assert debit_total == sum(int(row["credit_cents"]) for row in rows)
    assert not any(b.patron.public_id in row["account"] for row in rows)
    # B's patron paid A 4 €: A's side is the fee income against its settlement account.
    settlement = [row for row in rows if row["account"].startswith("network_settlement:")]
    assert [(row["account"], row["debit_cents"]) for row in settlement] == [
        (f"network_settlement:{a.network.public_id}", "400")
    ]


def test_the_journal_as_xlsx_and_italian_csv_has_real_numbers_and_italian_formats(client, db, month_of_money):
    a, _, _, month = month_of_money
    book = openpyxl.load_workbook(io.BytesIO(_get(client, a.finance, month, "journal", fmt="xlsx").get_data()))
    sheet = book.active
    header = [cell.value for cell in sheet[2]]
    assert header == ["Data", "Registrazione", "Operazione", "Conto", "Dare", "Avere", "Causale", "Riferimento"]
    body = list(sheet.iter_rows(min_row=3, values_only=True))
    totals, lines = body[-1], body[:-1]
    assert totals[0] == "Totale" and totals[4] == totals[5]
    assert Decimal(str(totals[4])) == sum(Decimal(str(line[4])) for line in lines)
    assert sheet.cell(row=3, column=5).number_format == "#,##0.00"
    assert sheet.cell(row=3, column=1).number_format == "DD/MM/YYYY"

    text = _get(client, a.finance, month, "journal", fmt="csv_it").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["Data", "Registrazione"]
    assert any(row[4] == "1.234,56" for row in rows[1:])
    day, mon, year = rows[1][0].split("/")
    assert f"{year}-{mon}" == month


def test_the_treasury_list_and_the_audit_export(client, db, month_of_money):
    a, _, _, month = month_of_money
    rows = {row[0]: row[1:] for row in _get(client, a.finance, month, "treasury").get_json()["rows"]}
    assert rows["wallet_float_opening"] == [0, 0] and rows["wallet_float_closing"] == [1, 131656]
    assert rows["topup_card"] == [3, 138456]
    audit = _get(client, a.finance, month, "audit", fmt="csv")
    assert audit.status_code == 200 and audit.get_data(as_text=True).startswith("at,actor,role")


def test_another_network_and_other_roles_see_none_of_it(client, db, month_of_money):
    a, b, _, month = month_of_money
    mine = _get(client, b.finance, month, "income").get_json()
    assert a.library.name not in str(mine) and a.network.name not in str(mine)
    assert _get(client, a.librarian, month, "income").status_code == 403
    assert _get(client, a.patron, month, "journal", fmt="csv").status_code == 403
    assert _get(client, a.finance, month, "payroll").status_code == 404
    assert _get(client, a.finance, "2026-13", "income").status_code == 400
    assert _get(client, a.finance, month, "income", fmt="pdf").status_code == 400


def test_card_fees_are_what_stripe_kept_on_the_months_payouts_of_this_network_only(client, db, month_of_money):
    a, b, _, month = month_of_money
    clearing = house_account(db, "card_clearing", "test")

    def payout(net, fees, paid, dated):
        kept = house_account(db, "card_fees", net.network.public_id, network=net.network)
        bank = house_account(db, "bank", net.network.public_id, network=net.network)
        legs = [debit(kept, Money(fees)), debit(bank, Money(paid)), credit(clearing, Money(fees + paid))]
        post_entry(db, kind="stripe_payout", legs=legs, dated=dated)

    payout(a, 87, 9913, inside(month, 3))
    payout(a, 45, 4955, inside(month, 20))
    payout(b, 99, 901, inside(month, 3))  # B's
    payout(a, 500, 500, None)  # this month, not the report's
    db.commit()
    assert _get(client, a.finance, month, "card_fees").get_json()["rows"] == [[a.network.name, 87 + 45]]
    assert _get(client, b.finance, month, "card_fees").get_json()["rows"] == [[b.network.name, 99]]


def test_the_month_by_hand_in_csv_and_xlsx(client, db, month_of_money):
    """The fixture's month added up by hand, not from the report's own rows."""
    a, _, second, month = month_of_money
    # Income: fees 12 + 4 (B's patron) at the first library, 3 at the second; ticket 8; donation 20; card 25.
    csv_rows = list(csv.DictReader(io.StringIO(_get(client, a.finance, month, "income", fmt="csv").get_data(True))))
    columns = ("fees", "tickets", "donations", "supporter_cards", "total")
    totals = {column: sum(int(row[f"{column}_cents"]) for row in csv_rows) for column in columns}
    assert totals == {"fees": 1900, "tickets": 800, "donations": 2000, "supporter_cards": 2500, "total": 7200}
    book = openpyxl.load_workbook(io.BytesIO(_get(client, a.finance, month, "income", fmt="xlsx").get_data()))
    last = list(book.active.iter_rows(values_only=True))[-1]
    assert last[0] == "Totale"
    assert [Decimal(str(v)) for v in last[1:]] == [
        Decimal("19"),
        Decimal("8"),
        Decimal("20"),
        Decimal("25"),
        Decimal("72"),
    ]

    # The journal: debits are the three top-ups (100 + 50 + 1.234,56), the wallet's payments
    # (12 + 3 + 8 + 20 + 25), B's patron's 4 € on A's settlement account and the 1,50 € short.
    by_hand = 10000 + 5000 + 123456 + 1200 + 300 + 800 + 2000 + 2500 + 400 + 150
    journal = list(csv.DictReader(io.StringIO(_get(client, a.finance, month, "journal", fmt="csv").get_data(True))))
    assert sum(int(row["debit_cents"]) for row in journal) == by_hand
    assert sum(int(row["credit_cents"]) for row in journal) == by_hand
    book = openpyxl.load_workbook(io.BytesIO(_get(client, a.finance, month, "journal", fmt="xlsx").get_data()))
    last = list(book.active.iter_rows(values_only=True))[-1]
    assert last[0] == "Totale" and Decimal(str(last[4])) == Decimal(str(last[5])) == Decimal("1458.06")


def test_the_trial_balance_matches_the_postings_summed_independently(client, db, month_of_money):
    from sqlalchemy import func, select

    from backend.ledger.models import LedgerAccount, Posting
    from backend.ledger.periods import month_bounds

    a, _, _, month = month_of_money
    _, end = month_bounds(month)
    rows = _get(client, a.finance, month, "trial_balance").get_json()["rows"]
    by_kind: dict[str, list[int]] = {}
    for _key, kind, _library, debit_cents, credit_cents in rows:
        pair = by_kind.setdefault(kind, [0, 0])
        pair[0] += debit_cents
        pair[1] += credit_cents
    # By hand from the fixture: the wallet holds 1.316,56 €; the counterpart in the shared card
    # clearing is the three top-ups; B's patron's 4 € are owed to A by B.
    assert by_kind == {
        "wallet": [0, 131656],
        "fee_income": [0, 1200 + 400 + 300],
        "ticket_income": [0, 800],
        "campaign_fund": [0, 2000 + 2500],
        "cash_over_short": [150, 0],
        "cash_drawer": [0, 150],
        "network_settlement": [400, 0],
        "shared": [10000 + 5000 + 123456, 0],
    }
    # And from the postings themselves: the shared accounts' side of A's entries, not "minus the rest".
    own_entries = (
        select(Posting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.network_id == a.network.id)
    )
    shared = db.scalar(
        select(func.sum(Posting.amount))
        .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
        .where(LedgerAccount.network_id.is_(None), Posting.entry_id.in_(own_entries), Posting.created_at < end)
    )
    db.rollback()
    assert by_kind["shared"] == [int(shared), 0]
    assert sum(d for d, _ in by_kind.values()) == sum(c for _, c in by_kind.values())
