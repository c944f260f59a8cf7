"""Releases of OWES Mesh and the event versions each publishes and reads (CHANGELOG.md says the same in prose).

Every service reports its release on /healthz and in the `serviceversion` extension of each event it publishes;
reporting shows each partner's release beside its freshness and warns about a release it does not know.
"""

from __future__ import annotations

RELEASE = "0.3.0"

# release -> the schema version of each event type it publishes ("*": every other type; 0.2.0 changed how
# events are read, not their contracts; 0.3.0 publishes CooperativeFounded v2)
RELEASES: dict[str, dict[str, int]] = {
    "0.1.0": {"*": 1},
    "0.2.0": {"*": 1},
    "0.3.0": {"*": 1, "CooperativeFounded": 2},
}


def known_release(version: str | None) -> bool:
    """Whether this code knows the release (and so the event versions it publishes)."""
    return version in RELEASES
