"""One desk: its ledger, its service object, its policy and issuer, its secret, its templates, and a
small cache of the documents it made. Every route receives it; the app (`app.py`) makes it.

It also holds how the desk words what the library says: the ledger named 奖励台账, never by its file
or server; no command-line advice; amounts as the documents write them.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse

from zzcbec_docs.desk import accounts, forms, store
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.http import COOKIE


class Desk:
    """One desk: its ledger, policy, secret, templates and a small cache of made documents."""

    def __init__(
        self,
        ledger_url: str,
        templates: Callable[[Desk], Environment],
        *,
        policy_path: str | None = None,
        issuer_profile: str | None = None,
        exclusion_list: str | Path | frozenset[str] | None = None,
        issued_on: dt.date | None = None,
    ) -> None:
        from zzcbec_docs.ledger import open_ledger
        from zzcbec_docs.policy import load_policy
        from zzcbec_docs.process.service import Service

        # the one service object of this desk: every process call goes through it (its policy, with
        # the issue date of clause 18; its issuer profile; its exclusion list of clause 15)
        service = Service.build(
            None,
            load_policy(policy_path),
            issuer_profile=issuer_profile,
            exclusion_list=exclusion_list,
            issued_on=issued_on,
        )
        self.ledger = open_ledger(ledger_url)
        self.service = service.with_ledger(self.ledger)
        store.ensure_tables(self.ledger)
        self.secret = store.secret(self.ledger)
        self.policy = self.service.policy
        self.issuer = self.service.issuer
        self.sections = forms.sections(self.policy)
        # what runs after every state change a signed-in caller made (the inbox's e-mail: workday.start)
        self.after_change: list[Callable[[Desk], object]] = []
        self.env = templates(self)
        self.documents: OrderedDict[tuple[Any, ...], tuple[str, bytes]] = OrderedDict()
        self.documents_lock = threading.Lock()
        self._warm()

    def _warm(self) -> None:
        """Load what every request needs (schema validators, rules, the process layer) before the first one."""
        import json

        from zzcbec_docs import process  # noqa: F401 - loaded now, not at the first request
        from zzcbec_docs.bundle import parse_bundle
        from zzcbec_docs.rules.engine import decide

        sample = json.dumps(
            {
                "schema_version": "1.0",
                "year": 2026,
                "applicant": {
                    "name": "x",
                    "uscc": "91410100MA46000016",
                    "district": "金水区",
                    "etrade_core_zone_policy": False,
                },
                "claims": [{"clause": 1, "facts": {"import_export": "1", "promotion_costs": "1"}}],
            }
        ).encode()
        decide(parse_bundle(sample, "warm-up", policy=self.policy), self.policy)

    # ------------------------------------------------------------------ the library's words on a page
    def shown(self, result: Any) -> Any:
        """A decision as the desk shows it: the ledger named as 奖励台账, never by its file or server."""
        from dataclasses import replace

        warnings = tuple(
            replace(w, message=self.scrub(w.message), message_en=self.scrub(w.message_en)) for w in result.warnings
        )
        return replace(result, warnings=warnings, source="desk" if "/" in str(result.source) else result.source)

    def words(self, text: Any) -> str:
        """A library message as a page shows it: no ledger location, no command-line advice, amounts
        as the documents write them (12,000,000.00 元)."""
        return money_words(self.scrub(str(text)))

    def scrub(self, text: str) -> str:
        """Text for a page: the ledger's file or server address, and any command-line advice, taken out."""
        for where in self.service.ledger_places:  # the service layer's names for its ledger
            text = (
                text.replace(f"台账 {where}", "奖励台账")
                .replace(f"the ledger {where}", "the ledger")
                .replace(where, "奖励台账")
            )
        return cli_words_out(text)

    # ------------------------------------------------------------------ what routes share
    def audit(
        self,
        user: str,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        address: str | None = None,
    ) -> None:
        with self.ledger.transaction() as conn:
            store.record(conn, user, action, target, detail, address)

    def page(self, name: str, request: Request, user: User | None, status: int = 200, **ctx: Any) -> HTMLResponse:
        token = request.cookies.get(COOKIE)
        csrf = accounts.csrf_token(self.secret, token) if (user and token) else ""
        html = self.env.get_template(name).render(user=user, csrf=csrf, request=request, **ctx)
        return HTMLResponse(html, status_code=status)

    def document(self, case_id: str, kind: str, fmt: str, state: tuple[Any, ...]) -> tuple[str, bytes]:
        """case_document, kept while the case does not change (the key holds its state)."""
        key = (case_id, kind, fmt, state)
        with self.documents_lock:
            hit = self.documents.get(key)
            if hit is not None:
                self.documents.move_to_end(key)
                return hit
        made = self.service.case_document(case_id, kind, fmt)
        with self.documents_lock:
            self.documents[key] = made
            while len(self.documents) > 64:
                self.documents.popitem(last=False)
        return made


# command-line advice inside a library message ("可用 --issued-on 指定", "(zzcbec ledger init)"):
# a page says what to do in its own words, never which flag to pass
_CLI_ADVICE = (
    re.compile(r"[；;，,]?\s*(?:可用|请用|或用|用)\s*--[a-z][a-z-]*(?:\s+[^\s；;，,。）)]+)?\s*(?:指定|映射)?"),
    re.compile(r"[;,]?\s*(?:use|with)\s+--[a-z][a-z-]*(?:\s+[^\s;,.)]+)?"),
    re.compile(r"\s*[（(][^（）()]*`?zzcbec [^（）()]*[）)]"),
    re.compile(r"[;；]?\s*run `zzcbec [^`]*`[^;.；。]*"),
)


def yuan(value: Decimal | None) -> str:
    """An amount as the documents' tables write it, with its unit: 12,000,000.00 元."""
    from zzcbec_docs.process.words import table_amount

    return "—" if value is None else table_amount(value)


_YEN = re.compile(r"¥(-?\d[\d,]*(?:\.\d+)?)")


def money_words(text: str) -> str:
    """¥12,000,000.00 in a library message (the command line's form) → 12,000,000.00 元."""
    return _YEN.sub(lambda m: f"{m.group(1)} 元", text)


def cli_words_out(text: str) -> str:
    for pattern in _CLI_ADVICE:
        text = pattern.sub("", text)
    return text
