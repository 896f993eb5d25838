"""One process of the stock concurrency test: a reservation or a stock export.

    python3 -m tests.stock_worker DB reserve SALE_ORDER_ID HOLD_SECONDS [--addons-path P]
    python3 -m tests.stock_worker DB export ACCOUNT_ID [--addons-path P]

``reserve`` does what the order import's sale-order step does: it takes the company's stock
lock shared (``marketplace.stock.level._lock_company_stock``), confirms the sale order (its
lines are reserved), prints ``reserved``, holds its transaction HOLD_SECONDS more (a long
chunk of orders), then commits and prints ``committed``.  ``export`` runs the scheduled
stock export of the account (``_export_accounts``) and prints ``exported`` with the time.
"""
import argparse
import json
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("mode", choices=("reserve", "export"))
    parser.add_argument("record", type=int)
    parser.add_argument("hold", type=float, nargs="?", default=0.0)
    parser.add_argument("--addons-path")
    args = parser.parse_args(argv)

    from tests.odoo_env import environment

    with environment(args.db, args.addons_path) as env:
        if args.mode == "reserve":
            sale = env["sale.order"].browse(args.record)
            env["marketplace.stock.level"]._lock_company_stock(sale.company_id.ids, shared=True)
            sale.action_confirm()
            env.flush_all()
            print("reserved", flush=True)
            time.sleep(args.hold)
            env.cr.commit()
            print(json.dumps({"committed": time.time()}), flush=True)
        else:
            account = env["marketplace.account"].browse(args.record)
            print("ready", flush=True)
            summary = env["marketplace.stock.level"]._export_accounts(account)
            env.cr.commit()
            print(json.dumps({"exported": time.time(), "summary": summary[account.id]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
