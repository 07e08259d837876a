"""The Flask extensions, created once and bound to each app in create_app(). Modules import
these from here rather than from the package face, so nothing imports ``app/__init__``'s
init steps to reach the database."""
from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

db = SQLA(model_class=Model)  # FAB's SQLA with FAB's Model, so Alembic and FAB see every table
migrate = Migrate()
csrf = CSRFProtect()
