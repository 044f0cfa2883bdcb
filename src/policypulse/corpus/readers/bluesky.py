"""Bluesky posts: AT Protocol post records and AppView post views, as JSON or JSON Lines.

Shapes (docs.bsky.app): a bare record ``{"$type": "app.bsky.feed.post", "text", "createdAt", "langs"}``;
``com.atproto.repo.listRecords`` output ``{"records": [{"uri", "cid", "value": record}]}``; AppView
post views ``{"uri", "cid", "author": {"did", "handle"}, "record": record, "indexedAt", "likeCount"...}``
in ``{"posts": [...]}`` (searchPosts) or ``{"feed": [{"post": view, "reason": ...}]}`` (getAuthorFeed), where
``reason.$type == app.bsky.feed.defs#reasonRepost`` marks a repost (amplification, like a retweet).

``createdAt`` is asserted by the client ("tricksters might lie about timestamps"): where the AppView's
``indexedAt`` is present, a ``createdAt`` more than ten minutes after it is quarantined with the reason,
and one long before it is kept but marked ``backdated`` (posts imported from elsewhere). Without
``indexedAt``, a future ``createdAt`` is quarantined like any future date.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from policypulse.corpus.readers._util import parse_instant
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.text import decode

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.defs#reasonRepost"
SKEW = dt.timedelta(minutes=10)
BACKDATED = dt.timedelta(days=1)


def looks_like_bluesky(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    if obj.get("$type") == POST:
        return True
    for key in ("posts", "feed", "records"):
        if isinstance(obj.get(key), list) and obj[key]:
            return looks_like_bluesky(obj[key][0])
    if isinstance(obj.get("post"), dict):
        return looks_like_bluesky(obj["post"])
    rec = obj.get("record") or obj.get("value")
    return isinstance(rec, dict) and rec.get("$type") == POST and str(obj.get("uri", "")).startswith("at://")


def read_bluesky(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Posts of a file, numbered from 1 in file order (an unreadable JSON line counts as one)."""
    name = str(path)
    raw = decode(path.read_bytes()).lstrip("\ufeff")
    n = 0
    stripped = raw.strip()
    values: list[tuple[int | None, Any]] = []
    ln: int | None  # a line number, or None for a whole-file JSON value
    try:
        values = [(None, json.loads(stripped, strict=False))]
    except json.JSONDecodeError:
        for ln, line in enumerate(raw.split("\n"), 1):
            if not line.strip():
                continue
            try:
                values.append((ln, json.loads(line, strict=False)))
            except json.JSONDecodeError as exc:
                values.append((ln, exc))
    for ln, value in values:
        if isinstance(value, json.JSONDecodeError):
            n += 1
            yield Rejection(name, n, f"line {ln}: invalid JSON at column {value.pos + 1}: {value.msg}")
            continue
        for obj, reason in _posts(value):
            n += 1
            yield _post(name, n, obj, reason)


def _posts(value: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, list):
        for v in value:
            yield from _posts(v)
        return
    if not isinstance(value, dict):
        yield value, None
        return
    if isinstance(value.get("feed"), list):
        for item in value["feed"]:
            if isinstance(item, dict) and isinstance(item.get("post"), dict):
                yield item["post"], item.get("reason")
            else:
                yield item, None
        return
    for key in ("posts", "records"):
        if isinstance(value.get(key), list):
            for item in value[key]:
                yield item, None
            return
    if isinstance(value.get("post"), dict):
        yield value["post"], value.get("reason")
        return
    yield value, None


def _post(name: str, n: int, obj: Any, reason: Any) -> Item:
    if not isinstance(obj, dict):
        return Rejection(name, n, "expected a post (a JSON object)")
    # The casts restate the isinstance tests on obj.get(...): mypy does not narrow the result of a call.
    record = cast(dict[str, Any], obj.get("record") if isinstance(obj.get("record"), dict) else (
        obj.get("value") if isinstance(obj.get("value"), dict) else obj))
    if record.get("$type") not in (POST, None):
        return Rejection(name, n, f"not a post record ($type {record.get('$type')!r})")
    text = record.get("text")
    created = record.get("createdAt")
    uri = obj.get("uri")
    author = cast(dict[str, Any], obj.get("author") if isinstance(obj.get("author"), dict) else {})
    if not isinstance(text, str) or not text.strip():
        return Rejection(name, n, f"post {uri or ''} has no text".replace("  ", " "))
    stamp = parse_instant(created)
    if stamp is None:
        return Rejection(name, n, f"post {uri or ''}: createdAt {created!r} is not an ISO 8601 timestamp")
    meta: dict[str, Any] = {"uri": uri, "cid": obj.get("cid"), "langs": ",".join(record.get("langs") or []) or None,
                            "author_did": author.get("did") or _did(uri), "indexed_at": obj.get("indexedAt")}
    for key in ("likeCount", "repostCount", "replyCount", "quoteCount"):
        if key in obj:
            meta[key] = obj[key]
    if isinstance(record.get("reply"), dict):
        meta["reply_to"] = (record["reply"].get("parent") or {}).get("uri")
    indexed = parse_instant(obj.get("indexedAt"))
    if indexed is not None:
        if stamp > indexed + SKEW:
            return Rejection(name, n, f"post {uri}: createdAt {created} is after the post was indexed ({obj.get('indexedAt')}): "
                                      "a client-asserted future time, quarantined")
        if stamp < indexed - BACKDATED:
            meta["backdated"] = True
    if isinstance(reason, dict) and reason.get("$type") == REPOST:
        by = cast(dict[str, Any], reason.get("by") if isinstance(reason.get("by"), dict) else {})
        meta["retweet_of"] = uri  # a repost: amplification, folded out of original-post counts
        meta["reposted_by"] = by.get("handle")
        date = reason.get("indexedAt") or created
        source = "@" + by["handle"] if by.get("handle") else "bluesky"
        doc_id: str | None = f"{uri}#repost-by-{by.get('did') or by.get('handle')}"
    else:
        date = created
        source = "@" + author["handle"] if author.get("handle") else (_did(uri) or "bluesky")
        doc_id = uri  # None when the post has no uri: the id is then left out of data below
    data = {"id": doc_id, "text": text, "date": date, "source": source}
    return RawRecord(name, n, {k: v for k, v in data.items() if v}, meta={k: v for k, v in meta.items() if v is not None})


def _did(uri: Any) -> str | None:
    if isinstance(uri, str) and uri.startswith("at://"):
        return uri[5:].split("/", 1)[0]
    return None
