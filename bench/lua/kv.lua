-- Every request shape of bench/suite.sh, for every HTTP server it measures:
--
--   wrk ... -s bench/lua/kv.lua URL -- SERVER SHAPE [KEYS]
--
--   SERVER  livekv   GET/PUT /v1/kv/KEY (the value is the body)
--           webdis   GET /GET/KEY, PUT /SET/KEY (the value is the body; webdis's upload form)
--           etcd     GET /v2/keys/KEY (v2 keys API), POST /v3/kv/put (v3 JSON gateway, base64 JSON)
--           nginx    GET / (`return 200` with a 100-byte body: the same answer for every shape)
--   SHAPE   get      GET of the KEYS loaded keys key:%08d (default 100000)
--           miss     GET of keys that were never written (miss:%08d)
--           put      PUT of a 100-byte value over the same KEYS keys (an overwrite after the load)
--           mix      9 GETs of loaded keys, then 1 PUT, repeated
-- (The keys are loaded beforehand by bench/load_keys.py and bench/load_peers.py: wrk runs for a
-- duration, not a count.)
--
-- One script instead of one per server and shape: the key spread, the value and the summary line
-- must be identical for every server, or the ratios compare different work. Requests are built
-- once in init(), so wrk's per-request Lua cost is one table lookup, the same for every server;
-- its client-side cost stays far below the server's (wrk runs on its own core).
--
-- done() prints one line for bench/suite.sh to parse:
--   RESULT rps=R p50_us=A p99_us=B requests=N non2xx=S errors=E
-- where errors counts connect, read, write and timeout errors and non2xx the 4xx/5xx answers.

local server, shape, keys
local reqs = {}
local n = 0
local i = 0
local stride = 7919 -- prime, so i -> (i + stride) % KEYS visits every key before repeating

local value = string.rep("v", 100)

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
  return ((s:gsub(".", function(x)
    local r, b = "", x:byte()
    for bit = 8, 1, -1 do r = r .. (b % 2 ^ bit - b % 2 ^ (bit - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for bit = 1, 6 do c = c + (x:sub(bit, bit) == "1" and 2 ^ (6 - bit) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#s % 3 + 1])
end
local value64 = base64(value)

local function get(key)
  if server == "livekv" then return wrk.format("GET", "/v1/kv/" .. key)
  elseif server == "webdis" then return wrk.format("GET", "/GET/" .. key)
  elseif server == "etcd" then return wrk.format("GET", "/v2/keys/" .. key)
  else return wrk.format("GET", "/") end
end

local function put(key)
  if server == "livekv" then
    return wrk.format("PUT", "/v1/kv/" .. key, { ["Content-Type"] = "application/octet-stream" }, value)
  elseif server == "webdis" then
    return wrk.format("PUT", "/SET/" .. key, { ["Content-Type"] = "application/octet-stream" }, value)
  elseif server == "etcd" then
    return wrk.format("POST", "/v3/kv/put", { ["Content-Type"] = "application/json" },
      '{"key":"' .. base64(key) .. '","value":"' .. value64 .. '"}')
  else return wrk.format("GET", "/") end
end

function init(args)
  server, shape, keys = args[1], args[2], tonumber(args[3] or "100000")
  local count = keys
  if shape == "mix" then count = keys + 1 end -- not a multiple of 10, so PUTs move over the keys
  local k = 0
  for j = 1, count do
    k = (k + stride) % keys
    local key = string.format("key:%08d", k)
    if shape == "get" then reqs[j] = get(key)
    elseif shape == "miss" then reqs[j] = get(string.format("miss:%08d", k))
    elseif shape == "put" then reqs[j] = put(key)
    elseif shape == "mix" then
      if j % 10 == 0 then reqs[j] = put(key) else reqs[j] = get(key) end
    else error("unknown shape " .. tostring(shape)) end
  end
  n = count
end

function request()
  i = i % n + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
