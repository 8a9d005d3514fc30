"""The built-in vocabularies: which delivered words mean which of the benchmark's codes.

Values are compared without case, spaces or punctuation (readers/dutch_values.lookup_values).
"""

from __future__ import annotations

# asset class -> spellings seen in CMDB exports (compared without case, spaces or punctuation).
# Text that matches none counts as `other` and is listed in the load notes, so a missing
# spelling shows up instead of silently shrinking the workstation count.
ASSET_CLASSES: dict[str, tuple[str, ...]] = {
    "laptop": (
        "Laptop",
        "Notebook",
        "Ultrabook",
        "Chromebook",
        "MacBook",
        "Convertible",
        "2-in-1",
        "Draagbare computer",
    ),
    "desktop": (
        "Desktop",
        "PC",
        "Desktop PC",
        "Vaste pc",
        "Werkplek pc",
        "All-in-one",
        "AIO",
        "Mini pc",
        "Tower",
        "Workstation",
        "iMac",
    ),
    "thin_client": ("Thin client", "Thinclient", "Zero client"),
    "monitor": ("Monitor", "Beeldscherm", "Scherm", "Display", "Screen"),
    "phone": (
        "Phone",
        "Smartphone",
        "Telefoon",
        "Mobiele telefoon",
        "Mobiel",
        "GSM",
        "iPhone",
        "Mobile phone",
        "Mobile",
        "VoIP telefoon",
        "Desk phone",
    ),
    "tablet": ("Tablet", "iPad", "Android tablet"),
    "server": ("Server", "Fysieke server", "Physical server", "Host", "ESX host", "Blade"),
    "storage": ("Storage", "Opslag", "Opslagsysteem", "NAS", "SAN", "Storage array"),
    "network": (
        "Network",
        "Netwerk",
        "Netwerkapparatuur",
        "Network device",
        "Switch",
        "Core switch",
        "Router",
        "Firewall",
        "Access point",
        "Wireless access point",
        "WAP",
        "Load balancer",
    ),
    "printer": (
        "Printer",
        "Multifunctional",
        "Multifunctionele printer",
        "MFP",
        "MFD",
        "Copier",
        "Kopieerapparaat",
        "Scanner",
        "Plotter",
        "Labelprinter",
    ),
    "other": ("Overig", "Other", "Anders", "Docking station", "Beamer", "Projector", "Headset"),
}

# status -> spellings. Devices in repair still occupy a workstation (in use); stolen, sold and
# broken ones no longer do (retired); ordered or spare ones wait on the shelf (in stock).
STATUSES: dict[str, tuple[str, ...]] = {
    "in_use": (
        "In gebruik",
        "Actief",
        "Uitgegeven",
        "In productie",
        "In reparatie",
        "Active",
        "In use",
        "Operational",
        "Deployed",
        "In repair",
    ),
    "in_stock": (
        "Voorraad",
        "In voorraad",
        "Op voorraad",
        "Reserve",
        "Besteld",
        "Niet actief",
        "In stock",
        "Stock",
        "Spare",
        "Non-active",
        "Ordered",
    ),
    "retired": (
        "Afgevoerd",
        "Buiten gebruik",
        "Gearchiveerd",
        "Afgeschreven",
        "Verkocht",
        "Gestolen",
        "Defect",
        "Vernietigd",
        "Disposed",
        "Retired",
        "Sold",
        "Stolen",
        "Broken",
        "Archived",
        "Decommissioned",
        "Out of service",
    ),
}

# Categories that count as ICT / digital skills, and common ones that do not. The benchmark only
# asks "ICT or not": a category in neither list counts as `other` too, but is named in the notes
# in case it is an ICT spelling this table lacks.
COURSE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "ict": (
        "ICT",
        "IT",
        "I&A",
        "Digitale vaardigheden",
        "ICT / digitale vaardigheden",
        "Digitaal",
        "ICT-vaardigheden",
        "Informatievoorziening",
        "Informatiebeveiliging",
        "Digital skills",
        "Digital",
        "IT skills",
        "Information security",
    ),
    "other": (
        "Overig",
        "Vakinhoudelijk",
        "Vaktechnisch",
        "Management",
        "Leiderschap",
        "Persoonlijke ontwikkeling",
        "Communicatie",
        "Juridisch",
        "Veiligheid",
        "Gezondheid",
        "Other",
        "Professional",
        "Leadership",
        "Personal development",
        "Communication",
        "Legal",
        "Safety",
        "Health",
    ),
}
