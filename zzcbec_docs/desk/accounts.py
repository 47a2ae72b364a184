"""Accounts, passwords (argon2id), sessions in the database, and sign-in throttling.

Sessions are random tokens; the database keeps only their SHA-256, so every worker and every
server on the same database knows every session. A new token is made at each sign-in.

Throttling counts failed sign-ins in the database (every worker sees them) three ways, over
FAILURE_WINDOW: for one account from one client address (slowed, then refused with 429 — the
address that guesses is locked out, not the account), for one account from anywhere (slowed,
never refused: an anonymous client cannot keep the real user out), and for one client address
over every name (spraying many names from one address is slowed, then refused). The delay grows
with the failures and is waited out without holding a worker thread.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from zzcbec_docs.bundle import DISTRICT_ALIASES, uscc
from zzcbec_docs.desk import store
from zzcbec_docs.errors import ArgumentError, ZzcbecError

if TYPE_CHECKING:
    from zzcbec_docs.ledger.store import Ledger

ROLES = ("enterprise", "reviewer", "bureau")
SESSION_SECONDS = 8 * 3600
FAILURE_WINDOW = 15 * 60  # seconds over which failed sign-ins are counted
SLOW_AFTER = 3  # failures of one account from one address after which each answer is delayed
REFUSE_AFTER = 5  # … after which that address may not sign in to that account (429) until the window passes
ACCOUNT_SLOW_AFTER = 5  # failures of one account from all addresses after which answers are delayed (never refused)
ADDRESS_SLOW_AFTER = 10  # failures from one address over all names after which answers are delayed
ADDRESS_REFUSE_AFTER = 30  # … after which that address may not sign in at all (429) until the window passes
DELAY_UNIT = 0.5  # seconds: the first delay; it doubles with each further failure
MAX_DELAY = 4.0  # seconds: the longest delay, so that the real user still gets in
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,62}$")
# the public verification page's misses (desk/verify_page.py) share the failures' table under this
# name: upper case, so no failed sign-in (recorded under the lower-cased name typed, `_key`) is one
PUBLIC_LOOKUPS = "VERIFY-PAGE"

# argon2id with OWASP's baseline (19 MiB, 2 passes, 1 lane): memory-hard, and cheap enough that a
# 2-core server with several workers still answers a sign-in in well under a second.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY = _hasher.hash("zzcbec-desk-no-such-user")


class AccountError(ZzcbecError):
    """An account cannot be made or changed as asked."""


class TooManyAttempts(ZzcbecError):
    """Too many failed sign-ins for one account from this address, or from this address at all (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"登录失败次数过多，请 {retry_after} 秒后再试", f"too many failed sign-ins; try again in {retry_after} s"
        )


@dataclass(frozen=True)
class User:
    username: str
    role: str
    uscc: str | None
    districts: tuple[str, ...]
    disabled: bool = False
    name: str = ""  # the person's name, as the 审核意见书 signs it (not the login)
    unit: str = ""  # 审核单位: the district bureau a reviewer works for

    @property
    def display_name(self) -> str:
        return self.name or self.username

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

    def walk(n: Any) -> None:
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


def _row_user(row: Any) -> User:
    return User(
        row.username,
        row.role,
        row.uscc,
        tuple(json.loads(row.districts or "[]")),
        bool(row.disabled),
        name=row.display_name or "",
        unit=row.unit or "",
    )


# districts whose commerce office is not called 区/县/市商务局 (the development zones): the issuer
# profile's generic word for a district's office, 商务主管部门 (its 抄送), is used for them
_ZONE_SUFFIXES = ("新区", "开发区", "实验区")


def default_unit(districts: tuple[str, ...] | list[str]) -> str:
    """A reviewer's 审核单位 from its one district: 金水区商务局; a development zone: 郑东新区商务主管部门.
    Several districts: no default (the account names its unit with --unit)."""
    if len(districts) != 1:
        return ""
    d = districts[0]
    return f"{d}商务主管部门" if d.endswith(_ZONE_SUFFIXES) else f"{d}商务局"


