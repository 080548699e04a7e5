-- bench/billing: the month's resources, written as the inventory writes them (an
-- order, a resource, its lifecycle events), all set-based. Run by data.py with
-- client-side parameters: %(resources)s, %(month_start)s, %(month_end)s,
-- %(hours)s (hours in the month), %(default_stopped)s (billing.metrics'
-- DEFAULT_STOPPED_METRICS as a JSON array).
--
-- Every draw is a hash of the resource's number, so a run with the same
-- --resources builds the same month.

CREATE FUNCTION pg_temp.draw(n bigint, k int) RETURNS double precision
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT ('x' || substr(md5(n || ':' || k), 1, 8))::bit(32)::bigint / 4294967296.0 $$;

-- Every agency's share: a long tail of bureaus (ranked by a hash of the code, so the
-- biggest is not simply b01: rank r weighs 400/r, the first holds ~15%% of all),
-- towns hundreds, communities tens, the district office a few hundred.
CREATE TEMP TABLE bench_alloc AS
WITH weighted AS (
    SELECT id,
           CASE kind
               WHEN 'bureau' THEN 400.0 / row_number() OVER (PARTITION BY kind ORDER BY md5(code))
               WHEN 'town' THEN 15.0
               WHEN 'community' THEN 2.0
               ELSE 20.0
           END AS weight
    FROM agencies
), cumulative AS (
    SELECT id, weight,
           sum(weight) OVER (ORDER BY id) AS upto,
           sum(weight) OVER () AS total
    FROM weighted
)
SELECT id AS agency_id,
       floor(%(resources)s * (upto - weight) / total)::int AS after_n,
       floor(%(resources)s * upto / total)::int AS last_n
FROM cumulative;

CREATE TEMP TABLE bench_draws AS
SELECT n, a.agency_id,
       pg_temp.draw(n, 1) AS u_kind, pg_temp.draw(n, 2) AS u_variant,
       pg_temp.draw(n, 3) AS u_size, pg_temp.draw(n, 4) AS u_ram,
       pg_temp.draw(n, 5) AS u_root, pg_temp.draw(n, 6) AS u_data,
       pg_temp.draw(n, 7) AS u_tier, pg_temp.draw(n, 8) AS u_born,
       pg_temp.draw(n, 9) AS u_born_at, pg_temp.draw(n, 10) AS u_stop,
       pg_temp.draw(n, 11) AS u_stop_at, pg_temp.draw(n, 12) AS u_app
FROM bench_alloc a
CROSS JOIN LATERAL generate_series(a.after_n + 1, a.last_n) AS n;

-- 60%% servers (40%% small, 30%% medium, 15%% large, 15%% a custom size), 25%% volumes,
-- 15%% databases (60%% PostgreSQL). SLA tiers as each item offers them. 80%% exist
-- from the first second of the month, the rest are made at a whole second later in
-- it; 12%% of servers and databases are stopped at some second after their first hour
-- and stay stopped (a stopped server still pays for its disks, a database for nothing).
CREATE TEMP TABLE bench_plan AS
WITH shaped AS (
    SELECT d.*,
           CASE WHEN u_kind < 0.60 THEN 'vm'
                WHEN u_kind < 0.85 THEN 'volume'
                WHEN u_variant < 0.60 THEN 'postgresql'
                ELSE 'mysql' END AS item_key,
           CASE WHEN u_variant < 0.40 THEN 'small' WHEN u_variant < 0.70 THEN 'medium'
                WHEN u_variant < 0.85 THEN 'large' ELSE 'custom' END AS flavour,
           (ARRAY[2, 4, 8, 16])[1 + floor(u_size * 4)::int] AS custom_vcpus,
           CASE WHEN u_born < 0.80 THEN %(month_start)s::timestamptz
                ELSE %(month_start)s::timestamptz
                     + make_interval(secs => floor(u_born_at * (%(hours)s - 2) * 3600))
           END AS created_at
    FROM bench_draws d
)
SELECT n, agency_id, item_key,
       CASE item_key WHEN 'vm' THEN 'vm' WHEN 'volume' THEN 'volume' ELSE 'database' END
           AS kind,
       CASE item_key WHEN 'vm' THEN 'vm-' WHEN 'volume' THEN 'vol-' ELSE 'db-' END || n
           AS name,
       CASE item_key
           WHEN 'vm' THEN jsonb_strip_nulls(jsonb_build_object(
               'vcpus', CASE flavour WHEN 'small' THEN 1 WHEN 'medium' THEN 2
                                     WHEN 'large' THEN 4 ELSE custom_vcpus END,
               'ram_gb', CASE flavour WHEN 'small' THEN 2 WHEN 'medium' THEN 4
                                      WHEN 'large' THEN 8
                                      ELSE custom_vcpus * (ARRAY[2, 4])[1 + floor(u_ram * 2)::int]
                         END,
               'cloud_flavor', CASE WHEN flavour <> 'custom' THEN 'jy.' || flavour END,
               'root_disk_gb', CASE WHEN u_root < 0.70 THEN 40 ELSE 100 END,
               'data_volume_gb', (ARRAY[0, 0, 100, 200, 500])[1 + floor(u_data * 5)::int]))
           WHEN 'volume' THEN jsonb_build_object(
               'size_gb', (ARRAY[50, 100, 100, 200, 500, 1000, 2000])[1 + floor(u_size * 7)::int])
           ELSE jsonb_build_object(
               'storage_gb', (ARRAY[20, 50, 100, 200, 500])[1 + floor(u_size * 5)::int])
       END AS size,
       CASE WHEN item_key = 'volume' THEN 'standard'
            WHEN item_key = 'vm' AND u_tier >= 0.92 THEN 'critical'
            WHEN u_tier >= 0.70 THEN 'important'
            ELSE 'standard' END AS sla_tier,
       (ARRAY['政务服务网', '一网通办', '电子公文', '视频会议', '数据共享交换', '网格化管理',
              '门户网站', '协同办公'])[1 + floor(u_app * 8)::int] AS application,
       created_at,
       CASE WHEN item_key <> 'volume' AND u_stop < 0.12
            THEN created_at + make_interval(secs => 3600 + floor(
                     u_stop_at * extract(epoch FROM %(month_end)s::timestamptz - created_at - interval '2 hours')))
       END AS stopped_at,
       NULL::int AS resource_id
