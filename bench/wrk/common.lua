-- Shared by sign.lua and checkin.lua (loaded with dofile): thread ids, a deadline after
-- which no request is sent (wrk runs on a second longer, so requests sent get their answers
-- before wrk exits), optional pacing, and a one-line JSON summary for the bench.
--
-- Settings come from the environment (bench/harness.py run_wrk sets them):
--   BENCH_SECONDS      send requests for this long
--   BENCH_THREADS      wrk threads (-t), BENCH_CONNECTIONS connections per thread
--   BENCH_INTERVAL     0: each connection sends its next request as soon as the last is
--                      answered; > 0: it waits this many seconds after each answer, the
--                      connections' first requests spread evenly over one interval
--   BENCH_TAG          unique per run; makes emails and nonces unique across runs
--
-- gunicorn's sync workers close the connection after each answer and wrk reconnects at
-- once, so a connection waiting (paced, or after the deadline) sits in the server's accept
-- queue, and a worker that accepts it waits for its request. Paced runs use one thread, so
-- connections are accepted in the order they send; a request that still ends up queued
-- behind idle connections at the end is answered only after wrk exits: it is reported as
-- unanswered ("sent" minus "requests"), and the bench counts it when it checks the rows.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1

function bench_now()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local seconds = tonumber(os.getenv("BENCH_SECONDS"))
local nthreads = tonumber(os.getenv("BENCH_THREADS"))
local conns = tonumber(os.getenv("BENCH_CONNECTIONS"))
local interval = tonumber(os.getenv("BENCH_INTERVAL") or "0")
tag = os.getenv("BENCH_TAG") or "t"

-- In the main script state: one entry per thread, read back in done(); one deadline for
-- all threads.
local threads = {}
local next_id = 0
local shared_deadline = nil

function setup(thread)
   if shared_deadline == nil then
      shared_deadline = bench_now() + seconds
   end
   thread:set("deadline", shared_deadline)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

-- In each thread's state (id and deadline are set by setup before init runs).
sent, first, last, exhausted = 0, nil, 0, 0
capacity = math.huge -- scripts with prepared data (tickets) set how many requests it allows
local delays, scheduled = 0, 0

function delay()
   local now = bench_now()
   if first == nil then
      first = now
   end
   last = now -- the connection's previous answer has just arrived (or it just connected)
   local wait = 0
   if interval > 0 then
      delays = delays + 1
      if delays <= conns then -- a connection's first request
         wait = ((delays - 1) * nthreads + id) / (conns * nthreads) * interval
      else
         wait = interval
      end
   end
   if scheduled >= capacity then
      exhausted = 1
   end
   if now + wait >= deadline or exhausted > 0 then
      return 3600000 -- send nothing more; wrk stops the thread a second after the deadline
   end
   scheduled = scheduled + 1
   return wait * 1000
end

-- Called by request() in the scripts; returns the request number within this thread.
function bench_sent()
   sent = sent + 1
   return sent
end

function done(summary, latency, requests)
   local t0, t1, n, ex = math.huge, 0, 0, 0
   for _, thread in ipairs(threads) do
      local f = thread:get("first")
      if f ~= nil and f < t0 then t0 = f end
      t1 = math.max(t1, thread:get("last"))
      n = n + thread:get("sent")
      ex = ex + thread:get("exhausted")
   end
   n = n - 1 -- wrk calls the first thread's request() once itself, to check the script
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "sent": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "exhausted": %d, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"timeout": %d, "status": %d}}\n',
      summary.requests, n, t0 < t1 and (t1 - t0) or 0, latency:percentile(50),
      latency:percentile(99), latency.max, ex, e.connect, e.read, e.write, e.timeout, e.status))
end
