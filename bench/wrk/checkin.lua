-- Check-in scans: each a distinct ticket with a fresh nonce, sent as a scanner app does.
--   BENCH_TOKENS  a file of ticket tokens, one a line; thread i of n takes lines i, i+n, ...
--   BENCH_BEARER  an API token, or empty (the baseline needs none)
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

function init(args)
   headers = {["Content-Type"] = "application/json"}
   local bearer = os.getenv("BENCH_BEARER") or ""
   if bearer ~= "" then
      headers["Authorization"] = "Bearer " .. bearer
   end
   local n = tonumber(os.getenv("BENCH_THREADS"))
   tokens = {}
   local i = 0
   for line in io.lines(os.getenv("BENCH_TOKENS")) do
      if i % n == id then
         tokens[#tokens + 1] = line
      end
      i = i + 1
   end
   capacity = #tokens
end

function request()
   local k = bench_sent()
   local token = tokens[k]
   return wrk.format("POST", nil, headers,
      '{"token": "' .. token .. '", "nonce": "bench-' .. tag .. "-" .. id .. "-" .. k .. '"}')
end
