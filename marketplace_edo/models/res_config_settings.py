# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import upd as lib_upd
from ..lib import xsd as lib_xsd
from .edo_document import XSD_DIR_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    edo_xsd_dir = fields.Char(
        string="Folder of the ФНС schemas", config_parameter=XSD_DIR_PARAM,
        help="A folder on the Odoo server holding the official XSD files of the УПД format "
        "published by the ФНС (for 5.03: ON_NSCHFDOPPR_1_997_01_05_03_05.xsd). Every УПД file "
        "is then checked against them before it is attached. Empty: the files are made with "
        "the module's own checks only, and each document says it was not checked. The "
        "server's environment variable EDO_XSD_DIR, when set, takes precedence.")
    edo_xsd_status = fields.Char(string="ФНС schemas", compute="_compute_edo_xsd_status")

    @api.depends("edo_xsd_dir")
    def _compute_edo_xsd_status(self):
        for settings in self:
            settings.edo_xsd_status = settings._edo_xsd_check(settings.edo_xsd_dir)[1]

    @api.model
    def _edo_xsd_check(self, setting):
        """(usable, a sentence on the schema folder ``setting`` as the УПД will use it)."""
        name = lib_xsd.SCHEMAS[lib_upd.FORMAT_VERSION]
        override = lib_xsd.configured_dir(None)
        folder = lib_xsd.configured_dir(setting)
        if folder is None:
            return True, _("Not set: the УПД files are not checked against the ФНС schema.")
        try:
            path = lib_xsd.schema_path(lib_upd.FORMAT_VERSION, lib_xsd.xsd_dir(setting, fallback=False))
            lib_xsd.schema(lib_upd.FORMAT_VERSION, path.parent)
        except (FileNotFoundError, ValueError) as exc:
            return False, str(exc)
        if override is not None:
            return True, _("%(file)s found in %(folder)s (set by the server's EDO_XSD_DIR, which takes "
                           "precedence over this setting).", file=name, folder=str(override))
        return True, _("%(file)s found in %(folder)s: every УПД file is checked against it.",
                       file=name, folder=str(folder))

    def set_values(self):
        for settings in self:
            usable, text = settings._edo_xsd_check(settings.edo_xsd_dir)
            if settings.edo_xsd_dir and not usable:
                raise UserError(_("The folder of the ФНС schemas cannot be used: %s", text))
        return super().set_values()
