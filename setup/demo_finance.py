"""The demo's third act: the marketplaces' money in Odoo.

    python3 setup/demo_finance.py DB --emulator http://127.0.0.1:8900 [--addons-path P]

The emulator settles the orders Odoo imported (delivered, with their sales, commissions,
logistics, storage and payouts in its finance reports), and one error is put in Wildberries'
report (a logistics charge counted twice).  The orders' states are read again, then each
account's finance reports of the last weeks are imported and reconciled as the scheduled
action does it, and the charges without an order are spread for the margin.  Wildberries
allows one finance request a minute and Yandex Market a report every two minutes: the
import waits for them, so this act takes a few minutes.  Printed: what each import kept, the
reports' totals against their lines, the discrepancies with their reasons, and the margin per
marketplace.  In Odoo: *Accounting → Marketplaces* (finance reports, lines, discrepancies)
and *Sales → Marketplaces → Analytics → Margin*.
"""
import argparse
import json
import sys
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def control(emulator, marketplace, action, **options):
    body = json.dumps({"marketplace": marketplace, "action": action, "options": options}).encode()
    request = urllib.request.Request(f"{emulator}/_emulator/finance", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--emulator", default="http://127.0.0.1:8900")
    parser.add_argument("--addons-path")
    args = parser.parse_args(argv)

    from tests.odoo_env import environment

    with environment(args.db, args.addons_path) as env:
        accounts = env["marketplace.account"].search([])
        imported = {account.marketplace: env["sale.order"].search(
            [("marketplace_account_id", "=", account.id), ("state", "=", "sale")]).mapped("marketplace_external_id")
            for account in accounts}
    # the marketplaces settle what Odoo imported; one charge of Wildberries is counted twice
    for marketplace, orders in imported.items():
        if not orders:
            continue
        control(args.emulator, marketplace, "settle", orders=orders)
    if imported.get("wildberries"):
        injected = control(args.emulator, "wildberries", "inject", kind="double_charge")
        print(f"Wildberries: a logistics charge of the order {injected.get('order')} counted twice in the report")
    with environment(args.db, args.addons_path) as env:
        env = env(context=dict(env.context, tracking_disable=True))
        # the marketplaces' calendar is Moscow's (their reports' dates): today there, which may
        # already be tomorrow in UTC
        date_to = datetime.now(timezone(timedelta(hours=3))).date()
        date_from = date_to.replace(day=1) - timedelta(days=35)
        for account in env["marketplace.account"].search([]):
            # the states first: the reconciliation knows what was delivered
            env["marketplace.order"].search([("account_id", "=", account.id)]).write({"state_checked_at": False})
            account._run_order_import()
            account.write({"finance_import": True})
            # committed before the import, which waits for the marketplaces' paces for minutes:
            # it must not hold the account's row meanwhile (the scheduled order import writes it)
            env.cr.commit()
            # as the scheduled action imports (Yandex Market's goods-realization documents, one
            # per campaign and month generated two minutes apart, are left to the import on demand)
            summary = account._finance_import(date_from, date_to, scheduled=True)
            open_count = account._finance_reconcile()
            env.cr.commit()
            print(f"{account.name}: {summary['reports']} reports, {summary['new_lines']} new lines, "
                  f"{summary['to_review']} to review, {open_count} discrepancies")
            for report in env["marketplace.finance.report"].search([("account_id", "=", account.id),
                                                                     ("line_count", ">", 0)]):
                print(f"  {report.name}: to pay {report.to_pay:.2f}, lines {report.lines_total:.2f}, "
                      f"payouts {report.payout_total:.2f}")
            for discrepancy in env["marketplace.finance.discrepancy"].search([("account_id", "=", account.id),
                                                                              ("state", "=", "open")]):
                print(f"  ! {discrepancy.reason}")
            for month in {line.date.date().replace(day=1) for line in env["marketplace.finance.line"].search(
                    [("account_id", "=", account.id)], limit=1000)}:
                try:
                    account._margin_spread(month)
                except Exception as exc:  # noqa: BLE001 - the demo goes on
                    print(f"  charges of {month:%m.%Y} not spread: {exc}")
            env.cr.commit()
        for row in env["marketplace.margin"].read_group(
                [], ["revenue:sum", "charges:sum", "cogs:sum", "tax:sum", "margin:sum"], ["account_id"]):
            print(f"Margin of {row['account_id'][1]}: revenue {row['revenue']:.2f}, marketplace charges "
                  f"{row['charges']:.2f}, cost of goods {row['cogs']:.2f}, tax {row['tax']:.2f}, "
                  f"margin {row['margin']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
