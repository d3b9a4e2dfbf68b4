-- The surge mix: on every connection, 20 views for each signature. Views are petition
-- page GETs (English and Spanish URLs in turn) and JSON polls, two to one; every 21st
-- request is a sign POST by a new signer. One connection per thread (run_wrk with
-- threads = connections), so each thread's requests and answers alternate and the
-- latency of each kind can be taken here; done() prints them with common.lua's summary.
--   BENCH_SLUG  the petition
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local slug = os.getenv("BENCH_SLUG")
local page_paths = {"/p/" .. slug, "/es/p/" .. slug}
local form = {["Content-Type"] = "application/x-www-form-urlencoded"}

-- Latencies per kind as histograms of 2% wide buckets, in flat globals: done() reads them
-- from each thread's state with thread:get, which copies numbers and flat tables only.
local STEP = math.log(1.02)
local KINDS = {"page", "json", "sign"}
for _, k in ipairs(KINDS) do
   _G["hist_" .. k], _G["n_" .. k], _G["ok_" .. k] = {}, 0, 0
end
local kind, started = nil, 0

function request()
   local n = bench_sent()
   started = bench_now()
   local k = n % 21
   if k == 0 then
      kind = "sign"
      local who = tag .. "-" .. id .. "-" .. n
      return wrk.format("POST", "/p/" .. slug .. "/sign", form,
         "given_name=Surge&postal_code=06106&family_name=Tester+" .. who
         .. "&email=surge-" .. who .. "%40example.org")
   elseif k % 3 == 0 then
      kind = "json"
      return wrk.format("GET", "/p/" .. slug .. ".json")
   end
   kind = "page"
   return wrk.format("GET", page_paths[(k % 2) + 1])
end

function response(status, headers, body)
   if kind == nil then return end
   local us = math.max(1, (bench_now() - started) * 1e6)
   local bucket = math.floor(math.log(us) / STEP)
   local h = _G["hist_" .. kind]
   h[bucket] = (h[bucket] or 0) + 1
   _G["n_" .. kind] = _G["n_" .. kind] + 1
   if status < 400 then _G["ok_" .. kind] = _G["ok_" .. kind] + 1 end
   kind = nil
end

local base_done = done
local threads_seen = {}
local base_setup = setup
function setup(thread)
   base_setup(thread)
   table.insert(threads_seen, thread)
end

local function percentile(h, n, p)
   if n == 0 then return 0 end
   local buckets = {}
   for b, _ in pairs(h) do buckets[#buckets + 1] = b end
   table.sort(buckets)
   local need, seen = n * p / 100, 0
   for _, b in ipairs(buckets) do
      seen = seen + h[b]
      if seen >= need then return math.exp((b + 1) * STEP) end
   end
   return math.exp((buckets[#buckets] + 1) * STEP)
end

function done(summary, lat, requests)
   base_done(summary, lat, requests)
   local parts = {}
   for _, k in ipairs(KINDS) do
      local merged, n, ok = {}, 0, 0
      for _, thread in ipairs(threads_seen) do
         for b, c in pairs(thread:get("hist_" .. k)) do merged[b] = (merged[b] or 0) + c end
         n = n + thread:get("n_" .. k)
         ok = ok + thread:get("ok_" .. k)
      end
      parts[#parts + 1] = string.format('"%s": {"n": %d, "ok": %d, "p50_us": %d, "p99_us": %d}',
         k, n, ok, percentile(merged, n, 50), percentile(merged, n, 99))
   end
   io.write("BENCH_KINDS {" .. table.concat(parts, ", ") .. "}\n")
end
