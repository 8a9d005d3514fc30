"""Every word the report shows, in Dutch (the default) and English."""

from __future__ import annotations

import functools
import re

from pipelines.contract.kinds import KINDS as DELIVERY_KINDS

LANGUAGES = ("nl", "en")

TEXT: dict[str, dict[str, str]] = {
    "title": {"nl": "ICT-benchmark gemeenten", "en": "Municipal ICT benchmark"},
    "report_for": {"nl": "ICT-kosten {name} {year}", "en": "ICT costs {name} {year}"},
    "index_intro": {
        "nl": "Per gemeente en jaar een rapport: de ICT-kosten tegenover vergelijkbare gemeenten, "
        "met de kwaliteit van elk cijfer erbij.",
        "en": "One report per municipality and year: ICT costs against comparable municipalities, "
        "with the quality of every figure.",
    },
    "generated": {
        "nl": "Gemaakt op {date} uit {source}",
        "en": "Generated on {date} from {source}",
    },
    "municipality": {"nl": "Gemeente", "en": "Municipality"},
    "code": {"nl": "Code", "en": "Code"},
    "year": {"nl": "Jaar", "en": "Year"},
    "inhabitants": {"nl": "Inwoners", "en": "Inhabitants"},
    "peer_group": {"nl": "Vergelijkingsgroep", "en": "Peer group"},
    "size_band": {"nl": "Grootteklasse", "en": "Size band"},
    "province": {"nl": "Provincie", "en": "Province"},
    "headline": {"nl": "ICT-kosten per inwoner", "en": "ICT cost per inhabitant"},
    "headline_lead": {
        "nl": "{value} per inwoner; de mediaan van vergelijkbare gemeenten ({group}, n = {n}) is "
        "{median}.",
        "en": "{value} per inhabitant; the median of comparable municipalities ({group}, n = {n}) "
        "is {median}.",
    },
    "headline_suppressed": {
        "nl": "{value} per inwoner. Geen vergelijking: {reason}.",
        "en": "{value} per inhabitant. No comparison: {reason}.",
    },
    "total_cost": {"nl": "ICT-kosten totaal", "en": "Total ICT cost"},
    "peer_median": {"nl": "Mediaan groep", "en": "Peer median"},
    "index": {"nl": "Index (mediaan = 100)", "en": "Index (median = 100)"},
    "rank": {"nl": "Positie (1 = hoogste)", "en": "Rank (1 = highest)"},
    "yoy": {"nl": "Verandering t.o.v. vorig jaar", "en": "Change on previous year"},
    "band": {"nl": "Middelste helft (p25–p75)", "en": "Middle half (p25–p75)"},
    "this_municipality": {"nl": "Deze gemeente", "en": "This municipality"},
    "euro_per_inhabitant": {"nl": "€ per inwoner", "en": "€ per inhabitant"},
    "categories": {"nl": "Kosten per categorie", "en": "Cost by category"},
    "categories_lead": {
        "nl": "Euro per inwoner per kostencategorie, met de mediaan van de groep.",
        "en": "Euro per inhabitant by cost category, with the peer median.",
    },
    "category": {"nl": "Categorie", "en": "Category"},
    "trend": {"nl": "Ontwikkeling door de jaren", "en": "Trend over the years"},
    "trend_lead": {
        "nl": "ICT-kosten per inwoner, nominaal en reëel (gecorrigeerd voor inflatie met de "
        "CBS-consumentenprijsindex), {boundaries}.",
        "en": "ICT cost per inhabitant, nominal and in real terms (corrected for inflation with "
        "the CBS consumer price index), {boundaries}.",
    },
    "trend_lead_nominal": {
        "nl": "ICT-kosten per inwoner (nominaal), {boundaries}.",
        "en": "ICT cost per inhabitant (nominal), {boundaries}.",
    },
    "current_boundaries": {
        "nl": "op de huidige gemeentegrenzen",
        "en": "on current municipal boundaries",
    },
    "reported_boundaries": {
        "nl": "zoals gerapporteerd (grenzen van dat jaar)",
        "en": "as reported (boundaries of that year)",
    },
    "nominal": {"nl": "Nominaal", "en": "Nominal"},
    "real": {"nl": "Reëel", "en": "Real terms"},
    "series": {"nl": "Reeks", "en": "Series"},
    "hardware": {"nl": "Hardware: leeftijd en vervanging", "en": "Hardware: age and replacement"},
    "hardware_lead": {
        "nl": "{devices} apparaten in gebruik, gemiddeld {age} jaar oud; {past} is over de "
        "vervangingstermijn.",
        "en": "{devices} devices in use, on average {age} years old; {past} is past its "
        "replacement cycle.",
    },
    "age_distribution": {"nl": "Leeftijd van apparaten in gebruik", "en": "Age of devices in use"},
    "age_years": {"nl": "Leeftijd (jaren)", "en": "Age (years)"},
    "devices": {"nl": "Apparaten", "en": "Devices"},
    "asset_class": {"nl": "Soort", "en": "Class"},
    "replacement": {
        "nl": "Vervanging per jaar (achterstallig telt in het eerste jaar)",
        "en": "Replacement by year (overdue counted in the first year)",
    },
    "replacement_value": {"nl": "Aanschafwaarde (€)", "en": "Purchase value (€)"},
    "due_1": {"nl": "Te vervangen binnen 1 jaar", "en": "Due for replacement within 1 year"},
    "due_3": {"nl": "Te vervangen binnen 3 jaar", "en": "Due for replacement within 3 years"},
    "no_assets": {
        "nl": "Geen hardwareregister: {reason}.",
        "en": "No hardware register: {reason}.",
    },
    "people": {"nl": "Mensen tegenover techniek", "en": "People versus technology"},
    "people_lead": {
        "nl": "Eigen en ingehuurd ICT-personeel en alle opleiding tegenover alle techniek "
        "(software, hardware, diensten en kapitaallasten): "
        "{ratio} euro aan mensen per euro aan techniek.",
        "en": "Own and hired ICT staff and all training against all technology "
        "(software, hardware, services and capital charges): "
        "{ratio} euro on people per euro on technology.",
    },
    "people_side": {"nl": "Mensen", "en": "People"},
    "people_peer": {
        "nl": "De mediaan van de peergroep is {median}; index {index} (mediaan = 100).",
        "en": "The peer group's median is {median}; index {index} (median = 100).",
    },
    "people_trend": {
        "nl": "Mensen tegenover techniek per jaar",
        "en": "People versus technology by year",
    },
    "people_ratio_axis": {
        "nl": "euro aan mensen per euro aan techniek",
        "en": "euro on people per euro on technology",
    },
    "own_value": {"nl": "Deze gemeente", "en": "This municipality"},
    "expenditure_share": {
        "nl": "Aandeel ICT in de totale lasten",
        "en": "ICT share of total expenditure",
    },
    "expenditure_share_lead": {
        "nl": "De ICT-kosten zijn {share} van alle lasten in de exploitatie van dit jaar "
        "(de debetsaldi van de exploitatierekeningen uit het grootboek).",
        "en": "ICT cost is {share} of all expenditure in this year's operating account "
        "(the debit balances of the ledger's operating accounts).",
    },
    "capital_charges_note": {
        "nl": "Kapitaallasten zijn de afschrijving en rente van geactiveerde ICT-investeringen; "
        "de investering zelf telt niet, zodat een server niet twee keer wordt geteld.",
        "en": "Capital charges are the depreciation and interest of capitalised ICT investments; "
        "the investment itself does not count, so a server is not counted twice.",
    },
    "shared_service_note": {
        "nl": "Meer dan de helft van de ICT-kosten is een bijdrage aan een gemeenschappelijke "
        "regeling of shared service ({share}): deze gemeente wordt vergeleken met gemeenten "
        "van dezelfde soort, niet met haar grootteklasse.",
        "en": "More than half of the ICT cost is a contribution to a shared service ({share}): "
        "this municipality is compared with municipalities of its kind, not its size band.",
    },
    "vat_note": {
        "nl": "Alle bedragen zijn exclusief compensabele btw (btw-compensatiefonds); "
        "{removed} euro btw is uit deze levering gehaald.",
        "en": "All amounts exclude compensable VAT (VAT compensation fund); "
        "{removed} euro of VAT was taken out of this delivery.",
    },
    "replacement_current_note": {
        "nl": "Tegen de prijzen van dit jaar (CBS-prijsindex) kost de vervanging binnen drie "
        "jaar {amount}, tegen {purchase} in aanschafprijzen.",
        "en": "At this year's prices (CBS price index) replacement within three years costs "
        "{amount}, against {purchase} at purchase prices.",
    },
    "kpi_applications_in_use": {"nl": "Applicaties in gebruik", "en": "Applications in use"},
    "kpi_applications_per_10k": {
        "nl": "Applicaties per 10.000 inwoners",
        "en": "Applications per 10,000 inhabitants",
    },
    "kpi_applications_per_100_fte": {
        "nl": "Applicaties per 100 fte",
        "en": "Applications per 100 FTE",
    },
    "kpi_saas_share_of_applications": {
        "nl": "Aandeel SaaS (aantal applicaties)",
        "en": "SaaS share (applications)",
    },
    "kpi_saas_share_of_licence_cost": {
        "nl": "Aandeel SaaS (licentiekosten)",
        "en": "SaaS share (licence cost)",
    },
    "kpi_licence_cost_per_application": {
        "nl": "Licentiekosten per applicatie",
        "en": "Licence cost per application",
    },
    "kpi_licence_cost_per_user": {
        "nl": "Licentiekosten per gebruiker",
        "en": "Licence cost per user",
    },
    "kpi_overlapping_components": {
        "nl": "Referentiecomponenten met overlap",
        "en": "Reference components with overlap",
    },
    "kpi_applications_phasing_out": {
        "nl": "Applicaties in uitfasering",
        "en": "Applications being phased out",
    },
    "kpi_contracts_ended": {
        "nl": "In gebruik met afgelopen contract",
        "en": "In use after the contract ended",
    },
    "kpi_top5_supplier_share": {
        "nl": "Aandeel top-5 leveranciers in licentiekosten",
        "en": "Top-5 suppliers' share of licence cost",
    },
    "kpi_licence_register_to_ledger_ratio": {
        "nl": "Licenties register / grootboek",
        "en": "Licences register / ledger",
    },
    "kpi_regie_fte": {
        "nl": "Fte regie per 1.000 inwoners",
        "en": "FTE in regie per 1,000 inhabitants",
    },
    "kpi_operations_fte": {
        "nl": "Fte ICT-beheer per 1.000 inwoners",
        "en": "FTE in ICT operations per 1,000 inhabitants",
    },
    "kpi_regie_to_operations": {
        "nl": "Fte regie per fte ICT-beheer",
        "en": "FTE in regie per FTE in ICT operations",
    },
    "portfolio": {
        "nl": "Regie en applicatielandschap",
        "en": "Regie and the application landscape",
    },
    "portfolio_lead": {
        "nl": "Hoeveel applicaties de gemeente draait, hoeveel daarvan SaaS is, wat ze kosten, waar "
        "ze overlappen, en hoeveel mensen ICT regisseren tegenover beheren; naast elk cijfer de "
        "mediaan van vergelijkbare gemeenten.",
        "en": "How many applications the municipality runs, how much of it is SaaS, what it costs, "
        "where applications overlap, and how many people direct ICT against how many run it; "
        "beside every figure the median of comparable municipalities.",
    },
    "no_portfolio": {
        "nl": "Geen applicatieportfolio: {reason}.",
        "en": "No application portfolio: {reason}.",
    },
    "verdict_people": {
        "nl": "{name} investeert meer in mensen en regie dan vergelijkbare gemeenten: {basis}.",
        "en": "{name} invests more in people and regie than comparable municipalities: {basis}.",
    },
    "verdict_technology": {
        "nl": "{name} investeert vooral in techniek, minder in mensen en regie dan vergelijkbare "
        "gemeenten: {basis}.",
        "en": "{name} invests mainly in technology, less in people and regie than comparable "
        "municipalities: {basis}.",
    },
    "verdict_balanced": {
        "nl": "{name} investeert in mensen en regie en in techniek zoals vergelijkbare gemeenten: "
        "{basis}.",
        "en": "{name} invests in people and regie and in technology as comparable municipalities "
        "do: {basis}.",
    },
    "verdict_mixed": {
        "nl": "{name} geeft een gemengd beeld: {basis}.",
        "en": "{name} shows a mixed picture: {basis}.",
    },
    "verdict_unknown": {
        "nl": "Of {name} meer in mensen en regie of in techniek investeert, is niet te zeggen: "
        "{basis}.",
        "en": "Whether {name} invests more in people and regie or in technology cannot be said: "
        "{basis}.",
    },
    "basis_regie": {
        "nl": "{value} fte regie per 1.000 inwoners (mediaan {median})",
        "en": "{value} FTE in regie per 1,000 inhabitants (median {median})",
    },
    "basis_people": {
        "nl": "{value} euro aan mensen per euro aan techniek (mediaan {median})",
        "en": "{value} euro on people per euro on technology (median {median})",
    },
    "basis_applications": {
        "nl": "{value} applicaties per 10.000 inwoners (mediaan {median})",
        "en": "{value} applications per 10,000 inhabitants (median {median})",
    },
    "basis_missing": {
        "nl": "{what}: {reason}",
        "en": "{what}: {reason}",
    },
    "no_comparison": {"nl": "geen vergelijking", "en": "no comparison"},
    "median_group": {"nl": "Mediaan", "en": "Median"},
    "applications_in_use": {"nl": "Applicaties in gebruik", "en": "Applications in use"},
    "per_domain": {"nl": "Applicaties per GEMMA-domein", "en": "Applications per GEMMA domain"},
    "unknown_domain": {
        "nl": "Zonder bekende referentiecomponent",
        "en": "No known reference component",
    },
    "applications": {"nl": "Applicaties", "en": "Applications"},
    "overlap": {
        "nl": "Overlap: kandidaten voor rationalisatie",
        "en": "Overlap: candidates for rationalisation",
    },
    "overlap_lead": {
        "nl": "Referentiecomponenten die door meer dan één applicatie in gebruik worden ingevuld.",
        "en": "Reference components that more than one application in use fulfils.",
    },
    "no_overlap": {
        "nl": "Geen referentiecomponent wordt door meer dan één applicatie in gebruik ingevuld.",
        "en": "No reference component is fulfilled by more than one application in use.",
    },
    "component": {"nl": "Referentiecomponent", "en": "Reference component"},
    "licence_cost": {"nl": "Licentiekosten", "en": "Licence cost"},
    "reconciliation": {
        "nl": "Licenties in het register {register}, software en SaaS in het grootboek {ledger}: "
        "{verdict}.",
        "en": "Licences in the register {register}, software and SaaS in the ledger {ledger}: "
        "{verdict}.",
    },
    "within_tolerance": {
        "nl": "binnen de marge van {tolerance}",
        "en": "within the tolerance of {tolerance}",
    },
    "register_above_ledger": {
        "nl": "het register ligt meer dan {tolerance} hoger; controleer of alle licenties in het "
        "grootboek als software of SaaS zijn ingedeeld",
        "en": "the register is more than {tolerance} higher; check that every licence in the "
        "ledger is mapped as software or SaaS",
    },
    "register_below_ledger": {
        "nl": "het register ligt meer dan {tolerance} lager; controleer of het register compleet is",
        "en": "the register is more than {tolerance} lower; check that the register is complete",
    },
    "not_comparable": {
        "nl": "niet te vergelijken (een van beide is nul)",
        "en": "not comparable (one of them is zero)",
    },
    "regie_side": {
        "nl": "Regie (fte per 1.000 inwoners)",
        "en": "Regie (FTE per 1,000 inhabitants)",
    },
    "technology_side": {"nl": "Techniek", "en": "Technology"},
    "personnel_share": {"nl": "Aandeel personeel", "en": "Personnel share"},
    "saas_share": {"nl": "Aandeel SaaS in software", "en": "SaaS share of software"},
    "cost_per_fte": {"nl": "ICT-kosten per fte", "en": "ICT cost per FTE"},
    "cost_per_workstation": {"nl": "ICT-kosten per werkplek", "en": "ICT cost per workstation"},
    "training_hours": {"nl": "Opleidingsuren per fte", "en": "Training hours per FTE"},
    "training_spend": {"nl": "Opleidingskosten per fte", "en": "Training spend per FTE"},
    "trained": {"nl": "Aandeel medewerkers opgeleid", "en": "Share of employees trained"},
    "ict_training": {"nl": "Aandeel ICT-opleiding", "en": "Share of ICT training"},
    "share_past_cycle": {
        "nl": "Aandeel over vervangingstermijn",
        "en": "Share past replacement cycle",
    },
    "kpi": {"nl": "Kengetal", "en": "Indicator"},
    "value": {"nl": "Waarde", "en": "Value"},
    "quality": {"nl": "Datakwaliteit", "en": "Data quality"},
    "quality_lead": {
        "nl": "Welke leveringen er zijn, wat is afgekeurd en welke cijfers ontbreken of niet "
        "vergeleken worden, en waarom.",
        "en": "Which deliveries there are, what was rejected, and which figures are missing or "
        "not compared, and why.",
    },
    "deliveries": {"nl": "Leveringen", "en": "Deliveries"},
    "kind": {"nl": "Soort", "en": "Kind"},
    "status": {"nl": "Status", "en": "Status"},
    "rows_read": {"nl": "Regels gelezen", "en": "Rows read"},
    "rows_landed": {"nl": "Geladen", "en": "Landed"},
    "rows_quarantined": {"nl": "In quarantaine", "en": "Quarantined"},
    "message": {"nl": "Toelichting", "en": "Note"},
    "months_without_lines": {
        "nl": "Geen boekingsregels in {count} maand(en): {months}.",
        "en": "No ledger lines in {count} month(s): {months}.",
    },
    "dated_after_check": {
        "nl": "{count} regel(s) gedateerd na de dag van controle: controleer de boekdatums.",
        "en": "{count} line(s) dated after the day the file was checked: check the booking dates.",
    },
    "unclassified_share": {
        "nl": "Niet geclassificeerde ICT-kosten",
        "en": "Unclassified ICT cost",
    },
    "missing": {"nl": "Ontbrekende cijfers", "en": "Missing figures"},
    "suppressed": {"nl": "Niet vergeleken", "en": "Not compared"},
    "nothing_missing": {"nl": "Geen.", "en": "None."},
    "reason": {"nl": "Reden", "en": "Reason"},
    "peer_fallback": {
        "nl": "Groepscijfers berekend uit ict_benchmark per grootteklasse (alleen groepen van "
        "minstens {minimum} gemeenten).",
        "en": "Peer figures computed from ict_benchmark per size band (only groups of at least "
        "{minimum} municipalities).",
    },
    "suppression_reason": {
        "nl": "minder dan {minimum} gemeenten in de groep (n = {n})",
        "en": "fewer than {minimum} municipalities in the group (n = {n})",
    },
    "back": {"nl": "Alle gemeenten", "en": "All municipalities"},
    "other_years": {"nl": "Andere jaren", "en": "Other years"},
    "accepted": {"nl": "geaccepteerd", "en": "accepted"},
    "partially_accepted": {"nl": "deels geaccepteerd", "en": "partially accepted"},
    "rejected": {"nl": "afgekeurd", "en": "rejected"},
    "missing_status": {"nl": "niet geleverd", "en": "not delivered"},
}

