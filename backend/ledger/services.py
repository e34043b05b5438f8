"""The ledger's service API: the only code that writes money.

Other modules describe *what* happens (``debit``/``credit`` legs, a hold, a
reversal); this module checks the double-entry rules, writes the immutable
entry and postings, and keeps each wallet's cached balance, holds and funding
lots consistent in the same transaction.

A wallet never goes negative, whatever the concurrency: every decrease is a
guarded ``UPDATE … WHERE balance - held >= :amount`` (0 rows → 422
``insufficient_funds`` with the shortfall), backed by a CHECK constraint. The
wallet's row lock taken by that UPDATE also serializes the funding lots of
that wallet, so no extra locks are needed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, bindparam, func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.accounts.models import Library, Network, Patron
from backend.db import dialect_insert, insert_returning, new_public_id, persistent_from_row, rows_changed, utcnow
from backend.errors import DomainError
from backend.hot_sql import HotStatement, connection_of
from backend.ledger.errors import (
    ALREADY_REVERSED,
    HOLD_NOT_PENDING,
    INSUFFICIENT_FUNDS,
    NOTHING_TO_RESTORE,
    UnbalancedEntry,
)
from backend.ledger.models import (
    ACCOUNT_KINDS,
    CREDIT_NORMAL,
    FUNDING_SOURCES,
    HOLD_TRANSITIONS,
    FundingLot,
    Hold,
    HoldState,
    JournalEntry,
    LedgerAccount,
    LotAllocation,
    Posting,
)
from backend.ledger.periods import refuse_if_closed
from backend.money import Money
from backend.states import transition

# --- accounts ---------------------------------------------------------------


def _get_or_create_account(session: Session, *, kind: str, key: str, currency: str, **owner: Any) -> LedgerAccount:
    if kind not in ACCOUNT_KINDS:
        raise ValueError(f"unknown account kind {kind!r}")
    found = session.scalar(select(LedgerAccount).where(LedgerAccount.key == key, LedgerAccount.currency == currency))
    if found is not None:
        return found
    cached = kind == "wallet"
    # Two first payments may race to create the same account: insert-or-ignore.
    insert = dialect_insert(session)
    session.execute(
        insert(LedgerAccount)
        .values(
            public_id=new_public_id(LedgerAccount.PUBLIC_ID_PREFIX),
            kind=kind,
            key=key,
            currency=currency,
            normal_side=ACCOUNT_KINDS[kind],
            created_at=utcnow(),
            balance=0 if cached else None,
            held=0 if cached else None,
            **owner,
        )
        .on_conflict_do_nothing(index_elements=["key", "currency"])
    )
    return session.scalars(
        select(LedgerAccount).where(LedgerAccount.key == key, LedgerAccount.currency == currency)
    ).one()


def wallet_of(session: Session, patron: Patron, currency: str = "EUR") -> LedgerAccount:
    """The patron's wallet in ``currency`` (created empty on first use)."""
    return _get_or_create_account(
        session,
        kind="wallet",
        key=f"wallet:{patron.public_id}",
        currency=currency,
        patron_id=patron.id,
        # The wallet is a liability of the patron's home network, wherever it is spent.
        network_id=patron.home_network_id,
    )


def house_account(
    session: Session,
    kind: str,
    owner_public_id: str,
    currency: str = "EUR",
    *,
    library: Library | None = None,
    network: Network | None = None,
) -> LedgerAccount:
    """A house account such as ``house_account(s, "fee_income", library.public_id, library=library)``."""
    if kind == "wallet":
        raise ValueError("use wallet_of() for wallets")
    return _get_or_create_account(
        session,
        kind=kind,
        key=f"{kind}:{owner_public_id}",
        currency=currency,
        library_id=library.id if library else None,
        # Every account of a library or a network is in that network's books; only shared
        # accounts (the central clearing between networks) have none.
        network_id=network.id if network else (library.network_id if library else None),
    )


# Key of ``session.info`` naming (by code) the network that holds the card processor's
# account; the app sets it from ``BORSELLINO_CARD_ACCOUNT_NETWORK``.
CARD_NETWORK_INFO = "borsellino.ledger.card_account_network"

# The card processor's accounts: what it owes us, and what it took back that no wallet covered.
CARD_ACCOUNT_KINDS = ("card_clearing", "chargebacks")


