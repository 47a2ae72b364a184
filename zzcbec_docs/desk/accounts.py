"""Accounts, passwords (argon2id), sessions in the database, and sign-in throttling.

Sessions are random tokens; the database keeps only their SHA-256, so every worker and every
server on the same database knows every session. A new token is made at each sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from zzcbec_docs.bundle import DISTRICT_ALIASES, uscc
from zzcbec_docs.desk import store
from zzcbec_docs.errors import ArgumentError, ZzcbecError

ROLES = ("enterprise", "reviewer", "bureau")
SESSION_SECONDS = 8 * 3600
FAILURE_WINDOW = 15 * 60  # seconds over which failed sign-ins of one account are counted
SLOW_AFTER = 3  # failures after which each answer is delayed
REFUSE_AFTER = 5  # failures after which sign-in is refused (429) until the window passes
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,62}$")

# argon2id with OWASP's baseline (19 MiB, 2 passes, 1 lane): memory-hard, and cheap enough that a
# 2-core server with several workers still answers a sign-in in well under a second.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY = _hasher.hash("zzcbec-desk-no-such-user")


class AccountError(ZzcbecError):
    """An account cannot be made or changed as asked."""


class TooManyAttempts(ZzcbecError):
    """Too many failed sign-ins for one account (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"登录失败次数过多，请 {retry_after} 秒后再试",
                         f"too many failed sign-ins; try again in {retry_after} s")


@dataclass(frozen=True)
class User:
    username: str
    role: str
    uscc: str | None
    districts: tuple[str, ...]
    disabled: bool = False

    @property
    def scope(self) -> str:
        if self.role == "enterprise":
            return self.uscc or ""
        if self.role == "reviewer":
            return "、".join(self.districts)
        return "全市 / city-wide"


def _districts() -> tuple[str, ...]:
    from zzcbec_docs import schema

    node = schema.load_schema("bundle.schema.json")
    found: list[str] = []

    def walk(n):  # type: ignore[no-untyped-def]
        if isinstance(n, dict):
            if isinstance(n.get("enum"), list) and "金水区" in n["enum"]:
                found.extend(n["enum"])
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return tuple(dict.fromkeys(DISTRICT_ALIASES.get(d, d) for d in found))


def known_districts() -> tuple[str, ...]:
    return _districts()


def _row_user(row) -> User:  # type: ignore[no-untyped-def]
    return User(row.username, row.role, row.uscc, tuple(json.loads(row.districts or "[]")), bool(row.disabled))


