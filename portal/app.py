"""The application factory."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import cli, errors, security
from portal.config import load_config
from portal.core import commit, inputs
from portal.extensions import babel, csrf, db, init_celery, login_manager, migrate
from portal.i18n import select_locale, select_timezone
from portal.web import register_template_helpers

MIGRATIONS = str(Path(__file__).parent.parent / "migrations")


def create_app(config=None):
    """Create the portal. `config` overrides settings (tests pass their database here)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("JIYUN_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    app.config.update(load_config(app.instance_path))
    app.config.update(config or {})
    inputs.init_app(app)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    init_celery(app)
    security.init_app(app)
    errors.init_app(app)
    commit.init_app(app)
    register_template_helpers(app)
    _register_blueprints(app)
    cli.init_app(app)
    return app


def _import_models():
    # Every model is known to the metadata before anything creates or migrates tables.
    from portal.accounts import models as _accounts  # noqa: F401
    from portal.billing import models as _billing  # noqa: F401
    from portal.catalog import models as _catalog  # noqa: F401
    from portal.core import audit as _audit  # noqa: F401
    from portal.core import locks as _locks  # noqa: F401
    from portal.incidents import models as _incidents  # noqa: F401
    from portal.inventory import models as _inventory  # noqa: F401
    from portal.knowledge import models as _knowledge  # noqa: F401
    from portal.maintenance import models as _maintenance  # noqa: F401
    from portal.notifications import models as _notifications  # noqa: F401
    from portal.orders import models as _orders  # noqa: F401
    from portal.provisioning import models as _provisioning  # noqa: F401
    from portal.tenancy import models as _tenancy  # noqa: F401
    from portal.vendors import models as _vendors  # noqa: F401


def _register_blueprints(app):
    from portal.accounts.admin import bp as users_bp
    from portal.accounts.views import bp as accounts_bp
    from portal.api.registry import register_api
    from portal.billing.cost_views import bp as costs_bp
    from portal.billing.views import bp as billing_bp
    from portal.catalog.views import bp as catalog_bp
    from portal.core.views import bp as audit_bp
    from portal.dashboards.views import bp as dashboards_bp
    from portal.home import bp as home_bp
    from portal.incidents.views import bp as incidents_bp
    from portal.inventory.views import bp as inventory_bp
    from portal.knowledge.views import bp as knowledge_bp
    from portal.maintenance.views import bp as maintenance_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.orders.views import bp as orders_bp
    from portal.tenancy.views import bp as tenancy_bp
    from portal.vendors.exam_views import bp as vendor_exams_bp
    from portal.vendors.scorecard_views import bp as scorecards_bp
    from portal.vendors.views import bp as vendors_bp

    blueprints = (home_bp, accounts_bp, users_bp, catalog_bp, orders_bp, inventory_bp, tenancy_bp)
    more = (billing_bp, costs_bp, notifications_bp, audit_bp, vendors_bp, vendor_exams_bp)
    operations = (incidents_bp, dashboards_bp, scorecards_bp, maintenance_bp, knowledge_bp)
    for blueprint in (*blueprints, *more, *operations):
        app.register_blueprint(blueprint)
    register_api(app)
