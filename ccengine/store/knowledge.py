"""The knowledge base in the SQL store: articles (Markdown, tags, a language, draft or
published), every version of each, ranked full-text search, and which articles were shown,
used in a reply or read.

Search is the database's own (migration 0011): on SQLite an FTS5 table with the porter
stemmer ("billing" finds "billed"), ranked by bm25; on PostgreSQL a generated tsvector in
the text search configuration of the article's language, ranked by ts_rank. Titles weigh
most, then tags, then the body. A query is cut into words (letters and digits; nothing of
it is read as query syntax), common words of the language are left out unless nothing
else is left, and ``search`` wants every word while ``suggest`` (the words of a customer's
message) wants any.

Input is checked before anything is written (``InvalidArticle``, code article_invalid,
naming the field); text is stored as given (Markdown carrying HTML included: it is made
safe when rendered, ccengine/knowledge/render.py)."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypedDict

from sqlalchemy import Row, case, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ccengine.knowledge.render import plain_text
from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord, NotFound, StoreConflict, StoreError
from ccengine.store.models import KbArticle, KbUsage, KbVersion

STATES = ("draft", "published")
USAGE_KINDS = ("shown", "used", "read")
TITLE_MAX = 200
# a body at its longest fits the API's 1 MiB request limit even JSON-escaped (at worst 12
# bytes a character)
BODY_MAX = 80_000
TAGS_MAX = 20
TAG_MAX = 40
SLUG_MAX = 100
LANGUAGE_MAX = 20
LIMIT_MAX = 100
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
INTERACTION_ID = re.compile(r"[!-~]{1,64}")       # printable ASCII, no spaces
CHANNEL = re.compile(r"[a-z][a-z0-9_-]{0,15}")
SEARCH_TERMS_MAX = 16       # words of a search query used
SUGGEST_TERMS_MAX = 24      # words of a message used to suggest articles
SUGGEST_TEXT_MAX = 20_000   # characters of a message read to suggest articles
TERM_MAX = 50               # longer "words" are not words
_WORD = re.compile(r"[^\W_]+")
_WRITE_ATTEMPTS = 5
# ranking weights of the columns on SQLite (bm25: title, body, tags); PostgreSQL's are the
# tsvector's labels (title A, tags B, body D)
_BM25 = "bm25(kb_search, 10.0, 1.0, 4.0)"
EXCERPT_CHARS = 200

# language code (its first part) -> PostgreSQL text search configuration, as migration
# 0011 maps the articles' (keep the two the same)
PG_CONFIGS = {
    "ar": "arabic", "da": "danish", "de": "german", "en": "english", "es": "spanish",
    "fi": "finnish", "fr": "french", "ga": "irish", "hu": "hungarian", "id": "indonesian",
    "it": "italian", "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch",
    "nn": "norwegian", "no": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
}
_PG_ROW_CONFIG = ("(CASE split_part(a.language, '-', 1) " + " ".join(
    f"WHEN '{code}' THEN '{name}'::regconfig" for code, name in sorted(PG_CONFIGS.items()))
    + " ELSE 'simple'::regconfig END)")

# words too common to find anything with, per language (a message's language is often
# unknown: then all of them)
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("""a about above after again against all am an and any are as at be
        because been before being below between both but by can cannot could did do does
        doing down during each few for from further had has have having he her here hers
        herself him himself his how i if in into is it its itself just let me more most my
        myself no nor not now of off on once only or other ought our ours ourselves out over
        own please same she should so some such than thank thanks that the their theirs them
        themselves then there these they this those through to too under until up very was
        we were what when where which while who whom why will with would you your yours
        yourself yourselves hello hi dear regards im ive dont cant wont didnt doesnt isnt
        get got""".split()),
    "fr": frozenset("""au aux avec bonjour ce ces cette dans de des du elle en est et eux
        il ils je la le les leur lui ma mais me merci mes moi mon ne nos notre nous on ou
        par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous
        ai avez avons est sont suis été être""".split()),
    "de": frozenset("""aber als am an auch auf aus bei bin bis bitte da dann das dass dem
        den der des die dies diese doch du ein eine einen einem einer es für hallo hat
        haben ich ihr im in ist ja kann mein meine mit nach nicht noch nur oder sehr sie sind
        so und uns unser von war was wie wir zu zum zur danke""".split()),
    "es": frozenset("""al como con de del el ella en es esta este gracias hola la las le
        lo los me mi mis muy no nos o para pero por que se si sin su sus te tengo tu un una
        uno y ya yo""".split()),
}
_ALL_STOP_WORDS = frozenset().union(*STOP_WORDS.values())


class InvalidArticle(InvalidRecord):
    """An article field out of bounds (its name and the rule are in the message)."""

    code = "article_invalid"


class InvalidSearch(InvalidRecord):
    code = "search_invalid"


class InvalidUsage(InvalidRecord):
    code = "usage_invalid"


class UnknownArticle(NotFound):
    code = "article_not_found"
    what = "article"


class SlugTaken(StoreError):
    """Another article has this slug (its public address); nothing changed."""

    code = "slug_taken"


class ArticleConflict(StoreError):
    """The article changed since the version the writer read; nothing changed."""

    code = "article_conflict"


class ArticleView(TypedDict):
    id: int
    slug: str
    title: str
    body: str
    tags: list[str]
    language: str
    state: str
    version: int
    created_at: float
    updated_at: float
    published_at: float | None
    created_by: str | None
    updated_by: str | None


class ArticleHit(TypedDict):
    """An article in a list or a search's results: no body, an excerpt of it; ``score``
    the search's rank (higher is better; None in a plain list)."""

    id: int
    slug: str
    title: str
    tags: list[str]
    language: str
    state: str
    version: int
    updated_at: float
    published_at: float | None
    excerpt: str
    score: float | None


