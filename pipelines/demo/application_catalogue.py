"""Real packages Dutch municipalities run, with their suppliers and the GEMMA reference
components they fulfil (names exactly as in dbt_project/seeds/gemma_reference_components.csv).

A slot is one job in the landscape; a municipality runs one of the slot's packages. Costs are
the yearly licence or subscription of a municipality of 100 000 inhabitants (the demo scales them
to the municipality and then to its ledger); `users` below 2 is a share of the employees, from 2
up a fixed number.
"""

from __future__ import annotations

from dataclasses import dataclass

ON_PREMISES, PRIVATE_CLOUD, SAAS = "on_premises", "private_cloud", "saas"


@dataclass(frozen=True)
class Package:
    name: str
    supplier: str
    components: tuple[str, ...]
    department: str
    yearly_cost: int  # euro at 100 000 inhabitants
    users: float
    hosting: str  # in the first demo year
    version: str = ""  # first-year version; blank for SaaS (always the latest release)
    cloud_offer: bool = True  # the supplier offers it as SaaS, so a municipality may move


@dataclass(frozen=True)
class Slot:
    key: str
    min_inhabitants: int
    packages: tuple[Package, ...]


_CENTRIC, _PINK = "Centric", "PinkRoccade Local Government"
_ROXIT, _MS = "Roxit", "Microsoft"
_MAYKIN = "Maykin Media"

# Packages that only the year-on-year stories (applications.py) bring in.
GWS4ALL = Package(
    "GWS4all",
    _CENTRIC,
    ("Inkomenscomponent",),
    "Sociaal Domein",
    60_000,
    0.08,
    ON_PREMISES,
    "4.9",
    cloud_offer=False,
)
OFFICE_2019 = Package(
    "Microsoft Office 2019",
    _MS,
    ("Kantoorautomatiseringcomponent",),
    "I&A",
    90_000,
    1.0,
    ON_PREMISES,
    "2019",
    cloud_offer=False,
)
SQUIT20 = Package(
    "Squit20",
    _ROXIT,
    ("Vergunning- Toezicht- en Handhavingcomponent fysieke leefomgeving",),
    "Ruimte",
    80_000,
    0.08,
    SAAS,
)
XXLLNC_ZAKEN = Package(
    "xxllnc Zaken",
    "xxllnc",
    ("Generiek zaakafhandelcomponent",),
    "Bedrijfsvoering",
    110_000,
    0.8,
    SAAS,
)
NOTUBIZ = Package(
    "Notubiz",
    "NotuBiz Nederland",
    ("Bestuur- en Raadsinformatiecomponent",),
    "Bestuur",
    16_000,
    35,
    SAAS,
)
IBABS = Package(
    "iBabs", "iBabs", ("Bestuur- en Raadsinformatiecomponent",), "Bestuur", 18_000, 35, SAAS
)
RX_MISSION = Package(
    "Rx.Mission",
    _ROXIT,
    ("Vergunning- Toezicht- en Handhavingcomponent fysieke leefomgeving",),
    "Ruimte",
    70_000,
    0.08,
    PRIVATE_CLOUD,
    "7.4",
    cloud_offer=False,
)
SUITE4 = Package(
    "Suite4Sociaal Domein",
    _CENTRIC,
    ("Inkomenscomponent", "Wmo-component", "Jeugdzorgcomponent"),
    "Sociaal Domein",
    180_000,
    0.2,
    PRIVATE_CLOUD,
    "2022.1",
)

