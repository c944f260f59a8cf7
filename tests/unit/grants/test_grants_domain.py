import datetime as dt
from decimal import Decimal

import pytest

from grants import domain
from grants.domain import Application, ApplicationStatus, Eligibility, Job, RuleBroken, Standing, WrongState
from owes_contracts import JobEndReason, JobNotSustained, WorkingTime
from owes_service.project import ProjectDefinition, load_project

D = dt.date
CURRENT = load_project()  # the shipped definition: 2021–2027, unit rates indexed from July 2024
# Amounts per job are the partnership's choice in 2014–2020 projects (the award rules themselves are the same).
BY_AMOUNT = ProjectDefinition.model_validate(
    CURRENT.model_dump()
    | {"programme": "2014-2020", "starts_on": D(2019, 1, 1), "ends_on": D(2023, 12, 31), "unit_rates": ()}
)


def eligible(pid: str) -> Standing:
    return Standing(participant_id=pid, recruited=True, eligibility=Eligibility.CONFIRMED, withdrawn=False)


FOUNDERS = [f"p_founder{i:04d}" for i in range(6)]
ALL_ELIGIBLE = {pid: eligible(pid) for pid in FOUNDERS}


class TestMoney:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("1500", Decimal("1500.00")),
            ("1500.5", Decimal("1500.50")),
            ("0.01", Decimal("0.01")),
            (Decimal("23500.00"), Decimal("23500.00")),
            (7, Decimal("7.00")),
            ("1500.500", Decimal("1500.50")),
        ],
    )
    def test_accepts_amounts_with_grosze_and_gives_two_places(self, given, expected):
        amount = domain.money(given)
        assert amount == expected
        assert amount.as_tuple().exponent == -2

    @pytest.mark.parametrize("given", ["0", "0.00", "-1", "-0.01"])
    def test_refuses_zero_and_negative_amounts(self, given):
        with pytest.raises(RuleBroken, match="greater than zero"):
            domain.money(given)

    def test_refuses_fractions_of_a_grosz(self):
        with pytest.raises(RuleBroken, match="more than two decimal places"):
            domain.money("100.005")

    def test_refuses_floats(self):
        with pytest.raises(RuleBroken, match="never a float"):
            domain.money(100.5)

    @pytest.mark.parametrize("given", ["abc", "NaN", "Infinity"])
    def test_refuses_what_is_not_a_finite_number(self, given):
        with pytest.raises(RuleBroken):
            domain.money(given)

    def test_refuses_amounts_beyond_what_the_contracts_carry(self):
        with pytest.raises(RuleBroken, match="larger than"):
            domain.money("1000000000000.00")

    def test_names_the_field_in_the_refusal(self):
        with pytest.raises(RuleBroken) as refused:
            domain.money("0", field_name="amount_per_job")
        assert refused.value.extra == {"field": "amount_per_job"}


class TestKrs:
    @pytest.mark.parametrize(
        "given", ["KRS 0000380128", "0000380128", "380128", "krs:380128", " KRS0000380128 ", "KRS nr 380128", "380 128"]
    )
    def test_normalises_to_ten_digits(self, given):
        assert domain.normalise_krs(given) == "0000380128"

    @pytest.mark.parametrize("given", ["", "KRS", "00003801281", "KRS 12345678901", "38012a", "-380128", "NIP 380128"])
    def test_refuses_what_is_not_a_krs_number(self, given):
        with pytest.raises(RuleBroken, match="not a KRS number"):
            domain.normalise_krs(given)

    def test_refuses_all_zeros(self):
        with pytest.raises(RuleBroken, match="does not exist"):
            domain.normalise_krs("KRS 0000000000")


class TestAddMonths:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (D(2025, 1, 1), 12, D(2026, 1, 1)),
            (D(2025, 8, 31), 6, D(2026, 2, 28)),
            (D(2024, 2, 29), 12, D(2025, 2, 28)),
            (D(2025, 12, 15), 1, D(2026, 1, 15)),
            (D(2025, 3, 31), 1, D(2025, 4, 30)),
        ],
    )
    def test_moves_by_calendar_months_clamping_to_the_month_end(self, day, months, expected):
        assert domain.add_months(day, months) == expected