def card_account(session: Session, kind: str, provider_name: str, currency: str = "EUR") -> LedgerAccount:
    """``card_clearing`` or ``chargebacks`` of a provider, in the books of the card network.

    There is one processor account, so the card money of every network sits with
    the network that holds it: a card top-up of a patron of another network is then
    an entry of two networks, and ``post_entry`` records the position between them
    (the card network owes the other its patron's money). Without a card network
    (unset, and more than one network) the account is shared, as before.
    """
    if kind not in CARD_ACCOUNT_KINDS:
        raise ValueError(f"{kind!r} is not a card processor account")
    key = f"{kind}:{provider_name}"
    found = session.scalar(select(LedgerAccount).where(LedgerAccount.key == key, LedgerAccount.currency == currency))
    if found is not None:
        return found
    network = card_network(session)
    return _get_or_create_account(
        session, kind=kind, key=key, currency=currency, network_id=network.id if network else None
    )


def card_network(session: Session) -> Network | None:
    """The network holding the card processor's account: the configured one, or the only network."""
    code = session.info.get(CARD_NETWORK_INFO)
    if code:
        return session.scalar(select(Network).where(Network.code == code))
    only = session.scalars(select(Network).limit(2)).all()
    return only[0] if len(only) == 1 else None


@dataclass(frozen=True)
class House:
    """Names a house account for ``wallet_and_house_accounts`` (arguments as ``house_account``)."""

    kind: str
    owner_public_id: str
    library: Library | None = None
    network: Network | None = None


# Built once: every payment reads its accounts with it.
_ACCOUNTS_BY_KEY = select(LedgerAccount).where(
    LedgerAccount.key.in_(bindparam("keys", expanding=True)), LedgerAccount.currency == bindparam("currency")
)


def wallet_and_house_accounts(
    session: Session, patron: Patron, houses: Sequence[House], currency: str = "EUR"
) -> tuple[LedgerAccount, list[LedgerAccount]]:
    """The patron's wallet and the named house accounts, in one query when they all exist.

    Accounts are never deleted and their keys never change, so a lookup by key is
    exact; an account that doesn't exist yet (a first payment) comes from
    ``wallet_of`` / ``house_account``. For payments, where every statement counts.
    """
    wallet_key = f"wallet:{patron.public_id}"
    house_keys = [f"{house.kind}:{house.owner_public_id}" for house in houses]
    found = {
        account.key: account
        for account in session.scalars(_ACCOUNTS_BY_KEY, {"keys": [wallet_key, *house_keys], "currency": currency})
    }
    wallet = found.get(wallet_key) or wallet_of(session, patron, currency)
    accounts = [
        found.get(key)
        or house_account(
            session, house.kind, house.owner_public_id, currency, library=house.library, network=house.network
        )
        for key, house in zip(house_keys, houses)
    ]
    return wallet, accounts


def account_balance(session: Session, account: LedgerAccount) -> Money:
    """Balance on the account's normal side, from its postings (any account)."""
    total = session.scalar(select(func.coalesce(func.sum(Posting.amount), 0)).where(Posting.account_id == account.id))
    sign = -1 if account.normal_side == CREDIT_NORMAL else 1
    return Money(int(total or 0) * sign, account.currency)


# --- entries ----------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount: int  # debit > 0, credit < 0


def debit(account: LedgerAccount, money: Money) -> Leg:
    return Leg(account, _positive(money, account))


def credit(account: LedgerAccount, money: Money) -> Leg:
    return Leg(account, -_positive(money, account))


def _positive(money: Money, account: LedgerAccount) -> int:
    if money.amount <= 0:
        raise UnbalancedEntry("leg amounts must be positive; direction comes from debit()/credit()")
    if money.currency != account.currency:
        raise UnbalancedEntry(f"{money.currency} leg on a {account.currency} account")
    return money.amount


@dataclass(frozen=True)
class Funding:
    """Where wallet credits of an entry come from (new lots), e.g. a card payment."""

    source: str
    provider_ref: str | None = None

    def __post_init__(self) -> None:
        if self.source not in FUNDING_SOURCES:
            raise ValueError(f"unknown funding source {self.source!r}")


