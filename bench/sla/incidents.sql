-- bench/sla: the month's vendors, incidents, surveys and expert reviews, set-based.
-- Run by main.py after bench/billing's plan.sql made the resources, on the same
-- connection (so draw() is replaced, not doubled), with client-side parameters
-- %(vendors)s, %(incidents)s, %(month_start)s, %(month_end)s, %(period)s.
-- Every draw is a hash of the row's number, so the same sizes build the same month.

CREATE OR REPLACE FUNCTION pg_temp.draw(n bigint, k int) RETURNS double precision
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT ('x' || substr(md5(n || ':' || k), 1, 8))::bit(32)::bigint / 4294967296.0 $$;

-- The demo seeds four vendors; the rest are vendors with no contract this month (a
-- domain has one designated vendor at a time), still scored on the incidents they
-- handled.
INSERT INTO vendors (code, name_zh, name_en, created_at)
SELECT 'bench-' || g, '基准服务商' || g, 'Bench vendor ' || g, %(month_start)s
FROM generate_series((SELECT count(*) + 1 FROM vendors), %(vendors)s) AS g;

CREATE TEMP TABLE bench_vendor AS
SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM vendors;
CREATE TEMP TABLE bench_resource AS
SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, agency_id, sla_tier FROM resources;

-- Priorities 5%% P1, 20%% P2, 50%% P3, 25%% P4; opened at any second of the month's
-- first 28 days; responded within 2 h; 90%% resolved within 3 days (P1 within 8 h),
-- most of those closed; 5%% of responses and 10%% of resolutions breached.
INSERT INTO incidents (agency_id, resource_id, source, priority, title, description, state,
                       vendor_id, sla_tier, sla_definition_id, opened_at, responded_at,
                       resolved_at, closed_at, response_due_at, resolution_due_at,
                       response_breached, resolution_breached, version)
SELECT r.agency_id, r.id, 'agency', d.priority, 'bench ' || d.n, '',
       CASE WHEN d.resolved THEN (CASE WHEN d.u_close < 0.8 THEN 'closed' ELSE 'resolved' END)
            ELSE 'acknowledged' END,
       v.id, r.sla_tier, s.id, d.opened, d.opened + d.u_respond * interval '2 hours',
       CASE WHEN d.resolved THEN d.opened + d.to_resolve END,
       CASE WHEN d.resolved AND d.u_close < 0.8 THEN d.opened + d.to_resolve + interval '1 day' END,
       d.opened + interval '1 hour', d.opened + interval '9 hours',
       d.u_breach_response < 0.05, d.u_breach_resolution < 0.10, 1
FROM (
    SELECT n,
           CASE WHEN pg_temp.draw(n, 1) < 0.05 THEN 'P1' WHEN pg_temp.draw(n, 1) < 0.25 THEN 'P2'
                WHEN pg_temp.draw(n, 1) < 0.75 THEN 'P3' ELSE 'P4' END AS priority,
           %(month_start)s::timestamptz + pg_temp.draw(n, 2) * interval '28 days' AS opened,
           pg_temp.draw(n, 3) AS u_respond,
           pg_temp.draw(n, 4) < 0.9 AS resolved,
           CASE WHEN pg_temp.draw(n, 1) < 0.05 THEN pg_temp.draw(n, 5) * interval '8 hours'
                ELSE pg_temp.draw(n, 5) * interval '3 days' END + interval '2 hours' AS to_resolve,
           pg_temp.draw(n, 6) AS u_close,
           pg_temp.draw(n, 7) AS u_breach_response,
           pg_temp.draw(n, 8) AS u_breach_resolution,
           floor(pg_temp.draw(n, 9) * (SELECT count(*) FROM bench_resource))::bigint AS rk,
           floor(pg_temp.draw(n, 10) * (SELECT count(*) FROM bench_vendor))::bigint AS vk
    FROM generate_series(1, %(incidents)s) AS n
) AS d
JOIN bench_resource r ON r.k = d.rk
JOIN bench_vendor v ON v.k = d.vk
CROSS JOIN (SELECT id FROM sla_definitions WHERE superseded_at IS NULL AND withdrawn_at IS NULL
            ORDER BY effective_from DESC LIMIT 1) AS s;

-- A third of the resolved incidents rated, 1 to 5 leaning to 4.
INSERT INTO satisfaction_surveys (incident_id, agency_id, vendor_id, rated_by_id, score,
                                  comment, created_at)
SELECT i.id, i.agency_id, i.vendor_id, (SELECT min(id) FROM users),
       least(5, 1 + floor(pg_temp.draw(i.id, 11) * 4 + pg_temp.draw(i.id, 12) * 1.5))::int,
       CASE WHEN pg_temp.draw(i.id, 13) < 0.2 THEN '基准评价' END,
       i.resolved_at + interval '1 hour'
FROM incidents i
WHERE i.resolved_at IS NOT NULL AND pg_temp.draw(i.id, 14) < 0.33;

-- Every vendor's expert review for the month.
INSERT INTO expert_reviews (vendor_id, period, score, note, reviewed_by_id, reviewed_at)
SELECT v.id, %(period)s, 60 + floor(pg_temp.draw(v.id, 15) * 36)::int, NULL,
       (SELECT min(id) FROM users), %(month_end)s
FROM vendors v;

ANALYZE incidents;
ANALYZE satisfaction_surveys;
