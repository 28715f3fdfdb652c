"""A small, believable Val-de-Marne for demos, and bulk items for benchmarks.

``build_demo()`` creates the département, a partner reuse association, care homes, collèges
and two other associations, one login per role and about forty items with a generated
photo each. Items and photos go through ``inventory.services`` (the real pipeline); the
organisations and memberships have no service yet, so they are saved here with history.

``add_bulk_items()`` adds many items at once for benchmarks: rows are bulk-inserted with
their history, and every item gets one Photo row pointing at a few shared pictures that
went through the pipeline once.

The exchange workflow (reservations, pickups, impact) builds on what ``build_demo()``
returns: ``exchange.demo.build_demo_workflow(items=demo.items, users=demo.users)``.
"""

import functools
import io
import operator
import random
import textwrap
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageDraw, ImageFont

from . import services
from .history import attribute
from .images import process_photo
from .models import Category, Commune, Item, Membership, Organisation, Photo, photo_upload_to

DEMO_PASSWORD = "rebond-demo-2026"
DEPARTMENT_NAME = "Département du Val-de-Marne"
# History reasons are stored as written; marked so the history pages can translate them.
DEMO_REASON = gettext_noop("Demo data")
BULK_REASON = gettext_noop("Bulk demo data")

Kind = Organisation.Kind
Legal = Organisation.LegalStatus
Role = Membership.Role
Condition = Item.Condition


#
# Identifiers: invented, but valid in format and checksum
#
def _seed(text: str) -> int:
    """A stable number from a text (``hash()`` changes between runs)."""
    return zlib.crc32(text.encode())


