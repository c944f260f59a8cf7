"""Grants's own tables: read models fed by recruitment's events, grants' own records, plus outbox and inbox."""

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from owes_messaging.messaging_tables import inbox_table, outbox_table

metadata = sa.MetaData()


class Grosze(sa.types.TypeDecorator):
    """PLN as a Decimal with two places in Python, stored as whole grosze (an integer) on every database.

    SQLite has no exact decimal type (it would round through a float); integers are exact everywhere and
    SUM() over them stays exact.
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        grosze = Decimal(value) * 100
        if grosze != grosze.to_integral_value():
            raise ValueError(f"{value} has fractions of a grosz")
        return int(grosze)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


# --- read models: built only from recruitment's events ------------------------------------------------------

participants = sa.Table(
    "rm_participants",
    metadata,
    sa.Column("participant_id", sa.String(64), primary_key=True),
    # NULL until ParticipantRecruited is seen (an eligibility event may be applied first after a replay).
    sa.Column("recruited_on", sa.Date, nullable=True),
    sa.Column("county", sa.String(64), nullable=True),
    sa.Column("eligibility", sa.String(16), nullable=False),  # pending, confirmed, rejected
    sa.Column("eligibility_decided_on", sa.Date, nullable=True),
    sa.Column("withdrawn_on", sa.Date, nullable=True),
    # At risk of social exclusion as recruitment recorded it (NULL: not said); a funded job needs it.
    sa.Column("at_risk_of_exclusion", sa.Boolean, nullable=True),
)

initiative_groups = sa.Table(
    "rm_initiative_groups",
    metadata,
    sa.Column("group_id", sa.String(64), primary_key=True),
    sa.Column("formed_on", sa.Date, nullable=False),
    sa.Column("county", sa.String(64), nullable=False),
    sa.Column("member_ids", sa.JSON, nullable=False),
)

organisations = sa.Table(
    "rm_organisations",
    metadata,
    sa.Column("organisation_id", sa.String(64), primary_key=True),
    sa.Column("enrolled_on", sa.Date, nullable=False),
    sa.Column("organisation_type", sa.String(32), nullable=False),
    sa.Column("organisation_name", sa.String(300), nullable=False),
    sa.Column("county", sa.String(64), nullable=False),
    sa.Column("is_social_enterprise", sa.Boolean, nullable=False),
)

# --- grants' own records -------------------------------------------------------------------------------------

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("application_id", sa.String(64), primary_key=True),
    sa.Column("applicant_kind", sa.String(32), nullable=False),  # initiative_group or organisation
    sa.Column("applicant_id", sa.String(64), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("jobs_planned", sa.Integer, nullable=False),
    sa.Column("amount_requested", Grosze, nullable=False),
    sa.Column("submitted_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # submitted, rejected, approved, awarded
    sa.Column("score", sa.Integer, nullable=True),
    sa.Column("evaluated_on", sa.Date, nullable=True),
    sa.Column("jobs_awarded", sa.Integer, nullable=True),
    sa.Column("amount_per_job", Grosze, nullable=True),
    sa.Column("total_awarded", Grosze, nullable=True),
    sa.Column("awarded_on", sa.Date, nullable=True),
    sa.Index("ix_applications_applicant", "applicant_kind", "applicant_id"),
)

disbursements = sa.Table(
    "disbursements",
    metadata,
    sa.Column("disbursement_id", sa.String(64), primary_key=True),
    sa.Column(
        "application_id", sa.String(64), sa.ForeignKey("applications.application_id"), nullable=False, index=True
    ),
    sa.Column("amount", Grosze, nullable=False),
    sa.Column("disbursed_on", sa.Date, nullable=False),
)

cooperatives = sa.Table(
    "cooperatives",
    metadata,
    sa.Column("cooperative_id", sa.String(64), primary_key=True),
    sa.Column("krs", sa.String(10), nullable=False, unique=True),
    sa.Column("cooperative_name", sa.String(300), nullable=False),
    sa.Column("county", sa.String(64), nullable=False),
    sa.Column("founded_on", sa.Date, nullable=False),
    sa.Column("application_id", sa.String(64), sa.ForeignKey("applications.application_id"), nullable=True),
    # natural_persons or legal_persons (NULL in rows before 0980: natural persons, five or more)
    sa.Column("founded_by", sa.String(16), nullable=True),
)

# De minimis aid granted to each undertaking (the applicant), kept 10 fiscal years: each award is checked against
# the ceiling over the window before it.
de_minimis_aid = sa.Table(
    "de_minimis_aid",
    metadata,
    sa.Column("application_id", sa.String(64), sa.ForeignKey("applications.application_id"), primary_key=True),
    sa.Column("beneficiary_kind", sa.String(32), nullable=False),
    sa.Column("beneficiary_id", sa.String(64), nullable=False),
    sa.Column("granted_on", sa.Date, nullable=False),
    sa.Column("amount_pln", Grosze, nullable=False),
    sa.Column("eur_rate", sa.String(16), nullable=False),  # PLN for one EUR, as given (exact decimal text)
    sa.Column("amount_eur", Grosze, nullable=False),  # euro cents, stored as whole cents like grosze
    sa.Index("ix_de_minimis_beneficiary", "beneficiary_kind", "beneficiary_id", "granted_on"),
)

# Members besides the founding participants: founding organisations (legal persons) and those who joined later.
cooperative_members = sa.Table(
    "cooperative_members",
    metadata,
    sa.Column("cooperative_id", sa.String(64), sa.ForeignKey("cooperatives.cooperative_id"), primary_key=True),
    sa.Column("member_id", sa.String(64), primary_key=True),
    sa.Column("member_kind", sa.String(16), nullable=False),  # participant or organisation
    sa.Column("joined_on", sa.Date, nullable=False),
    sa.Column("founder", sa.Boolean, nullable=False),
)

cooperative_founders = sa.Table(
    "cooperative_founders",
    metadata,
    sa.Column("cooperative_id", sa.String(64), sa.ForeignKey("cooperatives.cooperative_id"), primary_key=True),
    sa.Column("participant_id", sa.String(64), primary_key=True, index=True),
    sa.Column("position", sa.Integer, nullable=False),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("job_id", sa.String(64), primary_key=True),
    sa.Column(
        "cooperative_id", sa.String(64), sa.ForeignKey("cooperatives.cooperative_id"), nullable=False, index=True
    ),
    sa.Column("participant_id", sa.String(64), nullable=False, index=True),
    sa.Column("created_on", sa.Date, nullable=False),
    sa.Column("bridge_months", sa.Integer, nullable=False),
    # full_time, three_quarters or half_time (NULL in rows before 0960: full time)
    sa.Column("working_time", sa.String(16), nullable=True),
    sa.Column("maintenance_amount", Grosze, nullable=True),
    sa.Column("maintenance_funded_on", sa.Date, nullable=True),
    sa.Column("not_sustained_on", sa.Date, nullable=True),
    sa.Column("sustained_on", sa.Date, nullable=True),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Column("end_reason", sa.String(500), nullable=True),  # staff's note (0970: it no longer travels)
    sa.Column("end_reason_code", sa.String(32), nullable=True),  # 0970
)

bridge_payments = sa.Table(
    "bridge_payments",
    metadata,
    sa.Column("job_id", sa.String(64), sa.ForeignKey("jobs.job_id"), primary_key=True),
    sa.Column("instalment", sa.Integer, primary_key=True),
    sa.Column("amount", Grosze, nullable=False),
    sa.Column("paid_on", sa.Date, nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