# Every payment passes through post_entry. Apart from the entry itself, its rows
# are written with these Core statements, built once and run on the session's
# connection: unit-of-work flushes and building statements cost more CPU than the
# SQL. They bypass the session, so objects it holds are expired where they change
# their rows, or given the values the statement returned (wallet balances).
_accounts, _lots = LedgerAccount.__table__, FundingLot.__table__
_INSERT_POSTING = Posting.__table__.insert()
_INSERT_LOT = _lots.insert()
_INSERT_ALLOCATION = LotAllocation.__table__.insert()
_MOVE_LOT = (
    update(_lots).where(_lots.c.id == bindparam("lot_id")).values(remaining=_lots.c.remaining - bindparam("spent"))
)
_moved = _MOVE_LOT.returning(_lots.c.id).cte("moved")
_MOVE_AND_ALLOCATE = LotAllocation.__table__.insert().from_select(
    ["lot_id", "entry_id", "amount"],
    # Not "entry_id": a parameter named like a funding_lots column would become a SET of the UPDATE.
    select(_moved.c.id, bindparam("allocation_entry", type_=BigInteger), bindparam("spent", type_=BigInteger)),
)
_CREDIT_WALLET = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("wallet_id"))
    .values(balance=_accounts.c.balance + bindparam("credit"))
    .returning(_accounts.c.balance, _accounts.c.held)
)
_DEBIT_WALLET = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("wallet_id"), _accounts.c.balance - _accounts.c.held >= bindparam("debit"))
    .values(balance=_accounts.c.balance - bindparam("debit"))
    .returning(_accounts.c.balance, _accounts.c.held)
)
_CAPTURE_FROM_WALLET = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("wallet_id"), _accounts.c.held >= bindparam("release"))
    .values(balance=_accounts.c.balance - bindparam("debit"), held=_accounts.c.held - bindparam("release"))
    .returning(_accounts.c.balance, _accounts.c.held)
)


# On PostgreSQL an entry is one statement: the entry, its postings (``unnest`` of
# the legs, in order) and, when the entry debits one wallet from its free balance
# (every payment), the wallet's guarded debit first: when the guard refuses, the
# entry is not written either and the statement returns no row.
_ENTRY_COLUMNS = ", ".join(column.name for column in JournalEntry.__table__.columns)
_ENTRY_VALUES = (
    "CAST(:public_id AS VARCHAR), CAST(:kind AS VARCHAR), CAST(:currency AS VARCHAR), CAST(:memo AS VARCHAR), "
    "CAST(:reference AS VARCHAR), CAST(:reverses_id AS BIGINT), CAST(:refunds_id AS BIGINT), "
    "CAST(:actor AS VARCHAR), CAST(:created_at AS TIMESTAMP WITH TIME ZONE)"
)
_ENTRY_AND_POSTINGS = f"""
entry AS (
    INSERT INTO journal_entries (public_id, kind, currency, memo, reference, reverses_id, refunds_id, actor, created_at)
    SELECT {_ENTRY_VALUES} FROM {{source}}
    RETURNING {_ENTRY_COLUMNS}
), posted AS (
    INSERT INTO postings (entry_id, account_id, amount, currency, created_at)
    SELECT entry.id, leg.account_id, leg.amount, entry.currency, entry.created_at
    FROM entry, unnest(CAST(:accounts AS BIGINT[]), CAST(:amounts AS BIGINT[])) WITH ORDINALITY
        AS leg(account_id, amount, n)
    ORDER BY leg.n
)"""
_POST_ENTRY_PG = HotStatement(
    text(
        f"WITH {_ENTRY_AND_POSTINGS.format(source='(SELECT 1) AS one')} "
        f"SELECT NULL AS balance, NULL AS held, {_ENTRY_COLUMNS} FROM entry"
    )
)
_POST_ENTRY_DEBITING_PG = HotStatement(
    text(
        """WITH debited AS (
    UPDATE ledger_accounts SET balance = balance - CAST(:debit AS BIGINT)
    WHERE id = CAST(:wallet_id AS BIGINT) AND balance - held >= CAST(:debit AS BIGINT)
    RETURNING balance, held
), """
        + _ENTRY_AND_POSTINGS.format(source="debited")
        + f" SELECT debited.balance, debited.held, {_ENTRY_COLUMNS} FROM debited, entry"
    )
)


def _sole_free_debit(wallet_deltas: dict[int, int], from_hold: Hold | None) -> tuple[int, int] | None:
    """(wallet id, amount) when the entry's only wallet change is a debit of free balance.

    With several wallets each is changed in account-id order instead (no lock-order deadlock).
    """
    if len(wallet_deltas) != 1 or from_hold is not None:
        return None
    [(account_id, delta)] = wallet_deltas.items()
    return (account_id, -delta) if delta < 0 else None