def luhn_siret(text: str) -> str:
    """A 14-digit SIRET derived from ``text`` whose last digit makes the Luhn sum right."""
    body = f"{_seed(text) % 10**8:08d}{_seed(text[::-1]) % 10**5:05d}"
    body = ("4" + body[1:]) if body.startswith("356") else body  # not La Poste's rule
    for check in "0123456789":
        total = 0
        for index, char in enumerate(reversed(body + check)):
            digit = int(char) * (2 if index % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def uai(number: int) -> str:
    """A Val-de-Marne UAI: ``0940`` + 3 digits + the check letter of the 7 digits."""
    digits = f"0940{number:03d}"
    return digits + "ABCDEFGHJKLMNPRSTUVWXYZ"[int(digits) % 23]


#
# The organisations
#
@dataclass(frozen=True)
class OrgSpec:
    key: str
    name: str
    kind: str
    legal_status: str
    insee: str
    address: str
    contact: str
    finess: str = ""
    uai: str = ""
    flags: dict = field(default_factory=dict)


ORGANISATIONS = [
    OrgSpec("departement", DEPARTMENT_NAME, Kind.DEPARTMENT, Legal.PUBLIC_BODY, "94028",
            "21-29 avenue du Général de Gaulle", "Direction de l'économie circulaire"),
    OrgSpec("ressourcerie", "Ressourcerie La Fabrique Solidaire", Kind.ASSOCIATION, Legal.PRIVATE_NONPROFIT,
            "94081", "37 rue Édouard Tremblay", "Nadia Benali",
            flags={"is_reuse_partner": True, "is_esus": True, "redistributes_to_people_in_need": True}),
    # Care homes
    OrgSpec("tilleuls", "EHPAD Les Tilleuls", Kind.CARE_HOME, Legal.PUBLIC_ESTABLISHMENT, "94017",
            "14 rue du Général Leclerc", "Sophie Lemaire", finess="940012345"),
    OrgSpec("bords-de-marne", "EHPAD Résidence des Bords de Marne", Kind.CARE_HOME, Legal.PRIVATE_NONPROFIT,
            "94068", "8 quai de la Pie", "Marc Fontaine", finess="940023456"),
    OrgSpec("clos-fleuri", "EHPAD Le Clos Fleuri", Kind.CARE_HOME, Legal.PUBLIC_ESTABLISHMENT, "94076",
            "52 avenue Paul Vaillant-Couturier", "Isabelle Garnier", finess="940034567"),
    OrgSpec("roseraie", "EHPAD La Roseraie", Kind.CARE_HOME, Legal.PUBLIC_ESTABLISHMENT, "94038",
            "3 allée des Roses", "Thierry Moreau", finess="940045678"),
    OrgSpec("residence-du-parc", "EHPAD Résidence du Parc", Kind.CARE_HOME, Legal.PRIVATE_NONPROFIT, "94033",
            "21 rue Dalayrac", "Hélène Chevalier", finess="940056789"),
    OrgSpec("saint-joseph", "EHPAD Maison Saint-Joseph", Kind.CARE_HOME, Legal.PRIVATE_NONPROFIT, "94080",
            "9 rue de Fontenay", "Olivier Lambert", finess="940067890"),
    # Collèges
    OrgSpec("louise-michel", "Collège Louise Michel", Kind.SCHOOL, Legal.PUBLIC_ESTABLISHMENT, "94002",
            "66 rue Marcel Bourdarias", "Karim Haddad", uai=uai(512)),
    OrgSpec("simone-veil", "Collège Simone Veil", Kind.SCHOOL, Legal.PUBLIC_ESTABLISHMENT, "94022",
            "4 avenue Anatole France", "Claire Rousseau", uai=uai(527)),
    OrgSpec("victor-hugo", "Collège Victor Hugo", Kind.SCHOOL, Legal.PUBLIC_ESTABLISHMENT, "94016",
            "11 rue Gallieni", "Julien Mercier", uai=uai(538)),
    OrgSpec("pierre-brossolette", "Collège Pierre Brossolette", Kind.SCHOOL, Legal.PUBLIC_ESTABLISHMENT,
            "94046", "27 avenue de la République", "Nathalie Girard", uai=uai(546)),
    OrgSpec("les-saules", "Collège Les Saules", Kind.SCHOOL, Legal.PUBLIC_ESTABLISHMENT, "94054",
            "2 rue des Hautes Bornes", "Sébastien Perrin", uai=uai(559)),
    OrgSpec("albert-camus", "Collège Albert Camus", Kind.SCHOOL, Legal.PUBLIC_ESTABLISHMENT, "94071",
            "18 rue du Grand Val", "Aurélie Faure", uai=uai(563)),
    # Other associations
    OrgSpec("reval-autonomie", "ReVal Autonomie 94", Kind.ASSOCIATION, Legal.PRIVATE_NONPROFIT, "94011",
            "5 route de l'Île Saint-Julien", "Pascal Renaud",
            flags={"is_certified_refurbisher": True, "is_esus": True}),
    OrgSpec("pont-des-familles", "Association Le Pont des Familles", Kind.ASSOCIATION, Legal.PRIVATE_NONPROFIT,
            "94078", "30 avenue de Choisy", "Fatou Diallo"),
]

# Who logs in: (username, first name, last name, organisation key, role).
LOGINS = [
    ("staff", "Camille", "Dubois", "tilleuls", Role.STAFF),
    ("staff-college", "Yasmine", "Bernard", "louise-michel", Role.STAFF),
    ("volunteer", "Lucas", "Petit", "ressourcerie", Role.VOLUNTEER),
    ("coordinator", "Nadia", "Benali", "ressourcerie", Role.COORDINATOR),
    ("viewer", "Antoine", "Roux", "departement", Role.VIEWER),
    ("manager", "Élise", "Marchand", "departement", Role.MANAGER),
]
ADMIN_USERNAME = "admin"
# Facilities without a named login above still need a staff member to list their items.
GIVER_KINDS = {Kind.CARE_HOME, Kind.SCHOOL, Kind.ASSOCIATION}


#
# The items: (owner key, category key, title, description, quantity, condition, extras, publish)
#
HOURS_CARE = "Lun-ven 9h-12h et 14h-17h, accueil principal"
HOURS_SCHOOL = "Lun, mar, jeu, ven 8h30-16h30 (hors vacances scolaires)"
HOURS_ASSOC = "Mar-sam 10h-18h"

ITEMS = [
    ("tilleuls", "medical-bed", "Lit médicalisé électrique 90 × 200",
     "Lit à hauteur variable, relève-buste électrique, barrières latérales. Télécommande fournie.",
     2, Condition.GOOD, {"floor": 2, "has_lift": True, "inventory_number": "TIL-LM-0412",
                         "unit_weight_kg": Decimal("85")}, True),
    ("tilleuls", "wheelchair", "Fauteuil roulant manuel pliable",
     "Largeur d'assise 45 cm, repose-pieds amovibles, pneus pleins.", 3, Condition.GOOD,
     {"floor": 0, "inventory_number": "TIL-FR-0087"}, True),
    ("tilleuls", "office-chair", "Chaises de salle à manger empilables",
     "Lot de chaises en hêtre, assise vinyle bordeaux, faciles à nettoyer.", 12, Condition.FAIR,
     {"floor": 0, "opening_hours": HOURS_CARE, "unit_weight_kg": Decimal("6.5")}, True),
    ("tilleuls", "microwave", "Four à micro-ondes 25 L",
     "Micro-ondes de l'office du 1er étage, remplacé par un modèle combiné.", 1, Condition.GOOD,
     {"floor": 1, "has_lift": True}, True),
    ("tilleuls", "textiles", "Draps housse 90 × 190 (neufs)",
     "Cartons de draps housse blancs encore sous emballage, commande en surnombre.", 40, Condition.AS_NEW,
     {"unit_value_eur": Decimal("9.50")}, False),
    ("bords-de-marne", "walker", "Déambulateurs 4 roues avec siège",
     "Freins à main, panier, hauteur réglable. Vérifiés par l'ergothérapeute.", 4, Condition.GOOD,
     {"floor": 0, "opening_hours": HOURS_CARE}, True),
    ("bords-de-marne", "bed", "Lits simples en bois avec sommier",
     "Cadres de lit en chêne clair, sommiers à lattes. Démontés, visserie en sachet.", 5, Condition.FAIR,
     {"floor": -1, "has_lift": True, "pickup_notes": "Stockés au sous-sol, accès par le quai de livraison."},
     True),
    ("bords-de-marne", "fridge", "Réfrigérateur table top",
     "Petit réfrigérateur de chambre, 120 L, classe énergétique A+.", 2, Condition.GOOD,
     {"floor": 3, "has_lift": True, "unit_weight_kg": Decimal("28")}, True),
    ("bords-de-marne", "books", "Livres en gros caractères",
     "Romans et policiers en grands caractères, environ 60 volumes.", 60, Condition.GOOD, {}, True),
    ("clos-fleuri", "storage", "Armoires vestiaires métalliques 2 portes",
     "Vestiaires du personnel, serrures à clé (clés fournies).", 6, Condition.FAIR,
     {"floor": 0, "pickup_notes": "Prévoir un diable et deux personnes.", "inventory_number": "CF-2016-113"},
     True),
    ("clos-fleuri", "desk-table", "Tables de restaurant 4 places",
     "Tables plateau stratifié 80 × 120, pieds métal, hauteur adaptée aux fauteuils roulants.", 8,
     Condition.GOOD, {"floor": 0, "opening_hours": HOURS_CARE}, True),
    ("clos-fleuri", "wheelchair", "Fauteuil roulant de transfert",
     "Fauteuil léger à petites roues pour les déplacements intérieurs.", 1, Condition.FAIR, {"floor": 1}, True),
    ("clos-fleuri", "desktop", "Unités centrales de l'accueil",
     "PC de bureau Core i5, 8 Go, disque effacé. Sans écran ni clavier.", 3, Condition.GOOD,
     {"inventory_number": "CF-INF-2019-07"}, False),
    ("roseraie", "medical-bed", "Lit médicalisé avec matelas anti-escarres",
     "Lit électrique trois fonctions, matelas à mémoire de forme classe II.", 1, Condition.GOOD,
     {"floor": 1, "has_lift": True}, True),
    ("roseraie", "office-chair", "Fauteuils de repos à oreilles",
     "Fauteuils de salon, tissu vert lavable, accoudoirs bois.", 4, Condition.FAIR,
     {"floor": 0, "unit_weight_kg": Decimal("18")}, True),
    ("roseraie", "toys", "Jeux de société et puzzles",
     "Jeux de l'animation : dominos, loto, puzzles 500 pièces, tous complets.", 15, Condition.GOOD, {}, True),
    ("residence-du-parc", "walker", "Déambulateurs fixes pliants",
     "Cadre aluminium, embouts neufs.", 6, Condition.GOOD, {"floor": 0}, True),
    ("residence-du-parc", "printer", "Imprimante laser multifonction A4",
     "Impression, copie, numérisation ; toner neuf de rechange fourni.", 1, Condition.GOOD,
     {"floor": 2, "has_lift": True, "inventory_number": "RDP-IMP-03"}, True),
    ("residence-du-parc", "textiles", "Rideaux occultants",
     "Paires de rideaux gris 140 × 260, non feu M1.", 18, Condition.GOOD, {}, True),
    ("saint-joseph", "storage", "Chariots de linge et étagères",
     "Étagères inox démontables pour lingerie, 4 niveaux.", 3, Condition.GOOD,
     {"floor": -1, "has_lift": True, "unit_weight_kg": Decimal("22")}, True),
    ("saint-joseph", "bed", "Chevets à roulettes",
     "Tables de chevet avec tiroir et tablette, roulettes à frein.", 10, Condition.FAIR,
     {"floor": 2, "has_lift": True}, False),
    ("louise-michel", "school-furniture", "Chaises élèves taille 6",
     "Chaises coque polypropylène bleue, piétement métal, empilables.", 30, Condition.GOOD,
     {"floor": 1, "has_lift": False, "opening_hours": HOURS_SCHOOL,
      "pickup_notes": "Salle 104 au 1er étage, pas d'ascenseur."}, True),
    ("louise-michel", "school-furniture", "Tables élèves biplaces",
     "Tables 130 × 50 réglables en hauteur, plateau mélaminé.", 15, Condition.FAIR,
     {"floor": 1, "opening_hours": HOURS_SCHOOL, "unit_weight_kg": Decimal("16")}, True),
    ("louise-michel", "monitor", "Écrans 22 pouces",
     "Écrans LED Full HD avec câbles VGA et HDMI, salle informatique rénovée.", 10, Condition.GOOD,
     {"inventory_number": "LM-INF-2018-22"}, True),
    ("simone-veil", "laptop", "Ordinateurs portables 14 pouces",
     "Portables de la classe mobile, batteries à 70 %, disques effacés, chargeurs fournis.", 8,
     Condition.GOOD, {"unit_value_eur": Decimal("180"), "opening_hours": HOURS_SCHOOL}, True),
    ("simone-veil", "books", "Manuels de mathématiques 4e",
     "Anciens manuels (programme 2016), bon état, quelques annotations au crayon.", 45, Condition.FAIR,
     {}, True),
    ("simone-veil", "storage", "Armoire à rideaux du CDI",
     "Armoire basse à rideau coulissant, 120 × 100, clé fournie.", 2, Condition.GOOD,
     {"floor": 0}, True),
    ("victor-hugo", "desk-table", "Bureau de professeur avec caisson",
     "Bureau 140 × 70, caisson 3 tiroirs fermant à clé.", 2, Condition.FAIR,
     {"floor": 2, "has_lift": True, "opening_hours": HOURS_SCHOOL}, True),
    ("victor-hugo", "printer", "Imprimante jet d'encre couleur A3",
     "Imprimante de la salle d'arts plastiques, cartouches entamées.", 1, Condition.FOR_PARTS, {}, False),
    ("victor-hugo", "toys", "Matériel de sport : ballons et plots",
     "Ballons de handball et de basket, plots et chasubles.", 25, Condition.FAIR, {}, True),
    ("pierre-brossolette", "desktop", "Postes de la salle de technologie",
     "Ordinateurs tout-en-un 21 pouces, Windows 10, disques effacés.", 12, Condition.GOOD,
     {"floor": 1, "has_lift": True, "inventory_number": "PB-TECH-2017"}, True),
    ("pierre-brossolette", "school-furniture", "Tabourets de laboratoire",
     "Tabourets réglables à vérin, assise polyuréthane.", 20, Condition.GOOD,
     {"floor": 1, "has_lift": True, "unit_weight_kg": Decimal("4.2")}, True),
    ("les-saules", "fridge", "Réfrigérateur de la cantine",
     "Armoire réfrigérée 400 L, porte pleine, fonctionne.", 1, Condition.FAIR,
     {"floor": 0, "pickup_notes": "Accès camion par la rue des Hautes Bornes, quai de la cantine.",
      "unit_weight_kg": Decimal("90")}, True),
    ("les-saules", "monitor", "Vidéoprojecteurs et écrans",
     "Vidéoprojecteurs de salle de classe avec télécommande, lampe récente : à emprunter à la journée.", 4,
     Condition.GOOD, {"mode": "shared"}, True),
    ("albert-camus", "school-furniture", "Chaises élèves taille 5",
     "Chaises bois et métal, assise réglable.", 24, Condition.FAIR, {"opening_hours": HOURS_SCHOOL}, True),
    ("albert-camus", "books", "Romans de la bibliothèque",
     "Romans jeunesse en double au CDI, environ 80 titres.", 80, Condition.GOOD, {}, False),
    ("reval-autonomie", "wheelchair", "Fauteuil roulant reconditionné",
     "Fauteuil reconditionné et désinfecté, certifié NF S97-414, garantie 6 mois.", 2, Condition.AS_NEW,
     {"opening_hours": HOURS_ASSOC}, True),
    ("reval-autonomie", "walker", "Rollators reconditionnés",
     "Rollators 4 roues remis en état, freins réglés.", 5, Condition.GOOD, {"opening_hours": HOURS_ASSOC}, True),
    ("pont-des-familles", "toys", "Jouets d'éveil pour la petite enfance",
     "Jouets lavés et complets, pour les 0-3 ans.", 20, Condition.GOOD, {"opening_hours": HOURS_ASSOC}, True),
    ("pont-des-familles", "textiles", "Couvertures polaires",
     "Couvertures 150 × 200 lavées, pour l'hébergement d'urgence.", 30, Condition.GOOD,
     {"opening_hours": HOURS_ASSOC}, True),
]


#
# Generated pictures: a soft background per category, a silhouette and the title
#
PALETTE = {  # category key -> (background, shape colour)
    "office-chair": ((233, 221, 203), (120, 72, 40)),
    "desk-table": ((226, 232, 214), (110, 90, 60)),
    "storage": ((220, 226, 233), (90, 100, 115)),
    "bed": ((236, 224, 236), (130, 90, 120)),
    "medical-bed": ((218, 234, 238), (40, 110, 140)),
    "school-furniture": ((250, 236, 200), (40, 80, 160)),
    "wheelchair": ((214, 236, 226), (30, 90, 70)),
    "walker": ((226, 240, 220), (60, 120, 60)),
    "desktop": ((224, 228, 240), (50, 60, 90)),
    "laptop": ((232, 232, 244), (70, 70, 100)),
    "monitor": ((222, 230, 242), (30, 40, 70)),
    "printer": ((238, 238, 232), (80, 80, 80)),
    "microwave": ((245, 228, 220), (150, 70, 50)),
    "fridge": ((226, 240, 246), (70, 120, 150)),
    "textiles": ((246, 230, 236), (170, 80, 110)),
    "books": ((242, 236, 222), (140, 90, 40)),
    "toys": ((252, 240, 210), (210, 90, 40)),
}
DEFAULT_PALETTE = ((236, 236, 236), (100, 100, 100))
PICTURE_SIZE = (1200, 900)
SHAPES = {
    "office-chair": "chair", "school-furniture": "chair", "desk-table": "table", "storage": "cabinet",
    "bed": "bed", "medical-bed": "bed", "mattress": "bed", "wheelchair": "wheelchair", "walker": "walker",
    "desktop": "screen", "monitor": "screen", "laptop": "laptop", "printer": "box", "microwave": "box",
    "fridge": "tall_box", "large-appliance": "tall_box", "small-appliance": "box", "textiles": "stack",
    "books": "stack", "toys": "toys",
}


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, x: int, y: int, ink) -> None:
    """A plain silhouette whose bottom-left corner is near (x, y)."""
    r = draw.rectangle
    if shape == "chair":
        r((x, y - 330, x + 40, y), fill=ink)
        r((x, y - 170, x + 220, y - 140), fill=ink)
        r((x + 190, y - 140, x + 220, y), fill=ink)
    elif shape == "table":
        r((x, y - 200, x + 420, y - 170), fill=ink)
        r((x + 20, y - 170, x + 50, y), fill=ink)
        r((x + 370, y - 170, x + 400, y), fill=ink)
    elif shape == "cabinet":
        r((x, y - 380, x + 260, y), fill=ink)
        draw.line((x + 130, y - 370, x + 130, y - 10), fill=(255, 255, 255), width=6)
    elif shape == "bed":
        r((x, y - 240, x + 40, y), fill=ink)
        r((x, y - 130, x + 460, y - 90), fill=ink)
        r((x + 430, y - 170, x + 460, y), fill=ink)
        r((x + 50, y - 160, x + 150, y - 130), fill=(255, 255, 255))
    elif shape == "wheelchair":
        draw.ellipse((x, y - 240, x + 240, y), outline=ink, width=22)
        r((x + 80, y - 330, x + 110, y - 120), fill=ink)
        r((x + 80, y - 150, x + 300, y - 120), fill=ink)
        draw.ellipse((x + 270, y - 60, x + 330, y), fill=ink)
    elif shape == "walker":
        r((x, y - 300, x + 24, y), fill=ink)
        r((x + 200, y - 300, x + 224, y), fill=ink)
        r((x, y - 300, x + 224, y - 276), fill=ink)
        r((x, y - 150, x + 224, y - 130), fill=ink)
    elif shape in {"screen", "laptop"}:
        r((x, y - 320, x + 420, y - 80), fill=ink)
        r((x + 20, y - 300, x + 400, y - 100), fill=(200, 220, 240))
        if shape == "screen":
            r((x + 190, y - 80, x + 230, y - 20), fill=ink)
            r((x + 120, y - 20, x + 300, y), fill=ink)
        else:
            r((x - 40, y - 80, x + 460, y - 50), fill=ink)
    elif shape in {"box", "tall_box"}:
        height = 420 if shape == "tall_box" else 220
        r((x, y - height, x + 320, y), fill=ink)
        r((x + 20, y - height + 20, x + 220, y - 20), fill=(230, 230, 230))
        draw.ellipse((x + 250, y - height + 40, x + 290, y - height + 80), fill=(230, 230, 230))
    elif shape == "stack":
        for level in range(5):
            shift = (level * 37) % 60
            r((x + shift, y - (level + 1) * 60, x + shift + 320, y - level * 60 - 8), fill=ink)
    elif shape == "toys":
        draw.ellipse((x, y - 200, x + 200, y), fill=ink)
        r((x + 230, y - 140, x + 370, y), fill=(60, 120, 200))
        draw.polygon([(x + 400, y), (x + 540, y), (x + 470, y - 150)], fill=(60, 160, 90))
    else:
        draw.ellipse((x, y - 260, x + 260, y), fill=ink)


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's built-in font has no accented letters; DejaVu (most Linux systems) has them.
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