class TestEligibility:
    def test_a_confirmed_participant_who_stayed_is_eligible(self):
        assert eligible("p_00000001").why_not_eligible() is None

    @pytest.mark.parametrize(
        ("standing", "reason"),
        [
            (Standing("p_1", recruited=False, eligibility=Eligibility.CONFIRMED, withdrawn=False), "not a known"),
            (
                Standing("p_1", recruited=True, eligibility=Eligibility.PENDING, withdrawn=False),
                "no confirmed eligibility",
            ),
            (Standing("p_1", recruited=True, eligibility=Eligibility.REJECTED, withdrawn=False), "not eligible"),
            (Standing("p_1", recruited=True, eligibility=Eligibility.CONFIRMED, withdrawn=True), "withdrawn"),
        ],
    )
    def test_explains_why_a_participant_cannot_take_part(self, standing, reason):
        assert reason in standing.why_not_eligible()

    def test_lists_unknown_participants_as_ineligible(self):
        assert domain.ineligible(["p_00000001", "p_unknown01"], {"p_00000001": eligible("p_00000001")}) == {
            "p_unknown01": "is not a known participant"
        }


class TestCheckFounders:
    def test_accepts_five_eligible_founders(self):
        assert domain.check_founders(FOUNDERS[:5], ALL_ELIGIBLE) == FOUNDERS[:5]

    def test_accepts_three_natural_persons_and_refuses_two(self):
        assert domain.check_founders(FOUNDERS[:3], ALL_ELIGIBLE) == FOUNDERS[:3]
        with pytest.raises(RuleBroken, match="at least 3 founders"):
            domain.check_founders(FOUNDERS[:2], ALL_ELIGIBLE)

    def test_legal_persons_found_two_or_more_and_never_with_natural_persons(self):
        assert domain.check_founding_organisations(["org_a", "org_b"], {"org_a", "org_b"}) == ["org_a", "org_b"]
        with pytest.raises(RuleBroken, match="at least 2 of them; 1 given"):
            domain.check_founding_organisations(["org_a"], {"org_a"})
        with pytest.raises(RuleBroken, match="not both"):
            domain.founded_by(FOUNDERS[:3], ["org_a", "org_b"])
        assert domain.founded_by([], ["org_a", "org_b"]) == "legal_persons"

    def test_five_members_within_twelve_months_for_natural_persons(self):
        three = domain.Membership(founded_by="natural_persons", founded_on=D(2025, 1, 15), members=3)
        assert three.five_members_due_on == D(2026, 1, 15)
        assert (three.below_five_members(D(2026, 1, 14)), three.below_five_members(D(2026, 1, 15))) == (False, True)
        five = domain.Membership(founded_by="natural_persons", founded_on=D(2025, 1, 15), members=5)
        assert not five.below_five_members(D(2027, 1, 1))
        legal = domain.Membership(founded_by="legal_persons", founded_on=D(2025, 1, 15), members=2)
        assert (legal.five_members_due_on, legal.below_five_members(D(2027, 1, 1))) == (None, False)
        with pytest.raises(RuleBroken, match="at most 50 members"):
            domain.Membership(founded_by="legal_persons", founded_on=D(2025, 1, 15), members=50).admit()

    def test_refuses_a_founder_counted_twice_to_reach_five(self):
        with pytest.raises(RuleBroken, match="more than once") as refused:
            domain.check_founders([*FOUNDERS[:4], FOUNDERS[0]], ALL_ELIGIBLE)
        assert refused.value.extra["participant_ids"] == [FOUNDERS[0]]

    def test_refuses_unknown_and_ineligible_founders_naming_each(self):
        standings = dict(ALL_ELIGIBLE)
        standings[FOUNDERS[1]] = Standing(
            FOUNDERS[1], recruited=True, eligibility=Eligibility.REJECTED, withdrawn=False
        )
        del standings[FOUNDERS[2]]
        with pytest.raises(RuleBroken) as refused:
            domain.check_founders(FOUNDERS[:5], standings)
        assert refused.value.extra["participant_ids"] == [FOUNDERS[1], FOUNDERS[2]]
        assert f"{FOUNDERS[1]} was found not eligible" in str(refused.value)
        assert f"{FOUNDERS[2]} is not a known participant" in str(refused.value)


