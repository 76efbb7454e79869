-- wrk script for bench/router/usecases: counts every answer by status and by the version that
-- wrote its body (cairn-hello answers {"version":"v1",...}), so the split the client saw can be
-- set beside the router's own counters. Prints one line, "result key=value ...", when done.
-- The first few non-2xx answers of each thread are kept with their wall-clock time (ms since
-- the epoch, as the script's event log shows) so a failure can be set against what happened.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } cairn_timeval;
  int gettimeofday(cairn_timeval* tv, void* tz);
]]
local tv = ffi.new("cairn_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + math.floor(tonumber(tv.tv_usec) / 1000)
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, non2xx, v1, v2, other = 0, 0, 0, 0, 0
  failures = ""
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    non2xx = non2xx + 1
    if non2xx <= 5 then
      failures = failures .. string.format("failure at_ms=%d status=%d body=%q\n", now_ms(),
                                           status, body:sub(1, 120))
    end
  end
  if body:find('"version":"v1"', 1, true) then
    v1 = v1 + 1
  elseif body:find('"version":"v2"', 1, true) then
    v2 = v2 + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local sum = { ok = 0, non2xx = 0, v1 = 0, v2 = 0, other = 0 }
  for _, t in ipairs(threads) do
    for name, _ in pairs(sum) do sum[name] = sum[name] + t:get(name) end
  end
  for _, t in ipairs(threads) do io.write(t:get("failures")) end
  local e = summary.errors
  io.write(string.format(
    "result requests=%d ok=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "v1=%d v2=%d other=%d p99_us=%d max_us=%d\n",
    summary.requests, sum.ok, sum.non2xx, e.connect, e.read, e.write, e.timeout,
    sum.v1, sum.v2, sum.other, latency:percentile(99.0), latency.max))
end
