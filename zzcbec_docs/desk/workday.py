"""The routes of a district bureau's day on the desk (issue 23): the queue and assignment, 补正,
bulk award with the 公示 and the 拨付清单, the inbox, the audit trail, and 免申即享."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

if TYPE_CHECKING:
    from zzcbec_docs.desk.context import Desk


def routes() -> list[Route]:
    from zzcbec_docs.desk import audit, bulk, claims, inbox, queue

    return [*queue.routes(), *audit.routes(), *bulk.routes(), *inbox.routes(), *claims.routes()]


def start(desk: Desk) -> None:
    """What the day's work needs when a desk starts (mail from now on, when configured)."""
    from zzcbec_docs.desk import inbox

    inbox.start(desk)
    desk.after_change.append(inbox.dispatch)  # after each change a signed-in caller made: its e-mail