def add_user(ledger, username: str, role: str, password: str, *, uscc_code: str | None = None,  # type: ignore[no-untyped-def]
             districts: tuple[str, ...] = (), actor: str = "cli") -> User:
    if not USERNAME.match(username):
        raise ArgumentError(f"用户名“{username}”不合规：2–63 个字母、数字、点、下划线或连字符",
                         f"user name {username!r}: 2-63 letters, digits, dots, underscores or hyphens")
    if role not in ROLES:
        raise ArgumentError(f"角色只能是 {'、'.join(ROLES)}", f"the role is one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise ArgumentError("密码至少 10 个字符", "a password has at least 10 characters")
    code = None
    if role == "enterprise":
        code = (uscc_code or "").strip().upper()
        if not uscc.is_valid(code):
            raise ArgumentError(f"企业账号须绑定有效的统一社会信用代码（收到 {code!r}）",
                             f"an enterprise account needs a valid USCC (got {code!r})")
    elif uscc_code:
        raise ArgumentError("只有企业账号绑定统一社会信用代码", "only enterprise accounts have a USCC")
    canon: list[str] = []
    if role == "reviewer":
        allowed = known_districts()
        for d in districts:
            c = DISTRICT_ALIASES.get(d.strip(), d.strip())
            if c not in allowed:
                raise ArgumentError(f"未知的区县“{d}”；可用：{'、'.join(allowed)}",
                                 f"unknown district {d!r}; known: {', '.join(allowed)}")
            canon.append(c)
        if not canon:
            raise ArgumentError("审核员账号须绑定至少一个区县（--district）",
                             "a reviewer account needs at least one --district")
    elif districts:
        raise ArgumentError("只有审核员账号绑定区县", "only reviewer accounts have districts")
    try:
        with ledger.transaction() as conn:
            conn.execute(insert(store.users).values(
                username=username, role=role, uscc=code, districts=json.dumps(canon, ensure_ascii=False),
                password_hash=_hasher.hash(password), disabled=False, created_at=store.now_iso()))
            store.record(conn, actor, "user.add", username, {"role": role, "uscc": code, "districts": canon})
    except IntegrityError:
        raise AccountError(f"用户“{username}”已存在", f"user {username!r} already exists") from None
    return User(username, role, code, tuple(canon))


def list_users(ledger) -> list[User]:  # type: ignore[no-untyped-def]
    with ledger.engine.connect() as conn:
        return [_row_user(r) for r in conn.execute(select(store.users).order_by(store.users.c.username))]


def get_user(ledger, username: str) -> User | None:  # type: ignore[no-untyped-def]
    with ledger.engine.connect() as conn:
        row = conn.execute(select(store.users).where(store.users.c.username == username)).first()
    return _row_user(row) if row else None


def disable_user(ledger, username: str, actor: str = "cli") -> None:  # type: ignore[no-untyped-def]
    with ledger.transaction() as conn:
        n = conn.execute(update(store.users).where(store.users.c.username == username).values(disabled=True)).rowcount
        if not n:
            raise AccountError(f"没有用户“{username}”", f"no user {username!r}")
        conn.execute(update(store.sessions).where(store.sessions.c.username == username).values(ended=True))
        store.record(conn, actor, "user.disable", username)


def _key(username: str) -> str:
    return username.strip().lower()[:200]


def authenticate(ledger, username: str, password: str, address: str | None = None) -> User | None:  # type: ignore[no-untyped-def]
    """The account if the password is right; None otherwise (unknown user and wrong password alike).

    Raises TooManyAttempts once an account has failed REFUSE_AFTER times within the window; from
    SLOW_AFTER failures on, each attempt waits a second before it is answered.
    """
    key, now = _key(username), time.time()
    with ledger.engine.connect() as conn:
        recent = conn.execute(select(func.count(), func.min(store.login_failures.c.at)).where(and_(
            store.login_failures.c.username == key, store.login_failures.c.at > now - FAILURE_WINDOW))).one()
        row = conn.execute(select(store.users).where(store.users.c.username == username)).first()
    failures, first = recent[0], recent[1]
    if failures >= REFUSE_AFTER:
        with ledger.transaction() as conn:
            store.record(conn, username[:200], "login.refused", None, {"failures": failures}, address)
        raise TooManyAttempts(max(1, int(first + FAILURE_WINDOW - now)))
    if failures >= SLOW_AFTER:
        time.sleep(1.0)
    ok = False
    try:
        ok = _hasher.verify(row.password_hash if row else _DUMMY, password) and row is not None and not row.disabled
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    with ledger.transaction() as conn:
        if ok:
            conn.execute(delete(store.login_failures).where(store.login_failures.c.username == key))
            store.record(conn, username, "login", None, {}, address)
        else:
            conn.execute(delete(store.login_failures).where(store.login_failures.c.at < now - FAILURE_WINDOW))
            conn.execute(insert(store.login_failures).values(username=key, at=now))
            store.record(conn, username[:200], "login.failed", None, {}, address)
    return _row_user(row) if ok else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(ledger, user: User) -> str:  # type: ignore[no-untyped-def]
    """A fresh random token (never one the browser brought along)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with ledger.transaction() as conn:
        conn.execute(insert(store.sessions).values(
            token_hash=_hash(token), username=user.username, created_at=now, expires_at=now + SESSION_SECONDS,
            ended=False))
    return token


def session_user(ledger, token: str | None) -> User | None:  # type: ignore[no-untyped-def]
    if not token or len(token) > 100:
        return None
    s, u = store.sessions, store.users
    with ledger.engine.connect() as conn:
        row = conn.execute(select(u).join(s, s.c.username == u.c.username).where(and_(
            s.c.token_hash == _hash(token), s.c.ended.is_(False), s.c.expires_at > time.time(),
            u.c.disabled.is_(False)))).first()
    return _row_user(row) if row else None


def end_session(ledger, token: str, username: str) -> None:  # type: ignore[no-untyped-def]
    with ledger.transaction() as conn:
        conn.execute(update(store.sessions).where(store.sessions.c.token_hash == _hash(token)).values(ended=True))
        store.record(conn, username, "logout")


def csrf_token(secret: bytes, token: str) -> str:
    """The form token of a session: an HMAC of the session, so it needs no storage and dies with it."""
    return hmac.new(secret, b"csrf:" + _hash(token).encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(secret, token), given or "")
