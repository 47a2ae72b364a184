"""The desk: a Starlette application over the process service layer, assembled here.

The modules import one way: `http` (requests, responses, cookies, forms) → `context` (the `Desk`)
→ `errors` (the one error → status table) → `security` (middleware, the route guard, sign-in) →
`steps`, `api`, `pages`, `caseview` and the day's work (`queue`, `bulk`, `inbox`, `audit`, `claims`,
`verify_page`) → `app`, which makes the desk, its templates, its routes and its middleware list.
The desk decides nothing itself: every step is a `zzcbec_docs.process` call, run in a worker thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles

from zzcbec_docs.desk import accounts, api, errors, forms, pages, verify_page, workday
from zzcbec_docs.desk.context import Desk, yuan
from zzcbec_docs.desk.security import SecurityHeaders, Sessions
from zzcbec_docs.money import in_words
from zzcbec_docs.vocabulary import (
    CONCLUSION_ZH,
    DECISION_ZH,
    EVENT_ZH,
    NOTICE_ZH,
    ROLE_ZH,
    STATUS_ZH,
    cn_date,
    cn_datetime,
)

HERE = Path(__file__).resolve().parent


def templates(desk: Desk) -> Environment:
    """The pages' Jinja2 environment: autoescaped, with the vocabulary's words and the desk's policy."""
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.globals.update(
        STATUS_ZH=STATUS_ZH,
        CONCLUSION_ZH=CONCLUSION_ZH,
        DECISION_ZH=DECISION_ZH,
        EVENT_ZH=EVENT_ZH,
        ROLE_ZH=ROLE_ZH,
        NOTICE_ZH=NOTICE_ZH,
        cn_datetime=cn_datetime,
        cn_date=cn_date,
        fmt_yuan=yuan,
        in_words=in_words,
        policy=desk.policy,
        ATTACHMENT_KINDS=forms.ATTACHMENT_KINDS,
        districts=accounts.known_districts(),
    )
    env.filters["words"] = desk.words
    return env


class DeskApp(Starlette):
    """The desk's Starlette application; `app.state.desk` is its `Desk`."""

    @property
    def app(self) -> Router:
        """The innermost application, its router (as each middleware's `.app` is the next one in)."""
        return self.router


async def server_error(request: Request, exc: Exception) -> Response:
    """What Starlette's error middleware answers when something escaped every route's guard."""
    return JSONResponse({"error": "系统内部错误 / internal error"}, status_code=500)


def routes() -> list[BaseRoute]:
    return [
        *api.routes(),
        Route("/verify/{code}", verify_page.verify_page, methods=["GET"]),  # public: the notice's QR code
        *workday.routes(),
        *pages.routes(),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]


MIDDLEWARE = [Middleware(SecurityHeaders), Middleware(Sessions)]  # outermost first (security.py)


def create_app(
    ledger_url: str,
    *,
    policy_path: str | None = None,
    issuer_profile: str | None = None,
    exclusion_list: str | Path | frozenset[str] | None = None,
    issued_on: dt.date | None = None,
) -> DeskApp:
    desk = Desk(
        ledger_url,
        templates,
        policy_path=policy_path,
        issuer_profile=issuer_profile,
        exclusion_list=exclusion_list,
        issued_on=issued_on,
    )
    workday.start(desk)
    app = DeskApp(
        routes=routes(),
        middleware=MIDDLEWARE,
        exception_handlers={**errors.exception_handlers(), 500: server_error},
    )
    app.state.desk = desk
    return app


def create_app_from_env() -> DeskApp:
    """For `uvicorn --factory` workers: what `zzcbec serve` was given comes in the environment
    (ZZCBEC_LEDGER, ZZCBEC_POLICY, ZZCBEC_ISSUER_PROFILE, ZZCBEC_EXCLUSION_LIST, ZZCBEC_ISSUED_ON)."""
    logging.basicConfig(level=logging.INFO)
    issued = os.environ.get("ZZCBEC_ISSUED_ON") or None
    return create_app(
        os.environ["ZZCBEC_LEDGER"],
        policy_path=os.environ.get("ZZCBEC_POLICY") or None,
        issuer_profile=os.environ.get("ZZCBEC_ISSUER_PROFILE") or None,
        exclusion_list=os.environ.get("ZZCBEC_EXCLUSION_LIST") or None,
        issued_on=dt.date.fromisoformat(issued) if issued else None,
    )
