-- bench/billing: the usage records of the hours [%(first)s, %(last)s] for the resources
-- whose number n has mod(n, %(every)s) in %(parts)s, in one INSERT … SELECT (data.py runs
-- it a day at a time). What portal.billing.metering would write for those hours:
-- per resource and metric, units × the whole seconds of the hour it was running, plus
-- the seconds it was stopped if the metric accrues while stopped; nothing where that
-- is zero. Times are cut to whole seconds from the hour's start, as billing.metering
-- cuts them. Rows go in in the order metering writes them (hour by hour).
INSERT INTO usage_records (hour, resource_id, metric, dimension, agency_id, sla_tier, quantity)
SELECT h.hour, x.resource_id, x.metric, x.dimension, x.agency_id, x.sla_tier, q.quantity
FROM generate_series(%(first)s::timestamptz, %(last)s::timestamptz, interval '1 hour') AS h(hour)
JOIN bench_accrual x
  ON x.created_at < h.hour + interval '1 hour'
 AND (x.stopped_at IS NULL OR x.when_stopped OR x.stopped_at > h.hour)
 AND mod(x.n, %(every)s) = ANY(%(parts)s)
CROSS JOIN LATERAL (
    SELECT least(greatest(floor(extract(epoch FROM x.created_at - h.hour)), 0), 3600)::int AS began,
           least(greatest(coalesce(floor(extract(epoch FROM x.stopped_at - h.hour)), 3600), 0), 3600)::int
               AS stopped
) AS s
CROSS JOIN LATERAL (
    SELECT x.units::bigint * (
               greatest(s.stopped - s.began, 0)
               + CASE WHEN x.when_stopped THEN 3600 - greatest(s.stopped, s.began) ELSE 0 END
           ) AS quantity
) AS q
WHERE q.quantity > 0
ORDER BY h.hour, x.resource_id, x.metric, x.dimension
