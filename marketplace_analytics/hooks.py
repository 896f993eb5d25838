# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).


def post_init_hook(env):
    """The companies that already have a chart get their marketplace accounts and the table of
    categories' accounts (a chart loaded later does it by itself)."""
    env["res.company"].search([("chart_template", "!=", False)])._marketplace_set_default_accounts()
