-- wrk script for benches/storage.sh's compaction part: login and logout
-- pairs of one user, as fast as CHURN_DELAY_MS allows per request. A login's
-- cookie is queued and the next request on the thread logs it out.
--
-- Environment: CHURN_USER, CHURN_PASSWORD, CHURN_DELAY_MS (default 1; 0:
-- none), CHURN_PAIRS (if set: exit once that many logouts were answered,
-- printing CHURN_DONE pairs=..; run it with -t1).

local user = os.getenv("CHURN_USER") or "bench"
local password = os.getenv("CHURN_PASSWORD") or "bench-password-1"
local pause = tonumber(os.getenv("CHURN_DELAY_MS") or "1")
local cookies = {}
local pairs_wanted = tonumber(os.getenv("CHURN_PAIRS") or "0")
local pairs_done = 0
local login_body = string.format('{"username":"%s","password":"%s"}', user, password)

wrk.headers["Content-Type"] = "application/json"

request = function()
  local c = table.remove(cookies)
  if c then
    return wrk.format("POST", "/logout", { ["Content-Type"] = "application/json",
      ["Cookie"] = "sessionid=" .. c }, "{}")
  end
  return wrk.format("POST", "/login", nil, login_body)
end

response = function(status, headers, body)
  if pairs_wanted > 0 and status == 200 and string.sub(body, 1, 2) == "{}" then
    pairs_done = pairs_done + 1
    if pairs_done >= pairs_wanted then
      io.write(string.format("CHURN_DONE pairs=%d\n", pairs_done))
      io.flush()
      os.exit(0)
    end
  end
  local set = headers["Set-Cookie"]
  if status == 200 and set then
    local id = string.match(set, "^sessionid=([a-z0-9]+)")
    if id then
      table.insert(cookies, id)
    end
  end
end

if pause > 0 then
  delay = function()
    return pause
  end
end

done = function(summary, latency, requests)
  io.write(string.format("CHURN_WRK requests=%d errors_status=%d\n",
    summary.requests, summary.errors.status))
end
