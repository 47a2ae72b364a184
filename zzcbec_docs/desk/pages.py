"""The desk's HTML pages for the three roles. They work without JavaScript: every form posts and
the page comes back; desk.js only refreshes the decision while figures are typed."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import yaml
from sqlalchemy import insert, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from zzcbec_docs.bundle import BundleInvalid, parse_bundle
from zzcbec_docs.desk import accounts, charts, forms, queue, steps, store, uploads
from zzcbec_docs.desk.accounts import User
from zzcbec_docs.desk.authz import Action
from zzcbec_docs.desk.caseview import beijing_today, case_context
from zzcbec_docs.desk.context import Desk
from zzcbec_docs.desk.errors import from_library
from zzcbec_docs.desk.http import (
    PRE_COOKIE,
    HttpError,
    client_address,
    cookie_args,
    date_field,
    jsonable,
    origin_ok,
)
from zzcbec_docs.desk.security import landing, load_case, route, sign_in, sign_out
from zzcbec_docs.errors import BundleError, ZzcbecError
from zzcbec_docs.loading import decode_text, parse_text
from zzcbec_docs.rules.totals import totals
from zzcbec_docs.vocabulary import STATUS_ZH


# ---------------------------------------------------------------------- sign in / out
@route(None)
async def home(request: Request, desk: Desk, user: User | None) -> Response:
    return RedirectResponse(landing(user) if user else "/login", status_code=303)


@route(None)
async def login_page(request: Request, desk: Desk, user: User | None) -> Response:
    return _login_page(request, desk)


def _login_page(request: Request, desk: Desk, error: str | None = None, status: int = 200) -> Response:
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    resp = desk.page("login.html", request, None, status=status, pre=pre, error=error)
    resp.set_cookie(PRE_COOKIE, pre, max_age=3600, **cookie_args(request))
    return resp


@route(None)
async def login_post(request: Request, desk: Desk, user: User | None) -> Response:
    if not origin_ok(request):
        raise HttpError(403, "请求来源不是本系统（Origin 不符）", "refused: the request's Origin is not this desk's")
    data = await request.form(max_files=0, max_fields=10)
    pre = request.cookies.get(PRE_COOKIE)
    given = data.get("csrf")
    if not pre or not isinstance(given, str) or not secrets.compare_digest(pre, given):
        raise HttpError(
            403, "登录表单已过期（CSRF 校验失败），请刷新后重试", "the sign-in form expired (CSRF); reload it"
        )
    username, password = str(data.get("username") or "")[:200], str(data.get("password") or "")[:1000]
    try:
        return await sign_in(request, desk, username, password, json_reply=False)
    except HttpError as exc:
        return _login_page(request, desk, error=f"{exc.zh} / {exc.en}", status=exc.status)
    except accounts.TooManyAttempts as exc:
        resp = _login_page(request, desk, error=exc.message, status=429)
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp


@route(Action.CASE_LIST, write=True, form=True)
async def logout_post(request: Request, desk: Desk, user: User) -> Response:
    return await sign_out(request, desk, user, RedirectResponse("/login", status_code=303))


# ---------------------------------------------------------------------- the application form
def _uploads_of(desk: Desk, user: User, ids: list[str]) -> list[Any]:
    wanted = [int(i) for i in ids if i.isdigit()][: uploads.MAX_FILES]
    if not wanted:
        return []
    u = store.uploads
    with desk.ledger.engine.connect() as conn:
        rows = conn.execute(select(u).where(u.c.id.in_(wanted), u.c.username == user.username)).all()
    return sorted(rows, key=lambda r: r.id)


def _store_upload(
    desk: Desk, user: User, data: bytes, name: str | None, kind: str, already: int, address: str | None
) -> int:
    up = uploads.accept(data, name, already)
    kinds = dict(forms.ATTACHMENT_KINDS)
    with desk.ledger.transaction() as conn:
        new_id = store.inserted_id(
            conn.execute(
                insert(store.uploads).values(
                    username=user.username,
                    kind=kind if kind in kinds else "other",
                    original_name=up.display_name,
                    media_type=up.media_type,
                    sha256=up.sha256,
                    size=up.size,
                    content=data,
                    created_at=store.now_iso(),
                    used=False,
                )
            )
        )
        store.record(conn, user.username, "upload", up.sha256, {"name": up.display_name, "size": up.size}, address)
    return int(new_id)


def _attachment_entries(rows: list[Any]) -> tuple[list[dict[str, str]], dict[str, bytes]]:
    entries, files = [], {}
    for r in rows:
        name = uploads.stored_name(r.sha256, _ext(r.media_type))
        if name in files:
            continue
        entries.append({"kind": r.kind, "file": name, "sha256": r.sha256, "title": r.original_name[:100]})
        files[name] = bytes(r.content)
    return entries, files


def _ext(media_type: str) -> str:
    return {v: k for k, v in uploads.KINDS.items()}.get(media_type, "bin")


def _gaps(desk: Desk, result: Any, bundle: Any) -> dict[int, list[str]]:
    """For each claim not granted, what is missing in the policy's words (the `match` wording)."""
    from zzcbec_docs.calculator.match import all_fact_kinds, fact_labels, gap_for

    kinds, labels = all_fact_kinds(desk.policy), fact_labels(desk.policy)
    out: dict[int, list[str]] = {}
    for d in result.decisions:
        if d.status != "ineligible":
            continue
        clause = desk.policy.clauses[d.clause]
        conditions = {c.id: c for c in clause.all_conditions()}
        facts = bundle.claims[d.claim_index].facts
        msgs = []
        for r in d.reasons:
            try:
                msgs.append(
                    gap_for(conditions[r.condition], facts, kinds, labels)["message"]
                    if r.condition in conditions
                    else r.message
                )
            except (KeyError, TypeError, ArithmeticError):
                msgs.append(r.message)
        out[d.clause] = msgs
    return out