def submitted(jobs_planned: int = 5) -> Application:
    return Application(application_id="app_1", submitted_on=D(2025, 1, 10), jobs_planned=jobs_planned)


def approved(jobs_planned: int = 5) -> Application:
    application = submitted(jobs_planned)
    application.evaluate(score=80, outcome="positive", on=D(2025, 1, 20))
    return application


def awarded(per_job: str = "30000.00", jobs: int = 5) -> Application:
    application = approved(jobs)
    application.award(amount_per_job=Decimal(per_job), jobs=jobs, on=D(2025, 2, 1), project=BY_AMOUNT)
    return application


class TestEvaluateApplication:
    def test_positive_evaluation_approves_and_records_the_score(self):
        application = submitted()
        event = application.evaluate(score=82, outcome="positive", on=D(2025, 1, 20))
        assert application.status is ApplicationStatus.APPROVED
        assert (event.score, event.outcome, event.evaluated_on) == (82, "positive", D(2025, 1, 20))

    def test_negative_evaluation_rejects(self):
        application = submitted()
        application.evaluate(score=30, outcome="negative", on=D(2025, 1, 20))
        assert application.status is ApplicationStatus.REJECTED

    def test_refuses_a_second_evaluation(self):
        with pytest.raises(WrongState, match="already evaluated"):
            approved().evaluate(score=90, outcome="positive", on=D(2025, 1, 21))

    def test_refuses_an_evaluation_dated_before_the_submission(self):
        with pytest.raises(RuleBroken, match="before the submission"):
            submitted().evaluate(score=90, outcome="positive", on=D(2025, 1, 9))


class TestAwardGrant:
    def test_total_is_amount_per_job_times_jobs(self):
        event = approved(jobs_planned=5).award(
            amount_per_job=Decimal("23500.50"), jobs=None, on=D(2025, 2, 1), project=BY_AMOUNT
        )
        assert (event.jobs, event.amount_per_job, event.total_amount) == (5, Decimal("23500.50"), Decimal("117502.50"))

    def test_may_fund_fewer_jobs_than_planned(self):
        assert approved(jobs_planned=5).award(
            amount_per_job=Decimal("100"), jobs=3, on=D(2025, 2, 1), project=BY_AMOUNT
        ).total_amount == Decimal("300.00")

    def test_refuses_more_jobs_than_planned(self):
        with pytest.raises(RuleBroken, match="1 to 5 jobs"):
            approved(jobs_planned=5).award(amount_per_job=Decimal("100"), jobs=6, on=D(2025, 2, 1), project=BY_AMOUNT)

    def test_refuses_award_before_evaluation(self):
        with pytest.raises(WrongState, match="not evaluated yet"):
            submitted().award(amount_per_job=Decimal("100"), jobs=None, on=D(2025, 2, 1), project=BY_AMOUNT)

    def test_refuses_award_after_negative_evaluation(self):
        application = submitted()
        application.evaluate(score=20, outcome="negative", on=D(2025, 1, 20))
        with pytest.raises(WrongState, match="evaluated negatively"):
            application.award(amount_per_job=Decimal("100"), jobs=None, on=D(2025, 2, 1), project=BY_AMOUNT)

    def test_refuses_a_second_award(self):
        with pytest.raises(WrongState, match="already awarded"):
            awarded().award(amount_per_job=Decimal("100"), jobs=None, on=D(2025, 2, 2), project=BY_AMOUNT)

    @pytest.mark.parametrize("amount", ["0", "-100", "100.001"])
    def test_refuses_amounts_that_are_not_positive_grosze(self, amount):
        application = approved()
        with pytest.raises(RuleBroken):
            application.award(amount_per_job=Decimal(amount), jobs=None, on=D(2025, 2, 1), project=BY_AMOUNT)
        assert application.status is ApplicationStatus.APPROVED


