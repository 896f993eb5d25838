from . import marketplace_account
from . import marketplace_product_mapping
from . import marketplace_warehouse_mapping
from . import marketplace_order
from . import marketplace_sync_log
from . import sale_order
from . import sale_order_line
from . import stock_rule
from . import marketplace_retention
from . import res_config_settings
from . import res_partner
# stock export
from . import marketplace_stock_level
from . import stock_move
