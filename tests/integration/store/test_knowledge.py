"""The knowledge base's store on SQLite and PostgreSQL: articles and their versions, ranked
full-text search (title hits first, stemming in the article's language, drafts kept out of
published searches), suggestions from a customer's message, usage counted per article,
and bad input refused with clear codes while hostile text is stored as given."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.knowledge import (
    BODY_MAX,
    ArticleConflict,
    InvalidArticle,
    InvalidSearch,
    InvalidUsage,
    KnowledgeRepository,
    SlugTaken,
    UnknownArticle,
    slug_of,
    terms,
)
from ccengine.store.models import Base, compared
from ccengine.store.records import EventData, InteractionData


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture
def kb(db: Database) -> KnowledgeRepository:
    return KnowledgeRepository(db, clock=Clock())


async def published(kb: KnowledgeRepository, title: str, body: str, **kw: object) -> int:
    article = await kb.create(title=title, body=body, by="sam", state="published", **kw)  # type: ignore[arg-type]
    return article["id"]


def titles(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h["title"] for h in hits]


# ---------------------------------------------------------------------- schema
def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"include_name": compared})
    return list(compare_metadata(context, Base.metadata))


async def test_given_migrated_store_when_compared_then_models_match_and_search_kept_aside(
        db: Database) -> None:
    async with db.engine.connect() as conn:
        differences = await conn.run_sync(_differences)
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert differences == []
    assert {"kb_articles", "kb_versions", "kb_usage"} <= tables
    assert ("kb_search" in tables) == (db.dialect == "sqlite")


async def test_given_knowledge_tables_when_downgraded_one_step_then_gone_and_back(
        db: Database) -> None:
    await db.downgrade("0010_customer_owner")
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert not {t for t in tables if t.startswith("kb_")}
    await db.migrate()
    kb = KnowledgeRepository(db)
    await published(kb, "Billing", "Your bill explained")
    assert titles(await kb.search("bill")) == ["Billing"]


# ---------------------------------------------------------------------- articles, versions
async def test_given_new_article_when_created_then_version_one_with_slug_from_title(
        kb: KnowledgeRepository) -> None:
    article = await kb.create(title="  Changing your plan?  ", body="Go to *Settings*.",
                              tags=["plans", "account", "plans"], by="sam")
    assert article["slug"] == "changing-your-plan"
    assert (article["title"], article["state"], article["version"]) == (
        "Changing your plan?", "draft", 1)
    assert article["tags"] == ["plans", "account"]
    assert article["language"] == "en" and article["published_at"] is None
    assert article["created_by"] == article["updated_by"] == "sam"
    assert await kb.get(article["id"]) == article
    assert await kb.get_by_slug("changing-your-plan") == article
    again = await kb.create(title="Changing your plan", body="", by="sam")
    assert again["slug"] == "changing-your-plan-2"
    (first,) = await kb.versions(article["id"])
    assert (first["version"], first["title"], first["changed_by"]) == (
        1, "Changing your plan?", "sam")


async def test_given_article_when_changed_then_every_version_kept_newest_first(
        kb: KnowledgeRepository) -> None:
    article = await kb.create(title="Refunds", body="v1", by="sam")
    await kb.update(article["id"], body="v2", by="ann")
    await kb.update(article["id"], title="Refunds and returns", tags=["money"], by="sam")
    same = await kb.update(article["id"], body="v2", by="sam")   # nothing changes
    assert same["version"] == 3
    published_one = await kb.publish(article["id"], by="admin")
    assert published_one["state"] == "published" and published_one["published_at"]
    draft = await kb.unpublish(article["id"], by="admin")
    assert (draft["state"], draft["published_at"], draft["version"]) == ("draft", None, 5)
    versions = await kb.versions(article["id"])
    assert [(v["version"], v["title"], v["body"], v["state"], v["changed_by"])
            for v in versions] == [
        (5, "Refunds and returns", "v2", "draft", "admin"),
        (4, "Refunds and returns", "v2", "published", "admin"),
        (3, "Refunds and returns", "v2", "draft", "sam"),
        (2, "Refunds", "v2", "draft", "ann"),
        (1, "Refunds", "v1", "draft", "sam")]
    assert versions[0]["tags"] == ["money"] and versions[-1]["tags"] == []


async def test_given_stale_version_when_updated_then_conflict_and_nothing_changed(
        kb: KnowledgeRepository) -> None:
    article = await kb.create(title="Delivery", body="v1", by="sam")
    await kb.update(article["id"], body="v2", by="ann", expected_version=1)
    with pytest.raises(ArticleConflict) as err:
        await kb.update(article["id"], body="v3", by="sam", expected_version=1)
    assert err.value.code == "article_conflict"
    assert (await kb.get(article["id"]))["body"] == "v2"  # type: ignore[index]


async def test_given_concurrent_writers_when_updating_then_each_gets_its_own_version(
        kb: KnowledgeRepository) -> None:
    article = await kb.create(title="Busy", body="v1", by="sam")
    await asyncio.gather(*(kb.update(article["id"], body=f"by {n}", by=f"u{n}")
                           for n in range(5)))
    versions = await kb.versions(article["id"])
    assert [v["version"] for v in versions] == [6, 5, 4, 3, 2, 1]
    assert {v["changed_by"] for v in versions[:5]} == {f"u{n}" for n in range(5)}


async def test_given_unknown_article_when_read_or_changed_then_not_found(
        kb: KnowledgeRepository) -> None:
    assert await kb.get(999) is None and await kb.get_by_slug("nope") is None
    for call in (kb.update(999, body="x", by="sam"), kb.versions(999),
                 kb.record_usage(999, "shown")):
        with pytest.raises(UnknownArticle) as err:
            await call
        assert err.value.code == "article_not_found"


async def test_given_taken_slug_when_given_then_refused(kb: KnowledgeRepository) -> None:
    await kb.create(title="One", body="", by="sam", slug="faq")
    with pytest.raises(SlugTaken) as err:
        await kb.create(title="Two", body="", by="sam", slug="faq")
    assert err.value.code == "slug_taken"
    assert [h["title"] for h in await kb.list_articles()] == ["One"]


@pytest.mark.parametrize(("fields", "words"), [
    ({"title": ""}, "title"), ({"title": "   "}, "title"), ({"title": "x" * 201}, "title"),
    ({"title": "a\nb"}, "title"), ({"title": 7}, "title"),
    ({"body": "x" * (BODY_MAX + 1)}, "body"), ({"body": "nul\x00"}, "body"),
    ({"body": "\ud800"}, "body"),
    ({"tags": "billing"}, "tags"), ({"tags": [""]}, "tag"), ({"tags": ["x" * 41]}, "tag"),
    ({"tags": [f"t{n}" for n in range(21)]}, "tags"), ({"tags": [1]}, "tag"),
    ({"language": "English"}, "language"), ({"language": "e"}, "language"),
    ({"state": "archived"}, "state"), ({"slug": "Bad Slug"}, "slug"),
    ({"slug": "-x"}, "slug"), ({"slug": "a" * 101}, "slug")])
async def test_given_bad_field_when_created_then_refused_naming_it_and_nothing_stored(
        kb: KnowledgeRepository, fields: dict[str, object], words: str) -> None:
    article = {"title": "Fine", "body": "fine", "by": "sam", **fields}
    with pytest.raises(InvalidArticle) as err:
        await kb.create(**article)  # type: ignore[arg-type]
    assert err.value.code == "article_invalid" and words in str(err.value)
    assert await kb.list_articles() == []


async def test_given_bad_field_when_updated_then_refused_and_version_unchanged(
        kb: KnowledgeRepository) -> None:
    article = await kb.create(title="Fine", body="fine", by="sam")
    for change in ({"title": ""}, {"body": "x" * (BODY_MAX + 1)}, {"state": "gone"},
                   {"language": "?"}, {"tags": ["ok", ""]}):
        with pytest.raises(InvalidArticle):
            await kb.update(article["id"], by="sam", **change)  # type: ignore[arg-type]
    assert (await kb.get(article["id"]))["version"] == 1  # type: ignore[index]


async def test_given_hostile_text_when_stored_then_kept_exactly_as_given(
        kb: KnowledgeRepository) -> None:
    title = "<script>alert('t')</script> ' OR 1=1 --"
    body = "<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) \"; DROP TABLE kb; ü 🙂"
    article = await kb.create(title=title, body=body, tags=["<b>", "a'b"], by="sam",
                              state="published")
    stored = await kb.get(article["id"])
    assert stored is not None
    assert (stored["title"], stored["body"], stored["tags"]) == (title, body, ["<b>", "a'b"])
    assert titles(await kb.search("alert")) == [title]   # PostgreSQL reads <script> as a tag


def test_given_titles_when_slugged_then_ascii_words_with_hyphens() -> None:
    assert slug_of("Ça coûte combien ?") == "ca-coute-combien"
    assert slug_of("!!!") == "article" and slug_of("日本語") == "article"
    assert len(slug_of("word " * 100)) <= 80


# ---------------------------------------------------------------------- search
async def test_given_articles_when_searched_then_ranked_title_hits_first(
        kb: KnowledgeRepository) -> None:
    await published(kb, "Opening hours", "We talk about refunds only on weekdays.")
    await published(kb, "Refunds", "How a refund is paid back to your card.")
    await published(kb, "Delivery times", "Parcels arrive in two days.")
    hits = await kb.search("refund")
    assert titles(hits) == ["Refunds", "Opening hours"]
    assert hits[0]["score"] > hits[1]["score"]  # type: ignore[operator]
    assert hits[0]["excerpt"] == "How a refund is paid back to your card."
    assert "body" not in hits[0]
    assert titles(await kb.search("parcels days")) == ["Delivery times"]
    assert await kb.search("parcels refund") == []   # every word must be there
    assert titles(await kb.search("REFUNDS!", limit=1)) == ["Refunds"]


async def test_given_english_article_when_searched_with_another_form_then_stemmed(
        kb: KnowledgeRepository) -> None:
    await published(kb, "Your account", "You were billed twice? We fix double charges.")
    await published(kb, "Billing questions", "Invoices and payments.", tags=["invoices"])
    assert titles(await kb.search("billing")) == ["Billing questions", "Your account"]
    assert titles(await kb.search("bills charged")) == ["Your account"]
    assert titles(await kb.search("invoice")) == ["Billing questions"]


async def test_given_drafts_when_searched_then_only_published_unless_asked(
        kb: KnowledgeRepository) -> None:
    await published(kb, "Password reset", "Reset it from the sign-in page.")
    await kb.create(title="Password policy", body="Draft: twelve characters.", by="sam")
    assert titles(await kb.search("password")) == ["Password reset"]
    assert sorted(titles(await kb.search("password", published_only=False))) == [
        "Password policy", "Password reset"]
    assert titles(await kb.search("password", published_only=False, state="draft")) == [
        "Password policy"]
    assert titles(await kb.suggest("I forgot my password")) == ["Password reset"]


async def test_given_changed_article_when_searched_then_the_new_text_is_found(
        kb: KnowledgeRepository) -> None:
    article_id = await published(kb, "Returns", "Send the parcel back.")
    await kb.update(article_id, body="Bring it to a shop.", title="Returning goods", by="sam")
    assert await kb.search("parcel") == []
    assert titles(await kb.search("shop")) == ["Returning goods"]
    await kb.unpublish(article_id, by="sam")
    assert await kb.search("shop") == []
    assert await kb.reindex() == 1
    assert titles(await kb.search("shop", published_only=False)) == ["Returning goods"]


async def test_given_languages_when_searched_in_one_then_only_its_articles(
        kb: KnowledgeRepository) -> None:
    await published(kb, "Delivery", "Parcels by post.", language="en-GB")
    await published(kb, "Livraison", "Les colis arrivent par la poste. Delivery", language="fr")
    await published(kb, "Lieferung", "Pakete kommen mit der Post.", language="de")
    assert sorted(titles(await kb.search("delivery"))) == ["Delivery", "Livraison"]
    assert titles(await kb.search("delivery", language="en")) == ["Delivery"]
    assert titles(await kb.search("delivery", language="fr")) == ["Livraison"]
    assert titles(await kb.search("colis", language="fr")) == ["Livraison"]
    assert titles(await kb.search("pakete")) == ["Lieferung"]
    assert await kb.search("delivery", language="es") == []
    with pytest.raises(InvalidArticle):
        await kb.search("x", language="not a language")


async def test_given_french_article_when_searched_then_its_words_found_in_their_forms(
        kb: KnowledgeRepository, db: Database) -> None:
    await published(kb, "Modifier votre abonnement", "Les abonnements se changent en ligne.",
                    language="fr")
    assert titles(await kb.search("abonnement", language="fr")) == [
        "Modifier votre abonnement"]
    assert titles(await kb.search("abonnements")) == ["Modifier votre abonnement"]


@pytest.mark.parametrize("query", [
    '"', "AND", "NOT", "OR OR", "a*", "title:x", "NEAR(a b)", "(", "'; DROP TABLE kb_articles;",
    "!!!", "   ", "", "a & b | !c <-> d", "x:*", "^x", "\x00", "🙂", "é" * 500])
async def test_given_query_syntax_or_junk_when_searched_then_no_error(
        kb: KnowledgeRepository, query: str) -> None:
    await published(kb, "Anything", "Some text")
    hits = await kb.search(query)
    assert isinstance(hits, list)
    assert isinstance(await kb.suggest(query), list)


async def test_given_bad_limit_when_searched_then_refused(kb: KnowledgeRepository) -> None:
    for limit in (0, 101, True, "5"):
        with pytest.raises(InvalidSearch) as err:
            await kb.search("x", limit=limit)  # type: ignore[arg-type]
        assert err.value.code == "search_invalid"


async def test_given_customer_message_when_suggesting_then_meaningful_words_any_of_them(
        kb: KnowledgeRepository) -> None:
    await published(kb, "Billing questions", "Why you were charged and how to get money back.")
    await published(kb, "Cancel your subscription", "Cancel at any time from your account.")
    await published(kb, "Opening hours", "We are open 9 to 5.")
    message = ("Hello, I was billed twice this month for my subscription and I want to "
               "cancel. Order 12345. Thanks!")
    assert sorted(titles(await kb.suggest(message))) == ["Billing questions",
                                                         "Cancel your subscription"]
    assert titles(await kb.suggest(message, limit=1))[0] in ("Billing questions",
                                                            "Cancel your subscription")
    assert await kb.suggest("Hello, thanks, and the 12345!") == []


def test_given_text_when_cut_into_terms_then_common_words_and_junk_left_out() -> None:
    assert terms("How do I pay my BILL, my bill?") == ["pay", "bill"]
    assert terms("the and of") == ["the", "and", "of"]   # nothing else: kept
    assert terms("je voudrais ma facture", "fr") == ["voudrais", "facture"]
    assert terms("Hi! I ordered 42 items on 3/4 ok", meaningful=True) == [
        "ordered", "items"]
    assert terms("x" * 51 + " fine") == ["fine"]


# ---------------------------------------------------------------------- usage
async def test_given_usage_when_reported_then_counted_per_article_in_the_period(
        kb: KnowledgeRepository) -> None:
    billing = await published(kb, "Billing", "b")
    hours = await published(kb, "Hours", "h")
    unused = await published(kb, "Unused", "u")
    for kind, article, at in [("shown", billing, 100), ("shown", billing, 110),
                              ("used", billing, 120), ("shown", hours, 130),
                              ("read", hours, 140), ("read", hours, 150),
                              ("shown", billing, 500), ("read", unused, 10)]:
        await kb.record_usage(article, kind, at=at, agent_id="alice", channel="desk")
    used = await kb.record_usage(billing, "used", interaction_id="chat-1", agent_id="bob",
                                 channel="chat", at=160)
    assert used == {"article_id": billing, "kind": "used", "at": 160,
                    "interaction_id": "chat-1", "agent_id": "bob", "channel": "chat"}
    report = await kb.usage_report(100, 500)
    assert [(r["title"], r["shown"], r["used"], r["read"], r["chats_after"])
            for r in report] == [("Billing", 2, 2, 0, 0), ("Hours", 1, 0, 2, 0)]
    assert report[0]["slug"] == "billing" and report[0]["article_id"] == billing
    assert await kb.usage_report(1000, 2000) == []


def a_chat(iid: str, at: float, kb: object = None, *, medium: str = "chat",
           entered: bool = False) -> InteractionData:
    """A chat started at ``at`` (queued; also entered when ``entered``), with the widget's
    summary ``kb`` as its kb_self_service attribute unless None."""
    events = [EventData("entered", at)] if entered else []
    return InteractionData(iid, medium, queue="sales",
                           attributes={} if kb is None else {"kb_self_service": kb},
                           events=[*events, EventData("queued", at + 1)])


async def test_given_chats_after_widget_search_when_reported_then_counted_per_article_shown(
        db: Database, kb: KnowledgeRepository) -> None:
    billing = await published(kb, "Billing", "b")
    hours = await published(kb, "Hours", "h")
    faq = await published(kb, "Faq", "f")
    await kb.record_usage(billing, "shown", channel="widget", at=150)
    await kb.record_usage(billing, "used", interaction_id="chat-9", channel="chat", at=160)
    await kb.record_usage(hours, "shown", channel="widget", at=170)
    interactions = InteractionRepository(db)
    summary = {"searched": True, "articles": [billing, hours], "opened": [billing]}
    for chat in [
            a_chat("chat-1", 200, summary),
            a_chat("chat-2", 300, {"searched": True, "articles": [billing], "opened": []},
                   entered=True),
            a_chat("chat-3", 310, {"searched": True, "articles": [faq, 9999],
                                   "opened": [hours]}),     # opened alone is not shown
            a_chat("chat-4", 320, {"searched": True, "articles": [], "opened": []}),
            a_chat("chat-5", 330),                           # no search before it
            a_chat("call-1", 340, summary, medium="voice"),  # not a chat
            a_chat("chat-6", 600, summary),                  # after the period
            a_chat("chat-7", 50, summary),                   # before it
            # whatever else an interaction's attributes hold counts for nothing
            a_chat("chat-8", 350, {"articles": f"{billing},{hours}"}),
            a_chat("chat-9", 360, {"articles": [float(billing), str(hours), None, [faq],
                                                {"id": faq}, 10**30]}),
            a_chat("chat-10", 370, [billing]),
            a_chat("chat-11", 380, "billing")]:
        await interactions.save(chat)
    report = await kb.usage_report(100, 500)
    assert [(r["title"], r["shown"], r["used"], r["read"], r["chats_after"])
            for r in report] == [("Billing", 1, 1, 0, 2), ("Hours", 1, 0, 0, 1),
                                 ("Faq", 0, 0, 0, 1)]
    assert report[2]["article_id"] == faq and report[2]["slug"] == "faq"
    assert [(r["title"], r["chats_after"]) for r in await kb.usage_report(500, 700)] == [
        ("Billing", 1), ("Hours", 1)]
    assert await kb.usage_report(1000, 2000) == []


@pytest.mark.parametrize(("kind", "fields"), [
    ("clicked", {}), ("shown", {"interaction_id": ""}), ("shown", {"interaction_id": "a b"}),
    ("shown", {"interaction_id": "x" * 65}), ("shown", {"channel": "Desk!"}),
    ("shown", {"agent_id": ""})])
async def test_given_bad_usage_when_recorded_then_refused(
        kb: KnowledgeRepository, kind: str, fields: dict[str, str]) -> None:
    article = await published(kb, "A", "b")
    with pytest.raises(InvalidUsage) as err:
        await kb.record_usage(article, kind, **fields)
    assert err.value.code == "usage_invalid"
    assert await kb.usage_report(0, 1e12) == []