def _decide(desk: Desk, bundle: Any) -> Any:
    """The decision counting the ledger, as `check --ledger` makes it (no state change)."""
    return desk.service.check(bundle)


def evaluate(desk: Desk, user: User, values: dict[str, str], attachments: list[dict[str, str]]) -> dict[str, Any]:
    """The form's bundle, validated and decided by the library; errors placed beside their fields."""
    data = forms.to_bundle(values, desk.policy, uscc=user.uscc or "", attachments=attachments)
    out: dict[str, Any] = {"data": data, "bundle": None, "result": None, "errors": [], "field_errors": {}, "gaps": {}}
    if not data["claims"]:
        out["notice"] = "请在下方至少一条中填写数据 / fill in the facts of at least one clause"
        return out
    try:
        bundle = parse_bundle(forms.bundle_json(data), "form.json", "json", policy=desk.policy)
    except BundleInvalid as exc:
        for p in exc.problems:
            f = forms.field_for_pointer(p.path, data) or "general"
            label, words = forms.field_words(f, p.message, desk.sections)
            out["errors"].append({"field": f, "label": label, "message": words})
            out["field_errors"].setdefault(f, []).append(words)
        return out
    out["bundle"] = bundle
    out["result"] = desk.shown(_decide(desk, bundle))
    out["gaps"] = _gaps(desk, out["result"], bundle)
    return out


def _form_values(form: Any) -> dict[str, str]:
    return {
        k: v for k, v in form.multi_items() if isinstance(v, str) and k not in ("csrf", "action", "upload", "correct")
    }


def _apply_page(
    request: Request,
    desk: Desk,
    user: User,
    values: dict[str, str],
    rows: list[Any],
    ev: dict[str, Any] | None,
    status: int = 200,
    message: str | None = None,
    correct: Any = None,
) -> Response:
    from zzcbec_docs.desk.claims import for_user

    cases = steps.list_cases(desk, user)
    return desk.page(
        "apply.html",
        request,
        user,
        status=status,
        values=values,
        sections=desk.sections,
        uploads=rows,
        ev=ev,
        message=message,
        applicant_fields=forms.APPLICANT_FIELDS,
        known_fields={"year", "applicant.district", *(n for n, _l, _p in forms.APPLICANT_FIELDS)},
        my_cases=cases,
        correct=correct,
        claims=None if correct or ev else for_user(desk, user),
    )


