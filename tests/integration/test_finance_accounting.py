"""Issue 8, section 2 (the accounting foundation): the accountant's table of operation types
and their categories, who may edit it, its seeding and the unknown types listed for review;
the accounts of the categories and the settlements on Odoo's generic chart and on the optional
Russian chart (приказ Минфина 94н); the legal model of each marketplace."""
from odoo.exceptions import AccessError, ValidationError
from odoo.tests.common import TransactionCase, new_test_user

from odoo.addons.marketplace_analytics.lib.accounting import CATEGORY_ROLES, ROLES
from odoo.addons.marketplace_connector.lib import finance

ACCOUNTANT_GROUPS = "account.group_account_user"
MARKETPLACE_USER_GROUPS = "marketplace_connector.group_marketplace_user"
SALES_MANAGER_GROUPS = "sales_team.group_sale_manager"

#: the Russian chart's account of each category, as a Russian accountant books it
RU_CATEGORY_CODES = {
    finance.SALE: "90.01", finance.RETURN: "90.01", finance.LOYALTY: "90.01",
    finance.COMMISSION: "44", finance.ACQUIRING: "44", finance.LOGISTICS: "44",
    finance.RETURN_LOGISTICS: "44", finance.STORAGE: "44", finance.ACCEPTANCE: "44",
    finance.ADVERTISING: "44", finance.OTHER: "44",
    finance.PENALTY: "91.02", finance.COMPENSATION: "91.01", finance.PAYOUT: "51",
}
RU_ROLE_CODES = {
    "receivable": "76.01", "payable": "76.02", "agent_payable": "60.01", "goods_shipped": "45",
    "goods": "41", "revenue": "90.01", "cogs": "90.02", "selling_expense": "44", "vat_sale": "90.03",
    "vat_payable": "68.02", "vat_receivable": "19", "other_income": "91.01", "other_expense": "91.02",
    "shortage": "94", "bank": "51",
}
#: the account types of the categories' accounts on any chart
CATEGORY_TYPES = {
    finance.SALE: {"income"}, finance.RETURN: {"income"}, finance.LOYALTY: {"income"},
    finance.PENALTY: {"expense"}, finance.COMPENSATION: {"income_other", "income"},
    finance.PAYOUT: {"asset_cash"},
}
SEED = {
    "Продажа": finance.SALE,
    ("Продажа", "ppvz_sales_commission"): finance.COMMISSION,
    ("Продажа", "delivery_rub"): finance.LOGISTICS,
    "Логистика": finance.LOGISTICS,
    "Хранение": finance.STORAGE,
}


