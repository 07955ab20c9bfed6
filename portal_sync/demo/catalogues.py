"""The fixed catalogues of the demo world (users, types, priorities, statuses, trades, ...).

Rows are tuples in the contract's column order, without the trailing `updated_at`.
The demo settings (`portal-sync.toml`) release MIETER/EIGENTUEMER/HAUSMEISTER and the
document types NK-ABRECHNUNG, MIETVERTRAG, HAUSORDNUNG, PROTOKOLL.
"""

from __future__ import annotations

from typing import Final

TECHNICAL_USER: Final = "PORTAL"

SYSTEM_SETTINGS: Final = (
    ("Schnittstelle/Mieterportal/Aktiv", "1"),
    ("Schnittstelle/Mieterportal/Anbieter", "casavi"),
    ("Schnittstelle/DocuWare/Archiv", "Archiv"),
    ("Mandant/Name", "Musterverwaltung Süd GmbH"),
)

#: user_id, display_name, docuware_username, docuware_password (A8: the technical user's own).
USERS: Final = (
    (TECHNICAL_USER, "Serviceportal (technisch)", "demo", "demo"),
    ("MSCHULZ", "Martina Schulz", None, None),
    ("TWEBER", "Thomas Weber", None, None),
    ("AKOEHLER", "Anja Köhler", None, None),
    ("JGROSS", "Jörg Groß", None, None),
    ("ADMIN", "Administrator", None, None),
)
STAFF_USERS: Final = ("MSCHULZ", "TWEBER", "AKOEHLER", "JGROSS")

RELEASED_PERSON_TYPES: Final = ("MIETER", "EIGENTUEMER", "HAUSMEISTER")
UNRELEASED_PERSON_TYPES: Final = ("DIENSTLEISTER", "INTERESSENT")

DOCUMENT_TYPES: Final = (
    ("NK-ABRECHNUNG", "Nebenkostenabrechnung"),
    ("MIETVERTRAG", "Mietvertrag"),
    ("HAUSORDNUNG", "Hausordnung"),
    ("PROTOKOLL", "Protokoll"),
    ("MAHNUNG", "Mahnung"),
    ("INTERN", "Interne Notiz"),
)
RELEASED_DOCUMENT_TYPES: Final = ("NK-ABRECHNUNG", "MIETVERTRAG", "HAUSORDNUNG", "PROTOKOLL")
UNTIMED_DOCUMENT_TYPES: Final = ("MIETVERTRAG", "HAUSORDNUNG")

#: template_id, name, document_type, portal_excluded
TEMPLATES: Final = (
    (1, "Nebenkostenabrechnung", "NK-ABRECHNUNG", False),
    (2, "Mieterhöhung nach § 558 BGB", "MIETVERTRAG", False),
    (3, "Einladung zur Eigentümerversammlung", "PROTOKOLL", True),
    (4, "Zahlungserinnerung", "MAHNUNG", False),
    (5, "Änderung der Hausordnung", "HAUSORDNUNG", False),
    (6, "Interne Aktennotiz", "INTERN", True),
    (7, "Protokoll der Wohnungsübergabe", "PROTOKOLL", False),
)

