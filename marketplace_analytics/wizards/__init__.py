from . import marketplace_finance_import