@functools.lru_cache(maxsize=64)  # a second build in the same process (tests) draws nothing twice
def demo_picture(*, title: str, category_key: str, caption: str = "", variant: int = 0) -> bytes:
    """A 1200 × 900 JPEG showing a silhouette of the category and the item's title."""
    background, ink = PALETTE.get(category_key, DEFAULT_PALETTE)
    image = Image.new("RGB", PICTURE_SIZE, background)
    draw = ImageDraw.Draw(image)
    width, height = PICTURE_SIZE
    # A floor band and a per-item position make pictures of one category still differ.
    floor_y = 700
    draw.rectangle((0, floor_y, width, height), fill=tuple(max(c - 18, 0) for c in background))
    rng = random.Random(variant)
    _draw_shape(draw, SHAPES.get(category_key, "other"), 120 + rng.randrange(0, 520), floor_y + 20, ink)
    title_font, small_font = _font(60), _font(34)
    y = 60
    for line in textwrap.wrap(title, width=32)[:3]:
        draw.text((60, y), line, font=title_font, fill=(35, 35, 35))
        y += 76
    if caption:
        draw.text((60, y + 10), caption, font=small_font, fill=(80, 80, 80))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


#
# Building the demo
#
@dataclass
class DemoData:
    """What the demo holds, for the command's summary and for the exchange demo builder."""

    organisations: dict[str, Organisation]
    users: dict[str, object]
    items: list[Item]
    created: bool

    @property
    def givers(self) -> list[Organisation]:
        return [org for org in self.organisations.values() if org.kind in GIVER_KINDS and not org.is_reuse_partner]


