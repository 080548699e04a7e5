-- Make the demo district look lived-in, and keep quotas from ending the run early.
-- psql -v per_agency=N: orders made for each bureau's and town's member.

-- Every agency list page is full (50 of many), so the list scenario reads a real page
-- and a real count, the same for the portal and the bare app whatever ran before.
INSERT INTO orders (agency_id, item_id, catalog_version_id, created_by_id, state,
                    parameters, spec, sla_tier, version, created_at, submitted_at, decided_at)
SELECT u.agency_id, i.id, i.current_version_id, u.id, 'approved', p.doc, p.doc, 'standard', 2,
       now(), now(), now()
FROM users u
CROSS JOIN generate_series(1, :per_agency) AS n
JOIN catalog_items i ON i.key = 'volume'
CROSS JOIN LATERAL (
    SELECT jsonb_build_object('volume_name', format('pre-%s-%s', u.id, n), 'size_gb', 10,
                              'volume_type', 'standard', 'purpose', 'prefill') AS doc
) AS p
WHERE u.username ~ '^[bt][0-9]{2}\.member$';

INSERT INTO order_quota_costs (order_id, resource, amount)
SELECT o.id, 'disk_gb', 10
FROM orders o
WHERE NOT EXISTS (SELECT 1 FROM order_quota_costs c WHERE c.order_id = o.id);

-- Thousands of 10 GB volumes would exhaust the 4000 GB (bureau) and 2000 GB (town)
-- disk quotas mid-run and turn submissions into 409s. The limit rows stay, so both
-- apps still run the whole quota check (find limits, lock, sum the subtree's usage).
UPDATE quotas SET "limit" = 10000000 WHERE resource = 'disk_gb';

ANALYZE;
