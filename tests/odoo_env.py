"""Open a real Odoo environment on a database, outside pytest-odoo.

Used by the import worker processes (two imports at once on one database), by the
benchmarks and by the demo set-up.  The caller passes the database and the addons path;
the connection follows the PG* environment variables like the set-up scripts do.
"""
import os
from contextlib import contextmanager


def odoo_addons_path(repo_root):
    import odoo

    root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
    paths = [p for p in (os.path.join(root, "addons"), os.path.join(root, "odoo", "addons")) if os.path.isdir(p)]
    return ",".join(paths + [str(repo_root)])


def db_options():
    opts = []
    for env, opt in (("PGHOST", "db_host"), ("PGPORT", "db_port"), ("PGUSER", "db_user"),
                     ("PGPASSWORD", "db_password")):
        if os.environ.get(env):
            opts.append(f"--{opt}={os.environ[env]}")
    return opts


_configured = []


def configure(db, addons_path, log_level="warn"):
    import odoo
    from odoo.tools import config

    if _configured:  # Odoo's configuration is parsed once a process
        config["db_name"] = db
        return odoo
    _configured.append(db)
    config.parse_config(["-d", db, f"--addons-path={addons_path}", f"--log-level={log_level}",
                         "--max-cron-threads=0"] + db_options())
    return odoo


@contextmanager
def environment(db, addons_path=None, log_level="warn"):
    """``with environment(db) as env:`` — commits on success, rolls back on error."""
    from pathlib import Path

    addons_path = addons_path or odoo_addons_path(Path(__file__).resolve().parents[1])
    odoo = configure(db, addons_path, log_level)
    from odoo.modules.registry import Registry

    registry = Registry(db)
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
