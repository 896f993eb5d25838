"""One order-import process, as the scheduled action runs it (commit per account).

    python3 -m tests.import_worker DB ACCOUNT_ID [ACCOUNT_ID ...] [--addons-path P]
                                   [--start-at EPOCH | --wait-stdin]

Started twice at once by the concurrency test and benchmark: each prints one JSON line
with what its import returned.
"""
import argparse
import json
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("account_ids", type=int, nargs="+")
    parser.add_argument("--addons-path")
    parser.add_argument("--start-at", type=float, default=0.0,
                        help="wall-clock time (epoch seconds) to start at, so that two workers start together")
    parser.add_argument("--wait-stdin", action="store_true",
                        help="print 'ready' once loaded, then start when a line arrives on stdin")
    args = parser.parse_args(argv)

    from tests.odoo_env import environment

    with environment(args.db, args.addons_path) as env:
        accounts = env["marketplace.account"].browse(args.account_ids)
        accounts.mapped("name")  # load before the start line
        if args.wait_stdin:
            print("ready", flush=True)
            sys.stdin.readline()
        elif args.start_at:
            time.sleep(max(0.0, args.start_at - time.time()))
        started = time.time()
        results = {
            str(account.id): account._run_order_import(commit=True, timeout=(5.0, 30.0))
            for account in accounts
        }
        print(json.dumps({"results": results, "started": started, "seconds": time.time() - started}),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
