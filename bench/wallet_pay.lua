-- wrk script for bench/wallet_pay.py. Arguments: mode items_file threads run
--   mode "pay": each request pays one fee: items_file lines are "token<TAB>fee_id",
--               each used once, with its own Idempotency-Key;
--   mode "baseline": each request is POST /bench/tpcb (items_file unused).
-- Status codes are counted and printed as one JSON line at the end.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  thread:set("nthreads", 0)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  mode = args[1]
  -- Each wrk run its own keys: the warm-up's keys (it may run out of fees and repeat the first)
  -- must never meet a later run's request for another fee (422, same key, different body).
  run = args[4] or "0"
  items, statuses, next_item = {}, {}, 1
  if mode == "pay" then
    local n = 0
    for line in io.lines(args[2]) do
      if n % tonumber(args[3]) == id then
        local token, fee = line:match("([^\t]+)\t([^\t]+)")
        items[#items + 1] = {token, fee}
      end
      n = n + 1
    end
  end
end

function request()
  if mode == "baseline" then
    return wrk.format("POST", "/bench/tpcb", {["Content-Type"] = "application/json"}, "{}")
  end
  local item = items[next_item]
  if item == nil then
    -- Out of fees: should not happen with enough prepared; shows up as 404s.
    item = items[1]
  end
  next_item = next_item + 1
  return wrk.format("POST", "/v1/fees/payments", {
    ["Authorization"] = "Bearer " .. item[1],
    ["Idempotency-Key"] = string.format("pay-%s-%d-%d", run, id, next_item),
    ["Content-Type"] = "application/json",
  }, '{"fee_ids":["' .. item[2] .. '"]}')
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
  io.write(string.format('WALLET_PAY_RESULT {"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p90_ms":%.2f,' ..
    '"p99_ms":%.2f,"max_ms":%.2f,"errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
