"""Event contracts of OWES Mesh: the one place where every event payload, and its version, is defined.

Integrators read this package (or its JSON Schema export in docs/events/). A breaking change to a payload
means a new class with `version = 2` next to the old one, never an edit of the published one.
"""

from __future__ import annotations

from .advisory import AdvisoryKind, AdvisorySessionHeld, MentoringProvided, TrainingCompleted
from .base import AgeBand, Event, Gender, LabourMarketStatus
from .grants import (
    BridgeSupportPaid,
    CooperativeFounded,
    CooperativeFoundedV2,
    GrantApplicationEvaluated,
    GrantApplicationSubmitted,
    GrantAwarded,
    GrantDisbursed,
    JobCreated,
    JobEnded,
    JobEndReason,
    JobMaintenanceFunded,
    JobNotSustained,
    JobSustained,
    WorkingTime,
)
from .recruitment import (
    EligibilityDecided,
    EligibilityRejectionReason,
    InitiativeGroupFormed,
    LegalForm,
    OrganisationEconomicActivityStarted,
    OrganisationEnrolled,
    OrganisationType,
    ParticipantDataErased,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantRecruited,
    ParticipantWithdrawn,
    WithdrawalReason,
)

ALL_EVENTS: tuple[type[Event], ...] = (
    ParticipantRecruited,
    ParticipantEligibilityConfirmed,
    ParticipantEligibilityRejected,
    ParticipantWithdrawn,
    ParticipantDataErased,
    OrganisationEnrolled,
    OrganisationEconomicActivityStarted,
    InitiativeGroupFormed,
    AdvisorySessionHeld,
    TrainingCompleted,
    MentoringProvided,
    GrantApplicationSubmitted,
    GrantApplicationEvaluated,
    GrantAwarded,
    GrantDisbursed,
    CooperativeFounded,
    CooperativeFoundedV2,
    JobCreated,
    BridgeSupportPaid,
    JobMaintenanceFunded,
    JobSustained,
    JobNotSustained,
    JobEnded,
)

PRODUCERS: tuple[str, ...] = ("recruitment", "advisory", "grants")

_REGISTRY: dict[tuple[str, int], type[Event]] = {(e.ce_type(), e.version): e for e in ALL_EVENTS}


class UnknownEventType(LookupError):
    """No contract exists for this CloudEvents type and schema version."""


def contract_for(ce_type: str, version: int) -> type[Event]:
    """The payload model of one event type at one schema version."""
    try:
        return _REGISTRY[(ce_type, version)]
    except KeyError:
        known = sorted(v for t, v in _REGISTRY if t == ce_type)
        detail = f"known versions {known}" if known else "unknown type"
        raise UnknownEventType(f"no contract for {ce_type} v{version}: {detail}") from None


def events_of(producer: str) -> tuple[type[Event], ...]:
    return tuple(e for e in ALL_EVENTS if e.producer == producer)


def topic_for(producer: str, namespace: str = "owes") -> str:
    """The topic a producing service writes all its events to (one topic per service keeps ACLs simple)."""
    return f"{namespace}.{producer}.events"


def dead_letter_topic_for(consumer: str, namespace: str = "owes") -> str:
    """The dead-letter topic of one consuming service."""
    return f"{namespace}.{consumer}.dlq"


__all__ = [
    "ALL_EVENTS",
    "PRODUCERS",
    "Event",
    "UnknownEventType",
    "contract_for",
    "events_of",
    "topic_for",
    "dead_letter_topic_for",
    "AgeBand",
    "Gender",
    "LabourMarketStatus",
    "OrganisationType",
    "AdvisoryKind",
    "WorkingTime",
    "EligibilityDecided",
    "EligibilityRejectionReason",
    "LegalForm",
    "WithdrawalReason",
    "JobEndReason",
    *[e.__name__ for e in ALL_EVENTS],
]
