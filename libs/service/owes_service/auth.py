"""Who may call a service's HTTP API: API keys per principal, stored as hashes, and a role for each.

Roles (see docs/security.md):
- ``partner:<service>``: the partner operating that service; reads and writes it, and reads its audit log.
- ``lead``: the lead organisation; operates reporting. Reads another service only where that service lists
  ``lead`` in its ``api_readers`` setting.
- ``integrator``: reads the event catalogue (AsyncAPI) of any service, never its data API.

Safe methods (GET, HEAD, OPTIONS) read; every other method writes. The runtime applies
``require_api_access`` to every router a service declares, so service code never checks credentials itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute

LEAD = "lead"
INTEGRATOR = "integrator"
PARTNER_PREFIX = "partner:"
ANY_PARTNER = "partner:*"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KEY_PREFIX = "owes_"
HASH_PREFIX = "sha256:"
# Routes an integrator may read: the event catalogue. A route joins it by its path or by this OpenAPI tag.
CATALOGUE_TAG = "catalogue"
CATALOGUE_PATH_PREFIXES = ("/asyncapi", "/catalogue")
# The service each role name operates when no setting says otherwise: the lead organisation runs reporting.
DEFAULT_OPERATORS = {"reporting": LEAD}
# Readers of a service's data API besides its operator: every partner reads reporting's aggregates.
DEFAULT_READERS = {"reporting": (ANY_PARTNER,)}

_ROLE = re.compile(r"^(lead|integrator|partner:[a-z][a-z0-9-]{0,62})$")
_PRINCIPAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Access(StrEnum):
    READ = "read"
    WRITE = "write"


class RouteKind(StrEnum):
    DATA = "data"
    CATALOGUE = "catalogue"
    AUDIT = "audit"


class InvalidCredentialEntry(ValueError):
    pass


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: who (a partner, the lead, an integrator) and in which role."""

    name: str
    role: str


@dataclass(frozen=True)
class Credential:
    principal: Principal
    digest: bytes


def generate_api_key() -> str:
    """A new API key: 256 random bits, prefixed so leaked keys are easy to recognise and scan for."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """The form a key is stored in: sha256 is enough for 256-bit random keys (no password to brute-force)."""
    return HASH_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def credential_line(principal: str, role: str, key: str) -> str:
    """The settings entry for a key: '<principal> <role> sha256:<hex>'."""
    return f"{principal} {role} {hash_api_key(key)}"


def parse_credential(line: str) -> Credential:
    """Read one '<principal> <role> sha256:<hex>' entry; raise InvalidCredentialEntry when malformed."""
    parts = line.split()
    if len(parts) != 3:
        raise InvalidCredentialEntry("an API key entry is '<principal> <role> sha256:<hex>'")
    name, role, hashed = parts
    if not _PRINCIPAL.match(name):
        raise InvalidCredentialEntry(f"invalid principal name {name!r}")
    if not _ROLE.match(role):
        raise InvalidCredentialEntry(f"invalid role {role!r}: use lead, integrator or partner:<service>")
    if not hashed.startswith(HASH_PREFIX) or not _HEX64.match(hashed[len(HASH_PREFIX) :]):
        raise InvalidCredentialEntry(f"the key of {name!r} must be stored as sha256:<64 hex digits>, never in clear")
    return Credential(Principal(name, role), bytes.fromhex(hashed[len(HASH_PREFIX) :]))


def is_allowed(*, role: str, operator: str, readers: Iterable[str], access: Access, kind: RouteKind) -> bool:
    """The whole access policy, as a pure function of the caller's role and what the request does."""
    if role == operator:
        return True
    if access is Access.WRITE:
        return False
    if kind is RouteKind.CATALOGUE:
        return True
    if kind is RouteKind.AUDIT:
        return False
    readers = set(readers)
    return role in readers or (ANY_PARTNER in readers and role.startswith(PARTNER_PREFIX))


def route_kind(request: Request) -> RouteKind:
    route = request.scope.get("route")
    path = route.path if isinstance(route, APIRoute) else request.url.path
    tags = route.tags if isinstance(route, APIRoute) else []
    if CATALOGUE_TAG in tags or path.startswith(CATALOGUE_PATH_PREFIXES):
        return RouteKind.CATALOGUE
    return RouteKind.DATA


