-- post.lua: POST the same body with a new Idempotency-Key on every request,
-- as a merchant's integration creating payments does.
--
--   wrk -s post.lua -H 'Content-Type: …' URL -- BODY [IDS_FILE]
--
-- With IDS_FILE, the "id" of every 201 answer is written there, one a line,
-- after the run: the harness checks that each is a payment in the database.
dofile(debug.getinfo(1, "S").source:match("@?(.*/)") .. "statuses.lua")

local headers, body
local n = 0
ids = {}
-- ids_file is a global so that done(), which runs in the main state where
-- init() never ran, can read it back from a thread.
ids_file = nil

function init(args)
   body = args[1]
   ids_file = args[2]
   headers = {}
   for k, v in pairs(wrk.headers) do
      headers[k] = v
   end
   -- Keys unique across threads and runs: a random prefix per thread
   -- (wrk seeds each thread's generator differently) and a counter.
   math.randomseed(os.time() * 1000 + (thread_id or 0))
   prefix = string.format("bench-%08x%08x-%d-", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), thread_id or 0)
end

function request()
   n = n + 1
   headers["Idempotency-Key"] = prefix .. n
   return wrk.format("POST", nil, headers, body)
end

function response(status, _, resp)
   count(status)
   if ids_file and status == 201 then
      -- The answer's own id is its first "id" (PayREST puts it first).
      local id = resp:match('"id":%s*(%d+)')
      if id then
         table.insert(ids, id)
      end
   end
end

function done(summary, latency, _)
   report(summary, latency)
   ids_file = first_thread_value("ids_file")
   if ids_file then
      local f = assert(io.open(ids_file, "w"))
      for _, id in ipairs(collect("ids")) do
         f:write(id, "\n")
      end
      f:close()
   end
end