FROM shaped;

-- The orders the resources were made from (fulfilled), one per resource.
INSERT INTO orders (agency_id, item_id, catalog_version_id, created_by_id, state, parameters,
                    spec, sla_tier, client_token, purpose, version, created_at, submitted_at,
                    decided_at)
SELECT p.agency_id, i.id, i.current_version_id,
       coalesce((SELECT min(u.id) FROM users u WHERE u.agency_id = p.agency_id),
                (SELECT min(u.id) FROM users u)),
       'fulfilled', jsonb_build_object('name', p.name, 'application', p.application),
       p.size || jsonb_build_object('application', p.application), p.sla_tier,
       'bench-billing:' || p.n, 'new', 1,
       p.created_at - interval '1 day', p.created_at - interval '1 day',
       p.created_at - interval '20 hours'
FROM bench_plan p
JOIN catalog_items i ON i.key = p.item_key
ORDER BY p.n;

INSERT INTO resources (agency_id, order_id, item_id, catalog_version_id, kind, name, state,
                       sla_tier, application, size, cloud, created_at, version)
SELECT p.agency_id, o.id, o.item_id, o.catalog_version_id, p.kind, p.name,
       CASE WHEN p.stopped_at IS NULL THEN 'active' ELSE 'stopped' END,
       p.sla_tier, p.application, p.size, '{}'::jsonb, p.created_at, 1
FROM bench_plan p
JOIN orders o ON o.client_token = 'bench-billing:' || p.n
ORDER BY p.n;

UPDATE bench_plan p SET resource_id = r.id
FROM orders o JOIN resources r ON r.order_id = o.id
WHERE o.client_token = 'bench-billing:' || p.n;

INSERT INTO lifecycle_events (resource_id, occurred_at, kind, state, size)
SELECT resource_id, at, kind, state, size
FROM (
    SELECT resource_id, created_at AS at, 'created' AS kind, 'active' AS state, size
    FROM bench_plan
    UNION ALL
    SELECT resource_id, stopped_at, 'stopped', 'stopped', size
    FROM bench_plan WHERE stopped_at IS NOT NULL
) events
ORDER BY at, resource_id;

-- What each resource accrues per second, metric by metric, as billing.metrics says
-- (accrual_rates), and whether it still accrues while stopped (the catalog version's
-- billing.stopped_metrics, else the default). data.py checks the usage it makes from
-- this against portal.billing.metering for a few hours.
CREATE TEMP TABLE bench_accrual AS
SELECT p.n, p.resource_id, p.agency_id, p.sla_tier, p.created_at, p.stopped_at,
       m.metric, m.dimension, m.units,
       coalesce(v.definition -> 'billing' -> 'stopped_metrics', %(default_stopped)s::jsonb)
           ? m.metric AS when_stopped
FROM bench_plan p
JOIN resources r ON r.id = p.resource_id
JOIN catalog_item_versions v ON v.id = r.catalog_version_id
CROSS JOIN LATERAL (
    VALUES
        ('instance_hours', p.size ->> 'cloud_flavor',
         CASE WHEN p.kind = 'vm' AND p.size ? 'cloud_flavor' THEN 1 ELSE 0 END),
        ('vcpu_hours', '',
         CASE WHEN p.kind = 'vm' AND NOT p.size ? 'cloud_flavor'
              THEN (p.size ->> 'vcpus')::int ELSE 0 END),
        ('ram_gb_hours', '',
         CASE WHEN p.kind = 'vm' AND NOT p.size ? 'cloud_flavor'
              THEN (p.size ->> 'ram_gb')::int ELSE 0 END),
        ('disk_gb_hours', '',
         CASE WHEN p.kind = 'vm' THEN coalesce((p.size ->> 'root_disk_gb')::int, 0)
                                      + coalesce((p.size ->> 'data_volume_gb')::int, 0)
              ELSE 0 END),
        ('volume_gb_hours', '',
         CASE WHEN p.kind = 'volume' THEN (p.size ->> 'size_gb')::int ELSE 0 END),
        ('db_instance_hours', p.item_key, CASE WHEN p.kind = 'database' THEN 1 ELSE 0 END),
        ('db_storage_gb_hours', '',
         CASE WHEN p.kind = 'database' THEN (p.size ->> 'storage_gb')::int ELSE 0 END)
) AS m(metric, dimension, units)
WHERE m.units > 0;

ANALYZE bench_plan;
ANALYZE bench_accrual;