def _write_entry_pg(
    session: Session, values: dict[str, Any], legs: Sequence[Leg], debit: tuple[int, int] | None
) -> tuple[JournalEntry | None, Sequence[Any] | None]:
    """The entry (persistent) and, with ``debit``, the wallet's new ``balance, held``.

    ``(None, None)`` when the debit's guard refused: nothing was written.
    """
    params = {
        **values,
        "public_id": new_public_id(JournalEntry.PUBLIC_ID_PREFIX),
        "accounts": [leg.account.id for leg in legs],
        "amounts": [leg.amount for leg in legs],
    }
    if debit is None:
        [row] = _POST_ENTRY_PG.rows(session, params)
        return persistent_from_row(session, JournalEntry, row[2:]), None
    params["wallet_id"], params["debit"] = debit
    debited = _POST_ENTRY_DEBITING_PG.first(session, params)
    if debited is None:
        return None, None
    return persistent_from_row(session, JournalEntry, debited[2:]), debited


def settlement_account(session: Session, network: Network, currency: str = "EUR") -> LedgerAccount:
    """The network's position towards the other networks (credit balance: it owes; debit: it is owed)."""
    return house_account(session, "network_settlement", network.public_id, currency, network=network)


def between_networks(session: Session, legs: Sequence[Leg]) -> list[Leg]:
    """The legs that make each network's part of an entry balance, on its ``network_settlement`` account.

    A patron of network A paying 5 € in a library of B: A's wallet is debited (A
    owes 5 € less to its patron) and B's income credited. A's part then nets to
    +5 €, so A's settlement account is credited 5 € (A owes the others 5 €) and
    B's debited 5 € (B is owed 5 €). The settlement accounts of all networks sum
    to zero: together they are the central clearing. Legs on shared accounts
    (no network) are not any network's part; if they would leave the settlement
    legs unbalanced, the rest goes to the central ``network_clearing`` account.
    Nothing is added to an entry inside one network, or whose parts already
    balance (a reversal, a settlement paid between two banks).
    """
    nets: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.account.network_id is not None:
            nets[leg.account.network_id] += leg.amount
    if len(nets) < 2 or not any(nets.values()):
        return []
    currency = legs[0].account.currency
    networks = {n.id: n for n in session.scalars(select(Network).where(Network.id.in_(sorted(nets))))}
    extra = [
        Leg(
            house_account(session, "network_settlement", networks[nid].public_id, currency, network=networks[nid]), -net
        )
        for nid, net in sorted(nets.items())
        if net
    ]
    rest = -sum(leg.amount for leg in extra)
    if rest:
        extra.append(Leg(house_account(session, "network_clearing", "central", currency), rest))
    return extra


# Called with every entry posted, after its postings (the staff audit trail registers one).
_ENTRY_HOOKS: list[Callable[[Session, JournalEntry, Sequence[Leg]], None]] = []


def register_entry_hook(hook: Callable[[Session, JournalEntry, Sequence[Leg]], None]) -> None:
    _ENTRY_HOOKS.append(hook)


