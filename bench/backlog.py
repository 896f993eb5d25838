"""Benchmark: a backlog of orders over the three marketplaces drained by the scheduled action.

    python3 bench/backlog.py [--orders 20000] [--db mp_bench_backlog] [--time-limit 40] [--keep]
                             [--stop-file PATH]

A fresh database with the three addons, set up as the tests set it up (a Russian company in
roubles, VAT 22 % price-excluded on every product, the first 50 articles of the emulator's
catalogue as products with stock, one account per marketplace against the emulator,
warehouses and catalogue imported, FBO locations mapped with stock).  The emulator runs in
this process on a loopback port (without spec validation unless ``--validate``: the tests
validate; here it would take the CPU the import is measured on) and holds ``--orders``
orders (known articles only) spread over the last ``--spread-hours`` hours.

Then Odoo runs as in production, as its own process, with Odoo's default limits
(``limit_time_real`` 120 s, ``limit_time_real_cron`` -1, ``limit_time_cpu`` 60 s, the memory
limits): ``--workers=2 --max-cron-threads=1``, HTTP on a free loopback port.  The scheduled
action *Marketplaces: import orders* is made due at once (interval as installed) and this
script only watches the database until every order of the emulator is imported (or held,
with its reason) and no account has a backlog, or ``--time-limit`` minutes have passed.

Prints ``name: value`` lines:

- ``runs``: runs of the scheduled action (rows of ``ir.cron.progress`` of the cron: Odoo makes
  one at each run); ``runs_log``: the same counted from the "Job … starting" lines of the log;
- ``orders``: the emulator's orders that are sale orders (by external id, against the
  emulator's own lists), ``orders_<marketplace>`` per marketplace, ``missing`` those that are
  not, ``held`` those held (with ``held_reasons``);
- ``duplicates``: (account, external id) present more than once among the sale orders or
  the import records (SQL ``GROUP BY … HAVING count(*) > 1``): must be 0;
- ``rolled_back_runs``: runs of the import that logged "Job … starting" and never "done in":
  killed by the watchdog of the cron worker ("WorkerCron (pid) timeout after 120s", counted
  once a worker in ``worker_kills`` / ``cron_timeouts``, with ``killed_after_s_in_run``: how long
  after the run's start), or failed ("server action … failed"); printed on their own:
  "Job … timed out" (Odoo skipping the job after 3 kills), "Exception in cron", CPU and
  memory limits, tracebacks, the cron's ``failure_count``;
- ``import_failures``: "Order import of … failed" (an account's run recorded a failure),
  ``concurrent_retries``: steps retried after a serialization conflict;
- ``seconds``: from Odoo's start to the last order imported; ``orders_per_s``;
  ``orders_per_run_max``: sale orders made in one run; ``run_seconds_max`` / ``_avg``
  (from the "done in" lines), ``idle_seconds``: the time between runs (the continuation of a
  run that stopped at its budget is due 2 s later, but the cron worker only looks again at
  its next poll), ``api_seconds``: the time spent in marketplace calls (sync log).
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
if os.environ.get("ODOO_PATH"):
    sys.path.insert(0, os.environ["ODOO_PATH"])

MARKETPLACES = ("wildberries", "ozon", "yandex")
ADDONS = ("marketplace_connector", "marketplace_edo", "marketplace_analytics")
KNOWN_ITEMS = 50
CRON_XMLID = ("marketplace_connector", "ir_cron_marketplace_import_orders")


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_connect(db):
    import psycopg2

    kwargs = {"dbname": db}
    for env, key in (("PGHOST", "host"), ("PGPORT", "port"), ("PGUSER", "user"), ("PGPASSWORD", "password")):
        if os.environ.get(env):
            kwargs[key] = os.environ[env]
    conn = psycopg2.connect(**kwargs)
    conn.autocommit = True
    return conn


def set_up(env, emulator, import_days):
    """The seller as in the tests; returns {marketplace: account id}."""
    from tests.emulator.data import default_catalog
    from tests.fixtures import account_values, create_products

    company = env.company
    rub = env.ref("base.RUB")
    rub.active = True
    if company.currency_id != rub:
        company.currency_id = rub
    company.country_id = env.ref("base.ru")
    group = env["account.tax.group"].search([("company_id", "=", company.id)], limit=1) or \
        env["account.tax.group"].create({"name": "НДС", "company_id": company.id})
    vat = env["account.tax"].create({
        "name": "НДС 22%", "amount": 22.0, "amount_type": "percent", "type_tax_use": "sale",
        "company_id": company.id, "price_include_override": "tax_excluded", "tax_group_id": group.id})
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    products = create_products(env, default_catalog()[:KNOWN_ITEMS], warehouse.lot_stock_id, qty=1_000_000)
    products.product_tmpl_id.write({"taxes_id": [(6, 0, vat.ids)]})
    accounts = {}
    for mp in MARKETPLACES:
        account = env["marketplace.account"].create(account_values(emulator, mp, warehouse))
        account.action_import_warehouses()
        account.action_import_catalog()
        fbo = account.warehouse_mapping_ids.filtered(lambda w: w.scheme == "fbo")
        if fbo:
            loc = env["stock.location"].create({
                "name": f"FBO {mp}", "usage": "internal", "location_id": warehouse.view_location_id.id})
            fbo.location_id = loc
            env["stock.quant"].with_context(inventory_mode=True).create([
                {"product_id": p.id, "location_id": loc.id, "inventory_quantity": 1_000_000}
                for p in products]).action_apply_inventory()
        account.write({"import_orders": True, "import_days": import_days})
        accounts[mp] = account.id
    return accounts


def fill_backlog(emulator, total, spread_hours, known_codes):
    """``total`` orders over the three marketplaces, spread evenly over the last
    ``spread_hours`` hours (a few orders at each moment)."""
    per_mp = [total // 3 + (1 if i < total % 3 else 0) for i in range(3)]
    now = datetime.now(timezone.utc)
    span = timedelta(hours=spread_hours) - timedelta(minutes=2)
    group = 5
    for mp, count in zip(MARKETPLACES, per_mp):
        app = emulator.apps[mp]
        moments = max(1, -(-count // group))
        made = 0
        for i in range(moments):
            n = min(group, count - made)
            if n <= 0:
                break
            moment = now - timedelta(minutes=2) - span * (i / moments)
            app.add_orders(n, created_at=moment, offer_codes=known_codes)
            made += n
    return {mp: set(emulator.apps[mp].orders) for mp in MARKETPLACES}


def write_conf(path, db, addons_path):
    from tests.odoo_env import db_options

    lines = ["[options]", f"addons_path = {addons_path}", f"db_name = {db}"]
    for opt in db_options():
        key, value = opt[2:].split("=", 1)
        lines.append(f"{key} = {value}")
    Path(path).write_text("\n".join(lines) + "\n")


def counts(cur, account_ids):
    cur.execute("""SELECT account_id, import_state, count(*) FROM marketplace_order
                   WHERE account_id = ANY(%s) GROUP BY 1, 2""", (list(account_ids),))
    by = Counter()
    for account_id, state, n in cur.fetchall():
        by[(account_id, state)] = n
    cur.execute("SELECT id, import_backlog FROM marketplace_account WHERE id = ANY(%s)", (list(account_ids),))
    backlog = {k: v or 0 for k, v in cur.fetchall()}
    return by, backlog


def log_figures(text):
    """Runs of the import job in the Odoo log: each "starting" line, whether its worker logged
    "done in" for it (else the run was rolled back: killed, or failed), the kills of the cron
    worker (the master logs one kill several times: counted once a worker) and how long into
    the run and after the worker's previous line each kill came."""
    stamp = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ (\d+) "
    runs, kills = [], {}
    last_seen = {}
    for line in text.splitlines():
        m = re.match(stamp, line)
        if not m:
            continue
        at, pid = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"), int(m.group(2))
        k = re.search(r"WorkerCron \((\d+)\) timeout after", line)
        if k:
            kills.setdefault(int(k.group(1)), at)
            continue
        if re.search(r"Job '[^']*import orders' \(\d+\) starting", line):
            runs.append({"pid": pid, "start": at, "done": None, "before": last_seen.get(pid)})
        d = re.search(r"Job '[^']*import orders' \(\d+\) done in ([\d.]+)s", line)
        if d:
            for run in reversed(runs):
                if run["pid"] == pid:
                    run["done"] = float(d.group(1))
                    break
        last_seen[pid] = at
    killed_into = []
    for pid, at in kills.items():
        mine = [r for r in runs if r["pid"] == pid and r["done"] is None]
        if mine:
            killed_into.append(int((at - mine[-1]["start"]).total_seconds()))
    patterns = {
        "jobs_timed_out": r"Job .* timed out",
        "server_action_failed": r"Job .* server action #\d+ failed",
        "exception_in_cron": r"Exception in cron",
        "cpu_limit": r"CPU time limit",
        "memory_limit": r"virtual memory limit",
        "tracebacks": r"^Traceback \(most recent call last\)",
    }
    found = {k: len(re.findall(p, text, re.M)) for k, p in patterns.items()}
    found["worker_kills"] = len(kills)
    found["killed_after_s_in_run"] = killed_into
    found["import_failures"] = len(re.findall(r"Order import of .* failed", text))
    found["concurrent_retries"] = len(re.findall(r"Order import of .*: concurrent update", text))
    return runs, found