class VersionView(TypedDict):
    article_id: int
    version: int
    title: str
    body: str
    tags: list[str]
    language: str
    state: str
    changed_by: str | None
    changed_at: float


class UsageView(TypedDict):
    article_id: int
    kind: str
    at: float
    interaction_id: str | None
    agent_id: str | None
    channel: str | None


class UsageRow(TypedDict):
    """An article's usage over a report's period; ``chats_after``: the chats started in
    the period by visitors whom the widget's self-service search had shown the article
    (the chat's ``kb_self_service`` attribute)."""

    article_id: int
    slug: str
    title: str
    shown: int
    used: int
    read: int
    chats_after: int


# ---------------------------------------------------------------------- validation
def _clean(value: Any, field: str, max_chars: int, *, single_line: bool) -> str:
    if not isinstance(value, str):
        raise InvalidArticle(f"{field} must be text")
    if len(value) > max_chars:
        raise InvalidArticle(f"{field} is {len(value)} characters long: at most {max_chars}")
    if "\x00" in value or (single_line and any(
            unicodedata.category(c) == "Cc" for c in value)):
        raise InvalidArticle(f"{field} must not hold control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArticle(f"{field} is not valid Unicode text") from None
    return value


def check_title(value: Any) -> str:
    title = _clean(value, "title", TITLE_MAX + 1000, single_line=True).strip()
    if not title or len(title) > TITLE_MAX:
        raise InvalidArticle(f"title must be 1 to {TITLE_MAX} characters (not only spaces)")
    return title


def check_body(value: Any) -> str:
    return _clean(value, "body", BODY_MAX, single_line=False)


def check_tags(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidArticle("tags must be a list of texts")
    tags: list[str] = []
    for item in value:
        tag = _clean(item, "a tag", TAG_MAX + 100, single_line=True).strip()
        if not tag or len(tag) > TAG_MAX:
            raise InvalidArticle(f"each tag must be 1 to {TAG_MAX} characters")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise InvalidArticle(f"at most {TAGS_MAX} tags")
    return tags


def check_language(value: Any) -> str:
    if not isinstance(value, str) or len(value) > LANGUAGE_MAX \
            or not LANGUAGE.fullmatch(value):
        raise InvalidArticle("language must be a language code such as en, fr or en-GB")
    return value


def check_state(value: Any) -> str:
    if value not in STATES:
        raise InvalidArticle(f"state must be one of {', '.join(STATES)}")
    return str(value)


def check_slug(value: Any) -> str:
    if not isinstance(value, str) or len(value) > SLUG_MAX or not SLUG.fullmatch(value):
        raise InvalidArticle(f"slug must be 1 to {SLUG_MAX} lower-case letters, digits and "
                             "single hyphens between them (e.g. changing-your-plan)")
    return value


def slug_of(title: str) -> str:
    """A slug from a title: ASCII letters and digits joined by hyphens ("Changing your
    plan?" -> changing-your-plan); "article" if none are left."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > 80:
            break
        slug = candidate
    return slug or (words[0][:80] if words else "article")


def _limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= LIMIT_MAX:
        raise InvalidSearch(f"limit must be a whole number from 1 to {LIMIT_MAX}")
    return value


def _article_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnknownArticle(value)
    return value


def terms(words: str, language: str | None = None, *, meaningful: bool = False,
          most: int = SEARCH_TERMS_MAX) -> list[str]:
    """The words of ``words`` to search for, lower-cased, each once, in order: common
    words of ``language`` (of every language known if None) left out unless nothing else
    is left; with ``meaningful`` (suggestions from a message) also words under 3 letters
    and numbers, and never the common words."""
    found: list[str] = []
    for word in _WORD.findall(words.casefold()):
        if len(word) <= TERM_MAX and word not in found:
            found.append(word)
    stop = STOP_WORDS.get((language or "").split("-")[0], _ALL_STOP_WORDS)
    kept = [w for w in found if w not in stop]
    if meaningful:
        kept = [w for w in kept if len(w) >= 3 and not w.isdigit()]
    elif not kept:
        kept = found
    return kept[:most]


# ---------------------------------------------------------------------- the repository
class KnowledgeRepository:
    """Articles, their versions, search and usage, on SQLite or PostgreSQL."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    # -------------------------------------------------------------- writing
    async def create(self, *, title: str, body: str, by: str | None,
                     tags: Iterable[str] = (), language: str = "en", state: str = "draft",
                     slug: str | None = None) -> ArticleView:
        """Store a new article (version 1). Without a slug, one is made from the title
        (with -2, -3... if taken); a slug given that is taken is SlugTaken."""
        fields = {"title": check_title(title), "body": check_body(body),
                  "tags": check_tags(tags), "language": check_language(language),
                  "state": check_state(state)}
        wanted = check_slug(slug) if slug is not None else None
        collision: IntegrityError | None = None
        for _ in range(_WRITE_ATTEMPTS):
            now = self.clock()
            try:
                async with self.db.session() as s, s.begin():
                    chosen = wanted or await self._free_slug(s, slug_of(fields["title"]))
                    if wanted is not None and await self._slug_used(s, wanted):
                        raise SlugTaken(f"another article has the slug {wanted!r}")
                    row = KbArticle(
                        slug=chosen, version=1, created_at=now, updated_at=now,
                        published_at=now if fields["state"] == "published" else None,
                        created_by=by, updated_by=by, **fields)
                    s.add(row)
                    await s.flush()
                    s.add(_version_row(row, by, now))
                    await self._index(s, row.id, fields["title"], fields["body"],
                                      fields["tags"])
                    return _view(row)
            except IntegrityError as e:   # another writer took the slug meanwhile
                if wanted is not None:
                    raise SlugTaken(f"another article has the slug {wanted!r}") from e
                collision = e
        raise StoreConflict("could not create the article: its slug kept being taken; "
                            "retry") from collision

    async def update(self, article_id: int, *, by: str | None, title: str | None = None,
                     body: str | None = None, tags: Iterable[str] | None = None,
                     language: str | None = None, state: str | None = None,
                     expected_version: int | None = None) -> ArticleView:
        """Change an article: a new version with the fields given (None: unchanged). A
        change to nothing makes no version. With ``expected_version``, an article at
        another version is ArticleConflict (someone else saved meanwhile)."""
        article_id = _article_id(article_id)
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = check_title(title)
        if body is not None:
            changes["body"] = check_body(body)
        if tags is not None:
            changes["tags"] = check_tags(tags)
        if language is not None:
            changes["language"] = check_language(language)
        if state is not None:
            changes["state"] = check_state(state)
        for _ in range(_WRITE_ATTEMPTS):
            async with self.db.session() as s, s.begin():
                row = await s.get(KbArticle, article_id)
                if row is None:
                    raise UnknownArticle(article_id)
                if expected_version is not None and row.version != expected_version:
                    raise ArticleConflict(
                        f"article {article_id} is at version {row.version}, not "
                        f"{expected_version}: someone saved it meanwhile")
                old = _view(row)
                values = {k: v for k, v in changes.items() if old[k] != v}  # type: ignore[literal-required]
                if not values:
                    return old
                now = self.clock()
                values.update(version=row.version + 1, updated_at=now, updated_by=by)
                if values.get("state") == "published":
                    values["published_at"] = now
                elif values.get("state") == "draft":
                    values["published_at"] = None
                done = await s.execute(
                    update(KbArticle)
                    .where(KbArticle.id == article_id, KbArticle.version == row.version)
                    .values(**values).execution_options(synchronize_session=False))
                if not done.rowcount:
                    continue   # another writer saved first (nothing written): read it again
                new: ArticleView = {**old, **values}  # type: ignore[typeddict-item]
                s.add(KbVersion(article_id=article_id, version=new["version"],
                                title=new["title"], body=new["body"], tags=new["tags"],
                                language=new["language"], state=new["state"],
                                changed_by=by, changed_at=now))
                if {"title", "body", "tags"} & set(values):
                    await self._index(s, article_id, new["title"], new["body"], new["tags"],
                                      replace=True)
                return new
        raise StoreConflict(f"article {article_id} kept changing meanwhile; retry")

    async def publish(self, article_id: int, *, by: str | None) -> ArticleView:
        return await self.update(article_id, by=by, state="published")

    async def unpublish(self, article_id: int, *, by: str | None) -> ArticleView:
        return await self.update(article_id, by=by, state="draft")

    async def reindex(self) -> int:
        """Build SQLite's search table again from the articles (PostgreSQL's is a generated
        column: nothing to do); the number of articles indexed."""
        async with self.db.session() as s, s.begin():
            rows = (await s.execute(select(KbArticle.id, KbArticle.title, KbArticle.body,
                                           KbArticle.tags))).all()
            if self.db.dialect != "sqlite":
                return len(rows)
            await s.execute(text("DELETE FROM kb_search"))
            for r in rows:
                await self._index(s, r.id, r.title, r.body, r.tags or [])
            return len(rows)

    # -------------------------------------------------------------- reading
    async def get(self, article_id: int) -> ArticleView | None:
        if isinstance(article_id, bool) or not isinstance(article_id, int):
            return None
        async with self.db.session() as s:
            row = await s.get(KbArticle, article_id)
            return None if row is None else _view(row)

    async def get_by_slug(self, slug: str) -> ArticleView | None:
        if not isinstance(slug, str) or len(slug) > SLUG_MAX:
            return None
        async with self.db.session() as s:
            row = (await s.execute(select(KbArticle).where(KbArticle.slug == slug))
                   ).scalar_one_or_none()
            return None if row is None else _view(row)

    async def versions(self, article_id: int) -> list[VersionView]:
        """Every version of the article, newest first (UnknownArticle if none)."""
        article_id = _article_id(article_id)
        async with self.db.session() as s:
            rows = (await s.execute(
                select(KbVersion).where(KbVersion.article_id == article_id)
                .order_by(KbVersion.version.desc()))).scalars().all()
        if not rows:
            raise UnknownArticle(article_id)
        return [VersionView(article_id=r.article_id, version=r.version, title=r.title,
                            body=r.body, tags=list(r.tags or []), language=r.language,
                            state=r.state, changed_by=r.changed_by, changed_at=r.changed_at)
                for r in rows]

    async def list_articles(self, *, state: str | None = None, language: str | None = None,
                            limit: int = 50) -> list[ArticleHit]:
        """Articles, the latest changed first."""
        limit = _limit(limit)
        query = select(*_HIT_COLUMNS)
        if state is not None:
            query = query.where(KbArticle.state == check_state(state))
        if language is not None:
            query = query.where(_language_matches(check_language(language)))
        query = query.order_by(KbArticle.updated_at.desc(), KbArticle.id.desc()).limit(limit)
        async with self.db.session() as s:
            return [_hit(r, None) for r in (await s.execute(query)).all()]

    async def search(self, query: str, *, language: str | None = None,
                     published_only: bool = True, state: str | None = None,
                     limit: int = 10) -> list[ArticleHit]:
        """Articles with every word of ``query`` (common words aside), best first: a word
        in the title counts most. ``language`` (en, fr, en-GB...) keeps to articles in it
        and reads the query in it; ``state`` keeps to drafts or published ones
        (``published_only``, the default, to published)."""
        if not isinstance(query, str):
            raise InvalidSearch("the query must be text")
        language = check_language(language) if language is not None else None
        return await self._find(terms(query[:SUGGEST_TEXT_MAX], language), "and",
                                language, "published" if published_only else (
                                    check_state(state) if state is not None else None),
                                _limit(limit))

    async def suggest(self, message: str, *, language: str | None = None,
                      limit: int = 5) -> list[ArticleHit]:
        """Published articles for a customer's message: its meaningful words (no common
        words, numbers or words under 3 letters), any of them, best first."""
        if not isinstance(message, str):
            raise InvalidSearch("the message must be text")
        language = check_language(language) if language is not None else None
        words = terms(message[:SUGGEST_TEXT_MAX], language, meaningful=True,
                      most=SUGGEST_TERMS_MAX)
        return await self._find(words, "or", language, "published", _limit(limit))

    async def _find(self, words: Sequence[str], join: str, language: str | None,
                    state: str | None, limit: int) -> list[ArticleHit]:
        if not words:
            return []
        binds: dict[str, Any] = {"limit": limit}
        where = []
        if state is not None:
            where.append("a.state = :state")
            binds["state"] = state
        if language is not None:
            where.append("(a.language = :language OR a.language LIKE :language_prefix)")
            binds.update(language=language, language_prefix=f"{language}-%")
        columns = ("a.id, a.slug, a.title, a.tags, a.language, a.state, a.version, "
                   "a.updated_at, a.published_at, substr(a.body, 1, 2000) AS body")
        if self.db.dialect == "sqlite":
            binds["match"] = f" {join.upper()} ".join(f'"{w}"' for w in words)
            sql = (f"SELECT {columns}, -{_BM25} AS score FROM kb_search "
                   "JOIN kb_articles a ON a.id = kb_search.rowid "
                   f"WHERE kb_search MATCH :match {''.join(' AND ' + w for w in where)} "
                   f"ORDER BY {_BM25}, a.id LIMIT :limit")
        else:
            if language is not None:
                config = "CAST(CAST(:config AS TEXT) AS regconfig)"
                binds["config"] = PG_CONFIGS.get(language.split("-")[0], "simple")
            else:
                config = _PG_ROW_CONFIG   # each article's query in its own language
            binds.update({f"w{i}": w for i, w in enumerate(words)})
            tsquery = "(" + (" && " if join == "and" else " || ").join(
                f"plainto_tsquery({config}, :w{i})" for i in range(len(words))) + ")"
            sql = (f"SELECT {columns}, ts_rank(a.search_document, {tsquery}) AS score "
                   f"FROM kb_articles a WHERE a.search_document @@ {tsquery} "
                   f"{''.join(' AND ' + w for w in where)} "
                   "ORDER BY score DESC, a.id LIMIT :limit")
        async with self.db.session() as s:
            rows = (await s.execute(text(sql), binds)).all()
        return [_hit(r, float(r.score)) for r in rows]

    # -------------------------------------------------------------- usage
    async def record_usage(self, article_id: int, kind: str, *,
                           interaction_id: str | None = None, agent_id: str | None = None,
                           channel: str | None = None, at: float | None = None) -> UsageView:
        """Count the article ``shown`` (to an agent or a visitor), ``used`` (in a reply)
        or ``read`` (its public page), with the work, agent and channel where known."""
        article_id = _article_id(article_id)
        if kind not in USAGE_KINDS:
            raise InvalidUsage(f"kind must be one of {', '.join(USAGE_KINDS)}")
        if interaction_id is not None and (not isinstance(interaction_id, str)
                                           or not INTERACTION_ID.fullmatch(interaction_id)):
            raise InvalidUsage("interaction_id must be 1 to 64 printable characters")
        if agent_id is not None and (not isinstance(agent_id, str) or not 0 < len(agent_id)
                                     <= 100 or "\x00" in agent_id):
            raise InvalidUsage("agent_id must be 1 to 100 characters")
        if channel is not None and (not isinstance(channel, str)
                                    or not CHANNEL.fullmatch(channel)):
            raise InvalidUsage("channel must be a short lower-case name (desk, chat, email, "
                               "web...)")
        row = KbUsage(article_id=article_id, kind=kind, at=self.clock() if at is None else at,
                      interaction_id=interaction_id, agent_id=agent_id, channel=channel)
        async with self.db.session() as s, s.begin():
            if await s.get(KbArticle, article_id) is None:
                raise UnknownArticle(article_id)
            s.add(row)
        return UsageView(article_id=row.article_id, kind=row.kind, at=row.at,
                         interaction_id=row.interaction_id, agent_id=row.agent_id,
                         channel=row.channel)

    async def usage_report(self, since: float, until: float) -> list[UsageRow]:
        """Per article used in [since, until), or shown by the widget's self-service
        search to a visitor who then started a chat in it: how often it was shown, used
        and read, and how many of those chats there were (``chats_after``); the most used
        first."""
        counts = {k: func.sum(case((KbUsage.kind == k, 1), else_=0)).label(k)
                  for k in USAGE_KINDS}
        query = (select(KbUsage.article_id, KbArticle.slug, KbArticle.title,
                        *counts.values())
                 .join(KbArticle, KbArticle.id == KbUsage.article_id)
                 .where(KbUsage.at >= since, KbUsage.at < until)
                 .group_by(KbUsage.article_id, KbArticle.slug, KbArticle.title))
        async with self.db.session() as s:
            rows = (await s.execute(query)).all()
            chats = (await s.execute(text(self._chats_after_sql()),
                                     {"since": since, "until": until})).all()
        report = {r.article_id: UsageRow(
            article_id=r.article_id, slug=r.slug, title=r.title, shown=int(r.shown or 0),
            used=int(r.used or 0), read=int(r.read or 0), chats_after=0) for r in rows}
        for c in chats:
            row = report.setdefault(c.article_id, UsageRow(
                article_id=c.article_id, slug=c.slug, title=c.title, shown=0, used=0,
                read=0, chats_after=0))
            row["chats_after"] = int(c.chats)
        return sorted(report.values(), key=lambda r: (
            -r["used"], -r["shown"], -r["read"], -r["chats_after"], r["article_id"]))

    def _chats_after_sql(self) -> str:
        """Per article: the chats that entered in [:since, :until) whose widget summary
        (attribute ``kb_self_service``, ccengine/channels/chat/visitor_http.py) lists it
        among the articles shown. The ids are read from the interaction's JSON with the
        database's own functions; anything there that is not a list of whole numbers
        counts for nothing, and ids of articles that no longer exist are left out."""
        entered = ("(i.entered_at >= :since AND i.entered_at < :until OR i.entered_at IS "
                   "NULL AND i.queued_at >= :since AND i.queued_at < :until)")
        if self.db.dialect == "sqlite":
            shown = ("json_each(i.attributes, '$.kb_self_service.articles') AS j "
                     "JOIN kb_articles a ON a.id = j.value AND j.type = 'integer'")
            where = "json_type(i.attributes, '$.kb_self_service.articles') = 'array'"
        else:
            articles = "i.attributes -> 'kb_self_service' -> 'articles'"
            shown = (f"LATERAL json_array_elements(CASE WHEN json_typeof({articles}) = "
                     f"'array' THEN {articles} END) AS j(value) "
                     "JOIN kb_articles a ON CAST(a.id AS TEXT) = CAST(j.value AS TEXT)")
            where = "json_typeof(i.attributes -> 'kb_self_service') = 'object'"
        return ("SELECT a.id AS article_id, a.slug, a.title, COUNT(DISTINCT i.id) AS chats "
                f"FROM interactions i CROSS JOIN {shown} "
                f"WHERE i.medium = 'chat' AND {where} AND {entered} "
                "GROUP BY a.id, a.slug, a.title")

    # -------------------------------------------------------------- helpers
    async def _slug_used(self, s: AsyncSession, slug: str) -> bool:
        found = await s.execute(select(KbArticle.id).where(KbArticle.slug == slug))
        return found.first() is not None

    async def _free_slug(self, s: AsyncSession, base: str) -> str:
        taken = set((await s.execute(select(KbArticle.slug).where(
            (KbArticle.slug == base) | KbArticle.slug.like(f"{base}-%")))).scalars())
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    async def _index(self, s: AsyncSession, article_id: int, title: str, body: str,
                     tags: Sequence[str], *, replace: bool = False) -> None:
        """SQLite: the article's row of the search table (PostgreSQL's is generated)."""
        if self.db.dialect != "sqlite":
            return
        if replace:
            await s.execute(text("DELETE FROM kb_search WHERE rowid = :id"), {"id": article_id})
        await s.execute(text("INSERT INTO kb_search (rowid, title, body, tags) "
                             "VALUES (:id, :title, :body, :tags)"),
                        {"id": article_id, "title": title, "body": body,
                         "tags": " ".join(tags)})


_HIT_COLUMNS = (KbArticle.id, KbArticle.slug, KbArticle.title, KbArticle.tags,
                KbArticle.language, KbArticle.state, KbArticle.version, KbArticle.updated_at,
                KbArticle.published_at, func.substr(KbArticle.body, 1, 2000).label("body"))


def _language_matches(language: str) -> Any:
    return (KbArticle.language == language) | KbArticle.language.like(f"{language}-%")


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):   # a raw SQL read of a JSON column
        value = json.loads(value)
    return list(value or [])


def _hit(r: Row[Any], score: float | None) -> ArticleHit:
    return ArticleHit(id=r.id, slug=r.slug, title=r.title, tags=_tags(r.tags),
                      language=r.language, state=r.state, version=r.version,
                      updated_at=r.updated_at, published_at=r.published_at,
                      excerpt=plain_text(r.body or "", EXCERPT_CHARS), score=score)


def _view(row: KbArticle) -> ArticleView:
    return ArticleView(id=row.id, slug=row.slug, title=row.title, body=row.body,
                       tags=list(row.tags or []), language=row.language, state=row.state,
                       version=row.version, created_at=row.created_at,
                       updated_at=row.updated_at, published_at=row.published_at,
                       created_by=row.created_by, updated_by=row.updated_by)


def _version_row(row: KbArticle, by: str | None, at: float) -> KbVersion:
    return KbVersion(article_id=row.id, version=row.version, title=row.title, body=row.body,
                     tags=list(row.tags), language=row.language, state=row.state,
                     changed_by=by, changed_at=at)


__all__ = ["STATES", "USAGE_KINDS", "ArticleConflict", "ArticleHit", "ArticleView",
           "InvalidArticle", "InvalidSearch", "InvalidUsage", "KnowledgeRepository",
           "SlugTaken", "UnknownArticle", "UsageRow", "UsageView", "VersionView",
           "slug_of", "terms"]
