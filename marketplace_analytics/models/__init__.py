from . import template_ru_marketplace
from . import ir_module_module
from . import res_company
from . import res_config_settings
from . import marketplace_account
from . import marketplace_finance_operation
from . import marketplace_finance_account_map
