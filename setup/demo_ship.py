"""The demo's second act, once orders have arrived: stock and prices sent, and one FBS order
of each marketplace packed and shipped from Odoo.

    python3 setup/demo_ship.py DB [--addons-path P] [--wait 180]

For each demo account: the stock export and the price export run once (what the marketplace
accepted is printed); then the first imported FBS order whose delivery is ready is validated in
Odoo as the demo's manager would (quantities picked, *Validate*), the scheduled action that
reports shipments runs (Wildberries: the supply is then handed over), and the order's state is read back from the marketplace (the emulator),
with the label the marketplace made, attached to the delivery order.  Everything is left in the
database to look at: *Inventory → Deliveries*, the picking's *Marketplace* tab and attachments.
"""
import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def ready_picking(env, account):
    """The newest delivery of an imported FBS order of ``account`` ready to ship whose order the
    marketplace still has as new (the emulator moves some orders on by itself)."""
    pickings = env["stock.picking"].search([
        ("sale_id.marketplace_account_id", "=", account.id), ("sale_id.marketplace_scheme", "=", "fbs"),
        ("picking_type_code", "=", "outgoing"), ("state", "=", "assigned")], order="id desc", limit=10)
    if not pickings:
        return pickings
    records = env["marketplace.order"].search([("sale_order_id", "in", pickings.sale_id.ids)])
    states = account._get_adapter().fetch_states(records._state_refs())
    for picking in pickings:
        state = states.get(picking.sale_id.marketplace_external_id)
        if state and state[0] == "new":
            return picking
    return pickings.browse()


def carrier_pickup(account, external_id):
    """Tell the emulator (the account's sandbox URL less its marketplace) that its carrier took
    the order."""
    import json
    import urllib.request

    root = account.sudo().base_url.rstrip("/").rsplit("/", 1)[0]
    body = json.dumps({"marketplace": account.marketplace, "external_id": external_id}).encode()
    request = urllib.request.Request(f"{root}/_emulator/ship", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).read()


def ship(env, picking):
    for move in picking.move_ids:
        move.quantity = move.product_uom_qty
    picking.move_ids.picked = True
    picking.with_context(skip_backorder=True, skip_sms=True).button_validate()


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--addons-path")
    parser.add_argument("--wait", type=float, default=180, help="seconds to wait for the first orders")
    args = parser.parse_args(argv)

    from tests.odoo_env import environment

    deadline = time.monotonic() + args.wait
    with environment(args.db, args.addons_path) as env:
        env = env(context=dict(env.context, tracking_disable=True))
        accounts = env["marketplace.account"].search([])
        # stock and prices out
        for account in accounts:
            if "stock_export" in account._fields:
                try:
                    print(f"{account.name}: {account.action_export_stock_now()['params']['message']}")
                except Exception as exc:  # noqa: BLE001 - the demo goes on; the error is on the account
                    print(f"{account.name}: stock: {exc}")
        env.cr.commit()
        env["marketplace.account"]._cron_export_prices()
        for account in accounts:
            print(f"{account.name}: prices: {account.price_last_export_summary or '-'}")
        env.cr.commit()
        # one FBS order of each marketplace shipped from Odoo
        pending = dict.fromkeys(accounts)
        while pending and time.monotonic() < deadline:
            for account in list(pending):
                picking = ready_picking(env, account)
                if not picking:
                    continue
                ship(env, picking)
                env.cr.commit()
                pending[account] = picking
                env["stock.picking"]._cron_report_shipments()
                env.cr.commit()
                picking.invalidate_recordset()
                if picking.marketplace_supply_id:
                    # Wildberries: the day's supply handed over to the marketplace (the manager's
                    # button on the supply), which takes its orders to "shipped"
                    picking.marketplace_supply_id.action_hand_over()
                    env.cr.commit()
                    picking.invalidate_recordset()
                sale = picking.sale_id
                states = account._get_adapter().fetch_states(
                    env["marketplace.order"].search([("sale_order_id", "=", sale.id)])._state_refs())
                state = states.get(sale.marketplace_external_id)
                label = picking.marketplace_label_id.name or picking.marketplace_label_note or "-"
                print(f"{account.name}: {picking.name} of order {sale.marketplace_external_id} validated; "
                      f"reported: {picking.marketplace_report_state}; the marketplace says: "
                      f"{state[1] if state else '?'}; label: {label}")
                if not picking.marketplace_supply_id:
                    # Ozon, Yandex Market: the marketplace's carrier takes the packed order (the
                    # emulator is told to); Odoo's import reads the new state on its next run
                    carrier_pickup(account, sale.marketplace_external_id)
                    states = account._get_adapter().fetch_states(
                        env["marketplace.order"].search([("sale_order_id", "=", sale.id)])._state_refs())
                    state = states.get(sale.marketplace_external_id)
                    print(f"{account.name}: the carrier took order {sale.marketplace_external_id}: "
                          f"the marketplace says: {state[1] if state else '?'} ({state[0] if state else '?'})")
                del pending[account]
            if pending:
                time.sleep(5)
                env.cr.rollback()  # a fresh snapshot: orders the import committed meanwhile
        for account in pending:
            print(f"{account.name}: no FBS order ready to ship yet (run this again in a minute)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
