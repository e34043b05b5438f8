"""Property-based (stateful): random sequences of top-ups, fee charges and payments, holds,
captures, releases, waivers and reversals keep every money invariant and a clean audit.

The model keeps what a patron should see; after every step the ledger must agree
with it exactly, the wallet must never be negative, and ``run_audit`` must be clean.
Refused steps run inside a savepoint, as a request's unit of work would roll them back.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from backend.auth.principal import Principal
from backend.db import utcnow
from backend.errors import DomainError
from backend.fees import services as fees
from backend.fees.models import Fee
from backend.ledger.audit import run_audit
from backend.ledger.models import LedgerAccount, Posting
from backend.ledger.services import (
    capture_hold,
    credit,
    house_account,
    place_hold,
    release_hold,
    reverse_entry,
    wallet_of,
)
from backend.money import Money
from tests.support.factories import make_library, make_network, make_patron, make_staff
from tests.support.ledger import fund_wallet

amounts = st.integers(min_value=1, max_value=3000)


class MoneyMachine(RuleBasedStateMachine):
    topups = Bundle("topups")
    holds = Bundle("holds")
    charged = Bundle("fees")

    def __init__(self, session):
        super().__init__()
        self.s = session
        network = make_network(session)
        self.library = make_library(session, network)
        librarian = make_staff(session, "librarian", network, libraries=[self.library])
        self.principal = Principal(
            subject=librarian.public_id,
            role="librarian",
            network_id=network.public_id,
            library_ids=(self.library.public_id,),
        )
        self.patrons = [make_patron(session, network, self.library) for _ in range(2)]
        self.balance = [0, 0]
        self.held = [0, 0]
        self.fee_status: dict[str, tuple[int, int, str]] = {}  # fee id -> (patron index, amount, status)
        self.income = 0  # fee income + captured holds, all credited to the library

    def _try(self, work):
        try:
            with self.s.begin_nested():
                return work(), None
        except DomainError as refused:
            return None, refused.error.code

    def _available(self, who):
        return self.balance[who] - self.held[who]

    # --- steps -------------------------------------------------------------

    @rule(target=topups, who=st.integers(0, 1), amount=amounts, source=st.sampled_from(["card", "cash", "adjustment"]))
    def top_up(self, who, amount, source):
        entry = fund_wallet(self.s, self.patrons[who], amount, source=source)
        self.balance[who] += amount
        return (who, amount, entry)

    @rule(target=charged, who=st.integers(0, 1), amount=amounts)
    def charge(self, who, amount):
        fee = fees.charge_fee(
            self.s,
            self.principal,
            patron=self.patrons[who],
            library=self.library,
            type_code="other",
            amount=Money(amount),
        )
        self.fee_status[fee.public_id] = (who, amount, "outstanding")
        return fee.public_id

    @rule(who=st.integers(0, 1), data=st.data())
    def pay(self, who, data):
        mine = sorted(f for f, (w, _, status) in self.fee_status.items() if w == who and status == "outstanding")
        if not mine:
            return
        chosen = data.draw(st.lists(st.sampled_from(mine), min_size=1, max_size=len(mine), unique=True))
        total = sum(self.fee_status[f][1] for f in chosen)
        _, refused = self._try(lambda: fees.pay_fees(self.s, self.patrons[who], chosen))
        if total <= self._available(who):
            assert refused is None
            self.balance[who] -= total
            self.income += total
            for f in chosen:
                self.fee_status[f] = (who, self.fee_status[f][1], "paid")
        else:
            assert refused == "insufficient_funds"

    @rule(fee_id=charged, data=st.data())
    def pay_someone_elses_fee_or_a_settled_one(self, fee_id, data):
        owner, amount, status = self.fee_status[fee_id]
        payer = data.draw(st.integers(0, 1))
        _, refused = self._try(lambda: fees.pay_fees(self.s, self.patrons[payer], [fee_id]))
        if payer != owner:
            assert refused == "not_found"
        elif status != "outstanding":
            assert refused == "fee_not_outstanding"
        elif amount <= self._available(owner):
            assert refused is None
            self.balance[owner] -= amount
            self.income += amount
            self.fee_status[fee_id] = (owner, amount, "paid")
        else:
            assert refused == "insufficient_funds"

    @rule(fee_id=charged)
    def waive(self, fee_id):
        who, amount, status = self.fee_status[fee_id]
        _, refused = self._try(lambda: fees.waive_fee(self.s, self.principal, fee_id, "hypothesis"))
        if status == "waived":
            assert refused == "fee_already_waived"
            return
        assert refused is None
        if status == "paid":
            self.balance[who] += amount
            self.income -= amount
        self.fee_status[fee_id] = (who, amount, "waived")

    @rule(target=holds, who=st.integers(0, 1), amount=amounts)
    def hold(self, who, amount):
        wallet = wallet_of(self.s, self.patrons[who])
        held, refused = self._try(
            lambda: place_hold(self.s, wallet, Money(amount), expires_at=utcnow() + timedelta(minutes=5))
        )
        if amount <= self._available(who):
            assert refused is None
            self.held[who] += amount
            return (who, amount, held)
        assert refused == "insufficient_funds"
        return (who, 0, None)

    @rule(hold=consumes(holds))
    def capture(self, hold):
        who, amount, held = hold
        if held is None:
            return
        income = house_account(self.s, "fee_income", self.library.public_id, library=self.library)
        _, refused = self._try(lambda: capture_hold(self.s, held, [credit(income, Money(amount))], kind="room_booking"))
        assert refused is None
        self.balance[who] -= amount
        self.held[who] -= amount
        self.income += amount

    @rule(hold=consumes(holds))
    def release(self, hold):
        who, amount, held = hold
        if held is None:
            return
        _, refused = self._try(lambda: release_hold(self.s, held))
        assert refused is None
        self.held[who] -= amount

    @rule(topup=consumes(topups))
    def reverse_top_up(self, topup):
        who, amount, entry = topup
        _, refused = self._try(lambda: reverse_entry(self.s, entry, memo="hypothesis"))
        if amount <= self._available(who):
            assert refused is None
            self.balance[who] -= amount
        else:
            assert refused == "insufficient_funds"

    # --- invariants --------------------------------------------------------

    @invariant()
    def wallets_match_the_model_and_never_go_negative(self):
        for who, patron in enumerate(self.patrons):
            row = self.s.execute(
                select(LedgerAccount.balance, LedgerAccount.held).where(
                    LedgerAccount.key == f"wallet:{patron.public_id}"
                )
            ).first()
            balance, held = row if row else (0, 0)
            assert (balance, held) == (self.balance[who], self.held[who])
            assert balance >= 0 and 0 <= held <= balance

    @invariant()
    def fees_and_income_match_the_model(self):
        statuses = dict(self.s.execute(select(Fee.public_id, Fee.status)).all())
        assert statuses == {f: status for f, (_, _, status) in self.fee_status.items()}
        income = self.s.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0))
            .join(LedgerAccount)
            .where(LedgerAccount.kind == "fee_income")
        )
        assert -int(income) == self.income

    @invariant()
    def audit_is_clean(self):
        report = run_audit(self.s)
        assert report.clean, report.problems

    def teardown(self):
        self.s.rollback()


def test_random_money_histories_keep_every_invariant(db, app_ctx):
    run_state_machine_as_test(
        lambda: MoneyMachine(db),
        settings=settings(
            max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
