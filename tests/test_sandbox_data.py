"""The sandbox's dataset: deterministic, and holding every awkward case it promises."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.domain import Role, derive_pod
from bot.sandbox import Dataset, build_dataset
from bot.sandbox.schema import ACCOUNT_TEAM_TEMPLATE, FORMATTED, MILESTONE_STATUS

FV = f"@{FORMATTED}"


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return build_dataset()


def test_same_seed_same_data_other_seed_other_data(ds: Dataset) -> None:
    again = build_dataset()
    assert again.tables == ds.tables
    assert again.memberships == ds.memberships
    assert again.team_of == ds.team_of
    other = build_dataset(seed=8)
    assert other.tables["accounts"] != ds.tables["accounts"]
    assert other.me == ds.me  # the signed-in user is fixed, whatever the seed


@pytest.mark.parametrize("n", [10, 50, 200])
def test_book_size_follows_accounts(n: int) -> None:
    d = build_dataset(accounts=n)
    assert len(d.accounts_of[d.me.user_id]) == n
    assert all(0 < len(d.accounts_of[c.user_id]) < n for c in d.colleagues)


def test_too_small_a_book_is_refused() -> None:
    with pytest.raises(ValueError):
        build_dataset(accounts=3)


def test_me_and_colleagues_are_system_users_with_microsoft_emails(ds: Dataset) -> None:
    for ident in ds.users:
        row = ds.record("systemusers", "systemuserid", ident.user_id)
        assert row is not None
        assert row["fullname"] == ident.name
        assert row["internalemailaddress"] == ident.email
        assert ident.email and ident.email.endswith("@microsoft.com")
    emails = [u["internalemailaddress"] for u in ds.tables["systemusers"]]
    assert len(emails) == len(set(emails))


def test_awkward_account_names_are_mine(ds: Dataset) -> None:
    mine = {a.name for a in ds.expected_accounts(ds.me.user_id)}
    for name in (
        "O'Reilly Media",
        "Café Nordström AB",
        "Müller & Söhne GmbH",
        "Contoso Ltd",
        "Contoso Ltd.",
        "Contoso Pharma",
        "<!channel> Industries",
    ):
        assert name in mine


def test_tpids_are_numeric_strings(ds: Dataset) -> None:
    assert all(a["msp_mstopparentid"].isdigit() for a in ds.tables["accounts"])


def test_territories_missing_malformed_and_well_formed(ds: Dataset) -> None:
    by_id = {a.id: a for a in ds.expected_accounts(ds.me.user_id)}
    no_terr = by_id[ds.special["no_territory"]]
    assert no_terr.territory_id is None and no_terr.name == "<!channel> Industries"
    bad = by_id[ds.special["bad_territory"]]
    assert bad.territory == "Unassigned" and bad.pod is None
    good = [a for a in by_id.values() if a.territory and a.territory != "Unassigned"]
    assert good and all(a.pod and derive_pod(a.territory) == a.pod for a in good)
    assert {a.territory.split(".")[0] for a in good if a.territory} >= {"East", "West", "Central"}


def test_team_sizes_span_1_to_99_and_one_team_fills_more_than_a_page(ds: Dataset) -> None:
    mine = ds.accounts_of[ds.me.user_id]
    huge = ds.special["huge_team"]
    sizes = [ds.cloud_team_size[a] for a in mine if a != huge]
    assert ds.cloud_team_size[ds.special["big_team"]] == 99
    assert ds.cloud_team_size[ds.special["solo_team"]] == 1
    assert max(sizes) == 99 and min(sizes) == 1
    # Sellers and SEs alone (after the guide's filter and title rule) need two pages.
    assert huge in mine and len(ds.team_of[huge]) > 100
    assert sum(20 <= s <= 40 for s in sizes) >= 5


def test_cloud_team_size_matches_rows(ds: Dataset) -> None:
    counted = Counter(
        r["_msp_accountid_value"]
        for r in ds.tables["msp_accountteams"]
        if r["msp_qualifier1"] == "Corporate" and (r["msp_qualifier2"] or "").startswith("Cloud ")
    )
    assert counted == Counter(ds.cloud_team_size)
    # Hundreds of rows outside the guide's filter, too (the 250-300 per account problem).
    assert len(ds.tables["msp_accountteams"]) - sum(counted.values()) > 500
    big = ds.special["big_team"]
    assert sum(r["_msp_accountid_value"] == big for r in ds.tables["msp_accountteams"]) > 250


# The integration guide's rules, written out here (the sandbox writes its truth by
# construction; this checks that the rows it wrote say the same).
GUIDE_SELLERS = {"Cloud & AI": "growth_seller", "Cloud & AI-Acq": "acquisition_seller"}
GUIDE_SES = {
    "Cloud & AI Data": "data_se",
    "Cloud & AI Infrastructure": "infra_se",
    "Cloud & AI Apps": "apps_se",
}


def role_of_row(q1: str | None, q2: str | None, title: str | None) -> str | None:
    if q1 != "Corporate" or not q2 or not q2.startswith("Cloud "):
        return None
    if q2 in GUIDE_SELLERS:
        return GUIDE_SELLERS[q2] if "Specialists IC" in (title or "") else None
    return GUIDE_SES.get(q2)


def test_expected_team_follows_the_guides_rules(ds: Dataset) -> None:
    for account_id, members in ds.team_of.items():
        rows = [r for r in ds.tables["msp_accountteams"] if r["_msp_accountid_value"] == account_id]
        roles = Counter(
            (r["_msp_systemuserid_value"], role)
            for r in rows
            if (
                role := role_of_row(
                    r["msp_qualifier1"], r["msp_qualifier2"], r["msp_standardtitle"]
                )
            )
        )
        assert Counter((m.user_id, m.role) for m in members) == roles
    titles = {r["msp_standardtitle"] for r in ds.tables["msp_accountteams"]}
    assert {
        "Cloud & AI Mgr",
        "Cloud Solution Architect",
        "Digital Solution Area Specialists IC",
    } <= titles
    assert role_of_row("Corporate", "Cloud & AI", "Cloud & AI Mgr") is None
    assert role_of_row("Area", "Cloud & AI", "Specialists IC") is None
    assert role_of_row("Corporate", "Cloud & AI Apps", "Technical Specialists IC") == Role.APPS_SE


def test_me_has_double_roles_area_rows_and_irrelevant_rows(ds: Dataset) -> None:
    me = ds.me.user_id
    doubles = [a for a in ds.accounts_of[me] if len(ds.roles_of[me, a]) == 2]
    assert len(doubles) >= 2
    assert (Role.GROWTH_SELLER, Role.DATA_SE) in {ds.roles_of[me, a] for a in doubles}
    my_rows = [r for r in ds.tables["msp_accountteams"] if r["_msp_systemuserid_value"] == me]
    assert any(r["msp_qualifier1"] == "Area" for r in my_rows)
    irrelevant = {
        r["_msp_accountid_value"]
        for r in my_rows
        if r["msp_qualifier2"] in ("Modern Work", "Security")
    }
    assert set(ds.not_mine_account_ids) <= irrelevant
    assert not set(ds.not_mine_account_ids) & set(ds.accounts_of[me])


def test_colleagues_overlap_partially_with_me(ds: Dataset) -> None:
    mine = set(ds.accounts_of[ds.me.user_id])
    for c in ds.colleagues:
        theirs = set(ds.accounts_of[c.user_id])
        assert theirs & mine and theirs - mine


def test_access_teams_match_the_account_book(ds: Dataset) -> None:
    for user in ds.users:
        teams = [ds.record("teams", "teamid", t) for t in ds.memberships[user.user_id]]
        account_teams = {
            t["_regardingobjectid_value"]
            for t in teams
            if t and t["teamtype"] == 1 and t["_teamtemplateid_value"] == ACCOUNT_TEAM_TEMPLATE
        }
        assert account_teams == set(ds.accounts_of[user.user_id])
    my_teams = [ds.record("teams", "teamid", t) for t in ds.memberships[ds.me.user_id]]
    assert any(t and t["teamtype"] == 0 for t in my_teams)
    assert any(
        t
        and t.get("_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname")
        == "opportunity"
        for t in my_teams
    )
    for t in ds.tables["teams"]:
        if t["_teamtemplateid_value"] == ACCOUNT_TEAM_TEMPLATE:
            assert t["name"] == f"{t['_regardingobjectid_value']}+{ACCOUNT_TEAM_TEMPLATE}"


def test_milestones_every_status_big_account_and_gaps(ds: Dataset) -> None:
    rows = ds.tables["msp_engagementmilestones"]
    labels = {r[f"msp_milestonestatus{FV}"] for r in rows}
    assert set(MILESTONE_STATUS.values()) <= labels
    for want in (
        "On Track",
        "At Risk",
        "Blocked",
        "Completed",
        "Cancelled",
        "Lost to Competitor",
        "Hygiene/Duplicate",
    ):
        assert want in labels
    assert len(ds.milestones_of[ds.special["big_milestones"]]) >= 130
    assert any(r["msp_monthlyuse"] is None for r in rows)
    assert any(r["msp_milestonedate"] is None for r in rows)
    assert all(r["msp_milestonenumber"].startswith("7-") for r in rows)
    workloads = {r[f"_msp_workloadlkid_value{FV}"] for r in rows}
    assert {"Azure SQL", "AKS"} <= workloads
    assert all(r[f"_msp_opportunityid_value{FV}"] for r in rows)


def test_expected_accounts_are_domain_accounts_sorted(ds: Dataset) -> None:
    accounts = ds.expected_accounts(ds.me.user_id)
    assert len(accounts) == 30
    assert all(a.my_roles for a in accounts)
    assert ds.expected_accounts("00000000-0000-0000-0000-000000000000") == []
    assert ds.account_id("O'Reilly Media") == ds.special["solo_team"]


def test_two_of_my_accounts_share_a_name_but_not_an_id_or_tpid(ds: Dataset) -> None:
    one, two = (
        ds.record("accounts", "accountid", ds.special[k]) for k in ("same_name", "same_name_twin")
    )
    assert one is not None and two is not None
    assert one["name"] == two["name"]
    assert one["accountid"] != two["accountid"]
    assert one["msp_mstopparentid"] != two["msp_mstopparentid"]
    mine = set(ds.accounts_of[ds.me.user_id])
    assert {one["accountid"], two["accountid"]} <= mine
