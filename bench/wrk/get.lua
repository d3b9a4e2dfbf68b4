-- GETs of the URL given to wrk, until the deadline (common.lua).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

function request()
   bench_sent()
   return wrk.format("GET")
end
