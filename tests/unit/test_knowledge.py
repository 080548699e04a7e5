"""The knowledge base: articles written and edited as revisions (a stale edit refused),
searched by words, business domain and skill, cited by incidents' resolutions by those
who work on them; the pages and the API with the same rules."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.audit import AuditEvent
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.incidents import service as incidents
from portal.knowledge import service
from portal.knowledge.demo import seed_articles
from portal.knowledge.display import paragraphs, snippet
from portal.knowledge.models import ArticleRevision, IncidentArticle
from tests.billing_factories import make_resource
from tests.conftest import csrf_token, database

POOL = "连接池上限过小，导致 too many clients 报错。调大连接池并设置空闲超时。"
DISK = "根分区 100%，清理 /var/log 下未轮转的日志，配置 logrotate。"


def write(session, username, title, body, domains=(), skills=()):
    author = session.scalar(select(User).where(User.username == username))
    return service.create_article(
        session, author, title=title, body=body, domains=domains, skills=skills
    )


def html(response):
    return response.get_data(as_text=True)


def post(client, path, page, **values):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **values})


@pytest.fixture
def incident_id(app, world):
    """An incident on bureau a's PostgreSQL database, which v1 operates (vendor.tech)."""
    with database(app) as session:
        resource = make_resource(
            session,
            world.agencies["a"],
            "postgresql",
            [(datetime(2026, 9, 1, tzinfo=UTC), "created", "active", {"storage_gb": 50})],
            name="jw-db",
        )
        reporter = session.get(User, world.users["member.a"])
        incident = incidents.open_incident(
            session, reporter, priority="P2", title="数据库连接超时", resource_id=resource.id
        )
        session.commit()
        return incident.id


@pytest.fixture
def pool_article(app):
    with database(app) as session:
        article = write(
            session, "vendor.tech", "PostgreSQL 连接数耗尽", POOL, ["health"], ["database"]
        )
        session.commit()
        return article.id


def test_an_edit_is_a_new_revision_and_a_stale_edit_is_refused(session, user):
    article = write(session, "vendor.tech", "连接数耗尽", POOL, ["health"], ["database"])
    assert article.version == 1 and article.number == f"KB-{article.id:05d}"
    edited = service.edit_article(
        session,
        user("operator"),
        article.id,
        expected_version=1,
        title="PostgreSQL 连接数耗尽的处理",
        body=POOL + "\n\n验证：连接数回落。",
        domains=["health", "public_services"],
        skills=["database"],
        note="补充验证步骤",
    )
    assert edited.version == 2 and edited.domains == ["public_services", "health"]
    first, second = sorted(article.revisions, key=lambda revision: revision.version)
    assert (first.title, first.body, first.domains) == ("连接数耗尽", POOL, ["health"])
    assert second.note == "补充验证步骤" and second.saved_by.username == "operator"
    with pytest.raises(Conflict) as stale:
        service.edit_article(
            session, user("vendor.tech"), article.id, expected_version=1, title="x", body="y"
        )
    assert stale.value.status == 409 and "version" in stale.value.fields
    # The same text again adds nothing; bad codes and an empty body are named.
    same = service.edit_article(
        session,
        user("vendor.tech"),
        article.id,
        expected_version=2,
        title=edited.title,
        body=edited.body,
        domains=["health", "public_services"],
        skills=["database"],
    )
    assert same.version == 2
    with pytest.raises(InvalidInput) as bad:
        service.edit_article(
            session,
            user("vendor.tech"),
            article.id,
            expected_version=2,
            title=" ",
            body="",
            domains=["mars"],
        )
    assert set(bad.value.fields) == {"title", "body", "domains"}
    count = select(ArticleRevision).where(ArticleRevision.article_id == article.id)
    assert len(session.scalars(count).all()) == 2
    session.flush()
    session.commit()
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "knowledge_article")
    ).all()
    assert actions == ["knowledge.create", "knowledge.edit"]


@pytest.mark.parametrize(
    ("username", "writes"),
    [
        ("vendor.tech", True),
        ("vendor.manager", True),
        ("operator", True),
        ("member.a", False),
        ("manager.a", False),
        ("auditor", False),
        ("finance", False),
        ("admin", False),
    ],
)
def test_who_writes_and_who_reads(session, user, username, writes):
    actor = user(username)
    if writes:
        assert write(session, username, "标题", "正文").author_id == actor.id
    else:
        with pytest.raises(Forbidden):
            write(session, username, "标题", "正文")
    article = write(session, "operator", "证书过期", "证书过期导致服务不可用")
    assert service.get_article(session, actor, article.id) is article
    assert service.search_articles(session, actor, query="证书")[1] == 1