def post_entry(
    session: Session,
    *,
    kind: str,
    legs: Sequence[Leg],
    memo: str = "",
    reference: str | None = None,
    actor: str = "system",
    funding: Funding | None = None,
    refunds: JournalEntry | None = None,
    spend_from: Sequence[str] | None = None,
    from_hold: Hold | None = None,
    reverses: JournalEntry | None = None,
    take_back_from: JournalEntry | None = None,
    dated: datetime | None = None,
) -> JournalEntry:
    """Write one balanced entry and apply it to the wallets it touches.

    Wallet credits open new funding lots (``funding``: a top-up), or give back
    the lots that an earlier payment spent (``refunds``: a full or partial
    refund of that entry). Wallet debits spend lots oldest first, only of the
    sources in ``spend_from`` when given (e.g. ``("card",)`` for a refund to
    card). A debit may consume a pending hold (``from_hold``) instead of free
    balance. ``take_back_from``: money the provider took back (a card refund
    made elsewhere, a dispute) comes first out of the lots that payment's
    credit opened, then oldest first. ``reverses`` is for ``reverse_entry`` only.

    ``dated``: the entry's date when it is not now (a bank deposit of yesterday);
    422 ``period_closed`` when it falls inside a closed period of a network the
    entry touches. An entry touching accounts of several networks (a patron of A
    paying in B) gets one more leg per network on its ``network_settlement``
    account, so each network's part of the entry balances (``between_networks``).

    Like every service, it may leave partial writes in the session when it
    raises: the request's unit of work rolls them back. Code that must carry
    on after a refusal (a batch, a job) calls it inside ``session.begin_nested()``.
    """
    _check_balanced(legs)
    currency = legs[0].account.currency
    legs = [*legs, *between_networks(session, legs)]
    now = utcnow()
    if dated is not None and dated < now:
        refuse_if_closed(session, (leg.account.network_id for leg in legs if leg.account.network_id), dated)
        now = dated
    # Net change per wallet, applied in account-id order so that two entries
    # touching the same wallets never lock them in opposite orders.
    wallet_deltas: dict[int, int] = defaultdict(int)
    wallets: dict[int, LedgerAccount] = {}
    for leg in legs:
        if leg.account.kind == "wallet":
            wallet_deltas[leg.account.id] -= leg.amount  # credit-normal: a credit raises the balance
            wallets[leg.account.id] = leg.account
    values = dict(
        kind=kind,
        currency=currency,
        memo=memo[:300],
        reference=reference,
        actor=actor,
        created_at=now,
        refunds_id=refunds.id if refunds is not None else None,
        reverses_id=reverses.id if reverses is not None else None,
    )
    # What the caller left pending (rows the entry or its postings may refer to) is
    # written first: a flush with nothing pending costs nothing.
    session.flush()
    connection = connection_of(session)
    debited_first: int | None = None
    if connection.dialect.name == "postgresql":
        # One statement: the entry, its postings and, for the usual payment (one
        # wallet debited from its free balance), that wallet's guarded debit.
        sole_debit = _sole_free_debit(wallet_deltas, from_hold)
        written, balance = _write_entry_pg(session, values, legs, sole_debit)
        if sole_debit is not None:
            debited_first, amount = sole_debit
            if written is None:  # the guard refused: nothing was written
                session.expire(wallets[debited_first], ["balance", "held"])
                raise _insufficient(wallets[debited_first], amount, wallets[debited_first].available)
            _set_balance(session, wallets[debited_first], cast(Sequence[Any], balance))
        entry = cast(JournalEntry, written)
    else:
        # The entry is one ``INSERT … RETURNING`` (``db.insert_returning``), its postings one more.
        [entry] = insert_returning(session, JournalEntry, [values])
        connection.execute(
            _INSERT_POSTING,
            [
                dict(entry_id=entry.id, account_id=leg.account.id, amount=leg.amount, currency=currency, created_at=now)
                for leg in legs
            ],
        )

    for account_id in sorted(wallet_deltas):
        delta, wallet = wallet_deltas[account_id], wallets[account_id]
        if delta < 0:
            if account_id != debited_first:
                hold = from_hold if from_hold is not None and from_hold.account_id == account_id else None
                _decrease_wallet(session, wallet, -delta, hold)
            taken_from = reverses if reverses is not None else take_back_from
            if taken_from is not None:
                _take_back_lots(session, wallet, entry, taken_from, -delta)
            else:
                _spend_lots(session, wallet, entry, -delta, spend_from)
        elif delta > 0:
            _increase_wallet(session, wallet, delta)
            original = reverses if reverses is not None else refunds
            if original is not None:
                _restore_lots(session, wallet, entry, original, delta)
            elif funding is not None:
                connection.execute(
                    _INSERT_LOT,
                    dict(
                        public_id=new_public_id(FundingLot.PUBLIC_ID_PREFIX),
                        account_id=account_id,
                        source=funding.source,
                        amount=delta,
                        remaining=delta,
                        provider_ref=funding.provider_ref,
                        entry_id=entry.id,
                        created_at=now,
                    ),
                )
            else:
                raise ValueError("a wallet credit needs funding= (new money) or refunds= (money back)")
    if from_hold is not None:
        _settle_hold(session, from_hold, HoldState.CAPTURED, entry)
        session.flush()
    for hook in _ENTRY_HOOKS:
        hook(session, entry, legs)
    return entry


def reverse_entry(session: Session, original: JournalEntry, *, memo: str = "", actor: str = "system") -> JournalEntry:
    """The exact opposite of ``original``, pointing at it; an entry is reversed at most once.

    Wallet money it took goes back to the same funding lots; wallet money it
    brought in is taken out again (422 ``insufficient_funds`` if already spent).
    """
    if original.kind == "reversal":
        raise DomainError(ALREADY_REVERSED)
    if session.scalar(
        select(JournalEntry.id).where(
            (JournalEntry.reverses_id == original.id) | (JournalEntry.refunds_id == original.id)
        )
    ):
        raise DomainError(ALREADY_REVERSED)
    return post_entry(
        session,
        kind="reversal",
        legs=[Leg(p.account, -p.amount) for p in original.postings],
        memo=memo or f"reversal of {original.public_id}",
        reference=original.reference,
        actor=actor,
        reverses=original,
    )


