"""The staff pages' edge: templates, language, signed session cookie, CSRF, sign-in with throttling, errors on forms.

A service's pages module builds one StaffPages and declares its routes on ``pages.router`` (a page in the
navigation with ``pages.nav_page``); its composition root calls ``pages.mount(app)``. Page handlers call the same
use cases (service.py) as the API: no second path to the database.
"""

import datetime as dt
import functools
import hmac
import os
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from babel.support import NullTranslations
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.types import DecoratedCallable
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError

from ..auth import CALLER_SCOPE_KEY, Caller, Principal
from ..problems import Problem
from ..wording import Money, Refusal, worded
from .accounts import SERVICE_ROLES, StaffDirectory, StaffMember
from .i18n import SHARED_LOCALE, Formats, choose_language, load_translations
from .usecases import call_use_case, collaborators

log = structlog.get_logger("owes.pages")

PREFIX = "/panel"
SHARED = Path(__file__).parent
STATIC_TYPES = {"staff.css": "text/css; charset=utf-8", "live.js": "text/javascript; charset=utf-8"}
SESSION_SECONDS = 8 * 3600  # one working day; then sign in again
CSRF_FIELD = "csrf_token"


def N_(message: str) -> str:
    """Marks a message for the catalogues where it is defined; it is translated where it is shown."""
    return message


ROLE_TITLES = {
    "recruiter": N_("recruiter"),
    "adviser": N_("adviser"),
    "grant_officer": N_("grant officer"),
    "coordinator": N_("project coordinator"),
    "read_only": N_("read only"),
}


# --- session ----------------------------------------------------------------------------------------------------


class SignInRequired(Exception):
    """The page needs a signed-in member of staff."""


class NotPermitted(Exception):
    """The signed-in role may only read."""


class FormExpired(Exception):
    """A form came back without the CSRF token of this session."""


@dataclass
class StaffSession:
    """What the signed cookie carries: the CSRF token, the language, who signed in, a message for the next page."""

    data: dict[str, Any]
    dirty: bool = False

    @classmethod
    def fresh(cls) -> "StaffSession":
        return cls({"csrf": secrets.token_urlsafe(32)}, dirty=True)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        if self.data.get(key) != value:
            self.data[key] = value
            self.dirty = True

    def pop(self, key: str) -> Any:
        if key in self.data:
            self.dirty = True
            return self.data.pop(key)
        return None

    def restart(self, **values: Any) -> None:
        """A new CSRF token whenever who is signed in changes (no fixation of a token taken before)."""
        lang = self.data.get("lang")
        self.data = {"csrf": secrets.token_urlsafe(32), **({"lang": lang} if lang else {}), **values}
        self.dirty = True


class SignInThrottle:
    """Failed sign-ins remembered per login and per address: too many within the window refuse further tries.

    Kept in the process: one service runs one process per database in `owes up` and in the examples; a deployment
    with replicas behind a balancer throttles per replica (the README says so).
    """

    def __init__(self, *, per_login: int = 5, per_address: int = 20, window: float = 900.0) -> None:
        self.limits = {"login": per_login, "address": per_address}
        self.window = window
        self.failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self.failures[key]
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def wait_seconds(self, *, login: str, address: str) -> float:
        """How long this login or address must wait before trying again; 0 when it may try now."""
        now = time.monotonic()
        wait = 0.0
        for kind, value in (("login", login), ("address", address)):
            times = self._recent((kind, value), now)
            if len(times) >= self.limits[kind]:
                wait = max(wait, times[0] + self.window - now)
        return wait

    def failed(self, *, login: str, address: str) -> None:
        now = time.monotonic()
        self.failures[("login", login)].append(now)
        self.failures[("address", address)].append(now)

    def succeeded(self, *, login: str) -> None:
        self.failures.pop(("login", login), None)


# --- form errors ------------------------------------------------------------------------------------------------

