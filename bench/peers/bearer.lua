-- wrk script (adapted from the earlier peer benchmark's bearer.lua).
--   TOKEN_FILE  one token per line; one line = the same token on every request ("repeated"),
--               several lines = a different token per request, rotating ("fresh": more tokens than any
--               verified-token cache holds, so every request pays a signature check)
--   REQ_PATH    request path
-- Prints one `WRKJSON {...}` line: rps, latency percentiles (µs), errors (err_status = non-2xx/3xx).
local tokens = {}
local tf = os.getenv("TOKEN_FILE")
if tf and tf ~= "" then
  for line in io.lines(tf) do
    if line ~= "" then tokens[#tokens + 1] = "Bearer " .. line end
  end
end
local n = #tokens
local p = os.getenv("REQ_PATH")
if p and p ~= "" then wrk.path = p end
if n == 1 then wrk.headers["Authorization"] = tokens[1] end
if n > 1 then
  local i = 0
  request = function()
    i = i % n + 1
    wrk.headers["Authorization"] = tokens[i]
    return wrk.format()
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