class TestDisburseGrant:
    def test_pays_in_parts_up_to_the_total(self):
        application = awarded(per_job="1000.00", jobs=2)
        application.disburse(amount=Decimal("1500.00"), on=D(2025, 2, 5), disbursement_id="d1")
        event = application.disburse(amount=Decimal("500.00"), on=D(2025, 3, 5), disbursement_id="d2")
        assert event.amount == Decimal("500.00")
        assert application.remaining == Decimal("0.00")

    def test_refuses_a_payment_that_would_exceed_the_award_cumulatively(self):
        application = awarded(per_job="1000.00", jobs=2)
        application.disburse(amount=Decimal("1500.00"), on=D(2025, 2, 5), disbursement_id="d1")
        with pytest.raises(RuleBroken, match="exceed") as refused:
            application.disburse(amount=Decimal("500.01"), on=D(2025, 3, 5), disbursement_id="d2")
        assert refused.value.extra["remaining"] == "500.00"
        assert application.disbursed == Decimal("1500.00")

    def test_refuses_disbursing_what_was_not_awarded(self):
        with pytest.raises(WrongState, match="no grant awarded"):
            approved().disburse(amount=Decimal("1"), on=D(2025, 2, 5), disbursement_id="d1")

    def test_refuses_a_payment_dated_before_the_award(self):
        with pytest.raises(RuleBroken, match="before the award"):
            awarded().disburse(amount=Decimal("1"), on=D(2025, 1, 31), disbursement_id="d1")


def job(**kwargs) -> Job:
    return Job(job_id="job_1", created_on=D(2025, 1, 1), **kwargs)


class TestBridgeSupport:
    def test_basic_schedule_is_six_months(self):
        paid = job()
        for month in range(1, 7):
            paid.pay_bridge_support(instalment=month, amount=Decimal("2500.00"), on=D(2025, month, 28))
        assert paid.instalments_paid == set(range(1, 7))

    def test_refuses_an_instalment_beyond_the_schedule(self):
        with pytest.raises(RuleBroken, match="outside the bridge-support schedule of 6 months"):
            job().pay_bridge_support(instalment=7, amount=Decimal("2500.00"), on=D(2025, 7, 28))

    def test_extended_schedule_allows_later_instalments(self):
        extended = job()
        extended.extend_bridge_support(months=12)
        assert (
            extended.pay_bridge_support(instalment=12, amount=Decimal("2500.00"), on=D(2025, 12, 28)).instalment == 12
        )

    @pytest.mark.parametrize("months", [6, 5, 13])
    def test_refuses_an_extension_that_does_not_lengthen_within_twelve_months(self, months):
        with pytest.raises(RuleBroken, match="can be extended to 7 to 12 months"):
            job().extend_bridge_support(months=months)

    def test_refuses_paying_an_instalment_twice(self):
        twice = job()
        twice.pay_bridge_support(instalment=1, amount=Decimal("2500.00"), on=D(2025, 1, 28))
        with pytest.raises(WrongState, match="already paid"):
            twice.pay_bridge_support(instalment=1, amount=Decimal("2500.00"), on=D(2025, 2, 28))

    @pytest.mark.parametrize("amount", ["0", "-1"])
    def test_refuses_an_amount_not_above_zero(self, amount):
        with pytest.raises(RuleBroken, match="greater than zero"):
            job().pay_bridge_support(instalment=1, amount=Decimal(amount), on=D(2025, 1, 28))

    def test_refuses_paying_for_an_ended_job(self):
        ended = job()
        ended.end(reason=JobEndReason.COOPERATIVE_DISSOLVED, on=D(2025, 3, 1))
        with pytest.raises(WrongState, match="ended on 2025-03-01"):
            ended.pay_bridge_support(instalment=3, amount=Decimal("2500.00"), on=D(2025, 3, 28))


