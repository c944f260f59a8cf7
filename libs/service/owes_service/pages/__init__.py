"""Server-rendered pages for the staff of each service: Polish first, accessible, signed in with a staff account."""

from .accounts import SERVICE_ROLES, StaffMember
from .places import county_options, place_name
from .usecases import call_use_case
from .web import (
    N_,
    FormErrors,
    Posted,
    Staff,
    StaffPages,
    Step,
    Writer,
    form_body,
    problem_errors,
    problem_message,
    read_date,
    read_identifiers,
    validation_errors,
)

__all__ = [
    "N_",
    "SERVICE_ROLES",
    "FormErrors",
    "Posted",
    "Staff",
    "StaffMember",
    "StaffPages",
    "Step",
    "Writer",
    "call_use_case",
    "county_options",
    "form_body",
    "place_name",
    "problem_errors",
    "problem_message",
    "read_date",
    "read_identifiers",
    "validation_errors",
]