def demo_loaded() -> bool:
    """The demo is there once its département exists: ``build_demo`` creates all or nothing."""
    return Organisation.objects.filter(name=DEPARTMENT_NAME, kind=Kind.DEPARTMENT).exists()


def staff_username(key: str) -> str:
    return f"staff-{key}"


def facilities_without_login() -> list[OrgSpec]:
    """Giving facilities whose staff has no named login above: each gets a ``staff-<key>``."""
    named = {org_key for _u, _f, _l, org_key, role in LOGINS if role == Role.STAFF}
    return [
        spec for spec in ORGANISATIONS
        if spec.kind in GIVER_KINDS and spec.key not in named and not spec.flags.get("is_reuse_partner")
    ]


def demo_usernames() -> list[str]:
    return [login[0] for login in LOGINS] + [ADMIN_USERNAME] + [
        staff_username(spec.key) for spec in facilities_without_login()
    ]


def _offset(text: str) -> Decimal:
    """A stable offset of up to ±0.006° (about 500 m) so sites don't sit on the commune's centre."""
    return (Decimal(_seed(text) % 1201) - 600) / Decimal(100_000)


def _create_organisation(spec: OrgSpec, commune: Commune) -> Organisation:
    first, _sep, last = spec.contact.partition(" ")
    email_local = f"{first}.{last}".lower() if last else spec.key
    organisation = Organisation(
        name=spec.name, kind=spec.kind, legal_status=spec.legal_status, siret=luhn_siret(spec.name),
        finess=spec.finess, uai=spec.uai, address=spec.address, postcode=commune.postcode, commune=commune,
        latitude=(commune.latitude + _offset(spec.key)).quantize(Decimal("0.00001")),
        longitude=(commune.longitude + _offset(spec.key[::-1])).quantize(Decimal("0.00001")),
        contact_name=spec.contact, contact_email=_ascii(f"{email_local}@example.org"),
        contact_phone=f"01 4{_seed(spec.key) % 10} {_seed(spec.name) % 90 + 10} "
                      f"{_seed(spec.address) % 90 + 10} {_seed(spec.contact) % 90 + 10}",
        **spec.flags,
    )
    organisation.full_clean()
    attribute(organisation, actor=None, reason=DEMO_REASON)
    organisation.save()
    return organisation


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace(" ", "-").replace("'", "")


