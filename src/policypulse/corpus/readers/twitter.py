"""X/Twitter: API v2 response pages, twarc2 flattened JSONL, v1.1 JSON and the personal archive's tweets.js.

Shapes, detected per line (a folder may mix them; twarc 2.1 release notes):

* **API v2 page** ``{"data": [tweet...], "includes": {"users", "tweets"...}, "meta"}`` (twarc2 raw output,
  one page per line, or one page as a JSON file). A retweet's ``text`` is truncated (``RT @x: ...``): its
  full text is taken from ``includes.tweets`` through ``referenced_tweets`` (twarc #452); long posts from
  ``note_tweet.text``; the author from ``includes.users``.
* **twarc2 flattened** (one tweet per line, ``author`` and ``referenced_tweets[].tweet`` expanded, and
  ``__twarc.retrieved_at``).
* **v1.1** (``id_str``, ``full_text``/``text``, ``created_at`` like ``Wed Oct 10 20:19:24 +0000 2018``,
  ``retweeted_status``) and the **archive** ``tweets.js`` (``window.YTD.tweets.part0 = [{"tweet": ...}]``,
  JavaScript, not JSON: the assignment prefix is stripped).

Every tweet is a document (source: the author's handle, id: the tweet id, date: ``created_at`` in UTC).
**Retweets** are kept as amplification: ``meta.retweet_of`` names the original, so they count in raw
numbers and are folded out of the default (original-post) counts at ingest. Quotes and replies are
original posts (``meta.quote_of``, ``meta.reply_to``). A ``created_at`` that is a relative date ("3h", "2 days
ago", as scraped timelines print it) is resolved against twarc's ``__twarc.retrieved_at``, the capture time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from policypulse.corpus.dates import DateError, is_relative
from policypulse.corpus.readers._util import parse_instant, relative_date
from policypulse.corpus.readers.base import Item, RawRecord, ReaderOptions, Rejection
from policypulse.corpus.text import decode

_JS_PREFIX = re.compile(r"^\s*window\.YTD\.[A-Za-z0-9_]+\.part\d+\s*=\s*")
_V1_DATE = "%a %b %d %H:%M:%S %z %Y"


def is_archive_js(head: str) -> bool:
    return bool(_JS_PREFIX.match(head))


def looks_like_tweet(obj: Any) -> bool:
    """A v2 page, a v2/flattened tweet or a v1.1 tweet."""
    if not isinstance(obj, dict):
        return False
    if "tweet" in obj and isinstance(obj["tweet"], dict):
        return looks_like_tweet(obj["tweet"])
    if isinstance(obj.get("data"), list) and ("includes" in obj or "meta" in obj):
        return all(isinstance(t, dict) and "id" in t and "text" in t for t in obj["data"][:3])
    if isinstance(obj.get("data"), dict) and "text" in obj["data"] and "id" in obj["data"]:
        return True
    keys = set(obj)
    if {"id", "text", "created_at"} <= keys and ({"author_id", "edit_history_tweet_ids", "__twarc", "author"} & keys):
        return True
    return {"id_str", "created_at"} <= keys and ("full_text" in keys or "text" in keys)


def looks_like_user(obj: Any) -> bool:
    """A user profile (v1.1 ``users/lookup``, v2 ``/users``, twarc2 ``users``), which is not a tweet."""
    if not isinstance(obj, dict) or "text" in obj or "full_text" in obj:
        return False
    return ("screen_name" in obj and bool({"followers_count", "friends_count", "statuses_count"} & set(obj))) or (
        "username" in obj and "name" in obj and "id" in obj)


def looks_like_twitter_users(obj: Any) -> bool:
    """A users-lookup response or record: a user, a list of users, or a v2 page whose data are users."""
    if isinstance(obj, list):
        return bool(obj) and looks_like_user(obj[0])
    if isinstance(obj, dict) and isinstance(obj.get("data"), (list, dict)):
        data = obj["data"]
        return looks_like_user(data[0] if isinstance(data, list) and data else data)
    return looks_like_user(obj)


def _user_rejection(name: str, n: int, user: dict[str, Any]) -> Rejection:
    handle = user.get("screen_name") or user.get("username") or user.get("id_str") or user.get("id")
    return Rejection(name, n, f"user @{handle} is a user record, not a tweet: this file holds user profiles (a "
                              "users lookup), which have no text to count; ingest the users' tweets instead")


def read_twitter(path: Path, options: ReaderOptions) -> Iterator[Item]:
    """Tweets of a file, numbered by their order in the file from 1 (an unreadable line counts as one)."""
    name = str(path)
    raw = decode(path.read_bytes()).lstrip("\ufeff")
    counter = _Counter()
    m = _JS_PREFIX.match(raw)
    if m:
        body = raw[m.end():].strip().rstrip(";")
        try:
            items = json.loads(body, strict=False)
        except json.JSONDecodeError as exc:
            yield Rejection(name, 0, f"tweets.js: invalid JSON after the window.YTD prefix at line {exc.lineno}: {exc.msg}")
            return
        if not isinstance(items, list):
            yield Rejection(name, 0, "tweets.js: expected a list of {\"tweet\": ...} objects")
            return
        owner = _archive_owner(path)
        for obj in items:
            for item in _from_object(name, obj, {}, counter, kind="archive"):
                if owner and isinstance(item, RawRecord) and item.data.get("source") == "twitter":
                    item.data["source"] = owner
                yield item
        return
    stripped = raw.lstrip()
    if stripped.startswith("[") or (stripped.startswith("{") and "\n{" not in stripped.strip()):
        try:
            value = json.loads(stripped, strict=False)
        except json.JSONDecodeError:
            value = None
        if value is not None:
            for obj in value if isinstance(value, list) else [value]:
                yield from _from_object(name, obj, {}, counter)
            return
    for n, line in enumerate(raw.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, strict=False)
        except json.JSONDecodeError as exc:
            yield Rejection(name, counter.next(), f"line {n}: invalid JSON at column {exc.pos + 1}: {exc.msg}")
            continue
        yield from _from_object(name, obj, {}, counter)


def _archive_owner(path: Path) -> str | None:
    """The archive owner's handle from ``account.js`` beside ``tweets.js`` (the archive's data folder)."""
    account = path.with_name("account.js")
    if not account.is_file():
        return None
    raw = decode(account.read_bytes())
    m = _JS_PREFIX.match(raw)
    try:
        items = json.loads(raw[m.end():].strip().rstrip(";") if m else raw, strict=False)
        username = items[0]["account"]["username"]
    except (ValueError, LookupError, TypeError):
        return None
    return "@" + username if isinstance(username, str) and username else None


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def _from_object(name: str, obj: Any, includes: dict[str, Any], counter: _Counter, *,
                 kind: str | None = None) -> Iterator[Item]:
    if not isinstance(obj, dict):
        yield Rejection(name, counter.next(), "expected a JSON object (a tweet or an API page)")
        return
    if isinstance(obj.get("tweet"), dict):  # archive entry
        yield _v1(name, counter.next(), obj["tweet"], kind or "archive")
        return
    if looks_like_user(obj):
        yield _user_rejection(name, counter.next(), obj)
        return
    if isinstance(obj.get("data"), list):  # v2 page
        inc = obj.get("includes") or {}
        for t in obj["data"]:
            yield _user_rejection(name, counter.next(), t) if looks_like_user(t) else _v2(name, counter.next(), t, inc)
        for err in obj.get("errors") or []:
            if isinstance(err, dict) and err.get("resource_type") == "tweet" and err.get("value"):
                yield Rejection(name, counter.next(), f"tweet {err.get('value')} not returned by the API: "
                                                      f"{err.get('title') or err.get('detail') or 'error'}")
        return
    if isinstance(obj.get("data"), dict):  # single-tweet lookup response
        if looks_like_user(obj["data"]):
            yield _user_rejection(name, counter.next(), obj["data"])
            return
        yield _v2(name, counter.next(), obj["data"], obj.get("includes") or {})
        return
    if "id_str" in obj:
        yield _v1(name, counter.next(), obj, kind or "v1.1")
        return
    if "id" in obj and "text" in obj:
        yield _v2(name, counter.next(), obj, includes)
        return
    yield Rejection(name, counter.next(), "not a tweet: no id and text (nor an API v2 page with data)")


def _v2(name: str, n: int, t: Any, includes: dict[str, Any]) -> Item:
    if not isinstance(t, dict) or not t.get("id"):
        return Rejection(name, n, "tweet without an id")
    tid = str(t["id"])
    users = {u.get("id"): u for u in includes.get("users") or [] if isinstance(u, dict)}
    tweets = {x.get("id"): x for x in includes.get("tweets") or [] if isinstance(x, dict)}
    # The cast restates the isinstance test on t.get(...): mypy does not narrow the result of a call.
    author = cast(dict[str, Any],
                  t.get("author") if isinstance(t.get("author"), dict) else users.get(t.get("author_id"), {}))
    text = (t.get("note_tweet") or {}).get("text") or t.get("text")
    meta: dict[str, Any] = {"tweet_id": tid, "author_id": t.get("author_id") or author.get("id"),
                            "lang": t.get("lang"), "conversation_id": t.get("conversation_id")}
    for ref in t.get("referenced_tweets") or []:
        if not isinstance(ref, dict):
            continue
        kind, rid = ref.get("type"), str(ref.get("id"))
        if kind == "retweeted":
            meta["retweet_of"] = rid
            original = ref.get("tweet") if isinstance(ref.get("tweet"), dict) else tweets.get(rid)
            if original:  # the full text, not the truncated "RT @x: ..."
                text = (original.get("note_tweet") or {}).get("text") or original.get("text") or text
            else:
                meta["text_truncated"] = True
        elif kind == "quoted":
            meta["quote_of"] = rid
        elif kind == "replied_to":
            meta["reply_to"] = rid
    metrics = t.get("public_metrics") or {}
    for key in ("retweet_count", "reply_count", "like_count", "quote_count"):
        if key in metrics:
            meta[key] = metrics[key]
    retrieved = (t.get("__twarc") or {}).get("retrieved_at")
    if retrieved:
        meta["retrieved_at"] = retrieved
    created = t.get("created_at")
    if not isinstance(text, str) or not text.strip():
        return Rejection(name, n, f"tweet {tid} has no text")
    if not created:
        return Rejection(name, n, f"tweet {tid} has no created_at")
    if is_relative(created) and parse_instant(retrieved) is not None:
        try:
            created = relative_date(created, parse_instant(retrieved))[0]  # type: ignore[arg-type,index]
        except DateError as exc:
            return Rejection(name, n, f"tweet {tid}: {exc}")
        meta["date_relative"] = t.get("created_at")
        meta["date_captured"] = f"__twarc.retrieved_at {retrieved}"
    data = {"id": tid, "text": text, "date": created,
            "source": "@" + author["username"] if author.get("username") else "twitter"}
    return RawRecord(name, n, data, meta={k: v for k, v in meta.items() if v is not None})


def _v1(name: str, n: int, t: Any, kind: str) -> Item:
    if not isinstance(t, dict) or not (t.get("id_str") or t.get("id")):
        return Rejection(name, n, "tweet without an id")
    tid = str(t.get("id_str") or t.get("id"))
    text = t.get("full_text") or t.get("text")
    meta: dict[str, Any] = {"tweet_id": tid, "lang": t.get("lang"), "twitter_format": kind}
    rt = t.get("retweeted_status")
    if isinstance(rt, dict):
        meta["retweet_of"] = str(rt.get("id_str") or rt.get("id"))
        text = rt.get("full_text") or rt.get("text") or text
    elif isinstance(text, str) and text.startswith("RT @"):
        # the archive keeps only the truncated text of a retweet, not the original's id
        meta["retweet_of"] = "@" + text[4:].split(":", 1)[0]
        meta["text_truncated"] = True
    if t.get("in_reply_to_status_id_str"):
        meta["reply_to"] = t["in_reply_to_status_id_str"]
    if t.get("quoted_status_id_str"):
        meta["quote_of"] = t["quoted_status_id_str"]
    created = t.get("created_at")
    if not isinstance(text, str) or not text.strip():
        return Rejection(name, n, f"tweet {tid} has no text")
    try:
        stamp = dt.datetime.strptime(created, _V1_DATE) if isinstance(created, str) else None
    except ValueError:
        stamp = None
    date = stamp.astimezone(dt.UTC).isoformat() if stamp else created
    if not date:
        return Rejection(name, n, f"tweet {tid} has no created_at")
    user = cast(dict[str, Any], t.get("user") if isinstance(t.get("user"), dict) else {})  # as in _v2
    data = {"id": tid, "text": text, "date": date,
            "source": "@" + user["screen_name"] if user.get("screen_name") else "twitter"}
    return RawRecord(name, n, data, meta={k: v for k, v in meta.items() if v is not None})
