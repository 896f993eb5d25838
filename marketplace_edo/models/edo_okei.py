# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import okei as lib_okei


class EdoOkei(models.Model):
    """Unit of measure ↔ its ОКЕИ code (ОК 015-94), written in each row of the УПД."""

    _name = "edo.okei"
    _description = "ОКЕИ code of a unit of measure"
    _order = "code, id"
    _rec_name = "code"

    uom_id = fields.Many2one("uom.uom", string="Unit of measure", required=True, ondelete="cascade")
    code = fields.Char(string="ОКЕИ code", required=True, size=4, help="3 or 4 digits, e.g. 796 for pieces.")
    name = fields.Char(
        string="Symbol", required=True,
        help="The unit's national symbol written in the УПД (НаимЕдИзм), e.g. «шт».")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("uom_uniq", "UNIQUE(uom_id)", "This unit of measure already has an ОКЕИ code."),
    ]

    @api.constrains("code")
    def _check_code(self):
        for record in self:
            if not lib_okei.is_code(record.code):
                raise ValidationError(_("ОКЕИ code «%s» is invalid: 3 or 4 digits.", record.code))

    @api.onchange("code")
    def _onchange_code(self):
        if self.code and not self.name:
            self.name = lib_okei.unit_name(self.code.strip()) or False

    @api.model
    def _code_for(self, uom):
        """(code, symbol) of ``uom``: the mapping, else the default table by the unit's
        name; ("", name) when unknown (the УПД checker then names the unit)."""
        if not uom:
            return "", ""
        record = self.sudo().search([("uom_id", "=", uom.id)], limit=1)
        if record:
            return record.code.strip(), record.name.strip()
        names = [uom.name]
        if self.env.lang != "en_US":
            names.append(uom.with_context(lang="en_US").name)
        for name in names:
            code = lib_okei.lookup(name)
            if code:
                return code, lib_okei.unit_name(code) or name
        return "", uom.name
