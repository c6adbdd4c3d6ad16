"""One blueprint per resource."""

from __future__ import annotations

from api.blueprints.health import blp as health
from api.blueprints.recap import blp as recap

ALL_BLUEPRINTS = [health, recap]
