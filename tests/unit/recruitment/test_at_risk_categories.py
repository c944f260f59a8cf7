"""The rule between the coarse at-risk flag and the social economy act's categories recorded at recruitment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from recruitment import domain
from recruitment.pages import AT_RISK_CATEGORIES
from recruitment.schemas import AtRiskCategory, ParticipantRegistration

FORM = {
    "pesel": "02070803628",
    "first_name": "Anna",
    "last_name": "Nowak",
    "county": "rybnicki",
    "labour_market_status": "unemployed",
    "consent": True,
}


@pytest.mark.parametrize(
    ("stated", "categories", "at_risk"),
    [
        (None, [], False),
        (None, ["homeless"], True),
        (True, ["unemployed", "disability"], True),
        (False, [], False),
    ],
)
def test_the_flag_follows_or_agrees_with_the_categories(stated, categories, at_risk):
    assert domain.at_risk_of_exclusion(stated, categories) is at_risk


@pytest.mark.parametrize(
    ("stated", "categories", "why"),
    [(True, [], "needs at least one category"), (False, ["older_person"], "is at risk of social exclusion")],
)
def test_a_flag_the_categories_contradict_is_refused(stated, categories, why):
    with pytest.raises(domain.AtRiskCategoriesDisagree, match=why):
        domain.at_risk_of_exclusion(stated, categories)


def test_the_form_keeps_each_category_once_in_the_acts_order():
    form = ParticipantRegistration(**FORM, at_risk_categories=["refugee", "unemployed", "refugee"])
    assert form.at_risk_categories == [AtRiskCategory.UNEMPLOYED, AtRiskCategory.REFUGEE]
    assert form.at_risk_of_exclusion is None  # not stated: the use case derives it


def test_the_form_refuses_a_category_the_act_does_not_name_and_a_flag_that_is_not_a_boolean():
    with pytest.raises(ValidationError, match="at_risk_categories"):
        ParticipantRegistration(**FORM, at_risk_categories=["poor"])
    with pytest.raises(ValidationError, match="at_risk_of_exclusion"):
        ParticipantRegistration(**FORM, at_risk_of_exclusion="yes")


def test_staff_see_a_label_for_every_category():
    assert set(AT_RISK_CATEGORIES) == set(AtRiskCategory)
    assert len(set(AT_RISK_CATEGORIES.values())) == len(AtRiskCategory)