class TestSustainability:
    def test_due_twelve_months_after_creation(self):
        assert job().sustainability_due_on == D(2026, 1, 1)

    def test_sustained_when_checked_after_twelve_months(self):
        checked = job()
        assert checked.check_sustainability(on=D(2026, 1, 2)).checked_on == D(2026, 1, 2)
        assert checked.sustained_on == D(2026, 1, 2)

    def test_refuses_a_check_before_twelve_months(self):
        with pytest.raises(RuleBroken, match="not before 2026-01-01") as refused:
            job().check_sustainability(on=D(2025, 12, 31))
        assert refused.value.extra["due_on"] == "2026-01-01"

    def test_a_job_that_ended_before_twelve_months_is_found_not_sustained(self):
        ended = job()
        ended.end(reason=JobEndReason.EMPLOYEE_RESIGNED, on=D(2025, 10, 1))
        outcome = ended.check_sustainability(on=D(2025, 10, 2))
        assert outcome == JobNotSustained(
            job_id="job_1", checked_on=D(2025, 10, 2), ended_on=D(2025, 10, 1), due_on=D(2026, 1, 1)
        )
        with pytest.raises(WrongState, match="already found not sustained"):
            ended.check_sustainability(on=D(2026, 1, 2))

    def test_the_period_is_the_projects(self):
        eighteen = job(sustainability_months=CURRENT.sustainability)
        assert (CURRENT.sustainability, eighteen.sustainability_due_on) == (18, D(2026, 7, 1))
        with pytest.raises(RuleBroken, match="18 months after"):
            eighteen.check_sustainability(on=D(2026, 6, 30))
        assert eighteen.check_sustainability(on=D(2026, 7, 1)).checked_on == D(2026, 7, 1)

    def test_a_job_that_ended_after_twelve_months_was_sustained(self):
        ended = job()
        ended.end(reason=JobEndReason.CONTRACT_ENDED, on=D(2026, 2, 1))
        assert ended.check_sustainability(on=D(2026, 3, 1)).job_id == "job_1"

    def test_refuses_a_second_check(self):
        checked = job()
        checked.check_sustainability(on=D(2026, 1, 2))
        with pytest.raises(WrongState, match="already found sustained"):
            checked.check_sustainability(on=D(2026, 2, 2))


class TestEndJob:
    def test_records_the_end_and_reason(self):
        event = job().end(reason=JobEndReason.COOPERATIVE_DISSOLVED, on=D(2025, 6, 30))
        assert (event.ended_on, event.reason, event.reason_code) == (
            D(2025, 6, 30),
            "Cooperative dissolved",
            "cooperative_dissolved",
        )

    def test_refuses_ending_twice(self):
        ended = job()
        ended.end(reason=JobEndReason.EMPLOYEE_RESIGNED, on=D(2025, 6, 30))
        with pytest.raises(WrongState):
            ended.end(reason=JobEndReason.EMPLOYEE_RESIGNED, on=D(2025, 7, 30))

    def test_refuses_an_end_before_the_creation(self):
        with pytest.raises(RuleBroken, match="before the job's creation"):
            job().end(reason=JobEndReason.EMPLOYEE_RESIGNED, on=D(2024, 12, 31))