KINDS = {kind.name: dict(kind.title) for kind in DELIVERY_KINDS.values()}

ASSET_CLASSES = {
    "laptop": {"nl": "Laptop", "en": "Laptop"},
    "desktop": {"nl": "Desktop", "en": "Desktop"},
    "thin_client": {"nl": "Thin client", "en": "Thin client"},
    "monitor": {"nl": "Beeldscherm", "en": "Monitor"},
    "phone": {"nl": "Telefoon", "en": "Phone"},
    "tablet": {"nl": "Tablet", "en": "Tablet"},
    "server": {"nl": "Server", "en": "Server"},
    "storage": {"nl": "Opslag", "en": "Storage"},
    "network": {"nl": "Netwerk", "en": "Network"},
    "printer": {"nl": "Printer", "en": "Printer"},
}

KPIS = {
    "ict_cost_per_inhabitant": "headline",
    "personnel_share": "personnel_share",
    "ict_cost_share_of_expenditure": "expenditure_share",
    "saas_share_of_software": "saas_share",
    "ict_cost_per_fte": "cost_per_fte",
    "ict_cost_per_workstation": "cost_per_workstation",
    "training_hours_per_fte": "training_hours",
    "training_spend_per_fte": "training_spend",
    "share_employees_trained": "trained",
    "ict_training_hours_share": "ict_training",
    "share_past_cycle": "share_past_cycle",
    "people_vs_technology_ratio": "people",
    "applications_in_use": "kpi_applications_in_use",
    "applications_per_10k_inhabitants": "kpi_applications_per_10k",
    "applications_per_100_fte": "kpi_applications_per_100_fte",
    "saas_share_of_applications": "kpi_saas_share_of_applications",
    "saas_share_of_licence_cost": "kpi_saas_share_of_licence_cost",
    "licence_cost_per_application": "kpi_licence_cost_per_application",
    "licence_cost_per_user": "kpi_licence_cost_per_user",
    "overlapping_components": "kpi_overlapping_components",
    "applications_phasing_out": "kpi_applications_phasing_out",
    "contracts_ended": "kpi_contracts_ended",
    "top5_supplier_share": "kpi_top5_supplier_share",
    "licence_register_to_ledger_ratio": "kpi_licence_register_to_ledger_ratio",
    "regie_fte_per_1000_inhabitants": "kpi_regie_fte",
    "ict_operations_fte_per_1000_inhabitants": "kpi_operations_fte",
    "regie_to_operations_ratio": "kpi_regie_to_operations",
}

