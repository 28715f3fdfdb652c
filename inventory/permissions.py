"""Who may do what, decided from memberships (organisation + role) and nothing else.

Every page, API view, admin action and service asks these functions; none of them checks
roles by hand. Superusers are platform administrators: they act in the Django admin, not
as members, so they get no implicit membership here.
"""

from django.db.models import Q, QuerySet

from .models import Item, Membership, Organisation

Role = Membership.Role

# Roles that may claim items for their organisation.
CLAIMING_ROLES = (Role.STAFF, Role.VOLUNTEER, Role.COORDINATOR)
DEPARTMENT_ROLES = (Role.VIEWER, Role.MANAGER)
# Statuses in which an item is seen by members of other organisations.
PUBLIC_ITEM_STATUSES = (Item.Status.AVAILABLE, Item.Status.RESERVED, Item.Status.GONE)


def _authenticated(user) -> bool:
    return bool(user and user.is_authenticated)


def organisations_of(user, *roles: str) -> QuerySet[Organisation]:
    """Organisations where ``user`` holds one of ``roles`` (any role when none is given)."""
    if not _authenticated(user):
        return Organisation.objects.none()
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return Organisation.objects.filter(pk__in=memberships.values("organisation"))


class Roles:
    """A user's memberships read once (one query), to decide many rows without one query
    each: pass it to the predicates that take ``roles=``."""

    def __init__(self, user):
        self.user = user
        self.superuser = bool(_authenticated(user) and user.is_superuser)
        self._held: dict[int, set[str]] = {}
        self._department: set[str] = set()
        if _authenticated(user):
            rows = Membership.objects.filter(user=user).values_list("organisation_id", "role", "organisation__kind")
            for organisation_id, role, kind in rows:
                self._held.setdefault(organisation_id, set()).add(role)
                if kind == Organisation.Kind.DEPARTMENT:
                    self._department.add(role)

    def has(self, organisation: Organisation | int, *roles: str) -> bool:
        """Whether the user holds one of ``roles`` there (any role when none is given)."""
        held = self._held.get(getattr(organisation, "pk", organisation), set())
        return bool(held & set(roles)) if roles else bool(held)

    def in_department(self, *roles: str) -> bool:
        return bool(self._department & set(roles or DEPARTMENT_ROLES))


def has_role(user, organisation: Organisation | int, *roles: str) -> bool:
    if not _authenticated(user):
        return False
    organisation_id = getattr(organisation, "pk", organisation)
    return Membership.objects.filter(
        user=user, organisation_id=organisation_id, role__in=roles
    ).exists()


def is_department_member(user, *roles: str) -> bool:
    """True for viewers/managers (or the given roles) of a département organisation."""
    if not _authenticated(user):
        return False
    return Membership.objects.filter(
        user=user,
        organisation__kind=Organisation.Kind.DEPARTMENT,
        role__in=roles or DEPARTMENT_ROLES,
    ).exists()


def is_department_manager(user) -> bool:
    return is_department_member(user, Role.MANAGER)


def claiming_organisations(user) -> QuerySet[Organisation]:
    """Organisations on whose behalf ``user`` may claim items."""
    return organisations_of(user, *CLAIMING_ROLES)


def contact_visible_organisation_ids(user) -> set[int] | None:
    """Organisations whose contact details ``user`` may read: its own, or all (None) for the
    département. Others' contacts are shared only as far as a pickup needs."""
    if is_department_member(user):
        return None
    return set(organisations_of(user).values_list("pk", flat=True))


#
# Items
#
def can_manage_items_of(user, organisation: Organisation | int) -> bool:
    """Staff of an organisation create, edit, publish and photograph its items."""
    return has_role(user, organisation, Role.STAFF)


def organisations_managing_items(user) -> QuerySet[Organisation]:
    """Organisations whose items ``user`` may create (the default ``owner`` of a new item)."""
    return organisations_of(user, Role.STAFF)


def can_manage_item(user, item: Item) -> bool:
    return can_manage_items_of(user, item.owner_id)


def visible_items(user, statuses=None) -> QuerySet[Item]:
    """Items ``user`` may see: the catalogue, its own organisations' items, or all for the
    département. Other organisations' drafts are never visible.

    ``statuses`` narrows the result to those statuses; when they are all public ones (the
    catalogue's usual ``status=available``), the own-items clause cannot add anything and is
    left out, so the count is answered from the status index alone.
    """
    if not _authenticated(user):
        return Item.objects.none()
    items = Item.objects.filter(status__in=statuses) if statuses else Item.objects.all()
    # Public statuses first: the département check is a query, and then it changes nothing.
    if (statuses and set(statuses) <= set(PUBLIC_ITEM_STATUSES)) or is_department_member(user):
        return items
    own_items = Item.objects.filter(owner__in=organisations_of(user)).values("pk")
    # By id rather than by owner: every index holds the row id, so a catalogue count
    # (status filter + this rule) is answered from the status index alone.
    return items.filter(Q(status__in=PUBLIC_ITEM_STATUSES) | Q(pk__in=own_items))


def can_view_item(user, item: Item) -> bool:
    return visible_items(user).filter(pk=item.pk).exists()


def can_see_who_acted(user, owner: Organisation | int) -> bool:
    """History names the people who acted on an item (and its claims) only to the staff of
    its owner and to the département; others see the organisation they acted for."""
    return has_role(user, owner, Role.STAFF) or is_department_member(user)


#
# Invitations
#
STAFF_INVITABLE_ROLES = (Role.STAFF, Role.VOLUNTEER)


def invitable_roles(user, organisation: Organisation | int) -> list[str]:
    """Roles ``user`` may invite people to in ``organisation``: any for the département's
    managers, staff or volunteer for the organisation's own staff, none otherwise."""
    if is_department_manager(user):
        return list(Role.values)
    if has_role(user, organisation, Role.STAFF):
        return list(STAFF_INVITABLE_ROLES)
    return []
