"""Folding events into read-model rows: pure functions, one merge rule for the live path and the rebuild."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from owes_contracts import (
    ALL_EVENTS,
    AdvisorySessionHeld,
    BridgeSupportPaid,
    GrantAwarded,
    ParticipantEligibilityRejected,
    ParticipantRecruited,
    ParticipantWithdrawn,
)
from reporting.consumers import HANDLERS
from reporting.domain import FOLDS, Origin, Participant, PartnerActivity, fold, key_of, merger

ORIGIN = Origin("zory", "advisory", dt.datetime(2026, 4, 2, 10, 0, tzinfo=dt.UTC))


class TestFold:
    def test_every_event_type_has_a_fold_and_a_live_handler(self):
        assert set(FOLDS) == set(ALL_EVENTS) == set(HANDLERS)

    def test_recruitment_keeps_coarse_attributes_only(self):
        [row, activity] = fold(
            Origin("jastrzebie-zdroj", "recruitment", ORIGIN.occurred_at),
            ParticipantRecruited(
                participant_id="p_0000000001",
                recruited_on=dt.date(2026, 3, 2),
                gender="female",
                age_band="25-34",
                county="rybnicki",
                labour_market_status="long_term_unemployed",
                disability=True,
                at_risk_of_exclusion=True,
            ),
        )
        assert row._asdict() == {
            "participant_id": "p_0000000001",
            "partner": "jastrzebie-zdroj",
            "county": "rybnicki",
            "gender": "female",
            "age_band": "25-34",
            "labour_market_status": "long_term_unemployed",
            "disability": True,
            "at_risk_of_exclusion": True,
            "recruited_on": dt.date(2026, 3, 2),
            "eligibility": None,
            "eligibility_on": None,
            "withdrawn_on": None,
            "erased": None,
            "erased_on": None,
            "outside_subregion": None,
            "esf_age_group": None,
            "education": None,
            "third_country_national": None,
            "foreign_background": None,
            "minority": None,
            "homeless": None,
            "rural": None,
        }  # an event from before recruitment said (where it lives, the ESF+ values)
        assert activity == PartnerActivity("jastrzebie-zdroj", "recruitment", ORIGIN.occurred_at)

    def test_a_rejection_keeps_no_reason(self):
        [row, _] = fold(
            ORIGIN,
            ParticipantEligibilityRejected(
                participant_id="p_0000000001", rejected_on=dt.date(2026, 3, 5), reason="Lives outside the subregion"
            ),
        )
        assert "Lives" not in repr(row) and (row.eligibility, row.eligibility_on) == ("rejected", dt.date(2026, 3, 5))

    def test_hours_and_money_become_exact_hundredths(self):
        [session, _] = fold(
            ORIGIN,
            AdvisorySessionHeld(
                session_id="s_1",
                held_on=dt.date(2026, 4, 2),
                kind="legal",
                hours=Decimal("4.25"),
                adviser_id="adv_1",
                organisation_id="org_3",
            ),
        )
        assert (session.hours_hundredths, session.kind, session.organisation_id) == (425, "legal", "org_3")
        [award, _] = fold(
            ORIGIN,
            GrantAwarded(
                application_id="app_1",
                awarded_on=dt.date(2026, 5, 5),
                jobs=5,
                amount_per_job=Decimal("23500.00"),
                total_amount=Decimal("117500.00"),
            ),
        )
        assert (award.awarded_grosze, award.amount_per_job_grosze, award.jobs_awarded) == (11_750_000, 2_350_000, 5)
        [instalment, _] = fold(
            ORIGIN,
            BridgeSupportPaid(job_id="job_1", instalment=2, paid_on=dt.date(2026, 8, 5), amount=Decimal("2800.50")),
        )
        assert key_of(instalment) == ("job_1", 2) and instalment.amount_grosze == 280_050


class TestMerge:
    def test_new_known_values_win_and_unknown_ones_keep_the_old(self):
        recruited = fold(
            ORIGIN,
            ParticipantRecruited(
                participant_id="p_0000000001",
                recruited_on=dt.date(2026, 3, 2),
                gender="male",
                age_band="65+",
                county="zory",
                labour_market_status="inactive",
                disability=False,
                at_risk_of_exclusion=False,
            ),
        )[0]
        withdrawn = fold(
            ORIGIN,
            ParticipantWithdrawn(participant_id="p_0000000001", withdrawn_on=dt.date(2026, 6, 1), reason="Moved"),
        )[0]
        merge = merger(Participant)
        merged = merge(recruited, withdrawn)
        assert merged == merge(merge(recruited, withdrawn), withdrawn)  # applying twice changes nothing
        assert (merged.gender, merged.county, merged.withdrawn_on) == ("male", "zory", dt.date(2026, 6, 1))
        assert merge(withdrawn, recruited) == merged  # either order gives the same row

    def test_partner_activity_keeps_the_latest_time(self):
        early, late = (PartnerActivity("zory", "advisory", dt.datetime(2026, 1, d, tzinfo=dt.UTC)) for d in (1, 2))
        merge = merger(PartnerActivity)
        assert merge(early, late) == merge(late, early) == late