def _check_balanced(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise UnbalancedEntry("an entry needs at least two postings")
    currencies = {leg.account.currency for leg in legs}
    if len(currencies) != 1:
        raise UnbalancedEntry(f"an entry must be in one currency, got {sorted(currencies)}")
    if any(leg.amount == 0 for leg in legs):
        raise UnbalancedEntry("zero postings are not allowed")
    if sum(leg.amount for leg in legs) != 0:
        raise UnbalancedEntry("postings must sum to zero")


def _increase_wallet(session: Session, wallet: LedgerAccount, amount: int) -> None:
    row = connection_of(session).execute(_CREDIT_WALLET, {"wallet_id": wallet.id, "credit": amount}).one()
    _set_balance(session, wallet, row)


def _decrease_wallet(session: Session, wallet: LedgerAccount, amount: int, hold: Hold | None) -> None:
    if hold is not None:
        if amount > hold.amount:
            raise UnbalancedEntry("a capture cannot exceed its hold")
        # Held money is already reserved: it leaves balance and held together.
        row = (
            connection_of(session)
            .execute(_CAPTURE_FROM_WALLET, {"wallet_id": wallet.id, "debit": amount, "release": hold.amount})
            .first()
        )
    else:
        row = connection_of(session).execute(_DEBIT_WALLET, {"wallet_id": wallet.id, "debit": amount}).first()
    if row is None:
        session.expire(wallet, ["balance", "held"])
        raise _insufficient(wallet, amount, wallet.available)
    _set_balance(session, wallet, row)


def _set_balance(session: Session, wallet: LedgerAccount, row: Sequence[Any]) -> None:
    """The wallet object takes the ``balance, held`` the guarded update returned (the row's first
    two values): nothing reads it again.

    Inside a savepoint it is expired instead: a savepoint's rollback would not
    undo values set this way, and the wallet must then read what the database says.
    """
    if session.in_nested_transaction():
        session.expire(wallet, ["balance", "held"])
    else:
        set_committed_value(wallet, "balance", row[0])
        set_committed_value(wallet, "held", row[1])


def _insufficient(wallet: LedgerAccount, needed: int, available: int) -> DomainError:
    return DomainError(
        INSUFFICIENT_FUNDS,
        param="amount",
        shortfall=Money(max(needed - available, 1), wallet.currency),
        available=Money(max(available, 0), wallet.currency),
    )


def _allocate(session: Session, entry: JournalEntry, moves: dict[int, int]) -> None:
    """Spend (amount > 0) or give back (amount < 0) parts of lots for ``entry``: ``{lot id: amount}``."""
    if not moves:
        return
    connection = connection_of(session)
    if connection.dialect.name == "postgresql":
        # Each lot's move and its allocation in one statement (SQLite has no UPDATE in a CTE).
        connection.execute(
            _MOVE_AND_ALLOCATE,
            [{"lot_id": lot_id, "allocation_entry": entry.id, "spent": amount} for lot_id, amount in moves.items()],
        )
    else:
        connection.execute(_MOVE_LOT, [{"lot_id": lot_id, "spent": amount} for lot_id, amount in moves.items()])
        connection.execute(
            _INSERT_ALLOCATION,
            [{"lot_id": lot_id, "entry_id": entry.id, "amount": amount} for lot_id, amount in moves.items()],
        )
    _expire_lots(session, moves)


def _expire_lots(session: Session, lot_ids: Iterable[int]) -> None:
    """A lot the session already holds must not keep its old remaining."""
    for lot_id in lot_ids:
        lot = session.identity_map.get(session.identity_key(FundingLot, lot_id))
        if lot is not None:
            session.expire(lot, ["remaining"])


# Oldest lots first, in one statement on PostgreSQL: the lots with money left,
# what each gives (the running total before it says how much is still needed),
# their new remaining and the allocations. The wallet's row lock, taken by its
# debit earlier in the transaction, is what keeps a concurrent payment off these lots.
_SPEND_OLDEST_PG = HotStatement(
    text(
        """WITH lots AS (
    SELECT id, remaining, CAST(sum(remaining) OVER (ORDER BY id) AS BIGINT) - remaining AS before
    FROM funding_lots WHERE account_id = CAST(:account_id AS BIGINT) AND remaining > 0
), taken AS (
    SELECT id, LEAST(remaining, CAST(:amount AS BIGINT) - before) AS spent
    FROM lots WHERE before < CAST(:amount AS BIGINT)
), moved AS (
    UPDATE funding_lots SET remaining = funding_lots.remaining - taken.spent FROM taken
    WHERE funding_lots.id = taken.id
    RETURNING funding_lots.id, taken.spent
), allocated AS (
    INSERT INTO lot_allocations (lot_id, entry_id, amount) SELECT id, CAST(:entry_id AS BIGINT), spent FROM moved
)
SELECT id, spent FROM moved"""
    )
)


def _spend_lots(
    session: Session, wallet: LedgerAccount, entry: JournalEntry, amount: int, sources: Sequence[str] | None
) -> None:
    connection = connection_of(session)
    if sources is None and connection.dialect.name == "postgresql":
        moved = _SPEND_OLDEST_PG.rows(session, {"account_id": wallet.id, "amount": amount, "entry_id": entry.id})
        spent = sum(lot_spent for _lot, lot_spent in moved)
        if spent != amount:  # as below: the lots hold less than the debit
            raise _insufficient(wallet, amount, spent)
        _expire_lots(session, (lot for lot, _spent in moved))
        return
    # Plain rows (id, source, remaining), no objects: every wallet payment reads them.
    if sources is None:
        lots = list(connection_of(session).execute(_LOT_ROWS, {"account_id": wallet.id}))
    else:
        lots = list(
            connection_of(session).execute(_LOT_ROWS_OF_SOURCES, {"account_id": wallet.id, "sources": list(sources)})
        )
        rank = {source: i for i, source in enumerate(sources)}
        lots.sort(key=lambda lot: (rank[lot.source], lot.id))
    moves: dict[int, int] = {}
    left = amount
    for lot in lots:
        if left == 0:
            break
        moves[lot.id] = take = min(lot.remaining, left)
        left -= take
    if left:
        # Only with ``sources``: the wallet has the money, but not of that kind.
        raise _insufficient(wallet, amount, amount - left)
    _allocate(session, entry, moves)


def _restore_lots(
    session: Session, wallet: LedgerAccount, entry: JournalEntry, original: JournalEntry, amount: int
) -> None:
    """Give back what ``original`` spent (net of earlier refunds), most recent lots first."""
    related = select(JournalEntry.id).where((JournalEntry.id == original.id) | (JournalEntry.refunds_id == original.id))
    spent = session.execute(
        select(LotAllocation.lot_id, func.sum(LotAllocation.amount))
        .join(FundingLot, FundingLot.id == LotAllocation.lot_id)
        .where(
            FundingLot.account_id == wallet.id, LotAllocation.entry_id.in_(related), LotAllocation.entry_id != entry.id
        )
        .group_by(LotAllocation.lot_id)
        .order_by(LotAllocation.lot_id.desc())
    ).all()
    moves: dict[int, int] = {}
    left = amount
    for lot_id, net_spent in spent:
        give = min(int(net_spent), left)
        if give > 0:
            moves[lot_id] = -give
            left -= give
    if left:
        raise DomainError(NOTHING_TO_RESTORE)
    _allocate(session, entry, moves)


def _take_back_lots(
    session: Session, wallet: LedgerAccount, entry: JournalEntry, original: JournalEntry, amount: int
) -> None:
    """Taking back a wallet credit empties the lots it opened first, then the oldest others."""
    moves: dict[int, int] = {}
    left = amount
    for lot in session.scalars(
        select(FundingLot)
        .where(FundingLot.entry_id == original.id, FundingLot.account_id == wallet.id, FundingLot.remaining > 0)
        .execution_options(populate_existing=True)
    ):
        moves[lot.id] = take = min(lot.remaining, left)
        left -= take
    # Written now: spending the rest reads the wallet's lots from the database.
    _allocate(session, entry, moves)
    if left:
        _spend_lots(session, wallet, entry, left, None)


# --- holds ------------------------------------------------------------------


def place_hold(
    session: Session, wallet: LedgerAccount, money: Money, *, expires_at: datetime, reference: str | None = None
) -> Hold:
    """Reserve wallet money until it is captured, released, or expires."""
    amount = _positive(money, wallet)
    changed = rows_changed(
        session,
        update(LedgerAccount)
        .where(LedgerAccount.id == wallet.id, LedgerAccount.balance - LedgerAccount.held >= amount)
        .values(held=LedgerAccount.held + amount)
        .execution_options(synchronize_session=False),
    )
    session.expire(wallet, ["balance", "held"])
    if changed != 1:
        raise _insufficient(wallet, amount, wallet.available)
    hold = Hold(
        account_id=wallet.id,
        amount=amount,
        currency=wallet.currency,
        expires_at=expires_at,
        reference=reference,
        status=HoldState.PENDING,
    )
    session.add(hold)
    session.flush()
    return hold


def capture_hold(
    session: Session,
    hold: Hold,
    legs_to: Sequence[Leg],
    *,
    kind: str,
    memo: str = "",
    reference: str | None = None,
    actor: str = "system",
) -> JournalEntry:
    """Settle a pending hold: the wallet pays the held amount to ``legs_to`` (credits)."""
    hold = _lock_pending(session, hold)
    wallet = session.get_one(LedgerAccount, hold.account_id)
    total = -sum(leg.amount for leg in legs_to)
    if total != hold.amount:
        raise UnbalancedEntry("a capture must credit exactly the held amount")
    return post_entry(
        session,
        kind=kind,
        legs=[Leg(wallet, hold.amount), *legs_to],
        memo=memo,
        reference=reference or hold.reference,
        actor=actor,
        from_hold=hold,
    )


def release_hold(session: Session, hold: Hold, *, status: HoldState = HoldState.RELEASED) -> Hold:
    hold = _lock_pending(session, hold)
    session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == hold.account_id, LedgerAccount.held >= hold.amount)
        .values(held=LedgerAccount.held - hold.amount)
        .execution_options(synchronize_session=False)
    )
    # As after every wallet update: a wallet object already loaded in this session must not keep the old held.
    wallet = session.identity_map.get(session.identity_key(LedgerAccount, hold.account_id))
    if wallet is not None:
        session.expire(wallet, ["balance", "held"])
    _settle_hold(session, hold, status, None)
    return hold


