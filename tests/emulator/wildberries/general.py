"""The general methods of the Wildberries emulation (``01-general.yaml``, :class:`WildberriesGeneral`).

Routes: ``GET /ping`` and ``GET /api/v1/seller-info`` (the seller of the account:
:attr:`~.core.WildberriesCore.SELLER`).
"""
from datetime import datetime, timedelta, timezone

from ..server import Reply


class WildberriesGeneral:
    """``/ping`` and the seller's information: a mixin of :class:`~.WildberriesApp`."""

    def install_general(self):
        """The general routes (the app's constructor calls it)."""
        self.add_route("GET", "/ping", self._ping)
        self.add_route("GET", "/api/v1/seller-info", self._seller_info)

    def _ping(self, params, query, body, headers):
        moscow = datetime.now(timezone(timedelta(hours=3))).replace(microsecond=0)
        return Reply(200, {"TS": moscow.isoformat(), "Status": "OK"})

    def _seller_info(self, params, query, body, headers):
        return Reply(200, dict(self.SELLER))
