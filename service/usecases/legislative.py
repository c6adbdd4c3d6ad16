"""What legislative contests read from the read models: the desa their districts must cover."""

from __future__ import annotations

from domain.codes import NATION
from service.usecases.plenary.context import PlenaryContext, sync_read_models


def desa_in_read_model(ctx: PlenaryContext, election_id: str, region: str) -> list[str]:
    """The codes of every desa under `region` in the election's tree, once the read model has
    caught up with the log (a tree loaded just before is included)."""
    sync_read_models(ctx)
    low, high = ("", "~") if region == NATION else (region, region + "~")
    rows = ctx.db.query(
        f"SELECT code FROM {ctx.prefix}region WHERE election_id = %s AND tier = 'desa' "
        "AND tps_total > 0 "
        "AND code >= %s AND code < %s",
        (election_id, low, high),
    )
    return [r["code"] for r in rows]
