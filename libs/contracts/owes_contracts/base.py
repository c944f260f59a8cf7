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


def _two_places(
    *,
    max_digits: int,
    description: str,
    example: str,
    ge: int | None = None,
    gt: int | None = None,
    le: int | None = None,
) -> Any:
    """A Decimal with two places at most (grosze, hundredths of an hour), so sums of it stay exact, written to JSON
    as a decimal string ("1234.50"), never a float."""
    return Field(
        max_digits=max_digits, decimal_places=2, ge=ge, gt=gt, le=le, description=description, examples=[example]
    )


def _identifier(*, min_length: int, pattern: str, description: str, example: str) -> Any:
    """An id of at most 64 characters, the length every service stores."""
    return Field(min_length=min_length, max_length=64, pattern=pattern, description=description, examples=[example])


# Money is PLN with grosze.
Money = Annotated[
    Decimal,
    _two_places(max_digits=14, ge=0, description="Amount in PLN with grosze, as a decimal string.", example="23500.00"),
]
Hours = Annotated[
    Decimal,
    _two_places(max_digits=6, gt=0, le=1000, description="Duration in hours (quarter hours allowed).", example="1.50"),
]
ParticipantId = Annotated[
    str,
    _identifier(
        min_length=8,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Pseudonymous participant id: random, never derived from personal data.",
        example="p_3f9c2a7d1b8e4c6f",
    ),
]
EntityId = Annotated[
    str,
    _identifier(
        min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$", description="Identifier of an entity.", example="org_7c1e5b9a"
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