class Authenticator:
    """Checks a request's credentials against one service's configured key hashes and its policy."""

    def __init__(
        self,
        *,
        service: str,
        credentials: list[Credential],
        operator: str | None = None,
        readers: Iterable[str] | None = None,
        enabled: bool = True,
    ) -> None:
        self.service = service
        self.credentials = credentials
        self.operator = operator or DEFAULT_OPERATORS.get(service, f"{PARTNER_PREFIX}{service}")
        self.readers = tuple(readers) if readers else DEFAULT_READERS.get(service, ())
        self.enabled = enabled
        self.realm = f"owes-{service}"
        for role in (self.operator, *self.readers):
            if role != ANY_PARTNER and not _ROLE.match(role):
                raise InvalidCredentialEntry(f"invalid role {role!r} in the access settings of {service}")

    @classmethod
    def from_settings(cls, *, service: str, settings: object) -> Authenticator:
        lines = list(getattr(settings, "api_keys", []) or [])
        keys_file = getattr(settings, "api_keys_file", None)
        if keys_file:
            with open(keys_file, encoding="utf-8") as f:
                lines += split_entries(f.read())
        return cls(
            service=service,
            credentials=[parse_credential(line) for line in lines],
            operator=getattr(settings, "api_operator_role", None),
            readers=getattr(settings, "api_readers", None),
            enabled=getattr(settings, "auth_enabled", True),
        )

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal whose key the Authorization header carries (Bearer, or Basic with the key as password)."""
        if not self.enabled:
            return Principal("anonymous", self.operator)
        key = _presented_key(authorization)
        if key is None:
            raise self._unauthorized("Credentials are required: send 'Authorization: Bearer <API key>'.")
        digest = hashlib.sha256(key.encode()).digest()
        found = None
        for credential in self.credentials:  # compare with every entry, in constant time each
            if hmac.compare_digest(digest, credential.digest):
                found = credential.principal
        if found is None:
            raise self._unauthorized("The API key is not valid for this service.", error="invalid_token")
        return found

    def authorize(self, principal: Principal, *, access: Access, kind: RouteKind) -> None:
        if not is_allowed(role=principal.role, operator=self.operator, readers=self.readers, access=access, kind=kind):
            raise HTTPException(403, f"Role {principal.role!r} may not {access.value} this resource of {self.service}.")

    def _unauthorized(self, detail: str, *, error: str | None = None) -> HTTPException:
        bearer = f'Bearer realm="{self.realm}"' + (f', error="{error}"' if error else "")
        # Two challenges in two WWW-Authenticate headers: Chromium reads a comma-joined pair as one Bearer
        # challenge and never offers its sign-in prompt for Basic (the dashboard's way in from a browser).
        return Unauthorized(
            detail, headers={"WWW-Authenticate": bearer}, extra_challenges=[f'Basic realm="{self.realm}"']
        )


class Unauthorized(HTTPException):
    """401 with more challenges than the one WWW-Authenticate header a plain HTTPException carries."""

    def __init__(self, detail: str, *, headers: dict[str, str], extra_challenges: list[str]) -> None:
        super().__init__(401, detail, headers=headers)
        self.extra_challenges = extra_challenges


def split_entries(text: str | Iterable[str]) -> list[str]:
    """Entries from a comma- or newline-separated string (env var, secret file); '#' starts a comment."""
    items = text if not isinstance(text, str) else re.split(r"[,\n]", text)
    out = []
    for item in items:
        item = str(item).split("#", 1)[0].strip()
        if item:
            out.append(item)
    return out


def _presented_key(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        _user, sep, password = decoded.partition(":")
        return password if sep and password else None
    return None


def _access_of(method: str) -> Access:
    return Access.READ if method.upper() in READ_METHODS else Access.WRITE


CALLER_SCOPE_KEY = "owes.caller"


@dataclass
class Caller:
    """Who made a request, learnt by the access check, for a middleware (the audit trail) to record."""

    principal: Principal | None = None
    path_params: dict[str, Any] = field(default_factory=dict)


def _note_caller(request: Request, principal: Principal) -> None:
    caller = request.scope.get(CALLER_SCOPE_KEY)
    if isinstance(caller, Caller):
        caller.principal = principal
        caller.path_params = dict(request.path_params)


def _check(request: Request, kind: RouteKind) -> Principal:
    auth: Authenticator = request.app.state.runtime.auth
    principal = auth.authenticate(request.headers.get("authorization"))
    _note_caller(request, principal)  # the audit trail records who made a write, allowed or not
    auth.authorize(principal, access=_access_of(request.method), kind=kind)
    request.state.principal = principal
    return principal


async def require_api_access(request: Request) -> Principal:
    """Dependency on every service router: authenticated, and the role may read or write this route."""
    return _check(request, route_kind(request))


async def require_operator(request: Request) -> Principal:
    """Dependency for what only the operating partner sees (the audit log)."""
    return _check(request, RouteKind.AUDIT)