MISSING = {
    "inhabitants": {"nl": "Inwoners", "en": "Inhabitants"},
    "unclassified_share": {"nl": "Aandeel niet geclassificeerd", "en": "Unclassified share"},
    "ledger": {"nl": "Grootboek", "en": "General ledger"},
    "people": {"nl": "Personeel en opleiding (HR)", "en": "Staff and training (HR)"},
    "hardware": {"nl": "Hardwareregister", "en": "Hardware register"},
    "portfolio": {"nl": "Applicatieportfolio", "en": "Application portfolio"},
    "real_terms": {"nl": "Reële bedragen", "en": "Real-terms values"},
}

# The reasons the dbt models write into the mart, in English as the SQL has them (`{}` where the SQL
# formats in a value), with their Dutch text. A value that is itself a phrase (a ledger) is
# translated as well, so the phrases the SQL formats in are listed here too.
REASONS: dict[str, str] = {
    "no accepted ledger for this year": "geen geaccepteerd grootboek voor dit jaar",
    "no CBS inhabitant count for 1 January of this year": (
        "geen CBS-inwonertal op 1 januari van dit jaar"
    ),
    "the mapping marks no ICT cost centre with spend": (
        "de rekeningindeling wijst geen ICT-kostenplaats met uitgaven aan"
    ),
    "no HR training records delivered for this year": (
        "geen HR-opleidingsgegevens geleverd voor dit jaar"
    ),
    "the HR records give no FTE": "de HR-gegevens bevatten geen fte",
    "no asset register delivered for this year": "geen hardwareregister geleverd voor dit jaar",
    "the asset register has no devices in use": (
        "het hardwareregister bevat geen apparaten in gebruik"
    ),
    "the asset register has no workstations in use": (
        "het hardwareregister bevat geen werkplekken in gebruik"
    ),
    "the ledger has no ICT cost": "het grootboek bevat geen ICT-kosten",
    "the ledger has no software or SaaS cost": (
        "het grootboek bevat geen kosten voor software of SaaS"
    ),
    "the ledger has no technology cost": "het grootboek bevat geen kosten voor techniek",
    "the ledger does not say which accounts are operating accounts": (
        "het grootboek zegt niet welke rekeningen exploitatierekeningen zijn"
    ),
    "excluding compensable VAT": "exclusief compensabele btw",
    "mapping rule on row {} makes balance-sheet account {} {}: an investment is not a cost, it "
    "reaches the exploitation as capital charges (map the depreciation account as "
    "capital_charges)": (
        "mappingregel op rij {} maakt balansrekening {} {}: een investering is geen last, zij "
        "komt als kapitaallasten in de exploitatie (map de afschrijvingsrekening als "
        "capital_charges)"
    ),
    "no CBS price index for the fiscal year": "geen CBS-prijsindex voor het boekjaar",
    "{} devices due within 3 years were bought in a year without a CBS price index": (
        "{} apparaten die binnen 3 jaar vervangen moeten worden, zijn gekocht in een jaar "
        "zonder CBS-prijsindex"
    ),
    "{} of {} municipalities within the current boundaries delivered {}": (
        "{} van de {} gemeenten binnen de huidige grenzen leverden {}"
    ),
    "{} partially accepted: {} rows quarantined": "{} deels geaccepteerd: {} regels in quarantaine",
    "{}% of the spend in ICT cost centres is unclassified (more than {}%)": (
        "{}% van de uitgaven op ICT-kostenplaatsen is niet geclassificeerd (meer dan {}%)"
    ),
    "no municipality in the group has a complete figure": (
        "geen gemeente in de groep heeft een volledig cijfer"
    ),
    "fewer than {} municipalities with a complete figure (n = {}): suppressed so "
    "that no single municipality can be read out of the group": (
        "minder dan {} gemeenten met een volledig cijfer (n = {}): niet getoond, zodat geen "
        "enkele gemeente uit de groep te herleiden is"
    ),
    "no CBS price index for {}": "geen CBS-prijsindex voor {}",
    "no CBS price index for the base year {}": "geen CBS-prijsindex voor het basisjaar {}",
    "{} of {} devices in use have no usable purchase date: left out of the age, the share past "
    "the cycle and the replacement spend": (
        "{} van de {} apparaten in gebruik hebben geen bruikbare aanschafdatum: niet meegeteld in "
        "de leeftijd, het aandeel over de vervangingstermijn en de vervangingsuitgaven"
    ),
    "{} devices in use have no usable purchase price: left out of the replacement spend": (
        "{} apparaten in gebruik hebben geen bruikbare aanschafprijs: niet meegeteld in de "
        "vervangingsuitgaven"
    ),
    "{} devices in use are of a kind the register names in words the benchmark does not know: "
    "counted as other, not as workstations": (
        "{} apparaten in gebruik zijn van een soort die het register noemt in woorden die de "
        "benchmark niet kent: geteld als overig, niet als werkplek"
    ),
    "{} of {} courses have no usable hours: left out of the training hours": (
        "{} van de {} opleidingen hebben geen bruikbare uren: niet meegeteld in de opleidingsuren"
    ),
    "{} courses have no usable category: left out of the ICT share of the hours": (
        "{} opleidingen hebben geen bruikbare categorie: niet meegeteld in het ICT-aandeel van "
        "de uren"
    ),
    "{} courses have a category the benchmark does not know: counted as not ICT": (
        "{} opleidingen hebben een categorie die de benchmark niet kent: geteld als niet-ICT"
    ),
    "a ledger": "een grootboek",
    "ledger": "grootboek",
    "an asset register": "een hardwareregister",
    "asset register": "hardwareregister",
    "HR training records": "HR-opleidingsgegevens",
    "no application portfolio delivered for this year": (
        "geen applicatieportfolio geleverd voor dit jaar"
    ),
    "no application in use has a known hosting": "geen applicatie in gebruik heeft een bekende hosting",
    "no application in use has both a known hosting and a licence cost": (
        "geen applicatie in gebruik heeft zowel een bekende hosting als licentiekosten"
    ),
    "no application in use has a licence cost": "geen applicatie in gebruik heeft licentiekosten",
    "no application in use has both a licence cost and a number of users": (
        "geen applicatie in gebruik heeft zowel licentiekosten als een aantal gebruikers"
    ),
    "the register has no applications": "het register bevat geen applicaties",
    "the ledger has no software or SaaS cost, or the register no licence cost": (
        "het grootboek bevat geen kosten voor software of SaaS, of het register geen licentiekosten"
    ),
    "the HR records name no ICT roles (no role column, or every cell empty)": (
        "de HR-gegevens noemen geen ICT-rollen (geen kolom Rol, of alle cellen leeg)"
    ),
    "the HR records name no ICT roles, or nobody in ICT operations": (
        "de HR-gegevens noemen geen ICT-rollen, of niemand in ICT-beheer"
    ),
    "an application portfolio": "een applicatieportfolio",
    "application portfolio": "applicatieportfolio",
}


