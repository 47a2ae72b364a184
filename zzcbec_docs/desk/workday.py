"""The routes of a district bureau's day on the desk (issue 23): the queue and assignment, 补正,
bulk award with the 公示 and the 拨付清单, the inbox, the audit trail, and 免申即享."""

from __future__ import annotations

from starlette.routing import Route


def routes() -> list[Route]:
    from zzcbec_docs.desk import audit, bulk, claims, inbox, queue

    return [*queue.routes(), *audit.routes(), *bulk.routes(), *inbox.routes(), *claims.routes()]


def start(desk) -> None:  # type: ignore[no-untyped-def]
    """What the day's work needs when a desk starts (mail from now on, when configured)."""
    from zzcbec_docs.desk import inbox

    inbox.start(desk)
    desk.after_change.append(inbox.dispatch)  # after each change a signed-in caller made: its e-mail
