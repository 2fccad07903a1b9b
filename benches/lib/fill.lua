-- wrk script for benches/storage.sh: POSTs comments of exactly FILL_TEXT_BYTES
-- bytes of text until FILL_QUOTA of them have been answered 201 on this thread,
-- then exits wrk (run it with -t1). The session cookie comes from wrk's -H flag.
--
-- Environment: FILL_QUOTA (answers to wait for), FILL_TEXT_BYTES (default 64).
-- With FILL_BODY set, every request is POST FILL_PATH with that JSON body
-- instead (e.g. logins), counted when answered FILL_STATUS (default 200).
-- Prints FILL_WRK created=.. other=.. when done; wrk's own done() (if the -d
-- limit comes first) prints FILL_WRK requests=.. instead, which is a failure.

local quota = tonumber(os.getenv("FILL_QUOTA") or "1000")
local text_bytes = tonumber(os.getenv("FILL_TEXT_BYTES") or "64")
local sent, created, other = 0, 0, 0
local fixed_body = os.getenv("FILL_BODY")
local fixed_path = os.getenv("FILL_PATH") or "/login"
local wanted = fixed_body and tonumber(os.getenv("FILL_STATUS") or "200") or 201

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  sent = sent + 1
  if fixed_body then
    return wrk.format(nil, fixed_path, nil, fixed_body)
  end
  local prefix = string.format("c%09d-", sent)
  local text = prefix .. string.rep("x", text_bytes - #prefix)
  return wrk.format(nil, "/comments", nil, '{"text":"' .. text .. '"}')
end

response = function(status, headers, body)
  if status == wanted then
    created = created + 1
  else
    other = other + 1
  end
  if created >= quota then
    -- wrk.thread:stop() ends the thread but wrk still sleeps out -d: leave now
    -- (this script is only ever run with -t1).
    io.write(string.format("FILL_WRK created=%d other=%d\n", created, other))
    io.flush()
    os.exit(0)
  end
end

done = function(summary, latency, requests)
  io.write(string.format("FILL_WRK requests=%d duration_us=%d non201=%d\n",
    summary.requests, summary.duration, summary.errors.status))
end