@functools.cache
def _reason_patterns() -> list[tuple[re.Pattern[str], str]]:
    # longest first, so "... for the base year {}" wins over "... for {}"
    ordered = sorted(REASONS, key=lambda english: len(english.replace("{}", "")), reverse=True)
    placeholder = re.escape("{}")
    return [(re.compile(re.escape(e).replace(placeholder, "(.+?)")), REASONS[e]) for e in ordered]


def _dutch_reason(value: str) -> str:
    for pattern, dutch in _reason_patterns():
        if match := pattern.fullmatch(value):
            return dutch.format(*(_dutch_reason(group) for group in match.groups()))
    return value.replace(".", ",") if re.fullmatch(r"-?\d+\.\d+", value) else value


def reason(value: str | None, lang: str) -> str:
    """A reason from the mart in the page's language; one we do not know is shown as it is."""
    if not value or lang == "en":
        return value or ""
    # the current-boundaries series joins its predecessors' reasons: "GM0001: ...; GM0002: ..."
    parts = (re.fullmatch(r"(GM\d{4}: )?(.*)", part, re.DOTALL) for part in value.split("; "))
    return "; ".join((part[1] or "") + _dutch_reason(part[2]) for part in parts)


MONTHS = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def month_names(numbers: str | None, lang: str) -> str:
    """`5, 6, 12` from the mart as the months' short names: `mei, jun, dec`."""
    if not numbers:
        return ""
    return ", ".join(MONTHS[lang][int(number) - 1] for number in numbers.split(", "))


def text(key: str, lang: str, **values: object) -> str:
    template = TEXT[key][lang]
    return template.format(**values) if values else template


def vocabulary(table: dict[str, dict[str, str]], key: str | None, lang: str) -> str:
    if key is None:
        return ""
    entry = table.get(key) or table.get(key.lower().replace(" ", "_"))
    return entry[lang] if entry else key.replace("_", " ")


def kpi_label(kpi: str, lang: str) -> str:
    key = KPIS.get(kpi)
    return text(key, lang) if key else kpi.replace("_", " ")