def _create_user(username: str, first: str, last: str, password_hash: str, **flags):
    user = get_user_model()(
        username=username, first_name=first, last_name=last,
        email=_ascii(f"{first}.{last}@example.org".lower()), password=password_hash, **flags,
    )
    user.save()
    return user


def _join(user, organisation: Organisation, role: str) -> None:
    membership = Membership(user=user, organisation=organisation, role=role)
    attribute(membership, actor=None, reason=DEMO_REASON)
    membership.save()


@transaction.atomic
def build_demo() -> DemoData:
    """Create the demo Val-de-Marne, or return the one already there (nothing is duplicated).

    Raises:
        ValidationError: a demo username is already taken by someone else, or a demo row is invalid.
    """
    if demo_loaded():
        return existing_demo()
    taken = sorted(get_user_model().objects.filter(username__in=demo_usernames()).values_list("username", flat=True))
    if taken:
        raise ValidationError(
            _("This database already has users named %(names)s; load the demo into an empty database.")
            % {"names": ", ".join(taken)},
            code="demo_conflict",
        )
    communes = {c.insee: c for c in Commune.objects.all()}
    organisations = {spec.key: _create_organisation(spec, communes[spec.insee]) for spec in ORGANISATIONS}

    # One hash for every demo login: PBKDF2 takes a noticeable time per call.
    password_hash = make_password(DEMO_PASSWORD)
    users = {}
    for username, first, last, org_key, role in LOGINS:
        users[username] = _create_user(username, first, last, password_hash)
        _join(users[username], organisations[org_key], role)
    users[ADMIN_USERNAME] = _create_user(
        ADMIN_USERNAME, "Admin", "Rebond", password_hash, is_staff=True, is_superuser=True,
    )
    staff_of = {org_key: users[username] for username, _f, _l, org_key, role in LOGINS if role == Role.STAFF}
    for spec in facilities_without_login():
        first, _sep, last = spec.contact.partition(" ")
        user = _create_user(staff_username(spec.key), first, last, password_hash)
        _join(user, organisations[spec.key], Role.STAFF)
        staff_of[spec.key] = users[user.username] = user

    categories = {c.key: c for c in Category.objects.all()}
    today = timezone.localdate()
    items = []
    for index, (org_key, category_key, title, description, quantity, condition, extras, publish) in enumerate(ITEMS):
        actor = staff_of[org_key]
        item = services.item_create(
            actor=actor, owner=organisations[org_key], title=title, description=description,
            category=categories[category_key], condition=condition, quantity=quantity,
            available_from=today - timedelta(days=index % 9), **extras,
        )
        picture = demo_picture(
            title=title, category_key=category_key, caption=organisations[org_key].name, variant=index,
        )
        services.photo_add(
            actor=actor, item=item,
            upload=SimpleUploadedFile(f"demo-{index:02d}.jpg", picture, content_type="image/jpeg"),
            alt_text=title,
        )
        if publish:
            item = services.item_publish(actor=actor, item=item)
        items.append(item)
    return DemoData(organisations=organisations, users=users, items=items, created=True)


