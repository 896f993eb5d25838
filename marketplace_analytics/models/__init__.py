from . import marketplace_finance_report
from . import marketplace_finance_line
from . import marketplace_account_finance
from . import marketplace_sync_log
from . import marketplace_finance_discrepancy
from . import marketplace_account_reconcile
