"""Regenerate the sample directory files (made by us, official layouts): .venv/bin/python data/samples/make_samples.py

Lambert-93 coordinates are the communes' WGS84 centres (data/communes_94.csv) projected with pyproj."""
import csv

from pyproj import Transformer

communes = {r["insee"]: r for r in csv.DictReader(open("data/communes_94.csv", encoding="utf-8"))}
fwd = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)

def luhn_complete(prefix13):
    for d in range(10):
        v = prefix13 + str(d)
        total = 0
        for i, c in enumerate(reversed(v)):
            x = int(c)
            if i % 2 == 1:
                x *= 2
                if x > 9:
                    x -= 9
            total += x
        if total % 10 == 0:
            return v

def lambert(insee, dx=0.002, dy=-0.001):
    c = communes[insee]

    x, y = fwd.transform(float(c["longitude"]) + dx, float(c["latitude"]) + dy)
    return f"{x:.1f}", f"{y:.1f}"

ehpads = [
    ("940000011", "940000010", "EHPAD LES MAGNOLIAS", "EHPAD LES MAGNOLIAS", "12", "R", "DE LA REPUBLIQUE", "028"),
    ("940000029", "940000028", "EHPAD LA SEIGNEURIE", "EHPAD LA SEIGNEURIE", "3", "AV", "DU GENERAL DE GAULLE", "081"),
    ("940000037", "940000036", "EHPAD LE CEDRE", "EHPAD LE CÈDRE BLEU", "45", "BD", "DE STALINGRAD", "080"),
    ("940000045", "940000044", "EHPAD VAL DE MARNE", "EHPAD RÉSIDENCE VAL DE MARNE", "8", "R", "EMILE ZOLA", "046"),
    ("940000052", "940000051", "EHPAD LES ORMES", "EHPAD LES ORMES", "21", "AV", "PAUL VAILLANT COUTURIER", "043"),
    ("940000060", "940000059", "EHPAD ARC EN CIEL", "EHPAD L'ARC-EN-CIEL", "6", "PL", "DE L EGLISE", "003"),
]
lines = ["finess;etalab;94;2026-11-01"]
geo = []
for i, (et, ej, rs, rsl, num, typ, voie, com) in enumerate(ehpads):
    insee = "94" + com
    c = communes[insee]
    siret = luhn_complete(f"26940{i:04d}0001")
    row = ["structureet", et, ej, rs, rsl, "", "", num, typ, voie, "", "", com, "94", "VAL DE MARNE",
           f"{c['postcode']} {c['name'].upper()}", f"01450{i:05d}"[:10], "", "500",
           "Etablissement d'hébergement pour personnes âgées dépendantes", "4401",
           "Etablissements pour personnes âgées",
           siret, "8710A", "45", "ARS / CD Tarif. Global", "", "", "1990-01-01", "1990-01-01", "2026-10-01", ""]
    assert len(row) == 32, len(row)
    lines.append(";".join(row))
    x, y = lambert(insee)
    geo.append(";".join(["geolocalisation", et, x, y, "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93", "2026-10-01"]))
# Two EHPAD outside the département (Paris, Hauts-de-Seine) and a non-EHPAD of the département.
for et, dep, com, cp, town, cat in [("750000019", "75", "056", "75012", "PARIS", "500"),
                                    ("920000026", "92", "012", "92100", "BOULOGNE BILLANCOURT", "500"),
                                    ("940000078", "94", "028", "94000", "CRETEIL", "101")]:
    row = ["structureet", et, et[:8] + "0", "ETABLISSEMENT " + town, "ETABLISSEMENT " + town, "", "", "1", "R",
           "DE LA PAIX", "", "", com, dep, "X", f"{cp} {town}", "0100000000", "", cat, "Libellé", "1101", "Libellé",
           "", "", "", "", "", "", "2000-01-01", "2000-01-01", "2026-10-01", ""]
    assert len(row) == 32
    lines.append(";".join(row))
lines.append("structureet;940000086;940000085;EHPAD TRONQUE;EHPAD TRONQUÉ;;;2;R;DES LILAS")  # broken line
lines += geo
open("data/samples/finess_etablissements_94.csv", "wb").write(("\r\n".join(lines) + "\r\n").encode("latin-1"))

header = ["identifiant_de_l_etablissement", "nom_etablissement", "type_etablissement", "statut_public_prive",
          "adresse_1", "adresse_2", "adresse_3", "code_postal", "code_commune", "nom_commune", "code_departement",
          "code_academie", "code_region", "ecole_maternelle", "ecole_elementaire", "voie_generale",
          "telephone", "fax", "web", "mail", "siren_siret", "latitude", "longitude", "precision_localisation",
          "date_ouverture", "etat"]
colleges = [
    ("0940001K", "Collège Louis Pasteur", "Public", "OUVERT", "94028", "2 rue Jean Gabin"),
    ("0940002L", "Collège Simone Veil", "Public", "OUVERT", "94081", "15 avenue Henri Barbusse"),
    ("0940003M", "Collège Jules Ferry", "Public", "OUVERT", "94080", "30 rue de Fontenay"),
    ("0940004N", "Collège Jean Moulin", "Public", "OUVERT", "94046", "1 place Jean Moulin"),
    ("0940005P", "Collège Pablo Neruda", "Public", "OUVERT", "94043", "10 rue Voltaire"),
    ("0940006R", "Collège Victor Hugo", "Public", "OUVERT", "94033", "7 avenue du Château"),
    ("0940007S", "Collège privé Saint-Joseph", "Privé", "OUVERT", "94028", "4 rue des Écoles"),
    ("0940008T", "Collège Anatole France", "Public", "FERME", "94002", "9 rue Véron"),
]
out = [";".join(header)]
for i, (uai, name, statut, etat, insee, street) in enumerate(colleges):
    c = communes[insee]
    siret = luhn_complete(f"19940{i:04d}0000")
    row = [uai, name, "Collège", statut, street, "", f"{c['postcode']} {c['name'].upper()}", c["postcode"], insee,
           c["name"], "094", "24", "11", "", "", "", f"01430{i:05d}"[:10], "", "", f"ce.{uai.lower()}@ac-creteil.fr",
           siret, f"{float(c['latitude']) - 0.001:.6f}", f"{float(c['longitude']) + 0.002:.6f}",
           "Numéro de rue", "1970-09-01", etat]
    assert len(row) == len(header)
    out.append(";".join(row))
open("data/samples/annuaire_education_94.csv", "w", encoding="utf-8-sig", newline="").write("\r\n".join(out) + "\r\n")