def test_search_by_words_domain_and_skill_newest_first(session, user):
    pool = write(session, "vendor.tech", "PostgreSQL 连接数耗尽", POOL, ["health"], ["database"])
    disk = write(session, "operator", "云主机磁盘满", DISK, ["civil_affairs"], ["os", "storage"])
    seeded = seed_articles(session, user("operator"))
    assert len(seeded) == 4 and all(article.version == 1 for article in seeded)
    reader = user("member.a")  # agency staff read too

    def titles(**filters):
        found = service.search_articles(session, reader, **filters)[0]
        return [article.title for article in found]

    # Case does not matter; the seeded article on connections is newer than `pool`.
    assert titles(query="TOO MANY Clients") == [seeded[0].title, pool.title]
    assert titles(query="logrotate 100%") == [disk.title]
    assert titles(query="logrotate 连接池") == []
    # LIKE's wildcards are plain characters ("s_l" would match "PostgreSQL").
    assert titles(query="s_l") == [] and titles(query="a%b") == []
    assert titles(query="连接", domain="health") == [pool.title]
    assert titles(skill="storage")[-1] == disk.title
    assert disk.title not in titles(skill="database")
    rows, total = service.search_articles(session, reader, page=2, per_page=4)
    assert total == 6 and [article.id for article in rows] == [disk.id, pool.id]


def test_snippets_mark_the_words_and_the_body_keeps_no_html():
    body = "前言" * 100 + "执行 <script>alert(1)</script> 后 Too Many clients 消失" + "尾" * 200
    shown = str(snippet(body, ["too many", "<script>"]))
    assert shown.startswith("…") and shown.endswith("…")
    assert "<mark>Too Many</mark>" in shown and "<mark>&lt;script&gt;</mark>" in shown
    assert "<script>" not in shown
    text = str(paragraphs("第一段\n  缩进的命令\n\n<b>第二段</b>"))
    assert text == "<p>第一段\n  缩进的命令</p><p>&lt;b&gt;第二段&lt;/b&gt;</p>"


def test_a_technician_cites_an_article_on_an_incident_he_works_on(
    app, world, incident_id, pool_article
):
    with database(app) as session:

        def who(username):
            return session.get(User, world.users[username])

        link = service.link_article(session, who("vendor.tech"), incident_id, pool_article)
        again = service.link_article(session, who("vendor.tech"), incident_id, pool_article)
        assert again is link
        with pytest.raises(Forbidden):
            service.link_article(session, who("member.a"), incident_id, pool_article)
        with pytest.raises(NotFound):
            service.link_article(session, who("vendor2.manager"), incident_id, pool_article)
        with pytest.raises(InvalidInput):
            service.link_article(session, who("vendor.tech"), incident_id, 99999)
        session.commit()
        incident = incidents.get_incident(session, who("member.a"), incident_id)
        assert [row.article_id for row in service.citations_of(session, incident)] == [pool_article]
        article = service.get_article(session, who("member.a"), pool_article)
        assert service.citing_incidents(session, who("member.a"), article) == [incident]
        assert service.citing_incidents(session, who("vendor2.manager"), article) == []
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "incident.cite_article")
        ).all()
        assert len(events) == 1 and events[0].after["article_id"] == pool_article
        assert events[0].agency_id == world.agencies["a"]

        service.unlink_article(session, who("vendor.tech"), incident_id, pool_article)
        with pytest.raises(NotFound):
            service.unlink_article(session, who("vendor.tech"), incident_id, pool_article)
        session.commit()
        assert session.scalar(select(IncidentArticle)) is None


def test_a_closed_incident_keeps_its_citations(app, world, incident_id, pool_article):
    with database(app) as session:
        tech, member = (session.get(User, world.users[u]) for u in ("vendor.tech", "member.a"))
        service.link_article(session, tech, incident_id, pool_article)
        incidents.respond(session, tech, incident_id)
        incidents.resolve(session, tech, incident_id, "连接池参数过小，已调整")
        incidents.close(session, member, incident_id)
        with pytest.raises(Conflict):
            service.unlink_article(session, tech, incident_id, pool_article)


def test_the_incident_page_searches_cites_and_shows_the_article(
    app, as_user, world, incident_id, pool_article
):
    page = f"/incidents/{incident_id}"
    tech, member = as_user("vendor.tech"), as_user("member.a")
    found = html(tech.get(f"{page}?article_q=too+many"))
    assert "PostgreSQL 连接数耗尽" in found and "<mark>too</mark> <mark>many</mark>" in found
    assert f'name="article_id" value="{pool_article}"' in found
    assert post(tech, f"{page}/articles", page, article_id=pool_article).status_code == 302
    assert post(member, f"{page}/articles", page, article_id=pool_article).status_code == 403
    other = as_user("vendor2.manager")
    assert post(other, f"{page}/articles", "/knowledge/", article_id=pool_article).status_code == (
        404
    )
    assert post(tech, f"{page}/articles", page).status_code == 422
    assert post(member, f"{page}/articles", page).status_code == 403

    shown = html(member.get(page))
    assert "Knowledge-base articles cited" in shown
    assert f'href="/knowledge/{pool_article}"' in shown and "PostgreSQL 连接数耗尽" in shown
    assert f"/articles/{pool_article}/remove" not in shown and "article_q" not in shown
    article_page = html(member.get(f"/knowledge/{pool_article}"))
    assert f'href="/incidents/{incident_id}"' in article_page
    remove = f"{page}/articles/{pool_article}/remove"
    assert post(member, remove, page).status_code == 403
    assert post(tech, remove, page).status_code == 302
    assert "No article cited yet." in html(tech.get(page))


