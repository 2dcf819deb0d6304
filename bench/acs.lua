-- wrk script: POST form bodies to the ACS, each body once. The file (args[1]) holds one
-- url-encoded form body per line; thread k of n (args[2]) posts lines k, k+n, k+2n, ...
-- When a thread runs out it starts over, and the replays show up as non-2xx/3xx answers
-- (the load script then says that it minted too few).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local bodies = {}
local i = 0

function init(args)
  local n = tonumber(args[2])
  local k = 0
  for line in io.lines(args[1]) do
    if k % n == id then
      bodies[#bodies + 1] = line
    end
    k = k + 1
  end
end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function request()
  i = i + 1
  return wrk.format("POST", nil, headers, bodies[(i - 1) % #bodies + 1])
end