def existing_demo() -> DemoData:
    """The demo objects already in the database (for ``--items`` and the exchange demo)."""
    names = {spec.name: spec.key for spec in ORGANISATIONS}
    organisations = {names[o.name]: o for o in Organisation.objects.filter(name__in=names)}
    users = {u.username: u for u in get_user_model().objects.filter(username__in=demo_usernames())}
    demo_titles = {spec[2] for spec in ITEMS}
    items = list(Item.objects.filter(owner__in=organisations.values(), title__in=demo_titles).order_by("pk"))
    return DemoData(organisations=organisations, users=users, items=items, created=False)


#
# Bulk items for benchmarks
#
BULK_TITLES = {
    "office-chair": ["Chaise de bureau à roulettes", "Fauteuil de direction", "Chaise visiteur"],
    "desk-table": ["Bureau droit 140 cm", "Table de réunion", "Table pliante"],
    "storage": ["Armoire haute 2 portes", "Caisson 3 tiroirs", "Étagère métallique"],
    "bed": ["Lit simple avec sommier", "Chevet à roulettes"],
    "medical-bed": ["Lit médicalisé électrique", "Lit médicalisé à hauteur variable"],
    "school-furniture": ["Chaise élève", "Table élève", "Tabouret de laboratoire"],
    "wheelchair": ["Fauteuil roulant manuel", "Fauteuil de transfert"],
    "walker": ["Déambulateur", "Rollator 4 roues"],
    "desktop": ["Unité centrale", "Ordinateur tout-en-un"],
    "laptop": ["Ordinateur portable 15 pouces", "Ordinateur portable 13 pouces"],
    "monitor": ["Écran 24 pouces", "Écran 19 pouces"],
    "printer": ["Imprimante laser", "Imprimante multifonction"],
    "microwave": ["Four à micro-ondes"],
    "fridge": ["Réfrigérateur", "Armoire réfrigérée"],
    "textiles": ["Lot de draps", "Couvertures", "Rideaux"],
    "books": ["Lot de livres", "Manuels scolaires"],
    "toys": ["Jeux de société", "Jouets d'éveil"],
}
# Mostly in the catalogue; reserved and gone come from real reservations, not from here.
BULK_STATUSES = [Item.Status.AVAILABLE] * 17 + [Item.Status.DRAFT] * 2 + [Item.Status.WITHDRAWN]
BULK_CONDITIONS = [Condition.AS_NEW, Condition.GOOD, Condition.GOOD, Condition.GOOD, Condition.FAIR,
                   Condition.FAIR, Condition.FOR_PARTS]


@dataclass(frozen=True)
class SharedPhoto:
    image: str
    thumbnail: str
    width: int
    height: int


def _shared_photos(categories: list[Category]) -> dict[int, SharedPhoto]:
    """One picture per category, run once through the pipeline and stored for many items."""
    shared = {}
    for category in categories:
        picture = demo_picture(title=category.name_fr, category_key=category.key, variant=_seed(category.key))
        processed = process_photo(SimpleUploadedFile(f"{category.key}.jpg", picture, content_type="image/jpeg"))
        image = default_storage.save(photo_upload_to(None, processed.image.name), processed.image)
        thumbnail = default_storage.save(photo_upload_to(None, processed.thumbnail.name), processed.thumbnail)
        shared[category.pk] = SharedPhoto(image, thumbnail, processed.width, processed.height)
    return shared


