"""The aggregates' factories decide and record the creation events (the service only stores and publishes them)."""

import datetime as dt

import pytest

from owes_contracts import AgeBand, Gender, LabourMarketStatus, LegalForm, OrganisationType
from recruitment import domain

DAY = dt.date(2026, 3, 2)
ANSWERS = {"education": "isced_3_4", "rural": True}


def _recruit(birth: dt.date, **overrides):
    values = {
        "on": DAY,
        "birth": birth,
        "gender": Gender.FEMALE,
        "county": "rybnicki",
        "county_teryt": "2412",
        "outside_subregion": False,
        "labour_market_status": LabourMarketStatus.UNEMPLOYED,
        "unemployed_months": 14,
        "disability": False,
        "at_risk_of_exclusion": True,
        "esf_answers": ANSWERS,
    } | overrides
    return domain.Participant.recruit("p_0123456789abcdef", **values)


class TestRecruit:
    def test_records_coarse_values_of_the_day_it_starts(self):
        participant, recruited = _recruit(dt.date(1990, 5, 1))
        assert participant.status is domain.ParticipantStatus.RECRUITED
        assert participant.recruited_on == DAY
        assert recruited.participant_id == participant.participant_id
        assert recruited.age_band is AgeBand.FROM_35
        assert recruited.esf_age_group == "30_54"
        # 14 months without work at 35: long-term unemployed at the start
        assert recruited.labour_market_status is LabourMarketStatus.LONG_TERM_UNEMPLOYED
        assert (recruited.education, recruited.rural) == ("isced_3_4", True)

    def test_refuses_a_minor(self):
        with pytest.raises(domain.NotRecruitable, match="adults"):
            _recruit(dt.date(2008, 3, 3))

    def test_refuses_a_birth_after_the_day(self):
        with pytest.raises(domain.NotRecruitable, match="after the recruitment date"):
            _recruit(DAY + dt.timedelta(days=1))


class TestEnrol:
    @pytest.mark.parametrize("legal_form", [LegalForm.SOLE_TRADER, LegalForm.CIVIL_PARTNERSHIP])
    def test_a_name_that_names_people_stays_in_recruitment(self, legal_form):
        _, enrolled = domain.Organisation.enrol(
            "org_0123456789abcdef",
            on=DAY,
            organisation_type=OrganisationType.LOCAL_BUSINESS,
            legal_form=legal_form,
            name="Jan Kowalski Usługi",
            county="rybnicki",
            is_social_enterprise=False,
            runs_economic_activity=True,
        )
        assert "Kowalski" not in enrolled.organisation_name
        assert enrolled.organisation_name.endswith("org_0123456789abcdef")

    def test_a_legal_persons_name_travels(self):
        organisation, enrolled = domain.Organisation.enrol(
            "org_0123456789abcdef",
            on=DAY,
            organisation_type=OrganisationType.ASSOCIATION,
            legal_form=LegalForm.LEGAL_PERSON,
            name="Stowarzyszenie Razem",
            county="rybnicki",
            is_social_enterprise=False,
            runs_economic_activity=False,
        )
        assert enrolled.organisation_name == "Stowarzyszenie Razem"
        assert (organisation.organisation_type, organisation.runs_economic_activity) == (
            OrganisationType.ASSOCIATION,
            False,
        )


class TestFormGroup:
    def test_eligible_members_form_it(self):
        group, formed = domain.InitiativeGroup.form(
            "grp_5d2e9f41",
            on=DAY,
            county="rybnicki",
            member_ids=["p_00000000000000a1", "p_00000000000000b2"],
            statuses={"p_00000000000000a1": "eligible", "p_00000000000000b2": "eligible"},
        )
        assert (formed.group_id, formed.member_ids, formed.formed_on) == (
            "grp_5d2e9f41",
            ["p_00000000000000a1", "p_00000000000000b2"],
            DAY,
        )
        assert group.member_ids == ["p_00000000000000a1", "p_00000000000000b2"]

    def test_says_why_each_refused_member_cannot_join(self):
        with pytest.raises(domain.MembersCannotJoin) as refused:
            domain.InitiativeGroup.form(
                "grp_5d2e9f41",
                on=DAY,
                county="rybnicki",
                member_ids=["p_00000000000000a1", "p_00000000000000b2", "p_00000000000000c3"],
                statuses={"p_00000000000000a1": "eligible", "p_00000000000000b2": "recruited"},
            )
        assert refused.value.refused == {
            "p_00000000000000b2": "eligibility not confirmed yet",
            "p_00000000000000c3": "unknown participant",
        }
