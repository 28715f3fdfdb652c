"""Who changed what and why: django-simple-history rows written outside a request, and how
a row names the person who acted, depending on who reads it."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from . import permissions
from .models import Membership, Organisation


def attribute(instance, *, actor, reason: str) -> None:
    """Mark the next history row of ``instance`` with the acting user and a reason.

    Services call this before every save: commands, tasks and consumers have no request for
    ``HistoryRequestMiddleware`` to read the user from.
    """
    instance._history_user = actor if actor is not None and actor.is_authenticated else None
    instance._change_reason = _fit(instance, str(reason))


def _fit(instance, reason: str) -> str:
    """The reason cut to the history table's column (a varchar on PostgreSQL, which refuses
    longer text), with an ellipsis: the object itself keeps the whole text."""
    history = getattr(type(instance), "history", None)
    limit = history.model._meta.get_field("history_change_reason").max_length if history is not None else None
    if limit and len(reason) > limit:
        return reason[: limit - 1] + "…"
    return reason


@dataclass(frozen=True)
class Credit:
    """Whom one history row names to one reader: the acting ``user`` (or None), and the
    ``organisation`` that person acted for (or None)."""

    user: AbstractBaseUser | None
    organisation: Organisation | None


def credits(records: Iterable, *, viewer, owner_id: int, requester_ids: Iterable[int] = ()) -> list[Credit]:
    """The credit of each history row of an item or of a claim on it, as ``viewer`` reads it.

    Usernames are often e-mail addresses: the acting person is named only to the staff of
    the item's owner (``owner_id``) and to the département; every reader gets the
    organisation the person acted for. For a claim's row (it has a ``requester_id``) that is
    the requester when the person is one of its members, else the giver when the person is
    its staff. For an item's row it is the owner when the person is its staff, else the
    organisation among ``requester_ids`` (those that claimed the item) the person belongs to.

    One query for the actors' memberships, whatever the number of rows; the memberships are
    today's (someone who has left an organisation is no longer credited to it).
    """
    records = list(records)
    show_names = permissions.can_see_who_acted(viewer, owner_id)
    actor_ids = {record.history_user_id for record in records if record.history_user_id}
    memberships: dict[int, dict[int, Membership]] = {}  # user id → organisation id → membership
    if actor_ids:
        for membership in Membership.objects.filter(user_id__in=actor_ids).select_related("organisation"):
            memberships.setdefault(membership.user_id, {})[membership.organisation_id] = membership
    claimants = list(dict.fromkeys(requester_ids))
    result = []
    for record in records:
        held = memberships.get(record.history_user_id, {})
        requester_id = getattr(record, "requester_id", None)
        # (organisation, the role needed there or None for any), in order: the first one held wins.
        if requester_id is not None:
            candidates = [(requester_id, None), (owner_id, Membership.Role.STAFF)]
        else:
            candidates = [(owner_id, Membership.Role.STAFF), *((pk, None) for pk in claimants)]
        organisation = next(
            (held[pk].organisation for pk, role in candidates if pk in held and role in (None, held[pk].role)),
            None,
        )
        result.append(Credit(user=record.history_user if show_names else None, organisation=organisation))
    return result