def expire_holds(session: Session, now: datetime | None = None) -> int:
    """Release every pending hold past its expiry; returns how many (scheduler job)."""
    now = now or utcnow()
    expired = session.scalars(
        select(Hold).where(Hold.status == HoldState.PENDING, Hold.expires_at <= now).order_by(Hold.id).limit(500)
    ).all()
    count = 0
    for hold in expired:
        try:
            release_hold(session, hold, status=HoldState.EXPIRED)
            count += 1
        except DomainError:
            continue  # settled meanwhile by its owner
    return count


def _lock_pending(session: Session, hold: Hold) -> Hold:
    # Claim the hold with a guarded update so capture and release can't both win.
    claimed = rows_changed(session, transition(Hold, HOLD_TRANSITIONS, HoldState.SETTLING, Hold.id == hold.id))
    session.expire(hold)
    if claimed != 1:
        raise DomainError(HOLD_NOT_PENDING)
    return hold


def _settle_hold(session: Session, hold: Hold, status: HoldState, entry: JournalEntry | None) -> None:
    settled = rows_changed(
        session,
        transition(Hold, HOLD_TRANSITIONS, status, Hold.id == hold.id).values(
            settled_at=utcnow(), capture_entry_id=entry.id if entry is not None else None
        ),
    )
    session.expire(hold)
    if settled != 1:
        raise RuntimeError(f"hold {hold.id} was not claimed before settling")  # programming error


