"""One order-import process, started twice at once by the concurrency test and benchmark.

    python3 -m tests.import_worker DB ACCOUNT_ID [ACCOUNT_ID ...] [--addons-path P]
                                   [--start-at EPOCH | --wait-stdin]
                                   [--direct --barrier K1 K2]

By default it runs the import as the scheduled action does (``_run_order_import`` with a
commit per page, through the per-account lock) and prints one JSON line with what each
import returned.

``--direct``: it fetches each account's orders from the marketplace itself and hands them
to ``marketplace.order._process_orders`` straight away, past the per-account lock, so that
two such processes insert the same orders at once and only the unique constraints keep
them from importing one twice.  Its transaction (and so its snapshot) starts before the
barrier: it prints ``ready``, then waits for the PostgreSQL advisory lock ``(K1, K2)``,
which the test holds and releases once both processes are waiting on it.  It then commits
and prints, per account, what it saw and did:

- ``fetched``: the orders it read from the marketplace;
- ``known_before``: of those, the ones already imported in its snapshot (the import
  would skip them; 0 when both really start together);
- ``created`` / ``sales_created``: the import records and sale orders it created itself
  (in its own snapshot, which does not see what the other process commits);
- ``refused``: the orders it tried to create but could not, because the other process
  had them: ``fetched - known_before - created``.
"""
import argparse
import json
import sys
import time
from datetime import timedelta, timezone


def run_imports(env, accounts):
    return {
        str(account.id): account._run_order_import(commit=True, timeout=(5.0, 30.0))
        for account in accounts
    }


def imported_in_snapshot(env, account, external_ids):
    bindings = env["marketplace.order"].search([("account_id", "=", account.id),
                                                ("external_id", "in", external_ids)])
    sales = env["sale.order"].search([("marketplace_account_id", "=", account.id),
                                      ("marketplace_external_id", "in", external_ids)])
    return bindings, sales


def fetch(env, account):
    now = env.cr.now().replace(tzinfo=timezone.utc)
    since = now - timedelta(days=account.import_days or 1)
    orders = account._get_adapter(timeout=(5.0, 30.0)).fetch_orders(since, now)
    return [o for o in orders if getattr(o, "external_id", None)]


def direct(env, accounts, barrier):
    fetched = {account.id: fetch(env, account) for account in accounts}
    report = {}
    for account in accounts:
        ids = [o.external_id for o in fetched[account.id]]
        bindings, _sales = imported_in_snapshot(env, account, ids)
        report[str(account.id)] = {"fetched": len(set(ids)), "known_before": len(bindings)}
    print("ready", flush=True)
    # inside the transaction already (its snapshot is taken): wait for the other process
    env.cr.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", barrier)
    Order = env["marketplace.order"].with_context(tracking_disable=True, mail_create_nolog=True,
                                                  mail_notrack=True)
    for account in accounts:
        Order._process_orders(account, fetched[account.id])
    env.flush_all()
    for account in accounts:
        ids = [o.external_id for o in fetched[account.id]]
        bindings, sales = imported_in_snapshot(env, account, ids)
        row = report[str(account.id)]
        row["created"] = len(bindings.filtered(lambda b: b.import_state == "imported" and b.sale_order_id))
        row["sales_created"] = len(sales)
        row["refused"] = row["fetched"] - row["known_before"] - len(bindings)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("account_ids", type=int, nargs="+")
    parser.add_argument("--addons-path")
    parser.add_argument("--start-at", type=float, default=0.0,
                        help="wall-clock time (epoch seconds) to start at, so that two workers start together")
    parser.add_argument("--wait-stdin", action="store_true",
                        help="print 'ready' once loaded, then start when a line arrives on stdin")
    parser.add_argument("--direct", action="store_true",
                        help="fetch and process the orders directly, past the account lock (see above)")
    parser.add_argument("--barrier", type=int, nargs=2, metavar=("K1", "K2"), default=(4243, 1),
                        help="the advisory lock --direct waits on inside its transaction")
    args = parser.parse_args(argv)

    from tests.odoo_env import environment

    started = time.time()
    with environment(args.db, args.addons_path) as env:
        accounts = env["marketplace.account"].browse(args.account_ids)
        accounts.mapped("name")  # load before the start line
        if args.direct:
            results = direct(env, accounts, tuple(args.barrier))
        else:
            if args.wait_stdin:
                print("ready", flush=True)
                sys.stdin.readline()
            elif args.start_at:
                time.sleep(max(0.0, args.start_at - time.time()))
            started = time.time()
            results = run_imports(env, accounts)
    # committed (the environment commits on leaving)
    print(json.dumps({"results": results, "started": started, "seconds": time.time() - started}),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