def add_bulk_items(*, count: int, batch_size: int = 5000, seed: int | None = None) -> int:
    """Add ``count`` items (with history and one shared photo each) spread over the demo.

    Builds the demo first if needed. Rows are inserted in batches inside one transaction,
    so an interrupted run leaves no half-loaded lot behind. Items of the same category share
    their picture files: deleting one such photo through the services would remove the file
    for all of them, which is acceptable for benchmark data only.

    Raises:
        ValidationError: the demo could not be built (see ``build_demo``).
    """
    demo = build_demo()
    givers = demo.givers
    staff = dict(
        Membership.objects.filter(organisation__in=givers, role=Role.STAFF)
        .order_by("pk").values_list("organisation_id", "user_id")
    )
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=staff.values())}
    categories = list(Category.objects.filter(key__in=BULK_TITLES).order_by("key"))
    shared = _shared_photos(categories)
    connection = connections[router.db_for_write(Item)]
    if connection.vendor == "postgresql":
        with transaction.atomic():
            created = _add_bulk_items_set_based(
                connection, count=count, givers=givers, staff=staff, categories=categories, shared=shared)
        analyze_items(connection)
        return created
    rng = random.Random(seed if seed is not None else Item.objects.count())
    now = timezone.now()
    created = 0
    with transaction.atomic():
        while created < count:
            size = min(batch_size, count - created)
            # Items and photos through the ORM (their new ids are needed); their history rows,
            # which nothing refers to, with one executemany each: simple-history's
            # bulk_create_with_history spends most of its time in Django's insert compiler.
            items = Item.objects.bulk_create(
                [_bulk_item(rng, givers, staff, users, categories, now) for _ in range(size)]
            )
            _insert_history(items)
            photos = []
            for item in items:
                picture = shared[item.category_id]
                photo = Photo(
                    item=item, image=picture.image, thumbnail=picture.thumbnail, width=picture.width,
                    height=picture.height, order=0, alt_text=item.title,
                )
                attribute(photo, actor=item.created_by, reason=BULK_REASON)
                photo._history_date = item.created_at
                photos.append(photo)
            _insert_history(Photo.objects.bulk_create(photos))
            created += size
    analyze_items(connection)
    return created


def analyze_items(connection) -> None:
    """Refresh the planner's statistics after a bulk load: until autovacuum gets to it, stale
    statistics make PostgreSQL read the photos table whole for a page of 50 items. On
    PostgreSQL, outside a transaction, VACUUM too: it marks the new pages all-visible, so the
    catalogue's bounded count reads the index alone (an index-only scan) rather than also
    fetching 10,001 rows from the table."""
    tables = "inventory_item, inventory_photo, inventory_historicalitem, inventory_historicalphoto"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
        elif connection.in_atomic_block:  # VACUUM cannot run in a transaction
            cursor.execute(f"ANALYZE {tables}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {tables}")


# Items, their photos and their "created" history rows in three INSERT … SELECT statements
# over generate_series: the rows never travel through Python (a million in about a minute).
# The random picks are made once per row in the sub-query (OFFSET 0 keeps PostgreSQL from
# folding it into the outer SELECT, which would draw each random() again per column).
_BULK_ITEMS_SQL = """
INSERT INTO inventory_item (
    owner_id, category_id, title, description, condition, mode, quantity, quantity_reserved,
    quantity_transferred, unit_weight_kg, floor, has_lift, opening_hours, pickup_notes,
    inventory_number, acquisition_date, status, created_by_id, created_at, updated_at, published_at)
SELECT
    (%(givers)s::bigint[])[gi], (%(categories)s::bigint[])[ci],
    ((%(titles)s::jsonb) -> (ci - 1) ->> floor(r_title * jsonb_array_length((%(titles)s::jsonb) -> (ci - 1)))::int)
        || ' – lot ' || floor(r_lot * 10000)::int,
    'Lot de ' || quantity || ' proposé par ' || (%(giver_names)s::text[])[gi] || '.',
    (%(conditions)s::text[])[1 + floor(r_condition * %(n_conditions)s)::int], 'give', quantity, 0, 0,
    CASE WHEN r_weight < 0.7 THEN NULL ELSE (10 + floor(r_weight * 890)) / 10.0 END,
    (ARRAY[NULL, -1, 0, 0, 1, 2, 3]::smallint[])[1 + floor(r_floor * 7)::int], r_lift < 0.6, '', '',
    'INV-' || to_char(created_at, 'YYYY') || '-' || lpad(floor(r_lot * 100000)::int::text, 5, '0'),
    make_date(2010 + floor(r_acquired * 14)::int, 1 + floor(r_lot * 12)::int, 1),
    status, (%(staff)s::integer[])[gi], created_at, created_at,
    CASE WHEN status = 'draft' THEN NULL ELSE created_at + make_interval(hours => 1 + floor(r_lot * 47)::int) END
FROM (
    SELECT 1 + floor(random() * %(n_givers)s)::int AS gi, 1 + floor(random() * %(n_categories)s)::int AS ci,
           random() AS r_title, random() AS r_lot, random() AS r_condition, random() AS r_weight,
           random() AS r_floor, random() AS r_lift, random() AS r_acquired,
           (ARRAY[1, 1, 1, 2, 3, 4, 6, 10, 12, 20])[1 + floor(random() * 10)::int] AS quantity,
           (%(statuses)s::text[])[1 + floor(random() * %(n_statuses)s)::int] AS status,
           %(now)s::timestamptz - make_interval(mins => 1 + floor(random() * 525599)::int) AS created_at
    FROM generate_series(1, %(count)s)
    OFFSET 0
) picks
"""
_BULK_PHOTOS_SQL = """
INSERT INTO inventory_photo (item_id, image, thumbnail, width, height, "order", alt_text, created_at)
SELECT i.id, p.image, p.thumbnail, p.width, p.height, 0, i.title, i.created_at
FROM inventory_item i JOIN unnest(%(categories)s::bigint[], %(images)s::text[], %(thumbnails)s::text[],
                                  %(widths)s::int[], %(heights)s::int[])
     AS p(category_id, image, thumbnail, width, height)
     ON p.category_id = i.category_id
WHERE i.id > %(after)s
"""


