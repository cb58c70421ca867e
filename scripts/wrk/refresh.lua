-- Refresh with rotation: every connection logs in once, then refreshes in a
-- chain, each request presenting the refresh token the previous one returned.
-- Run with as many threads as connections (one chain per thread).
local refresh = nil
local json = "application/json"

request = function()
  if refresh == nil then
    return wrk.format("POST", "/api/token/", { ["Content-Type"] = json },
      '{"username": "demo", "password": "demo-password"}')
  end
  return wrk.format("POST", "/api/token/refresh/", { ["Content-Type"] = json },
    '{"refresh": "' .. refresh .. '"}')
end

response = function(status, headers, body)
  local token = body:match('"refresh":"([^"]+)"')
  if status == 200 and token then
    refresh = token
  else
    refresh = nil
  end
end

done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("non-2xx responses: %d\n", non2xx))
end