@route(Action.CASE_SUBMIT)
async def apply_page(request: Request, desk: Desk, user: User) -> Response:
    values = {"year": str(beijing_today().year - 1), "applicant.etrade_core_zone_policy": "false"}
    correct, message = None, None
    if request.query_params.get("correct"):  # 补正: the returned case's bundle, to correct
        correct, values = await queue.correction(request, desk, user, request.query_params["correct"])
    elif request.query_params.get("claim"):  # 免申即享: a pre-filled application from the bureau's match
        values, message = await run_in_threadpool(queue.claim_values, desk, user, request.query_params["claim"])
    return await run_in_threadpool(_apply_page, request, desk, user, values, [], None, 200, message, correct)


@route(Action.CASE_SUBMIT, write=True, form=True)
async def apply_preview(request: Request, desk: Desk, user: User) -> Response:
    """The decision panel alone, for desk.js while figures are typed."""
    form = request.state.form
    values = _form_values(form)

    def work() -> str:
        rows = _uploads_of(desk, user, form.getlist("upload"))
        entries, _ = _attachment_entries(rows)
        ev = evaluate(desk, user, values, entries)
        return desk.env.get_template("_result.html").render(ev=ev, sections=desk.sections)

    return HTMLResponse(await run_in_threadpool(work))


@route(Action.CASE_SUBMIT, write=True, form=True)
async def apply_post(request: Request, desk: Desk, user: User) -> Response:
    form = request.state.form
    action = form.get("action") or "check"
    values = _form_values(form)
    ids = list(form.getlist("upload"))
    address = client_address(request)
    message = None
    status = 200
    correct = None
    if form.get("correct"):  # 补正: this form resubmits a returned case
        correct, _ = await queue.correction(request, desk, user, str(form.get("correct")))
    new_files = [f for f in form.getlist("attachment") if isinstance(f, UploadFile) and (f.filename or f.size)]
    for f in new_files:
        data = await f.read(uploads.MAX_FILE + 1)
        try:
            new_id = await run_in_threadpool(
                _store_upload,
                desk,
                user,
                data,
                f.filename,
                str(form.get("attachment_kind") or "other"),
                len(ids),
                address,
            )
            ids.append(str(new_id))
        except uploads.UploadRefused as exc:
            message, status = exc.message, 422
    bundle_file = form.get("bundle_file")
    if action == "load" and isinstance(bundle_file, UploadFile):
        raw = await bundle_file.read(BUNDLE_ZIP_MAX + 1)
        try:
            name = uploads.display_name(bundle_file.filename)
            if raw[:4] == b"PK\x03\x04":  # the form's own download: the bundle and its attachments
                raw, packed = await run_in_threadpool(_unpack_bundle_zip, raw)
                for kind, file_name, content in packed:
                    new_id = await run_in_threadpool(
                        _store_upload, desk, user, content, file_name, kind, len(ids), address
                    )
                    ids.append(str(new_id))
            if len(raw) > uploads.MAX_BUNDLE:
                raise BundleError("申报材料文件超过 1 MiB 上限", "the bundle file is larger than 1 MiB")
            data = parse_text(decode_text(raw, name, BundleError), name, BundleError)
            values = forms.from_bundle(data)
            uscc = (data.get("applicant") or {}).get("uscc") if isinstance(data, dict) else None
            if uscc and uscc != user.uscc:
                message = (
                    f"文件中的统一社会信用代码 {uscc} 不是本账号的 {user.uscc}，提交时以本账号为准 / "
                    f"the file's USCC {uscc} is not this account's {user.uscc}; the account's is used"
                )
            else:
                message = f"已读入 {name} / {name} loaded"
        except ZzcbecError as exc:
            message, status = exc.message, 422

    def work() -> Response:
        rows = _uploads_of(desk, user, ids)
        entries, files = _attachment_entries(rows)
        ev = evaluate(desk, user, values, entries)
        if action == "download":
            return _bundle_download(ev["data"], files, f"{user.uscc}-{values.get('year', '')}")
        if action == "submit" and ev["bundle"] is not None and status == 200 and correct is not None:
            queue.resubmit(desk, user, correct, ev["bundle"], files or None)
            return RedirectResponse(f"/cases/{correct.case.id}?submitted=corrected", status_code=303)
        if action == "submit" and ev["bundle"] is not None and status == 200:
            sub = steps.submit(desk, user, ev["bundle"], files or None)
            return RedirectResponse(
                f"/cases/{sub.case.id}?submitted={'new' if sub.created else 'again'}", status_code=303
            )
        code = status if status != 200 else (422 if action == "submit" else 200)
        return _apply_page(request, desk, user, values, rows, ev, status=code, message=message, correct=correct)

    return await run_in_threadpool(work)


