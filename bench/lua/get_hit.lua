-- GET of keys key:%08d over a spread of 1000 keys loaded beforehand (bench/load_keys.py).
local i = 0
function request()
  i = (i + 7919) % 1000
  return wrk.format("GET", string.format("/v1/kv/key:%08d", i))
end
