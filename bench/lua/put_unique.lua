-- PUT of 100-byte values to keys key:%08d, each connection counting from its own offset, so that
-- every request writes a distinct key (a load of N keys with -c C runs N/C requests per connection).
local counter = 0
local thread_id = 0
local value = string.rep("v", 100)

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function request()
  counter = counter + 1
  local key = string.format("key:%08d", thread_id * 100000000 + counter)
  -- wrk.format takes the headers given instead of wrk.headers (-H): merge them, so that -H works.
  local headers = {["Content-Type"] = "application/octet-stream"}
  for name, v in pairs(wrk.headers) do headers[name] = v end
  return wrk.format("PUT", "/v1/kv/" .. key, headers, value)
end
