-- wrk script for bench/ticket_rush.py (--client wrk): every request is one
-- patron's purchase with its own bearer token and its own Idempotency-Key.
-- Arguments: tokens_file threads path body run_nonce out_dir
-- Thread `id` takes every threads-th token. Latency is measured per request
-- (monotonic clock through LuaJIT's ffi), matched to its response by the
-- X-Request-Id the server echoes, and written to out_dir/thread-<id>.tsv
-- once the thread has all its answers; the script's caller then stops wrk.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC, comparable across threads
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local count = 0
function setup(thread)
  thread:set("id", count)
  count = count + 1
end

function init(args)
  local file, threads = args[1], tonumber(args[2])
  path, body, nonce, out_dir = args[3], args[4], args[5], args[6]
  tokens = {}
  local i = 0
  for line in io.lines(file) do
    if i % threads == id then tokens[#tokens + 1] = line end
    i = i + 1
  end
  next_token, answered, sent, lines = 1, 0, {}, {}
  -- wrk calls request() once on thread 0 before connecting, only to inspect it.
  probed = id ~= 0
end

function request()
  if not probed or next_token > #tokens then
    probed = true
    -- All of this thread's purchases are out: idle connections ask a cheap
    -- page (not counted) until the last answers arrive and the thread stops.
    return wrk.format("GET", "/healthz", {["X-Request-Id"] = "idle"})
  end
  local n = next_token
  next_token = n + 1
  local rid = string.format("t%dr%d", id, n)
  sent[rid] = now()
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. tokens[n],
    ["Idempotency-Key"] = string.format("%s-%d-%d", nonce, id, n),
    ["Content-Type"] = "application/json",
    ["X-Request-Id"] = rid,
  }, body)
end

function response(status, headers, body)
  local rid = headers["X-Request-Id"]
  local began = rid and sent[rid]
  if not began then return end
  local ended = now()
  lines[#lines + 1] = string.format("%d\t%.6f\t%.6f", status, ended - began, ended)
  sent[rid] = nil
  answered = answered + 1
  if answered == #tokens then
    local name = string.format("%s/thread-%d.tsv", out_dir, id)
    local f = io.open(name .. ".part", "w")
    f:write(table.concat(lines, "\n"), "\n")
    f:close()
    os.rename(name .. ".part", name) -- the caller waits for the complete file
    wrk.thread:stop()
  end
end
