"""The public results site: server-rendered pages from the nation down to one C.Hasil photo."""

from __future__ import annotations

from api.site.docs import blp as docs_assets
from api.site.views import blp as site

__all__ = ["docs_assets", "site"]
