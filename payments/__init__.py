"""Payment providers behind small interfaces (``payments.base``).

Cards (``PaymentProvider``): ``StripeProvider`` for real money, ``SandboxProvider`` for the
offline demo. pagoPA notices (``NoticeProvider``): ``GpdProvider`` (``payments.pagopa``, with
the IUV, notice-number and QR rules) and ``SandboxNoticeProvider`` for the demo; reporting
flows are read by ``payments.pagopa_reporting``. Nothing here imports Flask or Borsellino: the
app picks and configures them (``backend.topups.provider``).
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