def test_the_knowledge_pages(app, as_user, client, pool_article):
    tech, member, auditor = as_user("vendor.tech"), as_user("member.a"), as_user("auditor")
    listing = html(member.get("/knowledge/?q=连接池&domain=health"))
    assert "PostgreSQL 连接数耗尽" in listing and "<mark>连接池</mark>" in listing
    assert "Write an article" not in listing and 'href="/knowledge/"' in listing
    assert "No article matches" in html(auditor.get("/knowledge/?q=nothing-like-it"))
    assert member.get("/knowledge/new").status_code == 403
    assert auditor.get(f"/knowledge/{pool_article}/edit").status_code == 403
    assert member.get("/knowledge/999999").status_code == 404
    assert client.get("/knowledge/").status_code == 302  # to the login page

    made = post(
        tech,
        "/knowledge/",
        "/knowledge/new",
        title="备份失败排查",
        body="pg_dump 权限不足",
        domains=["health"],
        skills=["database"],
    )
    assert made.status_code == 302
    path = made.headers["Location"]
    refused = post(tech, "/knowledge/", "/knowledge/new", title="", body="正文")
    assert refused.status_code == 422 and "Give a title" in html(refused)

    edit = f"{path}/edit"
    saved = post(
        tech, edit, edit, version=1, title="备份失败排查", body="pg_dump 权限不足，授予 SELECT"
    )
    assert saved.status_code == 302
    stale = post(tech, edit, edit, version=1, title="备份失败排查", body="另一个人的修改")
    assert stale.status_code == 409
    assert "Someone saved this article after you opened it" in html(stale)
    assert "另一个人的修改" in html(stale)  # what was typed is not lost
    history = html(tech.get(edit))
    assert "Version 2" in history and "Version 1" in history and "pg_dump 权限不足" in history
    assert post(member, edit, f"{path}", version=2, title="x", body="y").status_code == 403


def test_the_api_round_trip(api, world, incident_id):
    tech, member, other = api("vendor.tech"), api("member.a"), api("vendor2.manager")
    body = {"title": "证书过期", "body": "证书过期导致服务不可用", "skills": ["security"]}
    assert member.post("/api/v1/knowledge", json=body).status_code == 403
    bad = tech.post("/api/v1/knowledge", json={**body, "domains": ["mars"]})
    assert bad.status_code == 422 and "domains" in str(bad.json["error"]["fields"])
    made = tech.post("/api/v1/knowledge", json=body)
    assert made.status_code == 201, made.json
    article = made.json
    assert article["version"] == 1 and article["author"] == "vendor.tech"
    path = f"/api/v1/knowledge/{article['id']}"

    edit = {**body, "body": "证书过期：续期并替换证书", "expected_version": 1, "note": "补充"}
    assert tech.put(path, json=edit).status_code == 200
    stale = tech.put(path, json={**edit, "body": "另一次修改"})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    detail = member.get(path).json
    assert detail["version"] == 2 and detail["body"] == "证书过期：续期并替换证书"
    assert [revision["version"] for revision in detail["revisions"]] == [2, 1]

    found = member.get("/api/v1/knowledge", query_string={"q": "续期", "skill": "security"})
    assert found.json["total"] == 1 and "续期" in found.json["articles"][0]["snippet"]
    assert member.get("/api/v1/knowledge", query_string={"domain": "health"}).json["total"] == 0
    assert member.get("/api/v1/knowledge", query_string={"domain": "mars"}).status_code == 422

    cite = f"/api/v1/incidents/{incident_id}/articles"
    assert member.post(cite, json={"article_id": article["id"]}).status_code == 403
    assert other.post(cite, json={"article_id": article["id"]}).status_code == 404
    cited = tech.post(cite, json={"article_id": article["id"]})
    assert cited.status_code == 201 and cited.json["article"]["id"] == article["id"]
    assert [c["article"]["title"] for c in member.get(cite).json] == ["证书过期"]
    assert other.get(cite).status_code == 404
    remove = f"{cite}/{article['id']}"
    assert member.client.delete(remove, headers=member.headers).status_code == 403
    assert tech.client.delete(remove, headers=tech.headers).status_code == 204
    assert member.get(cite).json == []
    assert tech.client.delete(remove, headers=tech.headers).status_code == 404


def test_the_pages_speak_chinese(as_user, incident_id, pool_article):
    tech = as_user("vendor.tech")
    tech.get("/language/zh_CN")
    listing = html(tech.get("/knowledge/?q=连接池"))
    assert "知识库" in listing and "撰写文章" in listing and "<mark>连接池</mark>" in listing
    assert "修订记录" in html(tech.get(f"/knowledge/{pool_article}/edit"))
    assert "检索知识库" in html(tech.get(f"/incidents/{incident_id}"))
