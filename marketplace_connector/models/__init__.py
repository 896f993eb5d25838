from . import marketplace_account
from . import marketplace_product_mapping
from . import marketplace_warehouse_mapping
from . import marketplace_order
from . import marketplace_sync_log
from . import sale_order
from . import sale_order_line
from . import stock_rule
