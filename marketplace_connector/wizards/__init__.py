from . import marketplace_price_preview
from . import marketplace_cancel_wizard
