"""Who may receive an item from whom: the public-property rules of free transfers, as data.

A public giver (a public body or a public establishment) may give furniture and equipment
away only to the receivers the property code lists (Code général de la propriété des
personnes publiques, art. L3212-2, applied to local authorities by art. L3212-3), and, for
associations, only up to a unit value set by decree (300 EUR, décret n° 2022-791).
Private givers are not bound. The table below is the whole rule set: the claim service asks
``decide()`` and refuses what it refuses, naming the article; a département manager may
record an explicit exception (``TransferException``) for one item and one receiver.

Loans are not transfers: a lent item stays on the lender's inventory ("mise à disposition"),
so the table does not limit them.

The internal-first release window lives here too: during N days after publication only public
bodies and establishments may claim a public giver's item, then partner associations, then
every member.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.errors import WorkflowError
from inventory.models import Category, Item, Organisation, SiteSettings

Legal = Organisation.LegalStatus
PUBLIC = frozenset({Legal.PUBLIC_BODY, Legal.PUBLIC_ESTABLISHMENT})
PRIVATE = frozenset({Legal.PRIVATE_NONPROFIT, Legal.PRIVATE_COMPANY})
ANYONE = frozenset(Legal.values)
# Décret n° 2022-791 du 6 mai 2022: the unit value ceiling of the free transfers to associations.
VALUE_CEILING_EUR = Decimal("300")
IT_CATEGORY_KEY = "it"

BASIS_CEILING = "décret n° 2022-791 (300 EUR)"


@dataclass(frozen=True)
class Rule:
    """One lawful way for an item to go from a giver to a receiver.

    ``labels``: the receiver needs at least one of these flags of ``Organisation`` (none: any).
    ``it_only``: only for IT equipment (the ``it`` category and its children).
    ``ceiling``: the highest declared unit value allowed, or None for no ceiling.
    """

    code: str
    givers: frozenset
    receivers: frozenset
    basis: str
    labels: tuple[str, ...] = ()
    it_only: bool = False
    ceiling: Decimal | None = None
    loan: bool | None = False  # True: loans only; False: donations only; None: both


RULES: tuple[Rule, ...] = (
    Rule("private_giver", givers=PRIVATE, receivers=ANYONE, loan=None,
         basis=gettext_lazy("Private giver: not bound by the public property code")),
    Rule("loan", givers=PUBLIC, receivers=ANYONE, loan=True,
         basis=gettext_lazy("Loan (mise à disposition): the item stays on the lender's inventory")),
    Rule("public_to_public", givers=PUBLIC, receivers=PUBLIC, basis="CG3P art. L3212-2, 11°"),
    Rule("solidarity_association", givers=PUBLIC, receivers=frozenset({Legal.PRIVATE_NONPROFIT}),
         labels=("redistributes_to_people_in_need",), ceiling=VALUE_CEILING_EUR,
         basis="CG3P art. L3212-2, 2° et L3212-3"),
    Rule("it_equipment", givers=PUBLIC, receivers=frozenset({Legal.PRIVATE_NONPROFIT}),
         labels=("is_arup", "is_esus"), it_only=True, ceiling=VALUE_CEILING_EUR,
         basis="CG3P art. L3212-2, 3° et L3212-3"),
)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str  # the rule applied, or the reason of the refusal
    basis: str  # the legal basis, for people and for the transfer record
    message: str = ""  # why it is refused (empty when allowed)


def is_it_equipment(category: Category) -> bool:
    node = category
    while node is not None:
        if node.key == IT_CATEGORY_KEY:
            return True
        node = node.parent
    return False


def declared_unit_value(item: Item) -> Decimal:
    """The unit value the ceiling is checked against: the giver's estimate, else the category's
    replacement value (the cautious reading when nothing is declared)."""
    value = item.effective_unit_value_eur
    return Decimal(value) if value is not None else Decimal("0")


def _matches(rule: Rule, *, giver: Organisation, receiver: Organisation, is_it: bool, loan: bool) -> bool:
    return (
        (rule.loan is None or rule.loan == loan)
        and giver.legal_status in rule.givers
        and receiver.legal_status in rule.receivers
        and (not rule.labels or any(getattr(receiver, label) for label in rule.labels))
        and (is_it or not rule.it_only)
    )


def decide(*, item: Item, receiver: Organisation, loan: bool = False) -> Decision:
    """Whether ``item`` may go to ``receiver`` under the rules above (exceptions not counted)."""
    giver = item.owner
    is_it = is_it_equipment(item.category)
    value = declared_unit_value(item)
    over_ceiling = None
    for rule in RULES:
        if not _matches(rule, giver=giver, receiver=receiver, is_it=is_it, loan=loan):
            continue
        if rule.ceiling is not None and value > rule.ceiling:
            over_ceiling = over_ceiling or rule
            continue
        return Decision(True, rule.code, str(rule.basis))
    if over_ceiling is not None:
        return Decision(
            False, "transfer_over_ceiling", f"{over_ceiling.basis}; {BASIS_CEILING}",
            _("A public giver may give this item to %(org)s only up to %(ceiling)s EUR per unit "
              "(%(basis)s; %(decree)s); its declared unit value is %(value)s EUR.")
            % {"org": receiver, "ceiling": over_ceiling.ceiling, "basis": over_ceiling.basis,
               "decree": BASIS_CEILING, "value": value},
        )
    return Decision(
        False, "transfer_not_eligible", "CG3P art. L3212-2",
        _("A public giver may give items only to public bodies and establishments (CG3P art. L3212-2, 11°), "
          "to associations redistributing free to people in need (2°) and, for IT equipment, to "
          "associations of public utility and ESUS structures (3°): %(org)s is none of these.")
        % {"org": receiver},
    )


def decide_with_exception(*, item: Item, receiver: Organisation, loan: bool = False) -> Decision:
    """``decide()``, except that a refusal is lifted by a département manager's recorded exception."""
    decision = decide(item=item, receiver=receiver, loan=loan)
    if decision.allowed:
        return decision
    from .models import TransferException  # models import this module's neighbours

    exception = (
        TransferException.objects.filter(item=item, requester=receiver).order_by("-created_at").first()
    )
    if exception is None:
        return decision
    return Decision(
        True, "transfer_exception",
        _("Exception recorded by the département on %(day)s: %(reason)s")
        % {"day": timezone.localdate(exception.created_at).isoformat(), "reason": exception.reason},
    )


