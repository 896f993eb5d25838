# Shared helpers of the set-up scripts: find Odoo, find (and start) PostgreSQL.
# Sourced, not run.  Nothing here downloads or builds Odoo.

PYTHON=${PYTHON:-python3}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# find_odoo: sets ODOO_CMD (how to run the server) and ODOO_ADDONS (its addons path),
# from an importable `odoo` package or from $ODOO_PATH (an Odoo 18 source checkout).
find_odoo() {
    ODOO_CMD=""
    if [ -n "${ODOO_PATH:-}" ]; then
        [ -f "$ODOO_PATH/odoo-bin" ] || die "ODOO_PATH=$ODOO_PATH has no odoo-bin: point it at an Odoo 18 source checkout"
        export PYTHONPATH="$ODOO_PATH${PYTHONPATH:+:$PYTHONPATH}"
    fi
    local info
    info=$("$PYTHON" - <<'PY' 2>/dev/null
import os
import odoo.release
root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
paths = [p for p in (os.path.join(root, "addons"), os.path.join(root, "odoo", "addons")) if os.path.isdir(p)]
launcher = os.path.join(root, "odoo-bin")
print(odoo.release.version_info[0], ",".join(paths), launcher if os.path.isfile(launcher) else "-")
PY
) || return 1
    local major=${info%% *} rest=${info#* }
    [ "$major" = "18" ] || die "found Odoo $major; this project needs Odoo 18.0"
    ODOO_ADDONS="${rest%% *},$REPO_ROOT"
    local launcher=${rest##* }
    # the source checkout's odoo-bin where there is one: a server that reloads itself (a worker
    # over its time limit) starts again from its own command line, which `-m odoo` cannot give
    if [ "$launcher" != "-" ]; then
        ODOO_CMD="$PYTHON $launcher"
    else
        ODOO_CMD="$PYTHON -m odoo"
    fi
    return 0
}

# ensure_postgres: a local PostgreSQL answering on its socket; started if it is down.
ensure_postgres() {
    command -v pg_isready >/dev/null 2>&1 || die "PostgreSQL client tools (pg_isready, psql) are not installed"
    if pg_isready -q 2>/dev/null; then return 0; fi
    say "PostgreSQL is down: starting it"
    if command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters --no-header 2>/dev/null | while read -r ver name _rest; do
            pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start 2>/dev/null \
                || pg_ctlcluster "$ver" "$name" start 2>/dev/null || true
        done
    elif [ -n "${PGDATA:-}" ] && command -v pg_ctl >/dev/null 2>&1; then
        pg_ctl -D "$PGDATA" -w start >/dev/null
    fi
    for _ in $(seq 1 30); do
        pg_isready -q 2>/dev/null && return 0
        sleep 1
    done
    die "PostgreSQL is not running and could not be started (start it, or set PGHOST/PGPORT)"
}

# db_admin: run a PostgreSQL client tool as a role that may create databases
db_admin() {
    local tool=$1; shift
    if "$tool" "$@" 2>/dev/null; then return 0; fi
    "$tool" -U postgres "$@"
}

# odoo_db_options: how Odoo connects (socket as the current user unless PG* says otherwise)
odoo_db_options() {
    local opts=""
    [ -n "${PGHOST:-}" ] && opts="$opts --db_host=$PGHOST"
    [ -n "${PGPORT:-}" ] && opts="$opts --db_port=$PGPORT"
    [ -n "${PGUSER:-}" ] && opts="$opts --db_user=$PGUSER"
    [ -n "${PGPASSWORD:-}" ] && opts="$opts --db_password=$PGPASSWORD"
    printf '%s' "$opts"
}

# create_db NAME: a fresh database owned by the role Odoo connects as
create_db() {
    local db=$1 owner=${PGUSER:-$(id -un)}
    db_admin dropdb --if-exists "$db" >/dev/null
    db_admin createdb -O "$owner" "$db" || die "could not create the database $db"
}
