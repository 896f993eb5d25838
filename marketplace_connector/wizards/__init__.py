from . import marketplace_cancel_wizard
