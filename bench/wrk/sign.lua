-- Sign POSTs, each from a distinct signer, with the session cookie and CSRF token a phone
-- has after opening the petition page (both may be empty: the baseline needs neither).
--   BENCH_BODY    the form's fixed fields, already form-encoded (csrf_token, given_name, ...)
--   BENCH_COOKIE  "name=value" of the session cookie, or empty
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")

local body = os.getenv("BENCH_BODY")
local cookie = os.getenv("BENCH_COOKIE") or ""

function init(args)
   headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
   if cookie ~= "" then
      headers["Cookie"] = cookie
   end
end

function request()
   local who = tag .. "-" .. id .. "-" .. bench_sent()
   return wrk.format("POST", nil, headers,
      body .. "&family_name=Tester+" .. who .. "&email=load-" .. who .. "%40example.org")
end
