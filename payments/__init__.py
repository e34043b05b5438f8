"""Card payment providers behind one interface (``payments.base.PaymentProvider``).

``StripeProvider`` for real money, ``SandboxProvider`` for the offline demo.
Nothing here imports Flask: the app picks and configures one (``backend.topups.provider``).
"""

from payments.base import (  # noqa: F401
    BalanceTransaction,
    Intent,
    InvalidWebhook,
    PaymentError,
    PaymentProvider,
    PaymentRefused,
    Payout,
    Refund,
    WalletSheet,
    WebhookEvent,
)