def _add_bulk_items_set_based(connection, *, count, givers, staff, categories, shared) -> int:
    """``add_bulk_items`` on PostgreSQL: set-based SQL, history rows as simple-history writes them."""
    import json

    item_columns = _history_copied_columns(Item)
    photo_columns = _history_copied_columns(Photo)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM inventory_item")
        after = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM inventory_photo")
        photos_after = cursor.fetchone()[0]
        cursor.execute(_BULK_ITEMS_SQL, {
            "count": count, "now": timezone.now(),
            "givers": [g.pk for g in givers], "giver_names": [g.name for g in givers],
            "staff": [staff.get(g.pk) for g in givers], "n_givers": len(givers),
            "categories": [c.pk for c in categories], "n_categories": len(categories),
            "titles": json.dumps([BULK_TITLES[c.key] for c in categories]),
            "conditions": [str(c) for c in BULK_CONDITIONS], "n_conditions": len(BULK_CONDITIONS),
            "statuses": [str(s) for s in BULK_STATUSES], "n_statuses": len(BULK_STATUSES),
        })
        created = cursor.rowcount
        cursor.execute(_BULK_PHOTOS_SQL, {
            "after": after, "categories": [c.pk for c in categories],
            "images": [shared[c.pk].image for c in categories],
            "thumbnails": [shared[c.pk].thumbnail for c in categories],
            "widths": [shared[c.pk].width for c in categories], "heights": [shared[c.pk].height for c in categories],
        })
        reason = BULK_REASON
        cursor.execute(
            f"INSERT INTO inventory_historicalitem ({item_columns}, history_date, history_change_reason, "
            f"history_type, history_user_id) SELECT {item_columns}, created_at, %s, '+', created_by_id "
            f"FROM inventory_item WHERE id > %s", [reason, after])
        cursor.execute(
            f"INSERT INTO inventory_historicalphoto ({photo_columns}, history_date, history_change_reason, "
            f"history_type, history_user_id) SELECT {', '.join('p.' + c for c in photo_columns.split(', '))}, "
            f"p.created_at, %s, '+', i.created_by_id FROM inventory_photo p JOIN inventory_item i ON i.id = p.item_id "
            f"WHERE p.id > %s", [reason, photos_after])
    return created


def _history_copied_columns(model) -> str:
    """The columns a history row copies from its object (all but simple-history's own)."""
    own = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}
    columns = [f.column for f in model.history.model._meta.concrete_fields if f.column not in own]
    return ", ".join(f'"{c}"' for c in columns)


def _insert_history(objs: list) -> None:
    """Write the "created" history row of each saved object, as simple-history would.

    The user, reason and date come from ``attribute()`` and ``_history_date`` on each object.
    """
    model = type(objs[0])
    history_model = model.history.model
    connection = connections[router.db_for_write(history_model)]
    ops = connection.ops
    now = timezone.now()
    fields = [f for f in history_model._meta.concrete_fields if not f.primary_key]
    getters = []
    for f in fields:
        if f.name == "history_date":
            get = lambda obj: getattr(obj, "_history_date", None) or now  # noqa: E731
        elif f.name == "history_user":
            get = lambda obj: getattr(getattr(obj, "_history_user", None), "pk", None)  # noqa: E731
        elif f.name == "history_change_reason":
            get = lambda obj: getattr(obj, "_change_reason", None)  # noqa: E731
        elif f.name == "history_type":
            get = lambda obj: "+"  # noqa: E731
        elif isinstance(model._meta.get_field(f.name), models.FileField):
            get = lambda obj, name=f.attname: getattr(obj, name).name  # noqa: E731
        else:
            get = operator.attrgetter(f.attname)
        # Dates and decimals need the backend's adaptation (SQLite stores them as text).
        if isinstance(f, models.DateTimeField):
            getters.append(lambda obj, get=get: ops.adapt_datetimefield_value(get(obj)))
        elif isinstance(f, models.DateField):
            getters.append(lambda obj, get=get: ops.adapt_datefield_value(get(obj)))
        elif isinstance(f, models.DecimalField):
            getters.append(lambda obj, get=get, f=f: ops.adapt_decimalfield_value(get(obj), f.max_digits,
                                                                                  f.decimal_places))
        else:
            getters.append(get)

    rows = [tuple([get(obj) for get in getters]) for obj in objs]
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {ops.quote_name(history_model._meta.db_table)} ({columns}) VALUES ({placeholders})",
            rows,
        )


def _bulk_item(rng: random.Random, givers, staff, users, categories, now) -> Item:
    owner = givers[rng.randrange(len(givers))]
    category = categories[rng.randrange(len(categories))]
    status = BULK_STATUSES[rng.randrange(len(BULK_STATUSES))]
    created_at = now - timedelta(minutes=rng.randrange(1, 365 * 24 * 60))
    creator = users[staff[owner.pk]]
    quantity = rng.choice((1, 1, 1, 2, 3, 4, 6, 10, 12, 20))
    titles = BULK_TITLES[category.key]
    item = Item(
        owner=owner, category=category, title=f"{titles[rng.randrange(len(titles))]} – lot {rng.randrange(10000)}",
        description=f"Lot de {quantity} proposé par {owner.name}.", condition=rng.choice(BULK_CONDITIONS),
        quantity=quantity, floor=rng.choice((None, -1, 0, 0, 1, 2, 3)), has_lift=rng.random() < 0.6,
        unit_weight_kg=None if rng.random() < 0.7 else Decimal(rng.randrange(10, 900)) / 10,
        inventory_number=f"INV-{created_at:%Y}-{rng.randrange(100000):05d}",
        acquisition_date=date(2010 + rng.randrange(14), 1 + rng.randrange(12), 1),
        status=status, created_by=creator, created_at=created_at,
        published_at=None if status == Item.Status.DRAFT else created_at + timedelta(hours=rng.randrange(1, 48)),
    )
    attribute(item, actor=creator, reason=BULK_REASON)
    item._history_date = created_at
    return item
