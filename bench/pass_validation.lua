-- wrk script for bench/pass_validation.py. Arguments: mode items_file token venue offer run
--   mode "validate": each request validates one pass code (items_file: one code a line, each used once)
--                    at POST /v1/partners/redemptions, with its own Idempotency-Key;
--   mode "baseline": each request is POST /bench/tpcb (the other arguments unused).
-- Status codes are counted and printed as one JSON line at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  mode, token, venue, offer, run = args[1], args[3], args[4], args[5], args[6]
  items, statuses, next_item = {}, {}, 1
  if mode == "validate" then
    for line in io.lines(args[2]) do items[#items + 1] = line end
  end
end

function request()
  if mode == "baseline" then
    return wrk.format("POST", "/bench/tpcb", {["Content-Type"] = "application/json"}, "{}")
  end
  local code = items[next_item] or items[1]  -- out of codes: shows up as 422s
  next_item = next_item + 1
  return wrk.format("POST", "/v1/partners/redemptions", {
    ["Authorization"] = "Bearer " .. token,
    -- Unique across runs too: the same till reusing a key for another body would be a 422.
    ["Idempotency-Key"] = string.format("pass-%s-%d", run, next_item),
    ["Content-Type"] = "application/json",
  }, '{"code":"' .. code .. '","venue_id":"' .. venue .. '","offer_id":"' .. offer ..
     '","list_price":{"amount":850,"currency":"EUR"},"quantity":1}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local parts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do parts[#parts + 1] = string.format('"%d":%d', code, n) end
  end
  io.write(string.format('PASS_VALIDATION_RESULT {"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p90_ms":%.2f,' ..
    '"p99_ms":%.2f,"max_ms":%.2f,"errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