def add_user(
    ledger: Ledger,
    username: str,
    role: str,
    password: str,
    *,
    uscc_code: str | None = None,
    districts: tuple[str, ...] = (),
    actor: str = "cli",
    name: str | None = None,
    unit: str | None = None,
) -> User:
    if not USERNAME.match(username):
        raise ArgumentError(
            f"用户名“{username}”不合规：2–63 个字母、数字、点、下划线或连字符",
            f"user name {username!r}: 2-63 letters, digits, dots, underscores or hyphens",
        )
    if role not in ROLES:
        raise ArgumentError(f"角色只能是 {'、'.join(ROLES)}", f"the role is one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise ArgumentError("密码至少 10 个字符", "a password has at least 10 characters")
    code = None
    if role == "enterprise":
        code = (uscc_code or "").strip().upper()
        if not uscc.is_valid(code):
            raise ArgumentError(
                f"企业账号须绑定有效的统一社会信用代码（收到 {code!r}）",
                f"an enterprise account needs a valid USCC (got {code!r})",
            )
    elif uscc_code:
        raise ArgumentError("只有企业账号绑定统一社会信用代码", "only enterprise accounts have a USCC")
    canon: list[str] = []
    if role == "reviewer":
        allowed = known_districts()
        for d in districts:
            c = DISTRICT_ALIASES.get(d.strip(), d.strip())
            if c not in allowed:
                raise ArgumentError(
                    f"未知的区县“{d}”；可用：{'、'.join(allowed)}",
                    f"unknown district {d!r}; known: {', '.join(allowed)}",
                )
            canon.append(c)
        if not canon:
            raise ArgumentError(
                "审核员账号须绑定至少一个区县（--district）", "a reviewer account needs at least one --district"
            )
    elif districts:
        raise ArgumentError("只有审核员账号绑定区县", "only reviewer accounts have districts")
    name = (name or "").strip()
    unit = (unit or "").strip() or (default_unit(canon) if role == "reviewer" else "")
    for label, value, en in (("姓名", name, "the name"), ("审核单位", unit, "the unit")):
        if len(value) > 60 or any(ord(ch) < 32 for ch in value):
            raise ArgumentError(
                f"{label}至多 60 个字符，且不含控制字符", f"{en} is at most 60 characters, no control characters"
            )
    if role == "reviewer" and not unit:
        raise ArgumentError(
            "审核员负责多个区县时，请用 --unit 写明审核单位（如 金水区商务局）",
            "a reviewer of several districts needs its unit (--unit, e.g. 金水区商务局)",
        )
    hashed = _hasher.hash(password)
    try:
        with ledger.transaction() as conn:
            # one account per name whatever its case: Ent-A and ent-a are the same person to a reader
            if (
                conn.execute(
                    select(store.users.c.username).where(func.lower(store.users.c.username) == username.lower())
                ).first()
                is not None
            ):
                raise AccountError(
                    f"用户“{username}”已存在（用户名不区分大小写）",
                    f"user {username!r} already exists (user names ignore case)",
                )
            conn.execute(
                insert(store.users).values(
                    username=username,
                    role=role,
                    uscc=code,
                    districts=json.dumps(canon, ensure_ascii=False),
                    password_hash=hashed,
                    disabled=False,
                    created_at=store.now_iso(),
                    display_name=name or None,
                    unit=unit or None,
                )
            )
            store.record(
                conn,
                actor,
                "user.add",
                username,
                {"role": role, "uscc": code, "districts": canon, "name": name, "unit": unit},
            )
    except IntegrityError:
        raise AccountError(
            f"用户“{username}”已存在（用户名不区分大小写）",
            f"user {username!r} already exists (user names ignore case)",
        ) from None
    return User(username, role, code, tuple(canon), name=name, unit=unit)


def list_users(ledger: Ledger) -> list[User]:
    with ledger.engine.connect() as conn:
        return [_row_user(r) for r in conn.execute(select(store.users).order_by(store.users.c.username))]


def get_user(ledger: Ledger, username: str) -> User | None:
    with ledger.engine.connect() as conn:
        row = conn.execute(select(store.users).where(store.users.c.username == username)).first()
    return _row_user(row) if row else None


def disable_user(ledger: Ledger, username: str, actor: str = "cli") -> None:
    with ledger.transaction() as conn:
        n = conn.execute(update(store.users).where(store.users.c.username == username).values(disabled=True)).rowcount
        if not n:
            raise AccountError(f"没有用户“{username}”", f"no user {username!r}")
        conn.execute(update(store.sessions).where(store.sessions.c.username == username).values(ended=True))
        store.record(conn, actor, "user.disable", username)


def _key(username: str) -> str:
    return username.strip().lower()[:200]


def address_key(address: str | None) -> str:
    """The client address failures are counted for: an IPv6 address by its /64 (one subscriber's
    network), an IPv4 address as it is; none (a test client, a socket) is one address too."""
    if not address:
        return "-"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class Throttle:
    """What the failed sign-ins so far ask of the next attempt: wait `delay` seconds, or be refused."""

    delay: float
    refuse_for: int  # seconds; 0: not refused


def _grown(failures: int, start: int) -> float:
    return 0.0 if failures < start else min(MAX_DELAY, DELAY_UNIT * 2 ** (failures - start))


def throttle(ledger: Ledger, username: str, address: str | None) -> Throttle:
    """The delay or refusal for a sign-in to `username` from `address`, from the failures counted
    in the window: per account and address, per account, per address (see the module's text)."""
    key, where, now = _key(username), address_key(address), time.time()
    f = store.login_failures
    since = now - FAILURE_WINDOW
    with ledger.engine.connect() as conn:
        pair = conn.execute(
            select(func.count(), func.min(f.c.at)).where(
                and_(f.c.username == key, f.c.address == where, f.c.at > since)
            )
        ).one()
        account = conn.execute(select(func.count()).where(and_(f.c.username == key, f.c.at > since))).scalar_one()
        spray = conn.execute(
            select(func.count(), func.min(f.c.at)).where(
                and_(f.c.address == where, f.c.at > since, f.c.username != PUBLIC_LOOKUPS)
            )
        ).one()
    refuse = 0
    if pair[0] >= REFUSE_AFTER:
        refuse = max(refuse, int(pair[1] + FAILURE_WINDOW - now) + 1)
    if spray[0] >= ADDRESS_REFUSE_AFTER:
        refuse = max(refuse, int(spray[1] + FAILURE_WINDOW - now) + 1)
    delay = max(_grown(pair[0], SLOW_AFTER), _grown(account, ACCOUNT_SLOW_AFTER), _grown(spray[0], ADDRESS_SLOW_AFTER))
    return Throttle(delay, refuse)


def check_throttle(ledger: Ledger, username: str, address: str | None) -> float:
    """The seconds to wait before answering this sign-in; TooManyAttempts when it is refused (recorded)."""
    t = throttle(ledger, username, address)
    if t.refuse_for:
        with ledger.transaction() as conn:
            store.record(conn, username[:200], "login.refused", None, {"retry_after": t.refuse_for}, address)
        raise TooManyAttempts(max(1, t.refuse_for))
    return t.delay


def authenticate(
    ledger: Ledger,
    username: str,
    password: str,
    address: str | None = None,
    *,
    checked: bool = False,
) -> User | None:
    """The account if the password is right; None otherwise (unknown user and wrong password alike).

    Raises TooManyAttempts when the throttle refuses this address; waits out its delay here unless
    the caller has (`checked`: the desk waits without holding a thread). A user name is found
    whatever its case (names are unique without regard to case).
    """
    if not checked:
        delay = check_throttle(ledger, username, address)
        if delay:
            time.sleep(delay)
    key, now = _key(username), time.time()
    with ledger.engine.connect() as conn:
        row = conn.execute(select(store.users).where(func.lower(store.users.c.username) == key)).first()
    ok = False
    try:
        ok = _hasher.verify(row.password_hash if row else _DUMMY, password) and row is not None and not row.disabled
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    with ledger.transaction() as conn:
        if ok:
            assert row is not None
            # the real user's success clears this address's count for the account; others' guesses stay counted
            conn.execute(
                delete(store.login_failures).where(
                    and_(store.login_failures.c.username == key, store.login_failures.c.address == address_key(address))
                )
            )
            store.record(conn, row.username, "login", None, {}, address)
        else:
            conn.execute(delete(store.login_failures).where(store.login_failures.c.at < now - FAILURE_WINDOW))
            conn.execute(insert(store.login_failures).values(username=key, address=address_key(address), at=now))
            store.record(conn, username[:200], "login.failed", None, {}, address)
    return _row_user(row) if ok else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(ledger: Ledger, user: User) -> str:
    """A fresh random token (never one the browser brought along)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with ledger.transaction() as conn:
        conn.execute(
            insert(store.sessions).values(
                token_hash=_hash(token),
                username=user.username,
                created_at=now,
                expires_at=now + SESSION_SECONDS,
                ended=False,
            )
        )
    return token


def session_user(ledger: Ledger, token: str | None) -> User | None:
    if not token or len(token) > 100:
        return None
    s, u = store.sessions, store.users
    with ledger.engine.connect() as conn:
        row = conn.execute(
            select(u)
            .join(s, s.c.username == u.c.username)
            .where(
                and_(
                    s.c.token_hash == _hash(token),
                    s.c.ended.is_(False),
                    s.c.expires_at > time.time(),
                    u.c.disabled.is_(False),
                )
            )
        ).first()
    return _row_user(row) if row else None


def end_session(ledger: Ledger, token: str, username: str) -> None:
    with ledger.transaction() as conn:
        conn.execute(update(store.sessions).where(store.sessions.c.token_hash == _hash(token)).values(ended=True))
        store.record(conn, username, "logout")


def csrf_token(secret: bytes, token: str) -> str:
    """The form token of a session: an HMAC of the session, so it needs no storage and dies with it."""
    return hmac.new(secret, b"csrf:" + _hash(token).encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(secret, token), given or "")