BUNDLE_ZIP_MAX = uploads.MAX_BUNDLE + uploads.MAX_FILE * uploads.MAX_FILES  # read at most this much of a ZIP


def _bundle_download(data: dict[str, Any], files: dict[str, bytes], stem: str) -> Response:
    """The form as a bundle `zzcbec check` passes: a YAML file, or — with attachments — a ZIP of
    bundle.yaml and attachments/<sha256[:16]>.<ext>, the paths the bundle names relative to itself."""
    import io
    import zipfile

    if not files:
        body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
        return Response(
            body,
            media_type="application/yaml; charset=utf-8",
            headers={
                "Content-Disposition": f"attachment; filename=\"bundle.yaml\"; filename*=UTF-8''{quote(stem)}-bundle.yaml"
            },
        )
    buf = io.BytesIO()  # the attachments' names are already attachments/<sha256[:16]>.<ext> (uploads.stored_name)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bundle.yaml", yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        for name, content in sorted(files.items()):
            z.writestr(name, content)
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f"attachment; filename=\"bundle.zip\"; filename*=UTF-8''{quote(stem)}-bundle.zip"
        },
    )


def _unpack_bundle_zip(raw: bytes) -> tuple[bytes, list[tuple[str, str, bytes]]]:
    """A ZIP as the form downloads it: its bundle (bundle.yaml/.yml/.json at the top) and each attachment
    the bundle lists, read by the names the bundle gives (nothing is written to disk), each checked
    against its SHA-256 and the upload limits. A ZIP that is not this shape is refused."""
    import hashlib
    import io
    import zipfile

    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        infos = {i.filename: i for i in z.infolist()}
    except (zipfile.BadZipFile, ValueError):
        raise BundleError("ZIP 文件无法读取", "the ZIP file cannot be read") from None
    if len(infos) > uploads.MAX_FILES + 1 or len(raw) > BUNDLE_ZIP_MAX:
        raise BundleError("ZIP 中的文件过多或过大", "the ZIP holds too many or too large files")
    top = next((n for n in ("bundle.yaml", "bundle.yml", "bundle.json") if n in infos), None)
    if top is None:
        raise BundleError(
            "ZIP 中没有 bundle.yaml（本系统下载的申报材料文件的结构）",
            "the ZIP has no bundle.yaml at its top (the shape the desk downloads)",
        )

    def read(info: zipfile.ZipInfo, limit: int) -> bytes:
        if info.file_size > limit:
            raise BundleError(
                f"ZIP 中的“{uploads.display_name(info.filename)}”过大", f"{info.filename!r} in the ZIP is too large"
            )
        with z.open(info) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise BundleError("ZIP 中的文件过大", "a file in the ZIP is too large")
        return data

    bundle_raw = read(infos[top], uploads.MAX_BUNDLE)
    data = parse_text(decode_text(bundle_raw, top, BundleError), top, BundleError)
    packed = []
    for i, a in enumerate((data.get("attachments") or []) if isinstance(data, dict) else []):
        if not isinstance(a, dict) or str(a.get("file")) not in infos:
            raise BundleError(
                f"ZIP 中缺少附件 {a.get('file') if isinstance(a, dict) else i}",
                f"the ZIP lacks attachment {i}",
                pointer=f"/attachments/{i}/file",
            )
        content = read(infos[str(a["file"])], uploads.MAX_FILE)
        if hashlib.sha256(content).hexdigest() != a.get("sha256"):
            raise BundleError(
                f"附件 {a['file']} 的 SHA-256 与申报材料所写不符",
                f"attachment {a['file']}: its SHA-256 is not the one the bundle gives",
                pointer=f"/attachments/{i}/sha256",
            )
        packed.append((str(a.get("kind") or "other"), str(a.get("title") or a["file"]), content))
    return bundle_raw, packed


