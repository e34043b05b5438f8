"""Every model module, imported so that ``Base.metadata`` is complete (Alembic, tests)."""

from backend import idempotency  # noqa: F401
from backend.accounts import models as accounts_models  # noqa: F401
from backend.campaigns import models as campaigns_models  # noqa: F401
from backend.confirmations import models as confirmations_models  # noqa: F401
from backend.db import Base
from backend.desk import models as desk_models  # noqa: F401
from backend.events import models as events_models  # noqa: F401
from backend.fees import models as fees_models  # noqa: F401
from backend.finance import models as finance_models  # noqa: F401
from backend.finance.reconciliation import models as reconciliation_models  # noqa: F401
from backend.guides import models as guides_models  # noqa: F401
from backend.jobs import models as jobs_models  # noqa: F401
from backend.ledger import models as ledger_models  # noqa: F401
from backend.notify import models as notify_models  # noqa: F401
from backend.partners import models as partners_models  # noqa: F401
from backend.receipts import models as receipts_models  # noqa: F401
from backend.shop import models as shop_models  # noqa: F401
from backend.topups import models as topups_models  # noqa: F401

metadata = Base.metadata
