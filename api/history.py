"""django-simple-history rows as the API shows them, newest first:
``[{"at", "user", "organisation", "change", "reason", "changes": {field: [old, new]}}]``.

Who is named to whom is ``inventory.history.credits``' rule, shared with the item's history page.
"""

import datetime
from decimal import Decimal

from rest_framework import serializers

from inventory.history import credits

CHANGE_NAMES = {"+": "created", "~": "changed", "-": "deleted"}
# Bookkeeping columns that change on every save and tell a reader nothing.
IGNORED_FIELDS = {"updated_at"}


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date too
        return value.isoformat()
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or None
    return value


def _initial_values(record, model_fields) -> dict:
    """What a creation set: every tracked field with a value, as [None, value]."""
    changes = {}
    for field in model_fields:
        if field.primary_key:
            continue
        value = getattr(record, field.attname, None)
        if value not in (None, ""):
            changes[field.name] = [None, _jsonable(value)]
    return changes


def history_entries(instance, *, viewer, owner_id: int, requester_ids=()) -> list[dict]:
    """Every history row of ``instance`` (an item or a claim), newest first, each with the
    fields it changed and whom it names to ``viewer`` (see ``inventory.history.credits``:
    ``owner_id`` is the item's owner, ``requester_ids`` the organisations that claimed it).

    Reads all rows in one query and compares neighbours in memory (``prev_record`` would
    cost one query per row). Fields left out of the history (``excluded_fields``) are not shown.
    """
    records = list(instance.history.select_related("history_user").order_by("-history_date", "-history_id"))
    model_fields = [f for f in instance.history.model.tracked_fields if f.name not in IGNORED_FIELDS]
    entries = []
    for index, (record, credit) in enumerate(
        zip(records, credits(records, viewer=viewer, owner_id=owner_id, requester_ids=requester_ids), strict=True)
    ):
        older = records[index + 1] if index + 1 < len(records) else None
        if older is None or record.history_type == "+":
            changes = _initial_values(record, model_fields) if record.history_type == "+" else {}
        else:
            # Compared column by column (``diff_against`` skips non-editable fields such as
            # the item's unit counters, which are exactly what a reader wants to see move).
            changes = {
                field.name: [_jsonable(getattr(older, field.attname)), _jsonable(getattr(record, field.attname))]
                for field in model_fields
                if getattr(older, field.attname) != getattr(record, field.attname)
            }
        organisation = credit.organisation
        entries.append(
            {
                "at": record.history_date,
                "user": credit.user.get_username() if credit.user else None,
                "organisation": {"id": organisation.pk, "name": organisation.name} if organisation else None,
                "change": CHANGE_NAMES.get(record.history_type, record.history_type),
                "reason": record.history_change_reason or "",
                "changes": changes,
            }
        )
    return entries


class HistoryOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = serializers.CharField(
        allow_null=True,
        help_text="Username of the person who acted, shown only to the staff of the item's owner and to the "
                  "département; null for everyone else, and for system changes.",
    )
    organisation = HistoryOrganisationSerializer(
        allow_null=True,
        help_text="The organisation the person acted for, shown to everyone: for a claim, the requester if "
                  "the person is one of its members, else the giver if the person is its staff; for an item, "
                  "the owner if the person is its staff, else the claiming organisation the person belongs to. "
                  "Null for system changes and when the person acted for none of them.",
    )
    change = serializers.ChoiceField(choices=sorted(CHANGE_NAMES.values()))
    reason = serializers.CharField(allow_blank=True)
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2, child=serializers.JSONField()),
        help_text="{field: [old, new]}",
    )