# ---------------------------------------------------------------------- lists
@route(Action.CASE_LIST)
async def cases_page(request: Request, desk: Desk, user: User) -> Response:
    status = request.query_params.get("status") or None
    if status not in STATUS_ZH:
        status = None
    cases = await run_in_threadpool(steps.list_cases, desk, user, status)
    title = {"enterprise": "我的申报", "reviewer": "待审案件", "bureau": "全部案件"}[user.role]
    return desk.page("cases.html", request, user, cases=cases, title=title, filter_status=status)


@route(Action.CASE_AWARD)
async def bureau_page(request: Request, desk: Desk, user: User) -> Response:
    cases = await run_in_threadpool(steps.list_cases, desk, user, None)
    groups: dict[str, list[Any]] = defaultdict(list)
    for c in cases:
        groups[c.status].append(c)
    return desk.page("bureau.html", request, user, groups=groups)


@route(Action.CASE_VIEW, per_case=True)
async def case_page(request: Request, desk: Desk, user: User, error: Any = None, status: int = 200) -> Response:
    detail = await load_case(request, desk, user, Action.CASE_VIEW)
    ctx = await run_in_threadpool(case_context, desk, user, detail)
    awarded = request.query_params.get("awarded")
    if awarded not in {n.get("number") for n in ctx["live_notices"]}:
        awarded = None  # only a number the case holds is echoed
    return desk.page(
        "case.html",
        request,
        user,
        status=status,
        error=error,
        awarded=awarded,
        submitted=request.query_params.get("submitted"),
        **ctx,
    )


async def _case_action(
    request: Request,
    desk: Desk,
    user: User,
    action: Action,
    work: Callable[[Any], Response | None],
    fields: dict[str, str] | None = None,
) -> Response:
    """Run a step on the case; on an error the page comes back with what was typed kept and each
    message beside its field (`fields` maps an error's place to a form field's name)."""
    detail = await load_case(request, desk, user, action)
    try:
        done = await run_in_threadpool(work, detail)
    except (ZzcbecError, HttpError) as exc:
        err = from_library(exc, desk) if isinstance(exc, ZzcbecError) else exc
        form = getattr(request.state, "form", None)
        kept = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf"} if form else {}
        beside: dict[str, list[str]] = {}
        for e in err.errors or []:
            name = (fields or {}).get(e.get("path", "")) if isinstance(e, dict) else None
            if name:
                beside.setdefault(name, []).append(str(e.get("message", "")).split(" / ")[0])
        ctx = await run_in_threadpool(case_context, desk, user, detail)
        return desk.page(
            "case.html", request, user, status=err.status, error=err, submitted=None, kept=kept, beside=beside, **ctx
        )
    if isinstance(done, Response):
        return done
    return RedirectResponse(f"/cases/{detail.case.id}", status_code=303)


@route(Action.CASE_REVIEW, write=True, form=True, per_case=True)
async def review_post(request: Request, desk: Desk, user: User) -> Response:
    form = request.state.form
    fields = {"/conclusion": "conclusion", "/remarks": "remarks"}

    def work(detail: Any) -> None:
        verified: dict[tuple[Any, ...], dict[str, Any]] = {}
        from zzcbec_docs.bundle.validate import fact_kinds

        for c in detail.bundle.claims:
            kinds = fact_kinds(desk.policy)[c.clause]
            for fact in c.facts:
                raw = str(form.get(f"v.{c.index}.{fact}") or "").strip()
                if raw == "":
                    continue
                value: Any = raw
                if kinds.get(fact) == "flag":
                    value = {"是": True, "true": True, "否": False, "false": False}.get(raw, raw)
                elif kinds.get(fact) == "count" and raw.isdigit():
                    value = int(raw)
                key = (c.clause, c.competition_name if desk.policy.per_competition(c.clause) else None)
                verified.setdefault(key, {})[fact] = value
                fields[f"/verified/{list(verified).index(key)}/facts/{fact}"] = f"v.{c.index}.{fact}"
        body = {
            "conclusion": form.get("conclusion"),
            "remarks": str(form.get("remarks") or ""),
            "verified": [
                {"clause": k[0], **({"competition_name": k[1]} if k[1] else {}), "facts": f}
                for k, f in verified.items()
            ],
        }
        steps.review(desk, user, detail, body)

    return await _case_action(request, desk, user, Action.CASE_REVIEW, work, fields)


