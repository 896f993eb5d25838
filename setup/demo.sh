#!/usr/bin/env bash
# The main job, on a machine with Odoo 18 and PostgreSQL:
#   a database with the three addons and demo data, the marketplace emulator on
#   127.0.0.1:8900, and Odoo on http://localhost:8069 (login admin / admin) with demo accounts
#   for Wildberries, Ozon and Yandex Market pointing at the emulator.  Orders start arriving
#   within a minute; stock and prices go out, and a minute later an order of each marketplace
#   is shipped from Odoo (setup/demo_ship.py prints what the marketplace says); then the
#   marketplaces settle the orders and their finance reports are imported, reconciled (one
#   error listed) and turned into the margin (setup/demo_finance.py).  Ctrl-C stops both.
# Environment: DEMO_DB (default marketplace_demo), DEMO_PORT (8069), EMULATOR_PORT (8900).
set -u
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

find_odoo || die "Odoo 18 is not importable: install it (see README.md), or set ODOO_PATH to an Odoo 18 source checkout"
ensure_postgres
"$PYTHON" -c "import openapi_core, yaml" 2>/dev/null \
    || "$PYTHON" -m pip install -q --disable-pip-version-check -r requirements-test.txt

db=${DEMO_DB:-marketplace_demo}
port=${DEMO_PORT:-8069}
emulator_port=${EMULATOR_PORT:-8900}

say "Starting the marketplace emulator on 127.0.0.1:$emulator_port"
"$PYTHON" -m tests.emulator --port "$emulator_port" --interval 20 &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null' EXIT
for _ in $(seq 1 50); do
    "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $emulator_port), 1)" 2>/dev/null && break
    sleep 0.2
done

say "Creating the database $db with the three addons and demo data"
create_db "$db"
# shellcheck disable=SC2046
$ODOO_CMD $(odoo_db_options) -d "$db" --addons-path="$ODOO_ADDONS" --stop-after-init --log-level=warn \
    -i marketplace_connector,marketplace_edo,marketplace_analytics --load-language=ru_RU \
    || die "the addons did not install"
"$PYTHON" setup/demo_setup.py "$db" --addons-path="$ODOO_ADDONS" --emulator="http://127.0.0.1:$emulator_port" \
    || die "the demo accounts could not be set up"

# once the first orders are in: stock and prices out, an FBS order of each marketplace shipped
# from Odoo, its state read back from the marketplace and its label on the delivery order
( sleep 60; say "Shipping an order of each marketplace from Odoo (setup/demo_ship.py)"
  "$PYTHON" setup/demo_ship.py "$db" --addons-path="$ODOO_ADDONS" --wait 300
  say "The marketplaces' money: finance reports imported and reconciled (setup/demo_finance.py, a few minutes)"
  "$PYTHON" setup/demo_finance.py "$db" --addons-path="$ODOO_ADDONS" --emulator="http://127.0.0.1:$emulator_port" ) &
say "Odoo on http://localhost:$port (admin / admin): Sales > Marketplaces"
# shellcheck disable=SC2046
$ODOO_CMD $(odoo_db_options) -d "$db" --addons-path="$ODOO_ADDONS" --http-port="$port" \
    --http-interface=127.0.0.1 --db-filter="^$db\$" --max-cron-threads=1
