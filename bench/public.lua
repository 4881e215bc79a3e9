-- wrk script for POST /v1/public/interactions: every request a new email and a different
-- CF-Connecting-IP header value (10.x.y.z), so the per-address rate limiter does not turn the
-- run into a 429 benchmark. The addresses are only header values: all traffic is to 127.0.0.1.
-- BENCH_OFFSET keeps the warm-up run's emails apart from the measured run's.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local counter = 0
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0") or 0

function request()
  counter = counter + 1
  local t = tid or 0
  local n = offset + t * 1000000 + counter
  local ip = string.format("10.%d.%d.%d", (t * 16 + math.floor(counter / 65536)) % 256,
    math.floor(counter / 256) % 256, counter % 256)
  local body = string.format(
    '{"email":"bench-%d@example.com","type":"form_submitted","resource_id":"form-1"}', n)
  return wrk.format("POST", "/v1/public/interactions",
    { ["Content-Type"] = "application/json", ["CF-Connecting-IP"] = ip }, body)
end
