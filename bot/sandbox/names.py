"""Word lists the dataset draws from. Awkward names are deliberate: they test quoting,
escaping, accent folding and look-alike matching in every layer above."""

from __future__ import annotations

# Always the first of "my" accounts: the first eight even in an 8-account dataset, all of
# them from 11 accounts on (the default is 30).
SPECIAL_ACCOUNTS: tuple[str, ...] = (
    "Fabrikam Inc",
    "O'Reilly Media",
    "Contoso Ltd",
    "<!channel> Industries",
    "Café Nordström AB",
    "Müller & Söhne GmbH",
    "Contoso Pharma",
    "Contoso Ltd.",
    # Sellers and SEs alone fill more than one 100-row page.
    "Tailwind Traders",
    # Two accounts of one name (different ids and TPIDs): common in MSX, and a lookup
    # sorts by name, so their rows interleave.
    "Northwind Health",
    "Northwind Health",
)

ACCOUNT_PREFIXES: tuple[str, ...] = (
    "Northwind",
    "Adventure Works",
    "Tailspin",
    "Wide World",
    "Woodgrove",
    "Litware",
    "Proseware",
    "Alpine Ski",
    "Coho",
    "Fourth Coffee",
    "Lamna",
    "Margie's",
    "Trey",
    "Wingtip",
    "Blue Yonder",
    "Relecloud",
    "Humongous",
    "Lucerne",
    "Southridge",
    "City Power",
    "Consolidated",
    "A. Datum",
    "Bellows",
    "Nod",
    "Graphic Design",
    "Tasmanian",
    "Vanarsdel",
    "Liberty's",
    "Adatum",
    "Olympia",
    "Söderberg",
    "Zürich Alpine",
)

ACCOUNT_SUFFIXES: tuple[str, ...] = (
    "Traders",
    "Cycles",
    "Toys",
    "Importers",
    "Bank",
    "Inc",
    "Ski House",
    "Winery",
    "Healthcare",
    "Travel",
    "Research",
    "Airlines",
    "Insurance",
    "Publishing",
    "Video",
    "& Light",
    "Messenger",
    "Corporation",
    "College",
    "Logistics",
    "Foods",
    "Energy",
    "Holdings",
    "Retail Group",
)

FIRST_NAMES: tuple[str, ...] = (
    "Alex",
    "Bianca",
    "Chen",
    "Dmitri",
    "Elena",
    "Farah",
    "Gustavo",
    "Hana",
    "Ines",
    "Jamal",
    "Kenji",
    "Lucía",
    "Mateo",
    "Nadia",
    "Oluwaseun",
    "Priya",
    "Quentin",
    "Rosa",
    "Siobhán",
    "Tomás",
    "Uma",
    "Vikram",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoë",
    "Aisha",
    "Bjørn",
    "Carmen",
    "Diego",
    "Emeka",
    "Freya",
)

LAST_NAMES: tuple[str, ...] = (
    "Anders",
    "Brennan",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fernández",
    "Gupta",
    "Hoffmann",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "O'Neill",
    "Petrov",
    "Quinlan",
    "Rossi",
    "Singh",
    "Tanaka",
    "Ueda",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Okafor",
    "Müller",
    "Nguyen",
    "Park",
)

WORKLOADS: tuple[str, ...] = (
    "Azure SQL",
    "AKS",
    "Azure OpenAI",
    "Azure Virtual Desktop",
    "Cosmos DB",
    "Fabric",
    "App Service",
    "Azure Databricks",
    "Azure Migrate",
    "Defender for Cloud",
)

MILESTONE_VERBS: tuple[str, ...] = (
    "migration",
    "pilot",
    "production rollout",
    "PoC",
    "landing zone",
    "modernization",
    "expansion",
    "consumption ramp",
)

OPPORTUNITY_THEMES: tuple[str, ...] = (
    "Data Modernization",
    "AI Innovation",
    "App Modernization",
    "Infra Migration",
    "Analytics Platform",
    "Security Uplift",
)

# (region, area, pods): territory names come out as East.SMECC.MAA.0601.
TERRITORY_LAYOUT: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("East", "MAA", (6, 7)),
    ("East", "NEA", (3,)),
    ("West", "NWA", (2, 4)),
    ("West", "SWA", (5,)),
    ("Central", "GLA", (11, 12)),
    ("Central", "TXA", (9,)),
)

SELLER_TITLES = ("Digital Solution Area Specialists IC", "Specialists IC")
SE_TITLE = "Technical Specialists IC"
# Corporate + "Cloud " rows that are not sellers or SEs: the title rule must drop them.
CLOUD_NON_SPECIALISTS = (
    ("Cloud & AI", "Cloud & AI Mgr"),
    ("Cloud & AI", "Cloud Solution Architect"),
    ("Cloud & AI", "Customer Success Account Mgmt IC"),
    ("Cloud & AI-Acq", "Digital Account Management IC"),
)
# Rows outside `msp_qualifier1 eq 'Corporate' and startswith(msp_qualifier2,'Cloud ')`.
OTHER_ROWS: tuple[tuple[str, str | None, str], ...] = (
    ("Area", "Cloud & AI", "Cloud & AI Area Lead"),
    ("Region", "Cloud & AI", "Regional Director"),
    ("Corporate", "Modern Work", "Specialists IC"),
    ("Corporate", "Security", "Specialists IC"),
    ("Corporate", "CSU", "Customer Success Account Mgmt IC"),
    ("Corporate", "Business Applications", "Specialists IC"),
    ("Area", "Modern Work", "Area Solution Lead"),
    ("Corporate", "CloudOps", "Specialists IC"),  # "Cloud" without the space
    ("Corporate", None, "Digital Account Management IC"),
)
