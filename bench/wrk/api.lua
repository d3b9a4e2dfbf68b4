-- OSDI API requests with the OSDI-API-Token header (bench/api_people.py).
--   BENCH_TOKEN   the API token
--   BENCH_BODY    empty: GET the URL given to wrk; else a JSON signature body in which
--                 "EMAIL" is replaced by a distinct address per request (a POST)
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local token = os.getenv("BENCH_TOKEN")
local body = os.getenv("BENCH_BODY") or ""

function init(args)
   headers = {["OSDI-API-Token"] = token}
   if body ~= "" then
      headers["Content-Type"] = "application/json"
   end
end

function request()
   if body == "" then
      bench_sent()
      return wrk.format("GET", nil, headers)
   end
   local who = tag .. "-" .. id .. "-" .. bench_sent()
   local email = "api-" .. who .. "@example.org"
   return wrk.format("POST", nil, headers, (body:gsub("EMAIL", email):gsub("WHO", who)))
end
