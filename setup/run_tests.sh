#!/usr/bin/env bash
# The whole test suite.
#   tier 1: framework-free tests (API clients against the emulator, parsers, XML, arithmetic)
#   tier 2: when Odoo 18 is importable (or ODOO_PATH is set): a fresh database with the three
#           addons installed, and the Odoo tests run with pytest-odoo.
# Options through the environment: SKIP_PIP=1 (do not install the pinned test requirements),
# KEEP_DB=1 (keep the tier-2 database), TEST_DB (its name).
set -u
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

if [ "${SKIP_PIP:-0}" != "1" ]; then
    "$PYTHON" -m pip install -q --disable-pip-version-check -r requirements-test.txt 2>&1 \
        | grep -v -e 'Running pip as the' -e 'ignored: it is neither' || true
fi

say "== tier 1: framework-free tests"
"$PYTHON" -m pytest -p no:odoo -p no:cacheprovider -q tests/unit
tier1=$?
[ $tier1 -eq 0 ] || say "tier 1 FAILED (exit $tier1)"

if ! find_odoo; then
    say "Odoo 18 is not importable (install it, or set ODOO_PATH): tier 2 (Odoo tests) skipped."
    exit $tier1
fi

say "== tier 2: Odoo tests in a fresh database"
# the ФНС schemas the УПД files are validated against (the addon's setting; see README)
export EDO_XSD_DIR="${EDO_XSD_DIR:-$REPO_ROOT/../shared/edo/xsd}"
ensure_postgres
db=${TEST_DB:-mp_test_$$}
create_db "$db"
conf=$(mktemp)
trap 'rm -f "$conf"; [ "${KEEP_DB:-0}" = "1" ] || db_admin dropdb --if-exists "$db" >/dev/null 2>&1' EXIT
printf '[options]\naddons_path = %s\n' "$ODOO_ADDONS" > "$conf"
log=$(mktemp)
# mrp too, which the connector does not depend on: the kit tests (tests/integration/test_stock_kits.py)
# run against it instead of being skipped
# shellcheck disable=SC2046
if ! $ODOO_CMD -c "$conf" $(odoo_db_options) -d "$db" --without-demo=all --stop-after-init \
        --log-level=warn -i marketplace_connector,marketplace_edo,marketplace_analytics,mrp >"$log" 2>&1; then
    tail -50 "$log"
    say "tier 2 FAILED: the addons did not install"
    exit 1
fi
if grep -q -E ' (ERROR|CRITICAL) ' "$log"; then
    grep -E ' (ERROR|CRITICAL) ' "$log" | head -20
    say "tier 2 FAILED: errors while installing the addons"
    exit 1
fi
rm -f "$log"
extra=""
[ -n "$(odoo_db_options)" ] && for opt in $(odoo_db_options); do extra="$extra --odoo-extra=${opt#--}"; done
# shellcheck disable=SC2086
"$PYTHON" -m pytest -p odoo -p no:cacheprovider -q tests/integration \
    --odoo-database="$db" --odoo-config="$conf" $extra
tier2=$?
[ $tier2 -eq 0 ] || say "tier 2 FAILED (exit $tier2)"
[ $tier1 -eq 0 ] && [ $tier2 -eq 0 ]