@route(Action.CASE_AWARD, write=True, form=True, per_case=True)
async def award_post(request: Request, desk: Desk, user: User) -> Response:
    """Two steps, without JavaScript: the first post shows what will be awarded (the amount, each
    clause, what a cap cut) and asks for confirmation; the confirming post awards."""
    form = request.state.form

    def work(detail: Any) -> Response:
        date = date_field({"date": form.get("date") or None})
        reissue_of = str(form.get("reissue_of") or "") or None
        if form.get("confirm") != "yes":
            from zzcbec_docs.process import NotAwardable

            result = desk.shown(desk.service.case_result(detail.case.id))
            if result.total <= 0:
                raise NotAwardable(
                    "按当前审核结论和上限，该案件没有可奖励的金额",
                    "nothing is left to award under the review and the caps",
                )
            return desk.page(
                "award_confirm.html",
                request,
                user,
                case=detail.case,
                result=result,
                date=date.isoformat() if date else beijing_today().isoformat(),
                reissue_of=reissue_of,
            )
        out = steps.award(desk, user, detail, date, reissue_of)
        return RedirectResponse(f"/cases/{detail.case.id}?awarded={quote(out.number)}", status_code=303)

    return await _case_action(request, desk, user, Action.CASE_AWARD, work, {"/date": "date"})


@route(Action.CASE_REVOKE, write=True, form=True, per_case=True)
async def revoke_post(request: Request, desk: Desk, user: User) -> Response:
    form = request.state.form

    def work(detail: Any) -> None:
        reason = str(form.get("reason") or "").strip()
        if not reason or len(reason) > 1000:
            raise HttpError(
                422,
                "请写明撤销理由（不超过 1000 字）",
                "give the reason (at most 1000 characters)",
                [{"path": "/reason", "message": "请写明撤销理由（不超过 1000 字）"}],
            )
        steps.revoke(desk, user, detail, str(form.get("number") or "") or None, reason)

    return await _case_action(request, desk, user, Action.CASE_REVOKE, work, {"/reason": "reason"})


@route(Action.CASE_VIEW, per_case=True)
async def bundle_download(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.DOC_BUNDLE)
    raw = jsonable(getattr(detail.bundle, "raw", None) or {})
    body = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False).encode("utf-8")
    name = f"{detail.case.uscc}-{detail.case.year}-{detail.case.id[:12]}.yaml"
    return Response(
        body,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=\"bundle.yaml\"; filename*=UTF-8''{quote(name)}"},
    )