def check_transfer(*, item: Item, receiver: Organisation, loan: bool = False) -> Decision:
    """The decision for a claim, or a ``WorkflowError`` naming the rule it breaks.

    Raises:
        WorkflowError: ``transfer_not_eligible`` or ``transfer_over_ceiling``.
    """
    decision = decide_with_exception(item=item, receiver=receiver, loan=loan)
    if not decision.allowed:
        raise WorkflowError(decision.code, decision.message)
    return decision


#
# Internal-first release window
#
def internal_first_days(giver: Organisation) -> int:
    """The giver's own window, else the département-wide default (public givers only)."""
    if giver.internal_first_days is not None:
        return giver.internal_first_days
    if giver.legal_status in PUBLIC:
        return SiteSettings.current().internal_first_days  # set by managers, else settings.py
    return 0


@dataclass(frozen=True)
class ReleaseWindow:
    associations_from: datetime  # partner associations may claim from then
    everyone_from: datetime  # every member may claim from then


def release_window(item: Item) -> ReleaseWindow | None:
    """When the item opens to partner associations and to everyone (None: no window)."""
    days = internal_first_days(item.owner)
    if not days or item.published_at is None:
        return None
    return ReleaseWindow(
        associations_from=item.published_at + timedelta(days=days),
        everyone_from=item.published_at + timedelta(days=2 * days),
    )


def check_release(*, item: Item, receiver: Organisation, now: datetime | None = None) -> None:
    """Refuse a claim made before the receiver's turn in the release window.

    Raises:
        WorkflowError: ``internal_first``.
    """
    window = release_window(item)
    if window is None or receiver.legal_status in PUBLIC:
        return
    now = now or timezone.now()
    opens = window.associations_from if receiver.is_reuse_partner else window.everyone_from
    if now < opens:
        raise WorkflowError(
            "internal_first",
            _("This item is first offered to public bodies and establishments; %(org)s may claim it "
              "from %(day)s.") % {"org": receiver, "day": _day(opens)},
        )


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment).date(), "DATE_FORMAT")


def check_medical(*, item: Item, receiver: Organisation) -> None:
    """Medical devices and technical aids go only to certified refurbishers.

    Raises:
        WorkflowError: ``medical_item``.
    """
    if item.category.is_medical and not receiver.is_certified_refurbisher:
        raise WorkflowError(
            "medical_item", _("Only a certified refurbisher of technical aids may claim this item."),
        )


def claim_refusal(*, item: Item, receiver: Organisation, loan: bool = False) -> WorkflowError | None:
    """Why ``receiver`` may not claim ``item`` under these rules (None: it may), for the pages."""
    try:
        check_medical(item=item, receiver=receiver)
        check_release(item=item, receiver=receiver)
        check_transfer(item=item, receiver=receiver, loan=loan)
    except WorkflowError as error:
        return error
    return None