# Ticket type flags, in column order after name/category/description:
# portal_locked, portal_bulletin, portal_object_ticket, notify_unregistered,
# note_on_commission, release_tenant, release_caretaker, release_owner
TICKET_TYPES: Final = (
    (
        1,
        "Schadensmeldung",
        "Technik",
        "Schäden in der Wohnung oder am Gebäude",
        False,
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ),
    (
        2,
        "Allgemeine Anfrage",
        "Verwaltung",
        "Fragen an die Hausverwaltung",
        False,
        False,
        False,
        False,
        False,
        True,
        False,
        True,
    ),
    (
        3,
        "Interne Prüfung",
        "Verwaltung",
        "Nur für die Verwaltung (Serviceportal-Sperre)",
        True,
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ),
    (
        4,
        "Hausmitteilung",
        "Kommunikation",
        "Aushang für alle Bewohner",
        False,
        True,
        False,
        False,
        False,
        True,
        True,
        True,
    ),
    (
        5,
        "Mitteilung an Eigentümer",
        "Kommunikation",
        "Aushang nur für Eigentümer",
        False,
        True,
        False,
        False,
        False,
        False,
        False,
        True,
    ),
    (
        6,
        "Objektmeldung Treppenhaus",
        "Technik",
        "Betrifft das ganze Haus",
        False,
        False,
        True,
        False,
        True,
        True,
        True,
        False,
    ),
    (
        7,
        "Schlüsselbestellung",
        "Verwaltung",
        None,
        False,
        False,
        False,
        True,
        False,
        True,
        False,
        False,
    ),
    (
        8,
        "Eigentümeranfrage",
        "Verwaltung",
        "Anliegen der Eigentümer",
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ),
    (
        9,
        "Hausmeisterauftrag",
        "Technik",
        "Aufträge an den Hausmeister",
        False,
        False,
        False,
        False,
        True,
        False,
        True,
        False,
    ),
    (
        10,
        "Versicherungsschaden",
        "Versicherung",
        "Abwicklung mit der Versicherung",
        False,
        False,
        False,
        False,
        True,
        False,
        False,
        False,
    ),
    (
        11,
        "Wasserschaden",
        "Technik",
        "Rohrbruch, Leckage, Feuchtigkeit",
        False,
        False,
        False,
        True,
        True,
        True,
        True,
        True,
    ),
    (
        12,
        "Objektmeldung Heizung",
        "Technik",
        "Heizungsausfall im ganzen Haus",
        False,
        False,
        True,
        True,
        True,
        True,
        True,
        True,
    ),
)
TICKET_TYPE_IDS: Final = tuple(row[0] for row in TICKET_TYPES)
BULLETIN_TYPE_IDS: Final = tuple(row[0] for row in TICKET_TYPES if row[5])
OBJECT_TICKET_TYPE_IDS: Final = tuple(row[0] for row in TICKET_TYPES if row[6])
COMMISSION_NOTE_TYPE_IDS: Final = tuple(row[0] for row in TICKET_TYPES if row[8])
#: Everyday types and how often they occur in the bulk data.
TICKET_TYPE_WEIGHTS: Final = (30, 20, 4, 5, 2, 6, 5, 4, 6, 2, 8, 3)

#: priority_id, name, is_standard, portal_released
TICKET_PRIORITIES: Final = (
    (1, "Normal", True, True),
    (2, "Hoch", False, True),
    (3, "Niedrig", False, True),
    (4, "Notfall", False, True),
    (5, "Intern eilig", False, False),
)
PRIORITY_WEIGHTS: Final = (60, 15, 15, 4, 6)

#: status_id, name, is_standard, portal_released, is_closed, is_cancelled
TICKET_STATUSES: Final = (
    (1, "Neu", True, True, False, False),
    (2, "In Bearbeitung", False, True, False, False),
    (3, "Warten auf Handwerker", False, True, False, False),
    (4, "Erledigt", False, True, True, False),
    (5, "Storniert", False, True, False, True),
    (6, "Interne Klärung", False, False, False, False),
    (7, "Abgeschlossen (intern)", False, False, True, False),
)
OPEN_STATUS_IDS: Final = (1, 2, 3, 6)
OPEN_STATUS_WEIGHTS: Final = (30, 40, 20, 10)
DONE_STATUS_IDS: Final = (4, 5, 7)
DONE_STATUS_WEIGHTS: Final = (80, 8, 12)

#: trade_id, name, release_tenant, release_caretaker, release_owner
TRADES: Final = (
    (1, "Sanitär", True, True, True),
    (2, "Elektro", True, True, False),
    (3, "Heizung", True, True, True),
    (4, "Schlüsseldienst", True, False, False),
    (5, "Garten- und Landschaftspflege", False, True, True),
    (6, "Dachdecker", False, False, True),
    (7, "Gebäudereinigung", False, True, False),
    (8, "Interne Verwaltung", False, False, False),
)
TRADE_IDS: Final = tuple(row[0] for row in TRADES)