@route(Action.CASE_VIEW, per_case=True)
async def attachment_download(request: Request, desk: Desk, user: User) -> Response:
    detail = await load_case(request, desk, user, Action.DOC_ATTACHMENT)
    wanted = request.path_params["attachment_id"]
    if not wanted.isdigit() or int(wanted) not in {a.id for a in detail.attachments}:
        raise HttpError(404, "没有这个附件", "no such attachment")
    _name, sha, content = await run_in_threadpool(desk.service.attachment, detail.case.id, int(wanted))
    kind = uploads.sniff(content) or "bin"
    return Response(
        content,
        media_type=uploads.KINDS.get(kind, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{sha[:16]}.{kind}"'},
    )


# ---------------------------------------------------------------------- the bureau's ledger and dashboard
def _awards(desk: Desk) -> list[Any]:
    return desk.ledger.awards()


@route(Action.LEDGER_EXPORT)
async def ledger_page(request: Request, desk: Desk, user: User) -> Response:
    awards = await run_in_threadpool(_awards, desk)
    total = sum((a.amount for a in awards if not a.revoked), Decimal(0))
    return desk.page("ledger.html", request, user, awards=awards, total=total)


@route(Action.LEDGER_EXPORT)
async def ledger_export(request: Request, desk: Desk, user: User) -> Response:
    import tempfile
    from pathlib import Path

    from zzcbec_docs.ledger.export import export_csv, export_xlsx

    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise HttpError(404, "没有这种导出格式", "no such export format")

    def work() -> bytes:
        awards = _awards(desk)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"ledger.{fmt}"
            written = (export_csv if fmt == "csv" else export_xlsx)(awards, path)
            return Path(written[0]).read_bytes()

    data = await run_in_threadpool(work)
    await run_in_threadpool(desk.audit, user.username, "ledger.export", fmt, None, client_address(request))
    media = "text/csv; charset=utf-8" if fmt == "csv" else uploads.KINDS["xlsx"]
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="ledger.{fmt}"'})


def dashboard_charts(desk: Desk, awards: list[Any]) -> dict[str, Any]:
    sums = totals(awards)  # rules.totals: the one district × clause totals function (revoked awards apart)
    by_district = {k: t.amount for k, t in sums.by_district.items() if t.count}
    by_clause = {n: t.amount for n, t in sums.by_clause.items() if t.count}
    city, local = sums.grand.city, sums.grand.local
    # each cap's use as the rules count it (scope and ceiling from the cap code: per applicant and
    # year, one-time, per competition, a fee tier's own cap), averaged per clause
    use: dict[int, list[Decimal]] = defaultdict(list)
    for u in desk.service.cap_use():
        use[u.clause].append(u.share)

    policy = desk.policy
    funding = f"（{policy.cite(policy.funding_rule.clause)}）" if policy.funding_rule else ""
    numeral = policy.cite  # 第N条 in the policy's own numbering

    return {
        "district": charts.bars("奖励金额（按区县）", sorted(by_district.items(), key=lambda x: -x[1])),
        "clause": charts.bars(
            "奖励金额（按条款）",
            [(f"{numeral(n)} {policy.clauses[n].name}"[:16], v) for n, v in sorted(by_clause.items())],
        ),
        "split": charts.split_bar(f"市级与区县（市）分担{funding}", city, local),
        "caps": charts.bars(
            "上限使用率（各企业平均）",
            [(numeral(n), sum(v, Decimal(0)) / len(v)) for n, v in sorted(use.items())],
            unit="share",
        ),
        "count": sums.grand.count,
        "total": sum(by_clause.values(), Decimal(0)),
        "city": city,
        "local": local,
        "revoked": sums.grand.revoked_count,
    }


@route(Action.DASHBOARD_VIEW)
async def dashboard_page(request: Request, desk: Desk, user: User) -> Response:
    awards = await run_in_threadpool(_awards, desk)
    cases = await run_in_threadpool(steps.list_cases, desk, user, None)
    counts: dict[str, int] = defaultdict(int)
    for c in cases:
        counts[c.status] += 1
    shown = await run_in_threadpool(dashboard_charts, desk, awards)
    return desk.page("dashboard.html", request, user, charts=shown, counts=counts)


def routes() -> list[Route]:
    return [
        Route("/", home, methods=["GET"]),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_post, methods=["POST"]),
        Route("/logout", logout_post, methods=["POST"]),
        Route("/apply", apply_page, methods=["GET"]),
        Route("/apply", apply_post, methods=["POST"]),
        Route("/apply/preview", apply_preview, methods=["POST"]),
        Route("/cases", cases_page, methods=["GET"]),
        Route("/bureau", bureau_page, methods=["GET"]),
        Route("/cases/{case_id}", case_page, methods=["GET"]),
        Route("/cases/{case_id}/review", review_post, methods=["POST"]),
        Route("/cases/{case_id}/award", award_post, methods=["POST"]),
        Route("/cases/{case_id}/revoke", revoke_post, methods=["POST"]),
        Route("/cases/{case_id}/bundle.yaml", bundle_download, methods=["GET"]),
        Route("/cases/{case_id}/attachments/{attachment_id}", attachment_download, methods=["GET"]),
        Route("/ledger", ledger_page, methods=["GET"]),
        Route("/ledger/export.{fmt}", ledger_export, methods=["GET"]),
        Route("/dashboard", dashboard_page, methods=["GET"]),
    ]