class TestUnitRates:
    def test_a_2021_2027_award_is_the_job_creation_rate_in_force_on_its_day(self):
        early = Application(application_id="app_1", submitted_on=D(2024, 5, 10), jobs_planned=2)
        early.evaluate(score=80, outcome="positive", on=D(2024, 5, 20))
        before_july = early.award(amount_per_job=None, jobs=None, on=D(2024, 6, 30), project=CURRENT)
        assert (before_july.amount_per_job, before_july.total_amount) == (Decimal("31229.00"), Decimal("62458.00"))
        from_july = approved(jobs_planned=2).award(
            amount_per_job=Decimal("35212.00"), jobs=1, on=D(2025, 7, 1), project=CURRENT
        )
        assert (from_july.amount_per_job, from_july.total_amount) == (Decimal("35212.00"), Decimal("35212.00"))

    def test_a_2021_2027_award_of_another_amount_is_refused_with_the_rate(self):
        application = approved()
        with pytest.raises(RuleBroken, match="unit rate for job creation") as refused:
            application.award(amount_per_job=Decimal("23500.00"), jobs=None, on=D(2025, 2, 1), project=CURRENT)
        assert refused.value.extra["unit_rate"] == "35212.00"
        assert application.status is ApplicationStatus.APPROVED

    def test_a_2014_2020_award_needs_an_amount_at_most_the_rate_set(self):
        with pytest.raises(RuleBroken, match="required in a 2014–2020 project"):
            approved().award(amount_per_job=None, jobs=None, on=D(2025, 2, 1), project=BY_AMOUNT)
        capped = BY_AMOUNT.model_copy(
            update={"unit_rates": CURRENT.model_copy(update={}).unit_rates[:1]}  # job creation 31229.00 from 2021
        )
        with pytest.raises(RuleBroken, match=r"at most 31229\.00"):
            approved().award(amount_per_job=Decimal("31229.01"), jobs=None, on=D(2025, 2, 1), project=capped)

    @pytest.mark.parametrize(
        ("working_time", "created_on", "rate"),
        [
            (WorkingTime.FULL_TIME, D(2024, 6, 30), "32400.00"),
            (WorkingTime.THREE_QUARTERS, D(2024, 6, 30), "24300.00"),
            (WorkingTime.HALF_TIME, D(2024, 6, 30), "16200.00"),
            (WorkingTime.FULL_TIME, D(2024, 7, 1), "38700.00"),
            (WorkingTime.THREE_QUARTERS, D(2024, 7, 1), "29025.00"),
            (WorkingTime.HALF_TIME, D(2024, 7, 1), "19350.00"),
        ],
    )
    def test_maintenance_is_the_rate_of_the_working_time_on_the_jobs_first_day(self, working_time, created_on, rate):
        assert domain.maintenance_rate(CURRENT, working_time, created_on) == Decimal(rate)

    def test_maintenance_is_granted_once_and_not_in_2014_2020(self):
        maintained = job(working_time=WorkingTime.HALF_TIME)
        event = maintained.fund_maintenance(rate=Decimal("19350.00"), on=D(2025, 1, 2))
        assert (event.amount, event.months, event.working_time) == (Decimal("19350.00"), 12, WorkingTime.HALF_TIME)
        with pytest.raises(WrongState, match="already granted maintenance"):
            maintained.fund_maintenance(rate=Decimal("19350.00"), on=D(2025, 1, 3))
        with pytest.raises(RuleBroken, match="only in 2021–2027"):
            domain.maintenance_rate(BY_AMOUNT, WorkingTime.FULL_TIME, D(2023, 1, 1))

    def test_bridge_support_only_in_2014_2020(self):
        domain.require_bridge_support(BY_AMOUNT)
        with pytest.raises(RuleBroken, match="only in 2014–2020 projects") as refused:
            domain.require_bridge_support(CURRENT)
        assert refused.value.extra["programme"] == "2021-2027"


class TestDeMinimis:
    def test_from_2024_the_ceiling_is_300000_eur_over_any_rolling_three_years(self):
        aid = [
            domain.DeMinimisAid(D(2022, 3, 1), Decimal("100000.00")),  # outside the window of 2025-03-01
            domain.DeMinimisAid(D(2022, 3, 2), Decimal("150000.00")),
            domain.DeMinimisAid(D(2024, 6, 1), Decimal("100000.00")),
        ]
        room = domain.de_minimis_headroom(aid, D(2025, 3, 1))
        assert (room.ceiling_eur, room.window_from, room.granted_eur, room.headroom_eur) == (
            Decimal("300000.00"),
            D(2022, 3, 2),
            Decimal("250000.00"),
            Decimal("50000.00"),
        )

    def test_before_2024_the_ceiling_is_200000_eur_over_three_fiscal_years(self):
        aid = [
            domain.DeMinimisAid(D(2020, 12, 31), Decimal("150000.00")),
            domain.DeMinimisAid(D(2021, 1, 1), Decimal("150000.00")),
        ]
        room = domain.de_minimis_headroom(aid, D(2023, 6, 1))
        assert (room.ceiling_eur, room.window_from, room.headroom_eur) == (
            Decimal("200000.00"),
            D(2021, 1, 1),
            Decimal("50000.00"),
        )

    def test_an_award_is_converted_at_its_rate_and_refused_above_the_headroom(self):
        aid = [domain.DeMinimisAid(D(2024, 6, 1), Decimal("260000.00"))]
        # 172000.00 PLN at 4.3000 is EUR 40000.00: exactly the headroom
        assert domain.check_de_minimis(
            aid, on=D(2025, 1, 1), amount_pln=Decimal("172000.00"), eur_rate=Decimal("4.3000")
        ) == Decimal("40000.00")
        with pytest.raises(RuleBroken, match=r"EUR 40000\.00 remains") as refused:
            domain.check_de_minimis(aid, on=D(2025, 1, 1), amount_pln=Decimal("172000.05"), eur_rate=Decimal("4.3"))
        assert (refused.value.extra["headroom_eur"], refused.value.extra["headroom_pln"]) == ("40000.00", "172000.00")
