# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, _, api, fields, models

MARKETPLACE_USER = "marketplace_connector.group_marketplace_user"


class ResPartner(models.Model):
    """Buyer contacts: the delivery contacts the order import creates for the buyers (when an
    account's customers are the buyers).  They hold personal data: record rules hide them from
    the internal users outside the marketplace groups, and the documents that name them (a sale
    order, a delivery, an invoice) still open for those users, with the contact's name masked."""

    _inherit = "res.partner"

    marketplace_buyer = fields.Boolean(
        string="Marketplace buyer", readonly=True, copy=False, index="btree_not_null",
        help="A buyer of a marketplace order: seen by the marketplace groups only, anonymised after "
             "the retention period.")
    marketplace_anonymised_date = fields.Datetime(string="Anonymised on", readonly=True, copy=False)

    @api.model
    def _marketplace_buyers_visible(self):
        """Whether the real user (``sudo`` or not) may see buyers' personal data."""
        return self.env.uid == SUPERUSER_ID or self.env.user.has_group(MARKETPLACE_USER)

    def _marketplace_hidden_buyers(self):
        """The buyer contacts among these whose name the current user must not see."""
        if self._marketplace_buyers_visible():
            return self.browse()
        return self.sudo().filtered("marketplace_buyer").with_env(self.env)

    @api.depends("complete_name", "email", "vat", "state_id", "country_id", "commercial_company_name")
    @api.depends_context("show_address", "partner_show_db_id", "address_inline", "show_email", "show_vat",
                         "lang", "uid")
    def _compute_display_name(self):
        # A document's partner is shown through sudo (many2one values, web_read): the name of
        # a buyer is masked for the users who may not read the contact itself.
        hidden = self._marketplace_hidden_buyers()
        super(ResPartner, self - hidden)._compute_display_name()
        for partner in hidden:
            parent = partner.sudo().parent_id
            partner.display_name = (_("%(marketplace)s, buyer", marketplace=parent.name) if parent
                                    else _("Marketplace buyer"))