# What a person reads for each kind of pydantic refusal; %(label)s is the field's visible label.
VALIDATION_MESSAGES = {
    "missing": N_("%(label)s is required"),
    "string_too_short": N_("%(label)s is required"),
    "too_short": N_("%(label)s is required"),
    "string_too_long": N_("%(label)s is too long"),
    "too_long": N_("%(label)s lists too many items"),
    "string_pattern_mismatch": N_("%(label)s contains characters that are not allowed"),
    "date_from_datetime_parsing": N_("%(label)s must be a date, for example 29.11.2026"),
    "date_parsing": N_("%(label)s must be a date, for example 29.11.2026"),
    "date_type": N_("%(label)s must be a date, for example 29.11.2026"),
    "int_parsing": N_("%(label)s must be a whole number"),
    "decimal_parsing": N_("%(label)s must be a number"),
    "greater_than_equal": N_("%(label)s is too small"),
    "greater_than": N_("%(label)s is too small"),
    "less_than_equal": N_("%(label)s is too large"),
    "less_than": N_("%(label)s is too large"),
    "decimal_max_places": N_("%(label)s has too many decimal places"),
    "enum": N_("Choose %(label)s"),
    "literal_error": N_("Choose %(label)s"),
    "bool_parsing": N_("Choose %(label)s"),
    "value_error": N_("%(label)s is not valid"),
    "personal_data": N_(
        "%(label)s must not contain a PESEL, an e-mail address or a phone number: personal data belongs in the "
        "participant's record"
    ),
}
# The start of a message about a refused identifier, followed by the domain's reason (translated too).
FIELD_PROBLEMS = {
    "pesel": N_("Invalid PESEL number"),
    "nip": N_("Invalid NIP number"),
    "regon": N_("Invalid REGON number"),
    "krs": N_("Invalid KRS number"),
}


@dataclass
class FormErrors:
    """Errors of one submitted form, field by field, in the order of the form (the error summary's order)."""

    messages: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.messages.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.messages)

    def ordered(self, order: Iterable[str]) -> list[tuple[str, str]]:
        order = list(order)
        rank = {name: i for i, name in enumerate(order)}
        return sorted(self.messages.items(), key=lambda item: rank.get(item[0], len(order)))


def validation_errors(exc: ValidationError, labels: Mapping[str, str], _: Callable[[str], str]) -> FormErrors:
    """Pydantic's refusals as messages next to the fields, in the page's language."""
    errors = FormErrors()
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if not loc:  # a rule over several fields (a model validator): its reason, in the catalogue's words if known
            error = err.get("ctx", {}).get("error", "")
            reason = str(error) or err["msg"]
            carried = worded(error)
            said = (say_refusal(carried, _, Formats(_language_of(_))) if carried is not None else None) or _(reason)
            errors.add(
                "__all__", said if said != reason else _("The service refused this: %(detail)s") % {"detail": reason}
            )
            continue
        name = loc[0]
        label = _(labels.get(name, name))
        template = VALIDATION_MESSAGES.get(err["type"], VALIDATION_MESSAGES["value_error"])
        if name == "email" and err["type"] == "value_error":
            errors.add(name, _("Enter an e-mail address in the form name@example.pl"))
        else:
            errors.add(name, _(template) % {"label": label})
    return errors


def problem_message(exc: Problem, _: Callable[[str], str], formats: Formats | None = None) -> str:
    """An RFC 9457 problem's detail as staff read it: the catalogue's wording, else the domain's reason translated."""
    formats = formats or Formats(_language_of(_))
    reason = exc.__context__  # the domain's refusal the use case turned into this problem
    for carried in (worded(exc.detail), worded(reason)):
        said = say_refusal(carried, _, formats) if carried is not None else None
        if said is not None:
            return said
    translated = _(exc.detail)
    if translated != exc.detail:
        return translated
    field_name = exc.extra.get("field")
    if isinstance(reason, ValueError) and reason.args and isinstance(reason.args[0], str):
        because = _(reason.args[0])
        if because != reason.args[0]:
            prefix = FIELD_PROBLEMS.get(field_name or "")
            return f"{_(prefix)}: {because}" if prefix else because[:1].upper() + because[1:]
    # A refusal no catalogue knows yet: shown as the service worded it rather than hidden behind a vague message.
    return _("The service refused this: %(detail)s") % {"detail": exc.detail}


