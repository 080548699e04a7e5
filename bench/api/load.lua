-- wrk script for bench/api: one scenario against one app, results as JSON.
--
-- Environment (set by bench/api/bench.py):
--   BENCH_SCENARIO  catalog | orders | submit
--   BENCH_TOKENS    file of API tokens, one a line (members of 101 agencies)
--   BENCH_TAG       a short lower-case tag that makes this run's volume names unique
--   BENCH_OUT       where done() writes the JSON summary
--
-- Each request takes the next token in turn (threads start at different offsets),
-- so the load spreads over the agencies as real members would spread it.

local scenario = os.getenv("BENCH_SCENARIO")
local tag = os.getenv("BENCH_TAG") or "x"
local paths = { catalog = "/api/v1/catalog/items", orders = "/api/v1/orders", submit = "/api/v1/orders" }

local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  if line ~= "" then tokens[#tokens + 1] = line end
end

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  threads[#threads + 1] = thread
end

-- Per-thread state (each wrk thread has its own Lua interpreter).
local counter = 0
local non2xx = 0
local statuses = ""   -- "409 500 …" of the first few failures, for the report
local sample = ""     -- the first failure's body

function init(args)
  counter = id * 7919 -- a different starting token per thread
end

function request()
  counter = counter + 1
  local headers = { Authorization = "Bearer " .. tokens[counter % #tokens + 1] }
  if scenario == "submit" then
    headers["Content-Type"] = "application/json"
    -- volume_name must match [a-z][a-z0-9-]{1,39}: tag, thread and counter keep it unique
    local body = string.format(
      '{"item": "volume", "parameters": {"volume_name": "v-%s-%d-%d", "size_gb": 10, ' ..
      '"volume_type": "standard", "purpose": "bench"}}', tag, id, counter)
    return wrk.format("POST", paths.submit, headers, body)
  end
  return wrk.format("GET", paths[scenario], headers)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 5 then statuses = statuses .. status .. " " end
    if sample == "" then sample = string.sub(body or "", 1, 300) end
    thread_stats()
  end
end

function thread_stats()
  -- wrk copies these to the main interpreter when done() asks for them
  wrk.thread:set("non2xx", non2xx)
  wrk.thread:set("statuses", statuses)
  wrk.thread:set("sample", sample)
end

local function json_string(text)
  text = string.gsub(text, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
  return '"' .. text .. '"'
end

function done(summary, latency, requests)
  local non2xx, statuses, sample = 0, "", ""
  for _, thread in ipairs(threads) do
    non2xx = non2xx + (thread:get("non2xx") or 0)
    statuses = statuses .. (thread:get("statuses") or "")
    if sample == "" then sample = thread:get("sample") or "" end
  end
  local e = summary.errors
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
    '"non2xx": %d, "socket_errors": %d, "timeouts": %d, "statuses": %s, "sample": %s}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    non2xx, e.connect + e.read + e.write, e.timeout, json_string(statuses), json_string(sample)))
  out:close()
end
