from . import marketplace_price_preview