def cron_worker_cpu(master_pid, seen):
    """CPU seconds used so far by each cron worker of the Odoo master (its children that run
    niced, as Odoo's WorkerCron does); Linux /proc only, nothing elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    if not os.path.isdir("/proc"):
        return
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        fields_ = raw[raw.rindex(")") + 2:].split()
        ppid, utime, stime, nice = int(fields_[1]), int(fields_[11]), int(fields_[12]), int(fields_[16])
        if ppid == master_pid and nice > 0:
            seen[int(name)] = (utime + stime) / tick


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--db", default="mp_bench_backlog")
    parser.add_argument("--time-limit", type=float, default=40.0, help="minutes")
    parser.add_argument("--spread-hours", type=float, default=60.0)
    parser.add_argument("--validate", action="store_true", help="validate against the specs (slower)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the log")
    parser.add_argument("--stop-file", help="stop watching (and print the figures so far) once this file exists")
    parser.add_argument("--budget", type=float, help="diagnosis only: set marketplace_connector.import_time_budget "
                        "(seconds; by default the connector derives it from Odoo's limits)")
    args = parser.parse_args()

    from tests.emulator import MarketplaceEmulator
    from tests.emulator.data import default_catalog
    from tests.odoo_env import environment, odoo_addons_path

    addons_path = odoo_addons_path(REPO)
    print(f"# installing {', '.join(ADDONS)} in {args.db}", file=sys.stderr, flush=True)
    from order_import import create_database

    create_database(args.db, addons_path, ADDONS)
    emulator = MarketplaceEmulator(seed=42, validate=args.validate).start()
    tmp = tempfile.mkdtemp(prefix="mp_backlog_")
    conf, logfile = os.path.join(tmp, "odoo.conf"), os.path.join(tmp, "odoo.log")
    figures = {}
    odoo_proc = None
    try:
        import_days = max(2, int(-(-args.spread_hours // 24)) + 1)
        with environment(args.db, addons_path) as env:
            env = env(context=dict(env.context, tracking_disable=True))
            accounts = set_up(env, emulator, import_days)
            cron = env.ref(".".join(CRON_XMLID))
            cron_id = cron.id
            figures["cron_interval"] = f"{cron.interval_number} {cron.interval_type}"
            env.cr.commit()
        import odoo.sql_db

        odoo.sql_db.close_db(args.db)
        known = [item["offer_code"] for item in default_catalog()[:KNOWN_ITEMS]]
        t0 = time.perf_counter()
        expected = fill_backlog(emulator, args.orders, args.spread_hours, known)
        print(f"# emulator filled with {sum(map(len, expected.values()))} orders in "
              f"{time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
        figures["emulator_orders"] = sum(map(len, expected.values()))

        conn = pg_connect(args.db)
        cur = conn.cursor()
        cur.execute("UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') - interval '1 second' "
                    "WHERE id = %s", (cron_id,))
        if args.budget:
            cur.execute("""INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date)
                           VALUES ('marketplace_connector.import_time_budget', %s, 1, 1, now(), now())
                           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""", (str(args.budget),))
            figures["import_time_budget"] = args.budget
        write_conf(conf, args.db, addons_path)
        http_port, gevent_port = free_port(), free_port()
        cmd = [sys.executable, "-m", "odoo", "-c", conf, "-d", args.db, "--workers=2", "--max-cron-threads=1",
               "--http-interface=127.0.0.1", f"--http-port={http_port}", f"--gevent-port={gevent_port}",
               f"--logfile={logfile}"]
        started = time.monotonic()
        odoo_proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        total = figures["emulator_orders"]
        deadline = started + args.time_limit * 60
        drained_at = None
        last_report = 0
        cpu_seen = {}
        while time.monotonic() < deadline:
            for _ in range(5):
                time.sleep(1)
                cron_worker_cpu(odoo_proc.pid, cpu_seen)
            if odoo_proc.poll() is not None:
                print(f"# odoo exited with {odoo_proc.returncode}", file=sys.stderr, flush=True)
                break
            if args.stop_file and os.path.exists(args.stop_file):
                print("# stopped on request", file=sys.stderr, flush=True)
                break
            by, backlog = counts(cur, accounts.values())
            imported = sum(n for (_a, s), n in by.items() if s == "imported")
            held = sum(n for (_a, s), n in by.items() if s == "held")
            if time.monotonic() - last_report >= 60:
                last_report = time.monotonic()
                print(f"# {time.monotonic() - started:.0f}s: imported {imported}, held {held}, "
                      f"backlog {sum(backlog.values())}, staged {sum(by.values())}", file=sys.stderr, flush=True)
            if imported + held >= total and not any(backlog.values()):
                drained_at = time.monotonic()
                break
        # let the run in progress finish (a run killed by the benchmark is no rollback of the import)
        cur.execute("SELECT max(create_date) FROM sale_order WHERE marketplace_account_id = ANY(%s)",
                    (list(accounts.values()),))
        last_sale = cur.fetchone()[0]
        wait_until = time.monotonic() + 150
        while time.monotonic() < wait_until and odoo_proc.poll() is None:
            text = Path(logfile).read_text(errors="replace") if os.path.exists(logfile) else ""
            runs, _found = log_figures(text)
            # the last run finished (done) or its worker was killed
            if not runs or runs[-1]["done"] is not None or _found["worker_kills"] >= sum(
                    1 for r in runs if r["done"] is None):
                break
            time.sleep(2)
        figures["time_limit_reached"] = drained_at is None

        # the figures, from the database and the log
        cur.execute("SELECT count(*) FROM ir_cron_progress WHERE cron_id = %s", (cron_id,))
        figures["runs"] = cur.fetchone()[0]
        text = Path(logfile).read_text(errors="replace") if os.path.exists(logfile) else ""
        runs, found = log_figures(text)
        done_secs = [r["done"] for r in runs if r["done"] is not None]
        figures["runs_log"] = len(runs)
        figures["runs_done_log"] = len(done_secs)
        ids = list(accounts.values())
        orders_total, missing_total = 0, 0
        for mp, account_id in accounts.items():
            cur.execute("SELECT marketplace_external_id FROM sale_order WHERE marketplace_account_id = %s",
                        (account_id,))
            sale_ids = {r[0] for r in cur.fetchall()}
            got = expected[mp] & sale_ids
            figures[f"orders_{mp}"] = len(got)
            figures[f"emulator_orders_{mp}"] = len(expected[mp])
            orders_total += len(got)
            missing_total += len(expected[mp] - sale_ids)
            extra = sale_ids - expected[mp]
            if extra:
                figures[f"unexpected_{mp}"] = len(extra)
        figures["orders"] = orders_total
        figures["missing"] = missing_total
        cur.execute("""SELECT count(*), coalesce(string_agg(DISTINCT hold_reason, ' | '), '')
                       FROM marketplace_order WHERE account_id = ANY(%s) AND import_state = 'held'""", (ids,))
        figures["held"], held_reasons = cur.fetchone()
        if held_reasons:
            figures["held_reasons"] = held_reasons[:300]
        cur.execute("""SELECT import_state, count(*) FROM marketplace_order WHERE account_id = ANY(%s)
                       GROUP BY 1 ORDER BY 1""", (ids,))
        figures["import_states"] = ",".join(f"{s}={n}" for s, n in cur.fetchall())
        cur.execute("""SELECT count(*) FROM (SELECT 1 FROM sale_order WHERE marketplace_account_id = ANY(%s)
                       GROUP BY marketplace_account_id, marketplace_external_id HAVING count(*) > 1) d""", (ids,))
        dup_sale = cur.fetchone()[0]
        cur.execute("""SELECT count(*) FROM (SELECT 1 FROM marketplace_order WHERE account_id = ANY(%s)
                       GROUP BY account_id, external_id HAVING count(*) > 1) d""", (ids,))
        dup_rec = cur.fetchone()[0]
        cur.execute("""SELECT count(*) FROM (SELECT 1 FROM marketplace_order WHERE account_id = ANY(%s)
                       AND sale_order_id IS NOT NULL GROUP BY sale_order_id HAVING count(*) > 1) d""", (ids,))
        dup_bind = cur.fetchone()[0]
        figures["duplicates"] = dup_sale + dup_rec + dup_bind
        figures["duplicates_sale_orders"] = dup_sale
        figures["duplicates_import_records"] = dup_rec
        cur.execute("SELECT failure_count FROM ir_cron WHERE id = %s", (cron_id,))
        failure_count = cur.fetchone()[0]
        figures["cron_failure_count"] = failure_count
        for key in ("worker_kills", "jobs_timed_out", "server_action_failed", "exception_in_cron",
                    "cpu_limit", "memory_limit", "tracebacks"):
            figures[key] = found[key]
        figures["cron_timeouts"] = found["worker_kills"]
        figures["killed_after_s_in_run"] = ",".join(map(str, found["killed_after_s_in_run"])) or "-"
        # a run that started and never logged "done in": killed by the watchdog, or failed
        # (the server action's exception); the cron's failure_count is printed on its own
        figures["rolled_back_runs"] = len(runs) - len(done_secs)
        figures["import_failures"] = found["import_failures"]
        figures["concurrent_retries"] = found["concurrent_retries"]
        cur.execute("SELECT min(create_date), max(create_date) FROM sale_order WHERE marketplace_account_id = ANY(%s)",
                    (ids,))
        first_sale, last_sale = cur.fetchone()
        end = drained_at or time.monotonic()
        figures["seconds"] = round(end - started, 1)
        figures["orders_per_s"] = round(orders_total / max(end - started, 1e-9), 2)
        if first_sale and last_sale:
            figures["seconds_first_to_last_sale_order"] = round((last_sale - first_sale).total_seconds(), 1)
        # sale orders made in each run: between the progress rows (one at the start of each run)
        cur.execute("SELECT create_date FROM ir_cron_progress WHERE cron_id = %s ORDER BY create_date", (cron_id,))
        run_starts = [r[0] for r in cur.fetchall()]
        per_run = []
        for i, start in enumerate(run_starts):
            stop = run_starts[i + 1] if i + 1 < len(run_starts) else datetime(9999, 1, 1)
            cur.execute("""SELECT count(*) FROM sale_order WHERE marketplace_account_id = ANY(%s)
                           AND create_date >= %s AND create_date < %s""", (ids, start, stop))
            per_run.append(cur.fetchone()[0])
        figures["orders_per_run_max"] = max(per_run, default=0)
        figures["orders_per_run"] = ",".join(map(str, per_run))
        # the CPU the cron worker(s) got while the import ran (Odoo runs them at nice 10: on a
        # busy machine a run gets a small share of a core)
        run_wall = sum(r["done"] if r["done"] is not None else 0 for r in runs) + sum(
            found["killed_after_s_in_run"])
        cpu = sum(cpu_seen.values())
        figures["cron_worker_cpu_seconds"] = round(cpu, 1)
        figures["run_wall_seconds"] = round(run_wall, 1)
        if run_wall:
            figures["cron_worker_cpu_share_of_run"] = round(cpu / run_wall, 3)
        figures["load_average_1min"] = round(os.getloadavg()[0], 2)
        if done_secs:
            figures["run_seconds_max"] = round(max(done_secs), 1)
            figures["run_seconds_avg"] = round(sum(done_secs) / len(done_secs), 1)
            figures["run_seconds_total"] = round(sum(done_secs), 1)
            figures["idle_seconds"] = round(max(0.0, (end - started) - sum(done_secs)), 1)
        cur.execute("""SELECT coalesce(sum(duration_ms), 0) / 1000.0 FROM marketplace_sync_log
                       WHERE account_id = ANY(%s)""", (ids,))
        figures["api_seconds"] = round(float(cur.fetchone()[0]), 1)
        cur.execute("SELECT name, import_backlog, orders_synced_until FROM marketplace_account WHERE id = ANY(%s)",
                    (ids,))
        figures["backlog_left"] = sum(r[1] or 0 for r in cur.fetchall())
        conn.close()
    finally:
        if odoo_proc is not None and odoo_proc.poll() is None:
            os.killpg(odoo_proc.pid, signal.SIGTERM)
            try:
                odoo_proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(odoo_proc.pid, signal.SIGKILL)
                odoo_proc.wait()
        emulator.stop()
        if args.keep:
            print(f"# kept the database {args.db} and the log {logfile}", file=sys.stderr)
        else:
            subprocess.run(["dropdb", "--if-exists", args.db], stderr=subprocess.DEVNULL)
            for f in (conf, logfile):
                if os.path.exists(f):
                    os.unlink(f)
            os.rmdir(tmp)
    if args.validate:
        figures["spec_violations"] = len(emulator.validation_errors)
    for key, value in figures.items():
        print(f"{key}: {value}")
    ok = figures["missing"] == 0 and figures["duplicates"] == 0 and figures["rolled_back_runs"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
