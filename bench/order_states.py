"""API calls made to learn the states of open orders, per marketplace, against the emulator.

2,000 open orders per marketplace (``--orders``), created over the last days, some of them
moved on (shipped, delivered, cancelled); ``fetch_states`` of every one of them, as the
import's state step asks.  Prints ``api_calls_<marketplace>:`` (each within a small constant of
ceil(orders / page size)), the page sizes, and the states read.  No Odoo needed.
"""
import argparse
import math
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.addon_libs import register  # noqa: E402

register()

from marketplace_connector.lib.base import OrderRef, make_adapter  # noqa: E402
from tests.emulator import MarketplaceEmulator  # noqa: E402

PAGE = {"wildberries": ("status_batch", 1000), "ozon": ("state_batch", 100), "yandex": ("page_size", 50)}


def refs_of(emu, marketplace, ids):
    app = emu.apps[marketplace]
    refs = []
    for ext in ids:
        raw = app.orders[ext]
        if marketplace == "wildberries":
            refs.append(OrderRef(ext, raw["scheme"], raw["rid"], raw["createdAt"]))
        elif marketplace == "ozon":
            refs.append(OrderRef(ext, raw["scheme"], raw["order_number"], raw["in_process_at"]))
        else:
            refs.append(OrderRef(ext, raw["scheme"], str(raw["campaignId"]), raw["creationDate"]))
    return refs


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args()
    emu = MarketplaceEmulator(seed=3).start()
    try:
        now = datetime.now(timezone.utc)
        for marketplace in ("wildberries", "ozon", "yandex"):
            app = emu.apps[marketplace]
            ids = []
            for day in range(4):
                ids += app.add_orders(args.orders // 4, scheme="fbs", max_lines=1,
                                      created_at=now - timedelta(days=day, hours=1))
            for i, ext in enumerate(ids[::50]):
                app.set_state(ext, ("shipped", "delivered", "cancelled")[i % 3])
            calls = []
            cls = app.__class__
            adapter = make_adapter(marketplace, cls.CREDENTIALS, cls.SETTINGS, base_url=emu.base_url(marketplace),
                                   on_call=calls.append, timeout=(5, 30))
            states = adapter.fetch_states(refs_of(emu, marketplace, ids))
            attr, documented = PAGE[marketplace]
            page = getattr(adapter, attr)
            print(f"api_calls_{marketplace}: {len(calls)}")
            print(f"page_size_{marketplace}: {page} (documented maximum {documented})")
            if marketplace == "ozon":
                print(f"postings_per_page_ozon: {adapter.page_size} (ids a query: {page})")
            print(f"expected_calls_{marketplace}: {math.ceil(len(ids) / page)}")
            print(f"states_read_{marketplace}: {len(states)} of {len(ids)}")
        print(f"spec_violations: {len(emu.validation_errors)}")
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
