-- wrk script for every wrk-driven scenario of benches/run.sh.
--
-- Environment (all optional):
--   BENCH_METHOD   request method (default GET)
--   BENCH_BODY     request body; when set, Content-Type: application/json is added
--   BENCH_DEPTH    requests per write (HTTP/1.1 pipelining) when > 1
--   BENCH_DELAY_MS pause of each connection before each request (a paced,
--                  below-capacity load: about connections * 1000 / ms req/s)
-- Extra headers (Cookie, Connection: close) come from wrk's own -H flags, which
-- wrk.format() and the static request both include.
--
-- Without BENCH_DEPTH no request() function is defined, so wrk sends its
-- pre-built static request (its cheapest path) on every connection.
--
-- done() prints one machine-readable line that run.sh reads:
--   BENCH_WRK requests=.. duration_us=.. p50_us=.. p99_us=.. max_us=.. connect=..
--             read=.. write=.. timeout=.. status=.. wrk_cpu_s=..
-- status counts answers with a status >= 400 (wrk's own "non-2xx or 3xx").
-- With pipelining wrk 4.x takes one latency sample per batch (when the last
-- response of the batch arrives), so p50/p99 are per batch of BENCH_DEPTH.

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local depth = tonumber(os.getenv("BENCH_DEPTH") or "1") or 1
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0") or 0

wrk.method = method
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

if depth > 1 then
  local batch
  init = function(args)
    local one = wrk.format()
    batch = string.rep(one, depth)
  end
  request = function()
    return batch
  end
end

if pause > 0 then
  delay = function()
    return pause
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_WRK requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d timeout=%d status=%d wrk_cpu_s=%.3f\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status, os.clock()))
end
