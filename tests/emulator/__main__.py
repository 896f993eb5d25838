"""Run the marketplace emulator on its own, for the demo or for manual tests.

    python3 -m tests.emulator --port 8900 --interval 20

Every ``--interval`` seconds each marketplace receives a few new orders, and now and then
one is shipped or cancelled, so that an Odoo pointed at it sees orders flowing in.
"""
import argparse
import signal
import sys
import threading

from .server import MarketplaceEmulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m tests.emulator", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--interval", type=float, default=20.0,
                        help="seconds between two rounds of new orders (0: none)")
    parser.add_argument("--orders", type=int, default=2, help="new orders per marketplace and round")
    parser.add_argument("--initial", type=int, default=5, help="orders per marketplace at start")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-validate", action="store_true", help="do not validate against the specs")
    args = parser.parse_args(argv)

    emulator = MarketplaceEmulator(host=args.host, port=args.port, seed=args.seed,
                                   validate=not args.no_validate)
    emulator.start()
    for app in emulator.apps.values():
        app.add_orders(args.initial)
    print(f"marketplace emulator on {emulator.url} "
          f"(wildberries, ozon, yandex under /<marketplace>/...)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    rounds = 0
    while not stop.wait(args.interval if args.interval > 0 else 3600):
        if args.interval <= 0:
            continue
        rounds += 1
        for app in emulator.apps.values():
            with app.lock:
                app.add_orders(args.orders)
                ids = list(app.orders)
                if rounds % 3 == 0 and ids:
                    app.cancel_order(emulator.random.choice(ids[-10:]))
                if rounds % 2 == 0 and ids:
                    app.ship_order(emulator.random.choice(ids[:10]))
        if emulator.validation_errors:
            print("spec validation errors:", *emulator.validation_errors[-5:], sep="\n  ", flush=True)
            emulator.validation_errors.clear()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