def say_refusal(text: Refusal, _: Callable[[str], str], formats: Formats) -> str | None:
    """A refusal's template in the page's language with its values written that language's way; None when the
    catalogue has no translation of the template (the caller then shows the English text, never a half)."""
    if formats.locale.language == "en":
        return str(text)  # the catalogues' msgids are English: the service's own sentence, as the API gives it
    template = _(text.template)
    wordless = not re.sub(r"%\(\w+\)s", "", text.template).strip(" ;,.:()")  # only joins values: any language
    if template == text.template and not wordless:
        return None
    values = {name: _spoken(value, _, formats) for name, value in text.values.items()}
    return template % values if values else template


def _spoken(value: object, _: Callable[[str], str], formats: Formats) -> str:
    if isinstance(value, Refusal):
        said = say_refusal(value, _, formats)
        return said if said is not None else str(value)
    if isinstance(value, Money):
        return formats.money(value)
    if isinstance(value, bool | int):
        return str(value)  # counts, instalments and years: no thousands separator in "2026"
    if isinstance(value, Decimal | float):
        return formats.number(value)
    if isinstance(value, dt.datetime):
        return formats.datetime(value)
    if isinstance(value, dt.date):
        return formats.date(value)
    if isinstance(value, str):
        return _(value) if value else value  # a state or a field the catalogue names; an identifier stays as is
    return str(value)


def _language_of(_: Callable[[str], str]) -> str:
    """The language of a catalogue's gettext: the bare NullTranslations is English (msgids are English)."""
    owner = getattr(_, "__self__", None)
    return "en" if type(owner) is NullTranslations else "pl"


def problem_errors(exc: Problem, _: Callable[[str], str], *, fields: Iterable[str]) -> FormErrors:
    errors = FormErrors()
    name = exc.extra.get("field")
    errors.add(name if name in set(fields) else "__all__", problem_message(exc, _))
    return errors


# --- the pages ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str