# --- reading --------------------------------------------------------------


# Built once: every wallet payment reads its lots, and building the query costs
# more CPU than running its cached compiled form.
_WALLET_LOTS = (
    select(FundingLot)
    .where(FundingLot.account_id == bindparam("account_id"), FundingLot.remaining > 0)
    .order_by(FundingLot.id)
    .execution_options(populate_existing=True)
)
_WALLET_LOTS_OF_SOURCES = _WALLET_LOTS.where(FundingLot.source.in_(bindparam("sources", expanding=True)))


_LOT_ROWS = (
    select(_lots.c.id, _lots.c.source, _lots.c.remaining)
    .where(_lots.c.account_id == bindparam("account_id"), _lots.c.remaining > 0)
    .order_by(_lots.c.id)
)
_LOT_ROWS_OF_SOURCES = _LOT_ROWS.where(_lots.c.source.in_(bindparam("sources", expanding=True)))


def wallet_lots(session: Session, wallet: LedgerAccount, sources: Iterable[str] | None = None) -> list[FundingLot]:
    """The wallet's lots with money left, oldest first (fresh from the database)."""
    if sources is None:
        return list(session.scalars(_WALLET_LOTS, {"account_id": wallet.id}))
    return list(session.scalars(_WALLET_LOTS_OF_SOURCES, {"account_id": wallet.id, "sources": list(sources)}))


def spent_by_source(session: Session, entry: JournalEntry) -> dict[str, int]:
    """How much of each funding source (card, cash, …) a wallet debit ``entry`` spent.

    What a donation's Art Bonus receipt needs: cash-funded money is not eligible.
    """
    return {
        source: int(amount)
        for source, amount in session.execute(
            select(FundingLot.source, func.sum(LotAllocation.amount))
            .join(FundingLot, FundingLot.id == LotAllocation.lot_id)
            .where(LotAllocation.entry_id == entry.id)
            .group_by(FundingLot.source)
        )
    }
