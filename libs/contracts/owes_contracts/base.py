"""Base of every event payload: a versioned, documented pydantic model with its CloudEvents type."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field


class ReasonCode(StrEnum):
    """A fixed code events carry instead of staff's own words, each with the fixed English text beside it."""

    _label: str

    def __new__(cls, value: str, label: str = "") -> Self:  # the default: a lookup by value, Reason("other")
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """The fixed English text events carry in `reason` beside the code."""
        return self._label


def reason_label_field(example: ReasonCode) -> Any:
    """An event's field `reason`: the fixed English label of its reason_code (staff's words in older events)."""
    return Field(
        min_length=1,
        max_length=500,
        description="The fixed English label of reason_code (free text typed by staff in events before 2026-11: "
        "read reason_code where present).",
        examples=[example.label],
    )


def reason_code_field(example: ReasonCode, why: str, note: str) -> Any:
    """An event's field `reason_code` (why, as a code); optional, since events before 2026-11 carry none."""
    return Field(
        default=None,
        description=f"{why}, as a code; absent in events before 2026-11. {note}",
        examples=[example.value],
    )


# Money is PLN with grosze: a Decimal with two places, written to JSON as a string ("1234.50"), never a float.
Money = Annotated[
    Decimal,
    Field(
        max_digits=14,
        decimal_places=2,
        ge=0,
        description="Amount in PLN with grosze, as a decimal string.",
        examples=["23500.00"],
    ),
]
Hours = Annotated[
    Decimal,
    Field(
        max_digits=6,
        decimal_places=2,
        gt=0,
        le=1000,
        description="Duration in hours (quarter hours allowed).",
        examples=["1.50"],
    ),
]
ParticipantId = Annotated[
    str,
    Field(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Pseudonymous participant id: random, never derived from personal data.",
        examples=["p_3f9c2a7d1b8e4c6f"],
    ),
]
EntityId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Identifier of an entity.",
        examples=["org_7c1e5b9a"],
    ),
]


class Event(BaseModel):
    """A fact that happened, owned by one producing service. Past tense, versioned, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # CloudEvents `type` is "pl.owes.<producer>.<name>"; the schema version travels in the `schemaversion` extension.
    name: ClassVar[str]
    version: ClassVar[int] = 1
    producer: ClassVar[str]
    # The payload field that names the aggregate: it becomes the CloudEvents subject and the Kafka key.
    aggregate_field: ClassVar[str]

    @classmethod
    def ce_type(cls) -> str:
        return f"pl.owes.{cls.producer}.{cls.name}"

    def aggregate_id(self) -> str:
        return str(getattr(self, self.aggregate_field))

    def downcast(self) -> Event:
        """This fact in the previous version of the contract, for consumers a release behind during a transition
        window (owes_contracts.transition). A version N > 1 that is published in a window defines it."""
        raise NotImplementedError(f"{self.ce_type()} v{self.version} defines no downcast to v{self.version - 1}")


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"


class AgeBand(StrEnum):
    UNDER_25 = "18-24"
    FROM_25 = "25-34"
    FROM_35 = "35-49"
    FROM_50 = "50-64"
    OVER_64 = "65+"


class LabourMarketStatus(StrEnum):
    UNEMPLOYED = "unemployed"
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    INACTIVE = "inactive"
    EMPLOYED = "employed"
