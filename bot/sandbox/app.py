"""The sandbox's core: one async `handle(method, url, headers, body)` that plays MSX's
Dataverse Web API (auth, routing, query options, paging, errors, faults). The httpx
transport and the aiohttp server are thin adapters over it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_plus, urlsplit

import httpx

from bot.sandbox import metadata
from bot.sandbox.data import Dataset, build_dataset
from bot.sandbox.faults import ConnectionDropped, Faults, Stats
from bot.sandbox.filter_plan import filter_rows, split_key_constraint
from bot.sandbox.odata_filter import parse_filter
from bot.sandbox.query import (
    MAX_URL,
    annotation_filter,
    next_link,
    page_size,
    parse_count,
    parse_orderby,
    parse_prefer,
    parse_query,
    parse_select,
    parse_top,
    project,
    projector,
    read_skiptoken,
    skiptoken_for,
    sort_rows,
)
from bot.sandbox.schema import (
    CODE_NO_SEGMENT,
    CODE_NOT_FOUND,
    CODE_QUERY,
    ENTITIES,
    ENTITY_BY_LOGICAL,
    FORMATTED,
    LOOKUP_LOGICAL,
    LOOKUP_TARGETS,
    Entity,
    ODataError,
    bad_query,
)
from bot.sandbox.tasks import build_task, duplicate_key, update_task

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer

Row = dict[str, Any]
API_PREFIX = "/api/data/v9.2/"
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SEGMENT = re.compile(r"(?P<set>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<key>[^)]*)\))?(?:/(?P<nav>[^/]+))?")
# Navigation collections the sandbox serves: (set, nav) -> entity set of the results.
NAVIGATIONS = {("systemusers", "teammembership_association"): "teams"}
JSON_HEADERS = {"Content-Type": "application/json; odata.metadata=minimal", "OData-Version": "4.0"}


@dataclass
class SandboxResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> SandboxResponse:
    return SandboxResponse(
        status,
        {**JSON_HEADERS, **(headers or {})},
        # Compact and UTF-8, as Dataverse writes it.
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
    )


class SandboxMsx:
    """An in-process MSX. Mutable switches: `tokens`, `signed_in_user_id`, `faults`,
    `empty_account_teams_for()`; observations: `stats`, `created_tasks`.

    Two switches for what nobody can check from here (docs/msx-conformance.md, "Unverified"),
    both pessimistic by default: `guid_ranges` (gt/ge/lt/le on a Guid answered, or refused
    with 400) and `team_next_link` (msp_accountteams pages with @odata.nextLink like the
    other sets, or cuts at the page size with no nextLink, the guide's experience).
    """

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        seed: int = 7,
        accounts: int = 30,
        tokens: Iterable[str] = ("sandbox",),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        guid_ranges: bool = False,
        team_next_link: bool = False,
    ) -> None:
        self.dataset = dataset if dataset is not None else build_dataset(seed, accounts)
        self.guid_ranges = guid_ranges
        self.team_next_link = team_next_link
        self.tokens: set[str] = set(tokens)
        self.signed_in_user_id: str = self.dataset.me.user_id
        # False: refuse $filter's EqualUserId(), as an MSX without the function would.
        self.supports_equal_user_id = True
        self.faults = Faults()
        self.stats = Stats()
        self.created_tasks: list[Row] = []
        # Users whose own msp_accountteams rows vanish: the 2026 outage mode.
        self.hidden_account_team_users: set[str] = set()
        self._sleep = sleep
        self._secret = hashlib.sha256(f"msx-sandbox/{self.dataset.seed}".encode()).digest()
        self._last_token: str | None = None
        self._tasks_made = 0

    # ---- switches ----

    def empty_account_teams_for(self, user_id: str | None = None) -> None:
        self.hidden_account_team_users.add(user_id or self.dataset.me.user_id)

    def restore_account_teams(self) -> None:
        self.hidden_account_team_users.clear()

    # ---- adapters ----

    def transport(self) -> httpx.AsyncBaseTransport:
        """For `httpx.AsyncClient(transport=...)`. Note: httpx timeouts do not apply here;
        use `serve()` to test client timeouts against a hanging MSX."""

        async def handler(request: httpx.Request) -> httpx.Response:
            body = await request.aread()
            try:
                resp = await self.handle(
                    request.method, str(request.url), dict(request.headers), body
                )
            except ConnectionDropped as drop:
                if drop.kind == "reset":
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response.", request=request
                    ) from None
                raise httpx.ConnectError(
                    "[Errno 111] Connection refused", request=request
                ) from None
            return httpx.Response(resp.status, headers=resp.headers, content=resp.body)

        return httpx.MockTransport(handler)

    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
        from bot.sandbox.server import serve

        return await serve(self, host, port)

    # ---- the core ----

    async def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes = b""
    ) -> SandboxResponse:
        """Answer one request; raises ConnectionDropped when the fault says "no answer"."""
        method = method.upper()
        h = {k.lower(): v for k, v in headers.items()}
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        decoded = unquote(parts.path) + (f"?{unquote_plus(parts.query)}" if parts.query else "")
        self.stats.requests += 1
        self.stats.log.append((method, decoded))
        self.stats.in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
        try:
            try:
                await self.faults.before(self._sleep)
                resp = self._answer(method, base, parts.path, parts.query, h, body)
            except ODataError as err:
                body = err.body()
                head = {**(JSON_HEADERS if body else {"OData-Version": "4.0"}), **err.headers}
                resp = SandboxResponse(err.status, head, body)
            await self.faults.after(self._sleep)
        finally:
            self.stats.in_flight -= 1
        if 200 <= resp.status < 300:
            self.faults.note_success()
        return resp

    def _authenticate(self, h: dict[str, str]) -> None:
        scheme, _, token = h.get("authorization", "").partition(" ")
        token = token.strip()
        challenge = {
            "WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/'
            '72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/authorize"'
        }
        if scheme.lower() != "bearer" or token not in self.tokens:
            self._last_token = token or self._last_token
            raise ODataError(401, "", "", challenge)
        changed = self._last_token is not None and token != self._last_token
        self._last_token = token
        if changed and self.faults.reject_on_token_change:
            status = self.faults.reject_status
            raise ODataError(status, "", "", challenge)

    def _answer(
        self, method: str, base: str, raw_path: str, raw_query: str, h: dict[str, str], body: bytes
    ) -> SandboxResponse:
        if len(raw_path) + len(raw_query) + 1 > MAX_URL:
            raise ODataError(414, "", "The request URL is too long: use $batch or split the query.")
        self._authenticate(h)
        path = unquote(raw_path)
        if not path.startswith(API_PREFIX):
            raise ODataError(
                404, CODE_NO_SEGMENT, f"Resource not found for the segment '{path.strip('/')}'."
            )
        rest = path[len(API_PREFIX) :]
        prefs = parse_prefer(h.get("prefer", ""))
        if rest in ("WhoAmI", "WhoAmI()"):
            self._require(method, "GET")
            return _json(
                200,
                {
                    "@odata.context": f"{base}{API_PREFIX}$metadata#"
                    "Microsoft.Dynamics.CRM.WhoAmIResponse",
                    "BusinessUnitId": self.dataset.business_unit_id,
                    "UserId": self.signed_in_user_id,
                    "OrganizationId": self.dataset.organization_id,
                },
            )
        if rest.startswith("EntityDefinitions("):
            self._require(method, "GET")
            self.faults.for_entity("EntityDefinitions")
            return _json(
                200,
                metadata.answer(
                    rest, parse_query(raw_query, allow_expand=True).options, base + API_PREFIX
                ),
            )
        m = _SEGMENT.fullmatch(rest)
        if not m or m.group("set") not in ENTITIES:
            segment = (m.group("set") if m else rest.split("/")[0].split("(")[0]) or rest
            raise ODataError(
                404, CODE_NO_SEGMENT, f"Resource not found for the segment '{segment}'."
            )
        entity = ENTITIES[m.group("set")]
        self.faults.for_entity(entity.set_name)
        key, nav = m.group("key"), m.group("nav")
        if key is not None and not _GUID.fullmatch(key):
            raise bad_query("Bad Request - Error in query syntax.")
        if nav is not None:
            if key is None or (entity.set_name, nav) not in NAVIGATIONS:
                raise ODataError(
                    404, CODE_NO_SEGMENT, f"Resource not found for the segment '{nav}'."
                )
            self._require(method, "GET")
            self._must_exist(entity, key)
            target = ENTITIES[NAVIGATIONS[entity.set_name, nav]]
            team_ids = self.dataset.memberships.get(key.lower(), [])
            rows = [r for t in team_ids if (r := self.dataset.record("teams", "teamid", t))]
            return self._collection(target, rows, base, path, raw_query, prefs, indexed=False)
        if key is not None:
            if method == "PATCH" and "PATCH" in entity.methods:
                return self._update(entity, key, h, body)
            self._require(method, "GET")
            return self._single(entity, key, base, raw_query, prefs)
        if method == "POST" and "POST" in entity.methods:
            return self._create(entity, base, h, body, prefs)
        self._require(method, "GET")
        rows = self.dataset.tables[entity.set_name]
        if entity.set_name == "msp_accountteams" and self.hidden_account_team_users:
            hidden = self.hidden_account_team_users
            rows = [r for r in rows if r["_msp_systemuserid_value"] not in hidden]
        return self._collection(entity, rows, base, path, raw_query, prefs, indexed=True)

    @staticmethod
    def _require(method: str, allowed: str) -> None:
        if method != allowed:
            raise ODataError(
                405, CODE_QUERY, f"The requested resource does not support http method '{method}'."
            )

    def _must_exist(self, entity: Entity, key: str) -> Row:
        row = self.dataset.record(entity.set_name, entity.key, key)
        if row is None:
            raise ODataError(
                404, CODE_NOT_FOUND, f"{entity.logical_name} With Id = {key.lower()} Does Not Exist"
            )
        return row

    def _single(
        self, entity: Entity, key: str, base: str, raw_query: str, prefs: dict[str, str]
    ) -> SandboxResponse:
        q = parse_query(raw_query)
        for opt in q.options:
            if opt != "$select":
                raise bad_query(f"The query option '{opt}' is not allowed on a single record.")
        select = parse_select(q.options.get("$select"), entity)
        row = self._must_exist(entity, key)
        patterns = annotation_filter(prefs)
        payload = {
            "@odata.context": f"{base}{API_PREFIX}$metadata#{entity.set_name}"
            + (f"({','.join(select)})" if select else "")
            + "/$entity",
            **project(row, entity, select, patterns),
        }
        return _json(200, payload, self._applied(prefs, None, patterns))

    def _collection(
        self,
        entity: Entity,
        rows: list[Row],
        base: str,
        path: str,
        raw_query: str,
        prefs: dict[str, str],
        *,
        indexed: bool,
    ) -> SandboxResponse:
        q = parse_query(raw_query)
        opts = q.options
        select = parse_select(opts.get("$select"), entity)
        order = parse_orderby(opts.get("$orderby"), entity)
        top = parse_top(opts.get("$top"))
        want_count = parse_count(opts.get("$count"))
        offset = read_skiptoken(self._secret, path, opts)
        if "$filter" in opts:
            me = self.signed_in_user_id if self.supports_equal_user_id else None
            node = parse_filter(opts["$filter"], entity, user_id=me, guid_ranges=self.guid_ranges)
            constraint, rest = split_key_constraint(node) if indexed else (None, node)
            if constraint is not None:
                # Answer pinned Guid filters from an index.
                index = self.dataset.index(entity.set_name, constraint[0])
                found = [r for v in constraint[1] for r in index.get(v, [])]
                if rows is not self.dataset.tables[entity.set_name]:
                    allowed = {id(r) for r in rows}
                    found = [r for r in found if id(r) in allowed]
                rows = found
            if rest is not None:  # what the index did not already settle
                rows = filter_rows(rest, rows)
            # The index returns rows grouped by value, each group in table order. Without
            # $orderby, paging follows table order: restore it (after the filter: fewer rows),
            # unless there is one group. A $orderby ends with the primary key: a total order.
            if constraint is not None and len(constraint[1]) > 1 and not order:
                pos = self.dataset.position(entity.set_name)
                rows.sort(key=lambda r: pos[id(r)])
        if order:
            key_order = self.dataset.key_order(entity.set_name, entity.key)
            rows = sort_rows(rows, order, entity, self._related_name, key_order)
        size = page_size(prefs)
        limit = size if top is None else min(top, size)
        page = rows[offset : offset + limit]
        patterns = annotation_filter(prefs)
        payload: dict[str, Any] = {
            "@odata.context": f"{base}{API_PREFIX}$metadata#{entity.set_name}"
            + (f"({','.join(select)})" if select else "")
        }
        if want_count:
            payload["@odata.count"] = min(len(rows), 5000)
        payload["value"] = list(map(projector(entity, select, patterns), page))
        more = offset + limit < len(rows)
        # $top never pages; msp_accountteams may silently cut at the cap (the guide's trap).
        if more and top is None and (entity.pages or self.team_next_link):
            token = skiptoken_for(
                self._secret, path, opts, offset + limit, offset // max(limit, 1) + 2
            )
            payload["@odata.nextLink"] = next_link(base, path, q.raw_parts, token)
        return _json(200, payload, self._applied(prefs, size, patterns))

    def _related_name(self, row: Row, col: str) -> str | None:
        """The primary name of the record a lookup points at (what `$orderby` sorts by)."""
        target = ENTITY_BY_LOGICAL.get(
            LOOKUP_TARGETS.get(col) or row.get(f"{col}@{LOOKUP_LOGICAL}") or ""
        )
        if target is not None and target.primary_name is not None:
            related = self.dataset.record(target.set_name, target.key, str(row[col]))
            if related is not None:
                return related.get(target.primary_name)
        # A table the sandbox does not serve (opportunity, workload): its name as formatted.
        return row.get(f"{col}@{FORMATTED}")

    @staticmethod
    def _applied(prefs: dict[str, str], size: int | None, patterns: list[str]) -> dict[str, str]:
        applied = []
        if patterns:
            applied.append(f'odata.include-annotations="{prefs["odata.include-annotations"]}"')
        if size is not None and "odata.maxpagesize" in prefs:
            applied.append(f"odata.maxpagesize={size}")
        return {"Preference-Applied": ",".join(applied)} if applied else {}

    def _create(
        self, entity: Entity, base: str, h: dict[str, str], body: bytes, prefs: dict[str, str]
    ) -> SandboxResponse:
        ctype = h.get("content-type", "")
        if "application/json" not in ctype.lower():
            raise ODataError(
                415, CODE_QUERY, f"Content-Type '{ctype}' is not supported: send application/json."
            )
        # An id of MSX's own choosing is never one a record has (a dataset another sandbox
        # wrote to may hold this one's next).
        while True:
            self._tasks_made += 1
            new_id = str(
                uuid.uuid5(
                    uuid.NAMESPACE_URL, f"msx-sandbox/{self.dataset.seed}/task/{self._tasks_made}"
                )
            )
            if self.dataset.record(entity.set_name, entity.key, new_id) is None:
                break
        row = build_task(self.dataset, body, self.signed_in_user_id, new_id)
        new_id = row["activityid"]  # the client's, when it chose one
        if self.dataset.record(entity.set_name, entity.key, new_id) is not None:
            raise duplicate_key()
        self.dataset.insert(entity.set_name, row)
        self.created_tasks.append(row)
        entity_url = f"{base}{API_PREFIX}{entity.set_name}({new_id})"
        if prefs.get("return") == "representation":
            patterns = annotation_filter(prefs)
            payload = {
                "@odata.context": f"{base}{API_PREFIX}$metadata#{entity.set_name}/$entity",
                **project(row, entity, None, patterns),
            }
            applied = ["return=representation"]
            if patterns:
                applied.append(f'odata.include-annotations="{prefs["odata.include-annotations"]}"')
            return _json(201, payload, {"Preference-Applied": ",".join(applied)})
        return SandboxResponse(
            204, {"OData-Version": "4.0", "OData-EntityId": entity_url, "Location": entity_url}
        )

    def _update(self, entity: Entity, key: str, h: dict[str, str], body: bytes) -> SandboxResponse:
        ctype = h.get("content-type", "")
        if "application/json" not in ctype.lower():
            raise ODataError(
                415, CODE_QUERY, f"Content-Type '{ctype}' is not supported: send application/json."
            )
        must_exist = h.get("if-match", "").strip() == "*"
        row, created = update_task(
            self.dataset, key, body, self.signed_in_user_id, must_exist=must_exist
        )
        if created:
            self.dataset.insert(entity.set_name, row)
            self.created_tasks.append(row)
        return SandboxResponse(204, {"OData-Version": "4.0"})
