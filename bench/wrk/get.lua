-- get.lua: GET each path of a file in turn (one path a line), each thread
-- starting at a place of its own, so that the reads spread over the rows.
--
--   wrk -s get.lua -H 'X-Auth-Token: …' URL -- [PATHS_FILE]
--
-- Without PATHS_FILE it GETs the URL's own path.
dofile(debug.getinfo(1, "S").source:match("@?(.*/)") .. "statuses.lua")

local paths = {}
local i = 0

function init(args)
   if args[1] then
      for line in io.lines(args[1]) do
         table.insert(paths, line)
      end
   end
   if #paths == 0 then
      table.insert(paths, wrk.path)
   end
   i = ((thread_id or 0) * 7919) % #paths
end

function request()
   i = i % #paths + 1
   return wrk.format("GET", paths[i])
end

function response(status)
   count(status)
end

function done(summary, latency, _)
   report(summary, latency)
end
