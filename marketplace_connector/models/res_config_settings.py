# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .marketplace_retention import (DEFAULTS, PAYLOAD_DAYS, PERSONAL_DATA_DAYS, STATE_HORIZON_DAYS,
                                    SYNC_LOG_DAYS)


class ResConfigSettings(models.TransientModel):
    """The connector's settings page: how long data is kept, how long orders are followed."""

    _inherit = "res.config.settings"

    marketplace_sync_log_days = fields.Integer(
        string="Keep the sync log (days)", config_parameter=SYNC_LOG_DAYS, default=DEFAULTS[SYNC_LOG_DAYS],
        help="Sync log rows older than this are removed by the scheduled action.")
    marketplace_payload_days = fields.Integer(
        string="Keep order payloads (days)", config_parameter=PAYLOAD_DAYS, default=DEFAULTS[PAYLOAD_DAYS],
        help="The marketplace's copy of an imported or skipped order is removed this many days after the "
             "order was closed (or imported, while it is not). A held order or an order in error keeps "
             "its copy: it is needed to import it.")
    marketplace_personal_data_days = fields.Integer(
        string="Keep buyers' personal data (days)", config_parameter=PERSONAL_DATA_DAYS,
        default=DEFAULTS[PERSONAL_DATA_DAYS],
        help="Buyers' names, phones and addresses are removed this many days after the order was "
             "delivered or otherwise closed; a buyer contact is anonymised once all its orders are.")
    marketplace_state_horizon_days = fields.Integer(
        string="Follow order states (days)", config_parameter=STATE_HORIZON_DAYS,
        default=DEFAULTS[STATE_HORIZON_DAYS],
        help="Imported orders are followed on the marketplace until a final state (delivered, "
             "cancelled, returned, lost), for at most this many days after they were placed.")

    @api.constrains("marketplace_sync_log_days", "marketplace_payload_days", "marketplace_personal_data_days",
                    "marketplace_state_horizon_days")
    def _check_marketplace_days(self):
        for settings in self:
            for name in ("marketplace_sync_log_days", "marketplace_payload_days",
                         "marketplace_personal_data_days", "marketplace_state_horizon_days"):
                if settings[name] < 1:
                    raise ValidationError(_(
                        "%(setting)s: enter a number of days of at least 1 (%(value)s was entered).",
                        setting=settings._fields[name].get_description(self.env)["string"],
                        value=settings[name]))