# A page that shows a form: called again with what was sent, the errors and their fields' order when it is refused.
Page = Callable[..., Awaitable[Response]]
# What a form page's template is shown with, from the request and the page path's values (StaffPages.form_view).
Context = Callable[..., Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Step:
    """A form as staff send it: the use case it calls (as the API does) with the API's schema, its fields' labels
    (their order on the page), what is said when it is done, where to go next (a path, or the path the use case's
    result gives; a step of StaffPages.steps goes back to its page), its amounts and the fields whose value must be
    one of a set (refused next to the field, before the schema's form-wide refusal)."""

    use_case: Callable[..., Any]
    schema: type
    labels: Mapping[str, str]
    done: str
    then: str | Callable[[Any], str] = ""
    decimals: tuple[str, ...] = ()
    checkboxes: tuple[str, ...] = ()
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


class StaffPages:
    """Everything one service's pages share: its router, templates, catalogues, sessions and sign-in."""

    def __init__(self, service: str, title: str, package_dir: Path, *, home: str = "") -> None:
        self.service = service
        self.title = title
        self.nav: list[NavItem] = []  # filled by nav_page, in the order the pages are declared
        self._home = home
        self.roles = SERVICE_ROLES[service]
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(package_dir / "templates"), FileSystemLoader(SHARED / "templates")]),
            autoescape=select_autoescape(default=True, default_for_string=True),
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.locale_dirs = [package_dir / "locale", SHARED_LOCALE]
        self.translations = {lang: load_translations(self.locale_dirs, lang) for lang in ("pl", "en")}
        secret = os.environ.get(f"{service.upper()}_STAFF_SESSION_SECRET")
        self.secret_generated = not secret
        self.serializer = URLSafeTimedSerializer(secret or secrets.token_urlsafe(32), salt=f"owes.{service}.staff")
        self.cookie = f"owes_{service}_staff"
        self.router = APIRouter(prefix=PREFIX, route_class=self._route_class(), include_in_schema=False)
        self._add_shared_routes()

    # -- wiring --
    def mount(self, app: FastAPI) -> FastAPI:
        """Add the pages to a service's app; returns the app so a composition root can do it in one line."""
        app.include_router(self.router)
        if self.secret_generated:  # said when the pages are served, not whenever the module is imported
            log.warning(
                "staff_session_secret_generated",
                service=self.service,
                detail=f"set {self.service.upper()}_STAFF_SESSION_SECRET so sessions survive a restart",
            )
        # Per app, not per module: each app (a test builds several in one process) has its own database and
        # its own record of failed sign-ins.
        app.state.staff_directory = StaffDirectory(app.state.runtime.engine, service=self.service)
        app.state.staff_throttle = SignInThrottle()
        return app

    @staticmethod
    def directory(request: Request) -> StaffDirectory:
        return request.app.state.staff_directory

    @property
    def home(self) -> str:
        return self._home or self.nav[0].path  # the first page of the navigation unless told otherwise

    def nav_page(self, path: str, label: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """A page's route that the navigation links to, under label: declared where the page is."""
        self.nav.append(NavItem(PREFIX + path, label))
        return self.router.get(path)

    def _route_class(self) -> type[APIRoute]:
        pages = self

        class StaffRoute(APIRoute):
            def get_route_handler(self) -> Callable:
                handler = super().get_route_handler()

                async def handle(request: Request) -> Response:
                    session = pages._load_session(request)
                    request.state.staff_session = session
                    asked = request.query_params.get("lang")
                    if asked in pages.translations:
                        session.set("lang", asked)
                    try:
                        response = await handler(request)
                    except SignInRequired:
                        response = RedirectResponse(f"{PREFIX}/sign-in?next={quote(request.url.path)}", 303)
                    except NotPermitted:
                        response = pages.render(
                            request,
                            "error.html",
                            {
                                "heading": N_("You cannot change anything here"),
                                "message": N_(
                                    "Your role may only read this service. Ask the service's coordinator "
                                    "for a role that may record changes."
                                ),
                            },
                            status=403,
                        )
                    except FormExpired:
                        response = pages.render(
                            request,
                            "error.html",
                            {
                                "heading": N_("The form has expired"),
                                "message": N_("Go back, reload the page and send the form again. Nothing was saved."),
                            },
                            status=400,
                        )
                    except Problem as exc:
                        response = pages.render(
                            request,
                            "error.html",
                            {
                                "heading": N_("Page not found") if exc.status == 404 else N_("This cannot be done"),
                                "message": problem_message(exc, pages.gettext(request)),
                            },
                            status=exc.status,
                        )
                    pages._save_session(request, response, session)
                    return response

                return handle

        return StaffRoute

    # -- session --
    def _load_session(self, request: Request) -> StaffSession:
        raw = request.cookies.get(self.cookie)
        if raw:
            try:
                return StaffSession(self.serializer.loads(raw, max_age=SESSION_SECONDS))
            except BadSignature:  # also an expired one (SignatureExpired)
                pass
        return StaffSession.fresh()

    def _save_session(self, request: Request, response: Response, session: StaffSession) -> None:
        if session.dirty or "login" in session.data:  # a signed-in session slides: 8 hours from the last page
            response.set_cookie(
                self.cookie,
                self.serializer.dumps(session.data),
                max_age=SESSION_SECONDS,
                path=PREFIX,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        response.headers.setdefault("Cache-Control", "no-store")  # pages show personal data: never cached

    @staticmethod
    def session(request: Request) -> StaffSession:
        return request.state.staff_session

    # -- language --
    def language(self, request: Request) -> str:
        return choose_language(
            asked=request.query_params.get("lang"),
            remembered=self.session(request).get("lang"),
            accept_language=request.headers.get("accept-language"),
        )

    def gettext(self, request: Request) -> Callable[[str], str]:
        return self.translations[self.language(request)].gettext

    def options(self, request: Request, titles: Mapping[str, str]) -> list[tuple[str, str]]:
        """A select's or radios' choices: each code with its title in the request's language."""
        _ = self.gettext(request)
        return [(code, _(title)) for code, title in titles.items()]

    # -- rendering --
    def render(
        self, request: Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(self.context(request, context))
        return HTMLResponse(html, status_code=status)

    def context(self, request: Request, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What every template sees: the language's messages and formats, who is signed in, the CSRF token."""
        lang = self.language(request)
        translations = self.translations[lang]
        session = self.session(request)
        member = getattr(request.state, "staff_member", None)
        values = {
            "_": translations.gettext,
            "ngettext": translations.ngettext,
            "fmt": Formats(lang),
            "lang": lang,
            "other_lang": "en" if lang == "pl" else "pl",
            "service_title": translations.gettext(self.title),
            "nav": self.nav,
            "path": request.url.path,
            "staff": member,
            "csrf_field": CSRF_FIELD,
            "csrf_token": session.get("csrf"),
            "flash": session.pop("flash"),
            "prefix": PREFIX,
            "errors": FormErrors(),
            "form": {},
            "error_order": (),
            "role_titles": ROLE_TITLES,
        }
        values.update(context or {})
        return values

    async def attempt(
        self,
        request: Request,
        use_case: Callable,
        *,
        schema: type | None = None,
        body: Mapping[str, Any] | None = None,
        argument: str = "form",
        labels: Mapping[str, str] = {},
        **arguments: Any,
    ) -> tuple[Any, FormErrors | None]:
        """Parse a form into the API's schema and run the use case: (its result, None) or (None, the errors)."""
        _ = self.gettext(request)
        try:
            if schema is not None:
                arguments[argument] = schema(**(body or {}))
            return await call_use_case(use_case, request, **arguments), None
        except ValidationError as exc:
            return None, validation_errors(exc, labels, _)
        except Problem as exc:
            if exc.status == 404 and not exc.extra.get("field"):
                raise  # the page itself does not exist
            return None, problem_errors(exc, _, fields=labels)

    async def submit(
        self,
        request: Request,
        use_case: Callable,
        *,
        schema: type,
        body: Mapping[str, Any],
        labels: Mapping[str, str],
        refused: Callable[[FormErrors], Awaitable[Response]],
        done: str,
        then: str | Callable[[Any], str],
        **arguments: Any,
    ) -> Response:
        """One form sent: its use case run as the API runs it (attempt), then the page again with the errors
        (refused), or the confirmation (done) on the page that follows (then: its path, or the path the use case's
        result gives)."""
        result, errors = await self.attempt(request, use_case, schema=schema, body=body, labels=labels, **arguments)
        if errors:
            return await refused(errors)
        self.flash(request, done)
        return self.redirect(then(result) if callable(then) else then)

    async def take_step(
        self,
        request: Request,
        form: Mapping[str, Any],
        step: Step,
        page: Page,
        *,
        body: Mapping[str, Any] | None = None,
        then: str = "",
        **arguments: Any,
    ) -> Response:
        """A form sent for a step: its use case run (submit) on the form's fields as the API's body (or on body), or
        its page again with the errors; then where the step (or then) says."""
        again = functools.partial(page, form=form, order=tuple(step.labels))
        _ = self.gettext(request)
        unchosen = FormErrors()
        for name, choices in step.choices.items():
            if form.get(name) not in choices:
                unchosen.add(name, _(VALIDATION_MESSAGES["enum"]) % {"label": _(step.labels[name])})
        if unchosen:
            return await again(errors=unchosen)
        return await self.submit(
            request,
            step.use_case,
            schema=step.schema,
            body=form_body(form, step.labels, checkboxes=step.checkboxes, decimals=step.decimals)
            if body is None
            else body,
            labels=step.labels,
            refused=lambda errors: again(errors=errors),
            done=step.done,
            then=then or step.then,
            **arguments,
        )

    def steps(self, page_path: str, page: Page, steps: Mapping[str, Step]) -> None:
        """The forms of the page at page_path (e.g. /jobs/{job_id}), each posted to page_path/<name>: its use case
        takes the path's values, its page is shown again with them, and a step done goes back to the page."""
        for name, step in steps.items():
            self._step_route(page_path, name, page, step)

    def _step_route(self, page_path: str, name: str, page: Page, step: Step) -> None:
        @self.router.post(f"{page_path}/{name}")
        async def take_step(request: Request, staff: Writer, form: Posted) -> Response:
            entity = dict(request.path_params)
            again = functools.partial(page, request, *entity.values())
            return await self.take_step(request, form, step, again, then=PREFIX + page_path.format(**entity), **entity)

    def form_page(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        *,
        errors: FormErrors | None = None,
        order: Iterable[str] = (),
    ) -> HTMLResponse:
        """A page with a form: shown (200), or shown again refused (422) with its errors in its fields' order."""
        if errors:
            context = {**context, "errors": errors, "error_order": tuple(order)}
        return self.render(request, template, context, status=422 if errors else 200)

    def form_view(self, path: str, template: str, *, nav: str = "") -> Callable[[Context], Page]:
        """The page at path (e.g. /jobs/{job_id}) whose template shows a form: the decorated function gives the
        template's context from the request, the path's values and the collaborators its signature names (as a use
        case is handed them: calendar, ...); its "form" holds the fields' first values. GET path shows it (linked
        from the navigation as nav, when given), and the Page returned shows it again with what was sent, refused
        (take_step, steps)."""

        def declare(context: Context) -> Page:
            async def page(
                request: Request,
                *values: str,
                form: Mapping[str, Any] | None = None,
                errors: FormErrors | None = None,
                order: Iterable[str] = (),
            ) -> Response:
                shown = await context(request, *values, **collaborators(context, request))
                shown["form"] = form or shown.get("form") or {}
                return self.form_page(request, template, shown, errors=errors, order=order)

            async def show(request: Request, staff: Staff) -> Response:
                return await page(request, *request.path_params.values())

            (self.nav_page(path, nav) if nav else self.router.get(path))(show)
            return page

        return declare

    def flash(self, request: Request, message: str) -> None:
        """A confirmation shown on the next page (after the redirect that follows a successful form)."""
        self.session(request).set("flash", message)

    def redirect(self, path: str) -> RedirectResponse:
        return RedirectResponse(path, status_code=303)

    # -- sign-in, sign-out, assets --
    def _add_shared_routes(self) -> None:
        router = self.router

        @router.get("")
        @router.get("/")
        async def home() -> Response:
            return self.redirect(self.home)

        @router.get("/sign-in")
        async def sign_in_page(request: Request, next: str = "") -> Response:
            return self.render(request, "sign_in.html", {"next": _safe_next(next, self.home)})

        @router.post("/sign-in")
        async def sign_in(request: Request, form: Posted) -> Response:
            _ = self.gettext(request)
            login = str(form.get("login", "")).strip().lower()
            password = str(form.get("password", ""))
            target = _safe_next(str(form.get("next", "")), self.home)
            address = request.client.host if request.client else "unknown"
            throttle: SignInThrottle = request.app.state.staff_throttle
            errors = FormErrors()
            if not login:
                errors.add("login", _("Enter your login"))
            if not password:
                errors.add("password", _("Enter your password"))
            status = 422
            if not errors:
                wait = throttle.wait_seconds(login=login, address=address)
                if wait > 0:
                    minutes = max(1, round(wait / 60))
                    errors.add(
                        "login",
                        self.translations[self.language(request)].ngettext(
                            "Too many failed sign-ins. Try again in %(num)d minute.",
                            "Too many failed sign-ins. Try again in %(num)d minutes.",
                            minutes,
                        )
                        % {"num": minutes},
                    )
                    status = 429
                else:
                    member = await self.directory(request).verify(login, password)
                    if member is None:
                        throttle.failed(login=login, address=address)
                        log.info("staff_sign_in_failed", login=login)
                        errors.add("login", _("The login or the password is not right"))
                    else:
                        throttle.succeeded(login=login)
                        self.session(request).restart(login=member.login)
                        log.info("staff_signed_in", login=member.login, role=member.role)
                        return self.redirect(target)
            return self.render(
                request,
                "sign_in.html",
                {"next": target, "form": {"login": login}, "errors": errors, "error_order": ("login", "password")},
                status=status,
            )

        @router.post("/sign-out")
        async def sign_out(request: Request, _form: Posted) -> Response:
            self.session(request).restart()
            self.flash(request, N_("You have signed out."))
            return self.redirect(f"{PREFIX}/sign-in")

        @router.get("/static/{name}")
        async def static(name: str) -> Response:
            if name not in STATIC_TYPES:
                return Response(status_code=404)
            return Response(
                (SHARED / "static" / name).read_bytes(),
                media_type=STATIC_TYPES[name],
                headers={"Cache-Control": "max-age=300"},
            )


async def signed_in(request: Request) -> StaffMember:
    """The signed-in staff member; the audit trail then records this person as the one making a change."""
    login = StaffPages.session(request).get("login")
    member = await StaffPages.directory(request).find(login) if login else None
    if member is None:
        raise SignInRequired
    request.state.staff_member = member
    caller = request.scope.get(CALLER_SCOPE_KEY)
    if isinstance(caller, Caller):
        caller.principal = Principal(member.login, f"staff:{member.role}")
    return member


async def writer(request: Request) -> StaffMember:
    """The signed-in staff member, who may change things (not read-only)."""
    member = await signed_in(request)
    if not member.may_write:
        raise NotPermitted
    return member


async def posted(request: Request) -> dict[str, Any]:
    """The submitted form, after its CSRF token matched this session's."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    expected = StaffPages.session(request).get("csrf")
    if not isinstance(token, str) or not expected or not hmac.compare_digest(token, expected):
        raise FormExpired
    values: dict[str, Any] = {}
    for key in form:
        if key == CSRF_FIELD:
            continue
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 else (items[0] if items else "")
    return values


# The typed dependencies of every service's page handlers (the session and directory they read are per app).
Staff = Annotated[StaffMember, Depends(signed_in)]
Writer = Annotated[StaffMember, Depends(writer)]
Posted = Annotated[dict[str, Any], Depends(posted)]


POLISH_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def read_date(value: str) -> str:
    """A day as the pages show it (29.11.2026) in the ISO form the API's schemas read; anything else is left as
    typed, so the schema refuses it with the page's message (an impossible 31.02.2026 too)."""
    found = POLISH_DATE.fullmatch(value.replace(" ", ""))
    if found is None:
        return value
    day, month, year = (int(part) for part in found.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return value


def read_identifiers(text: str | None) -> list[str]:
    """Identifiers as staff paste them: one a line, commas and spaces also separating them."""
    return [part for part in (text or "").replace(",", " ").split() if part]


def form_body(
    form: Mapping[str, Any], fields: Iterable[str], *, checkboxes: Iterable[str] = (), decimals: Iterable[str] = ()
) -> dict[str, Any]:
    """Form fields as the API's body: ticked boxes are true, empty optional fields are left out (the defaults),
    amounts written the Polish way (1 800,50) read as numbers, days (every field named ..._on) as 29.11.2026."""
    ticked, amounts = set(checkboxes), set(decimals)
    body: dict[str, Any] = {}
    for name in fields:
        value = form.get(name)
        if name in ticked:
            body[name] = value == "yes"
        elif isinstance(value, str) and value.strip():
            body[name] = value.strip()
            if name in amounts:
                body[name] = "".join(body[name].split()).replace("\xa0", "").replace(",", ".")
            elif name.endswith("_on"):
                body[name] = read_date(body[name])
        elif isinstance(value, list):
            body[name] = [v.strip() for v in value if v.strip()]
    return body


def _safe_next(target: str, default: str) -> str:
    """Only a page of this console: never an address elsewhere (no open redirect after sign-in)."""
    if target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