class TestFinanceAccounting(TransactionCase):
    test_tags = {"standard", "at_install"}
    test_module = "marketplace_analytics"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.Operation = cls.env["marketplace.finance.operation"]
        cls.Map = cls.env["marketplace.finance.account.map"]
        cls.accountant = new_test_user(cls.env, login="mp_fin_accountant", groups=ACCOUNTANT_GROUPS)
        cls.marketplace_user = new_test_user(cls.env, login="mp_fin_user", groups=MARKETPLACE_USER_GROUPS)
        cls.sales_manager = new_test_user(cls.env, login="mp_fin_sales", groups=SALES_MANAGER_GROUPS)

    def setUp(self):
        super().setUp()
        # the install seeded the table from every marketplace's reader: these tests start from
        # an empty table (rolled back after each test) to see what each step adds
        self.Operation.sudo().search([]).unlink()

    def new_company(self, name, chart):
        company = self.env["res.company"].create({"name": name, "country_id": self.env.ref("base.ru").id})
        self.env.user.company_ids |= company
        self.env["account.chart.template"].try_loading(chart, company, install_demo=False)
        return company.with_company(company)

    # --- the table of operation types ----------------------------------------------

    def test_accountant_edits_the_operation_table(self):
        """An accountant (not the superuser) adds, recategorises and reviews operation types."""
        table = self.Operation.with_user(self.accountant)
        row = table.create({"marketplace": "wildberries", "operation": "Штраф", "category": finance.PENALTY})
        self.assertEqual(table._category_for("wildberries", "Штраф"), finance.PENALTY)
        row.write({"category": finance.OTHER, "note": "по договору — прочее удержание"})
        row.action_mark_reviewed()
        self.assertTrue(row.reviewed)
        self.assertEqual(self.Operation._category_for("wildberries", "Штраф"), finance.OTHER)
        # the same type and component twice is refused, '' and no component being the same
        with self.assertRaises(ValidationError):
            table.create({"marketplace": "wildberries", "operation": "Штраф", "component": ""})
        # other marketplaces are other rows
        table.create({"marketplace": "ozon", "operation": "Штраф", "category": finance.PENALTY})

    def test_sales_and_marketplace_users_read_but_cannot_edit(self):
        row = self.Operation.create({"marketplace": "ozon", "operation": "OperationMarketplaceServiceStorage",
                                     "category": finance.STORAGE})
        account_map = self.Map.search([("company_id", "=", self.env.company.id)], limit=1)
        self.assertTrue(account_map, "the module's install filled the company's table")
        for user in (self.marketplace_user, self.sales_manager):
            with self.subTest(user=user.login):
                mine = row.with_user(user)
                self.assertEqual(mine.category, finance.STORAGE)
                self.assertEqual(self.Operation.with_user(user)._category_for(
                    "ozon", "OperationMarketplaceServiceStorage"), finance.STORAGE)
                with self.assertRaises(AccessError):
                    mine.write({"category": finance.OTHER})
                with self.assertRaises(AccessError):
                    self.Operation.with_user(user).create({"marketplace": "ozon", "operation": "X"})
                with self.assertRaises(AccessError):
                    mine.unlink()
        mine = account_map.with_user(self.marketplace_user)
        self.assertTrue(mine.account_id)
        with self.assertRaises(AccessError):
            mine.write({"note": "x"})

    def test_seed_is_idempotent_and_keeps_edits(self):
        created = self.Operation._seed("wildberries", SEED)
        self.assertEqual(len(created), len(SEED))
        self.assertTrue(all(created.mapped("reviewed")))
        self.assertEqual(self.Operation._category_for("wildberries", "Продажа", "retail_amount"), finance.SALE)
        self.assertEqual(self.Operation._category_for("wildberries", "Продажа", "ppvz_sales_commission"),
                         finance.COMMISSION)
        self.assertEqual(self.Operation._category_for("wildberries", "Продажа"), finance.SALE)
        # the accountant changes a seeded row, then the seed runs again (an update of the module)
        storage = self.Operation._find("wildberries", "Хранение").with_user(self.accountant)
        storage.write({"category": finance.OTHER})
        self.assertFalse(self.Operation._seed("wildberries", SEED))
        self.assertEqual(self.Operation.search_count([("marketplace", "=", "wildberries")]), len(SEED))
        self.Operation._seed_defaults()  # what an update of the module runs: the reader's table added
        self.assertEqual(self.Operation._category_for("wildberries", "Хранение"), finance.OTHER)
        from odoo.addons.marketplace_connector.lib.wildberries import finance as wb_finance
        self.assertGreaterEqual(self.Operation.search_count([("marketplace", "=", "wildberries")]),
                                len(wb_finance.DEFAULT_CATEGORIES))
        # a row the import listed without a category takes the seed's category once it is known
        self.Operation._note_unknown("wildberries", "Платная приёмка")
        filled = self.Operation._seed("wildberries", {"Платная приёмка": finance.ACCEPTANCE})
        self.assertEqual(filled.category, finance.ACCEPTANCE)
        # the in-memory table for a big import says the same
        table = self.Operation._category_table("wildberries")
        self.assertEqual(table[("Продажа", "delivery_rub")], finance.LOGISTICS)
        with self.assertRaises(ValueError):
            self.Operation._seed("wildberries", {"Нечто": "no-such-category"})

    def test_unknown_operations_are_listed_for_review(self):
        self.Operation._seed("ozon", {"OperationAgentDeliveredToCustomer": finance.SALE})
        self.assertEqual(self.Operation._category_for("ozon", "OperationBrandNew", "service_x"), "")
        noted = self.Operation.with_user(self.marketplace_user)._note_unknown("ozon", "OperationBrandNew", "service_x")
        self.assertEqual((noted.category, noted.reviewed, noted.component), (False, False, "service_x"))
        # noted once, however many lines carry it
        self.assertEqual(self.Operation._note_unknown("ozon", "OperationBrandNew", "service_x"), noted)
        # a known operation (any component) is not noted again
        known = self.Operation._note_unknown("ozon", "OperationAgentDeliveredToCustomer", "x")
        self.assertEqual(known.category, finance.SALE)
        self.assertFalse(self.Operation._find("ozon", "OperationAgentDeliveredToCustomer", "x"))
        action = self.env.ref("marketplace_analytics.marketplace_finance_operation_action")
        view = self.env.ref("marketplace_analytics.marketplace_finance_operation_view_search")
        self.assertIn("to_review", action.context)
        self.assertIn('name="to_review"', view.arch)
        to_review = self.Operation.search(['|', ("reviewed", "=", False), ("category", "=", False)])
        self.assertIn(noted, to_review)
        self.assertNotIn(self.Operation._find("ozon", "OperationAgentDeliveredToCustomer"), to_review)
        # the accountant decides; the row leaves the list and the line's category is known
        noted.with_user(self.accountant).write({"category": finance.OTHER})
        self.assertTrue(noted.reviewed)
        self.assertEqual(self.Operation._category_for("ozon", "OperationBrandNew", "service_x"), finance.OTHER)

    # --- charts and accounts ---------------------------------------------------------

    def test_russian_chart_on_a_new_company(self):
        company = self.new_company("ООО «Продавец»", "ru_marketplace")
        self.assertEqual(company.chart_template, "ru_marketplace")
        self.assertEqual(company.currency_id, self.env.ref("base.RUB"))
        for role, code in RU_ROLE_CODES.items():
            self.assertEqual(company._marketplace_account(role).code, code, role)
        for category, code in RU_CATEGORY_CODES.items():
            self.assertEqual(self.Map._account_for(company, category).code, code, category)
        self.assertEqual(company._marketplace_journal().code, "MP")
        accounts = self.env["account.account"].with_company(company).search(
            self.env["account.account"]._check_company_domain(company))
        by_code = {a.code: a for a in accounts}
        for code, account_type in (("41", "asset_current"), ("45", "asset_current"), ("51", "asset_cash"),
                                   ("62.01", "asset_receivable"), ("62.02", "liability_current"),
                                   ("60.01", "liability_payable"), ("76.01", "asset_receivable"),
                                   ("76.02", "liability_payable"), ("76.09", "asset_current"),
                                   ("68.02", "liability_current"), ("19", "asset_current"),
                                   ("90.01", "income"), ("90.02", "expense_direct_cost"), ("44", "expense"),
                                   ("91.01", "income_other"), ("91.02", "expense"), ("94", "asset_current")):
            self.assertEqual(by_code[code].account_type, account_type, code)
        self.assertEqual(by_code["90.01"].name, "Выручка")
        taxes = self.env["account.tax"].search([("company_id", "=", company.id)])
        self.assertEqual(company.account_sale_tax_id.amount, 22)
        self.assertEqual(company.account_sale_tax_id.invoice_repartition_line_ids.account_id.code, "68.02")
        self.assertEqual(sorted(set(taxes.mapped("amount"))), [0, 10, 20, 22])
        self.assertIn("Без НДС", taxes.mapped("name"))
        # the marketplace accounts of the company follow the Russian chart
        account = self.env["marketplace.account"].create(self.account_vals("wildberries", company))
        self.assertEqual(account._finance_account("receivable").code, "76.01")
        self.assertEqual(account._finance_account("payable").code, "76.02")
        self.assertEqual(account._finance_category_account(finance.COMMISSION).code, "44")
        yandex = self.env["marketplace.account"].create(self.account_vals("yandex", company))
        self.assertEqual(yandex._finance_account("payable").code, "60.01")
        # one marketplace may book a category elsewhere, and an account keep its own receivable
        other = self.env["account.account"].with_company(company).create({
            "name": "Расчёты с Wildberries", "code": "76.11", "account_type": "asset_receivable", "reconcile": True})
        account.finance_receivable_account_id = other
        self.assertEqual(account._finance_account("receivable"), other)
        self.Map.create({"company_id": company.id, "marketplace": "wildberries", "category": finance.PENALTY,
                         "account_id": by_code["44"].id})
        self.assertEqual(account._finance_category_account(finance.PENALTY).code, "44")
        self.assertEqual(yandex._finance_category_account(finance.PENALTY).code, "91.02")

    def test_company_chooses_the_russian_chart_in_the_settings(self):
        """A company on the generic chart, without entries, picks the Russian chart in the
        settings: its marketplace accounts and the categories' table move to the exact accounts."""
        company = self.new_company("ООО «Переход»", "generic_coa")
        self.assertEqual(self.Map._account_for(company, finance.SALE).code, "400000")
        env = self.env(context=dict(self.env.context, allowed_company_ids=[company.id]))
        settings = env["res.config.settings"].create({})
        self.assertIn("ru_marketplace", dict(settings._fields["chart_template"]._description_selection(env)))
        settings.chart_template = "ru_marketplace"
        settings.execute()
        self.assertEqual(company.chart_template, "ru_marketplace")
        self.assertEqual(self.Map._account_for(company, finance.SALE).code, "90.01")
        self.assertEqual(self.Map._account_for(company, finance.STORAGE).code, "44")
        self.assertEqual(company._marketplace_account("receivable").code, "76.01")
        self.assertEqual(company.marketplace_goods_shipped_account_id.with_company(company).code, "45")
        self.assertEqual(self.Map.search_count([("company_id", "=", company.id)]), len(finance.CATEGORIES))
        # the accountant's choices survive a reload of the chart
        other = company._marketplace_account("other_expense")
        company.marketplace_selling_expense_account_id = other
        self.Map._find(company.id, False, finance.STORAGE).account_id = other
        env["res.config.settings"].create({}).reload_template()
        self.assertEqual(company._marketplace_account("selling_expense"), other)
        self.assertEqual(self.Map._account_for(company, finance.STORAGE), other)

    def test_russian_chart_is_not_chosen_by_itself(self):
        """The chart is offered in the settings but a Russian company without a chart does not get it."""
        codes = [code for code, _name in self.env["account.chart.template"]._select_chart_template(
            self.env.ref("base.ru"))]
        self.assertIn("ru_marketplace", codes)
        self.assertNotEqual(self.env["account.chart.template"]._guess_chart_template(self.env.ref("base.ru")),
                            "ru_marketplace")

    def test_generic_chart_accounts_of_the_right_types(self):
        company = self.new_company("Generic Seller", "generic_coa")
        for role, spec in ROLES.items():
            self.assertEqual(company._marketplace_account(role).account_type, spec.account_type, role)
            self.assertEqual(company[f"marketplace_{role}_account_id"], company._marketplace_account(role), role)
        for category in finance.CATEGORY_CODES:
            account = self.Map._account_for(company, category)
            self.assertIn(account.account_type, CATEGORY_TYPES.get(category, {"expense"}), category)
            self.assertEqual(account, company._marketplace_account(CATEGORY_ROLES[category]), category)
        self.assertEqual(self.Map.search_count([("company_id", "=", company.id)]), len(finance.CATEGORIES))
        self.assertEqual(company._marketplace_journal().type, "general")
        self.assertEqual(company._marketplace_account("bank"),
                         self.env["account.journal"].search([("company_id", "=", company.id),
                                                             ("type", "=", "bank")], limit=1).default_account_id)
        self.assertEqual(company.tax_regime, "vat")

    def test_accountant_changes_the_settings(self):
        company = self.env.company
        settings = self.env["res.config.settings"].create({})
        expense = company._marketplace_account("other_expense")
        settings.write({"marketplace_tax_regime": "usn6", "marketplace_selling_expense_account_id": expense.id})
        settings.execute()
        self.assertEqual(company.tax_regime, "usn6")
        self.assertEqual(company._marketplace_account("selling_expense"), expense)
        # the categories' table of the company is the accountant's to change
        row = self.Map.search([("company_id", "=", company.id), ("category", "=", finance.STORAGE),
                               ("marketplace", "=", False)])
        row.with_user(self.accountant).account_id = expense
        self.assertEqual(self.Map._account_for(company, finance.STORAGE), expense)

    def test_views_open_for_their_users(self):
        """The settings block, both tables and the account's Accounting page render for the
        users who open them."""
        settings = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("marketplace_receivable_account_id", settings)
        for user in (self.accountant, self.marketplace_user):
            with self.subTest(user=user.login):
                for model in ("marketplace.finance.operation", "marketplace.finance.account.map"):
                    views = self.env[model].with_user(user).get_views([(False, "list"), (False, "search")])
                    self.assertIn("category", views["views"]["list"]["arch"])
        menu = self.env.ref("marketplace_analytics.menu_marketplace_finance_operation_accounting")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids())
        form = self.env["marketplace.account"].with_user(self.marketplace_user).get_views(
            [(False, "form")])["views"]["form"]["arch"]
        self.assertIn("finance_model", form)

    # --- marketplace accounts ----------------------------------------------------------

    def account_vals(self, marketplace, company):
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        return {"name": f"{marketplace} ({company.name})", "marketplace": marketplace, "company_id": company.id,
                "warehouse_id": warehouse.id, "environment": "sandbox"}

    def test_finance_model_defaults_per_marketplace(self):
        Account = self.env["marketplace.account"]
        expected = {"wildberries": "commission", "ozon": "commission", "yandex": "agent"}
        for marketplace, model in expected.items():
            account = Account.create(self.account_vals(marketplace, self.env.company))
            self.assertEqual(account.finance_model, model, marketplace)
        # the seller's contract may say otherwise
        account = Account.create(dict(self.account_vals("ozon", self.env.company), finance_model="agent"))
        self.assertEqual(account.finance_model, "agent")
        self.assertEqual(account._finance_account("payable"),
                         self.env.company._marketplace_account("agent_payable"))
        self.assertIn("990", Account._fields["finance_model"].help)
