"""The recap plenary of one contest at one region (domain.md section 5)."""

from domain.plenary.aggregate import Plenary
from domain.plenary.places import next_plenary, plenaries_above, plenaries_below, plenary_tier
from domain.plenary.terms import ObjectionSubject, OrderKind, PlenaryStatus, TierLocked

__all__ = [
    "ObjectionSubject",
    "OrderKind",
    "Plenary",
    "PlenaryStatus",
    "TierLocked",
    "next_plenary",
    "plenaries_above",
    "plenaries_below",
    "plenary_tier",
]