# fmt: off
SLOTS: tuple[Slot, ...] = (
    Slot("burgerzaken", 0, (
        Package("Key2Burgerzaken", _CENTRIC, ("Burgerzakencomponent",), "Publiekszaken", 90_000,
                0.06, PRIVATE_CLOUD, "5.12"),
        Package("iBurgerzaken", _PINK, ("Burgerzakencomponent",), "Publiekszaken", 85_000, 0.06,
                PRIVATE_CLOUD, "3.8"),
    )),
    Slot("zaken", 0, (
        Package("Decos JOIN Zaak & Document", "Decos",
                ("Generiek zaakafhandelcomponent", "Documentbeheercomponent"), "Bedrijfsvoering",
                120_000, 0.85, ON_PREMISES, "2021.2"),
        XXLLNC_ZAKEN,
        Package("Mozard", "Mozard", ("Generiek zaakafhandelcomponent",), "Bedrijfsvoering",
                105_000, 0.8, SAAS),
    )),
    Slot("financieel", 0, (
        Package("Key2Financiën", _CENTRIC, ("Financieel component",), "Financiën", 110_000, 0.12,
                PRIVATE_CLOUD, "6.3"),
        Package("Unit4 Business World", "Unit4", ("Financieel component",), "Financiën",
                120_000, 0.12, ON_PREMISES, "2021 LTS"),
        Package("AFAS Profit", "AFAS Software", ("Financieel component",), "Financiën", 60_000,
                0.1, SAAS),
    )),
    Slot("belastingen", 0, (
        Package("Key2Belastingen", _CENTRIC, ("Belastingencomponent", "WOZ-beheercomponent"),
                "Financiën", 90_000, 0.04, PRIVATE_CLOUD, "4.7"),
        Package("Civision Belastingen", _PINK, ("Belastingencomponent",), "Financiën", 85_000,
                0.04, PRIVATE_CLOUD, "12.2"),
    )),
    Slot("sociaal_domein", 0, (
        SUITE4,
        Package("Civision Samenlevingszaken", _PINK,
                ("Wmo-component", "Jeugdzorgcomponent", "Inkomenscomponent"), "Sociaal Domein",
                170_000, 0.2, PRIVATE_CLOUD, "10.4"),
    )),
    Slot("personeel", 0, (
        Package("Youforce", "Visma | Raet",
                ("Personeelsinformatiecomponent", "Salarisadministratie en -verwerkingcomponent"),
                "Bedrijfsvoering", 95_000, 1.0, SAAS),
    )),
    Slot("servicedesk", 0, (
        Package("TOPdesk", "TOPdesk", ("Helpdeskcomponent",), "I&A", 35_000, 0.9, ON_PREMISES,
                "2021.3"),
    )),
    Slot("kantoor", 0, (
        Package("Microsoft 365", _MS, ("Kantoorautomatiseringcomponent",), "I&A", 330_000, 1.05,
                SAAS),
    )),
    Slot("intranet", 0, (
        Package("SharePoint Online", _MS, ("Intranetcomponent",), "Bedrijfsvoering", 0, 1.0,
                SAAS),
    )),
    Slot("raadsinformatie", 0, (IBABS, NOTUBIZ)),
    Slot("vth", 0, (
        RX_MISSION,
        Package("Powerbrowser", "SIM",
                ("Vergunning- Toezicht- en Handhavingcomponent fysieke leefomgeving",), "Ruimte",
                65_000, 0.08, ON_PREMISES, "6.2"),
    )),
    Slot("geo", 0, (
        Package("ArcGIS", "Esri Nederland", ("Geo-gegevens analysecomponent",), "Ruimte",
                45_000, 0.05, ON_PREMISES, "10.9"),
    )),
    Slot("bag", 0, (
        Package("GBOS", "GouwIT", ("BAG-beheercomponent",), "Ruimte", 30_000, 0.02,
                PRIVATE_CLOUD, "8.1"),
    )),
    Slot("documentcreatie", 0, (
        Package("SmartDocuments", "SmartDocuments", ("Documentcreatiecomponent",),
                "Bedrijfsvoering", 25_000, 0.6, ON_PREMISES, "5.4"),
    )),
    Slot("handtekening", 0, (
        Package("ValidSign", "ValidSign", ("Digitale-handtekeningcomponent",), "Bedrijfsvoering",
                8_000, 0.05, SAAS),
    )),
    Slot("afspraken", 0, (
        Package("Qmatic Orchestra", "Qmatic", ("Afsprakenbeheercomponent",), "Publiekszaken",
                20_000, 0.05, ON_PREMISES, "7.0"),
    )),
    Slot("formulieren", 0, (
        Package("Open Formulieren", _MAYKIN, ("E-formulieren publicatie-en-beheercomponent",),
                "Publiekszaken", 25_000, 0.03, PRIVATE_CLOUD, "2.1", cloud_offer=False),
    )),
    Slot("website", 0, (
        Package("IPROX", "Infoprojects", ("Webcontentpublicatie- en beheercomponent",),
                "Bestuur", 30_000, 0.02, PRIVATE_CLOUD, "4.6"),
    )),
    Slot("bi", 0, (
        Package("Power BI", _MS, ("BI-component",), "Bedrijfsvoering", 12_000, 0.05, SAAS),
    )),
    Slot("verkiezingen", 0, (
        Package("OSV2020", "Kiesraad", ("Verkiezingencomponent",), "Publiekszaken", 0, 4,
                ON_PREMISES, "2.26", cloud_offer=False),
    )),
    Slot("back-up", 0, (
        Package("Veeam Backup & Replication", "Veeam", ("Data-back-up-en-herstel-component",),
                "I&A", 15_000, 3, ON_PREMISES, "11", cloud_offer=False),
    )),
    Slot("mdm", 0, (
        Package("Microsoft Intune", _MS, ("Mobile-device-managementcomponent",), "I&A", 0, 4,
                SAAS),
    )),
    Slot("anti-malware", 0, (
        Package("Microsoft Defender for Endpoint", _MS, ("Anti-Malware-component",), "I&A",
                20_000, 4, SAAS),
    )),
    Slot("anti-spam", 0, (
        Package("Mimecast", "Mimecast", ("Anti-spamcomponent",), "I&A", 18_000, 3, SAAS),
    )),
    Slot("veilig-mailen", 0, (
        Package("Zivver", "Zivver", ("Preventie-dataverliescomponent",), "I&A", 22_000, 0.9,
                SAAS),
    )),
    Slot("it-objecten", 0, (
        Package("Lansweeper", "Lansweeper", ("IT-objectencomponent",), "I&A", 6_000, 3,
                ON_PREMISES, "10.4"),
    )),
    Slot("inkoop", 0, (
        Package("Negometrix", "Mercell", ("Inkoopcomponent",), "Financiën", 15_000, 0.03, SAAS),
    )),
    Slot("planning-control", 0, (
        Package("Pepperflow", "Pepperflow", ("Planning en control component",), "Financiën",
                20_000, 0.05, SAAS),
    )),
    Slot("tijdregistratie", 0, (
        Package("Protime", "Protime", ("Tijdregistratiecomponent",), "Bedrijfsvoering", 25_000,
                0.8, ON_PREMISES, "9.2"),
    )),
    Slot("betalen", 0, (
        Package("Buckaroo", "Buckaroo", ("Onlinebetalingcomponent",), "Financiën", 5_000, 3,
                SAAS),
    )),
    Slot("crisis", 0, (
        Package("LCMS", "IFV", ("Crisismanagementcomponent",), "Bestuur", 0, 12, PRIVATE_CLOUD,
                cloud_offer=False),
    )),
    Slot("vpn", 0, (
        Package("Cisco AnyConnect", "Cisco", ("VPN-beheercomponent",), "I&A", 8_000, 0.5,
                ON_PREMISES, "4.10", cloud_offer=False),
    )),
    Slot("panorama", 15_000, (
        Package("Street Smart", "Cyclomedia", ("Geo-gegevens inwincomponent",), "Ruimte", 25_000,
                0.1, SAAS),
    )),
    Slot("openbare-ruimte", 15_000, (
        Package("Obsurv", "Antea Group", ("BOR-component",), "Openbare Ruimte", 35_000, 0.05,
                SAAS),
    )),
    Slot("webcare", 15_000, (
        Package("Coosto", "Coosto", ("Mediamonitor- en webcarecomponent",), "Bestuur", 12_000, 4,
                SAAS),
    )),
    Slot("sociale-media", 15_000, (
        Package("Hootsuite", "Hootsuite", ("Sociale mediacomponent",), "Bestuur", 4_000, 5, SAAS),
    )),
    Slot("etl", 15_000, (
        Package("FME", "Safe Software", ("Data-laad-en-transformatiecomponent",), "I&A", 9_000,
                3, ON_PREMISES, "2022.1"),
    )),
    Slot("kwetsbaarheden", 15_000, (
        Package("Tenable Nessus", "Tenable", ("Vulnerability-beheercomponent",), "I&A", 7_000, 2,
                ON_PREMISES, "10.3"),
    )),
    Slot("ontwerpen", 15_000, (
        Package("AutoCAD", "Autodesk", ("Digitaal ontwerpencomponent",), "Openbare Ruimte",
                10_000, 0.02, ON_PREMISES, "2022"),
    )),
    Slot("callcenter", 40_000, (
        Package("Anywhere365", "Anywhere365", ("Callcentercomponent",), "Publiekszaken", 28_000,
                0.03, SAAS),
    )),
    Slot("geo-open-source", 40_000, (
        Package("QGIS", "QGIS (open source)", ("Geo-gegevens analysecomponent",), "Ruimte", 0,
                0.02, ON_PREMISES, "3.22", cloud_offer=False),
    )),
    Slot("kennisbank", 40_000, (
        Package("Confluence", "Atlassian", ("Kennisbeheercomponent",), "I&A", 9_000, 0.1,
                ON_PREMISES, "7.13"),
    )),
    Slot("architectuur", 40_000, (
        Package("BlueDolphin", "ValueBlue", ("Architectuur- en ontwerpcomponent",), "I&A",
                14_000, 5, SAAS),
    )),
    Slot("camera", 40_000, (
        Package("Milestone XProtect", "Milestone Systems", ("Cameratoezichtcomponent",), "Bestuur",
                12_000, 6, ON_PREMISES, "2022 R1", cloud_offer=False),
    )),
    Slot("vastgoed", 100_000, (
        Package("Planon", "Planon", ("Vastgoedexploitatiecomponent",), "Bedrijfsvoering", 60_000,
                0.04, ON_PREMISES, "2021.1"),
    )),
    Slot("archief", 100_000, (
        Package("Atlantis", "DEVENTit", ("Archiefbeheercomponent",), "Bedrijfsvoering", 30_000,
                0.01, PRIVATE_CLOUD, "2021.1", cloud_offer=False),
    )),
    Slot("crm", 100_000, (
        Package("Microsoft Dynamics 365", _MS, ("Relatiebeheercomponent (CRM)",), "Publiekszaken",
                90_000, 0.08, SAAS),
    )),
    Slot("klantregistratie", 100_000, (
        Package("Open Klant", _MAYKIN, ("Relatiebeheercomponent (CRM)",), "Publiekszaken",
                20_000, 0.08, PRIVATE_CLOUD, "2.0", cloud_offer=False),
    )),
    Slot("zaakregistratie", 100_000, (
        Package("Open Zaak", _MAYKIN, ("Zaakregistratiecomponent",), "Bedrijfsvoering", 25_000,
                0.5, PRIVATE_CLOUD, "1.5", cloud_offer=False),
    )),
    Slot("projecten", 100_000, (
        Package("Jira", "Atlassian", ("Projectmanagementcomponent",), "I&A", 15_000, 0.05,
                ON_PREMISES, "8.20"),
    )),
    Slot("ontwikkelen", 100_000, (
        Package("Azure DevOps", _MS, ("Software-ontwikkelcomponent",), "I&A", 8_000, 0.02, SAAS),
    )),
    Slot("low-code", 100_000, (
        Package("Mendix", "Mendix", ("Software-ontwikkelcomponent",), "I&A", 60_000, 0.02,
                PRIVATE_CLOUD, "9.12"),
    )),
    Slot("bi-tweede", 100_000, (
        Package("Qlik Sense", "Qlik", ("BI-component",), "Bedrijfsvoering", 40_000, 0.03,
                ON_PREMISES, "May 2022"),
    )),
    Slot("siem", 100_000, (
        Package("Microsoft Sentinel", _MS, ("SIEM-beheercomponent",), "I&A", 45_000, 5, SAAS),
    )),
    Slot("handtekening-tweede", 100_000, (
        Package("DocuSign", "DocuSign", ("Digitale-handtekeningcomponent",), "Bedrijfsvoering",
                12_000, 0.03, SAAS),
    )),
    Slot("ea-modellen", 300_000, (
        Package("Sparx Enterprise Architect", "Sparx Systems",
                ("Architectuur- en ontwerpcomponent",), "I&A", 5_000, 6, ON_PREMISES, "15.2",
                cloud_offer=False),
    )),
    Slot("klantcontact", 300_000, (
        Package("Salesforce Service Cloud", "Salesforce", ("Relatiebeheercomponent (CRM)",),
                "Publiekszaken", 150_000, 0.06, SAAS),
    )),
)
# fmt: on
