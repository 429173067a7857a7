-- statuses.lua: counting answers by status across wrk's threads, shared by
-- the bench scripts (loaded with dofile).
--
-- wrk runs every thread in a Lua state of its own, so a counter kept in a
-- global is per thread. Each thread counts in its own `statuses` table;
-- done(), which runs in the main state after the run, reads every thread's
-- table back (thread:get copies it) and prints one line the harness parses:
--
--   benchcompare {"requests":…,"duration_us":…,"p50_us":…,"p99_us":…,"statuses":{"201":…},"errors":{…}}
--
-- `requests` and the latencies are wrk's own (every answer, whatever its
-- status); `statuses` holds only what the threads saw answered. A request
-- still in flight when the run ends is in neither: wrk closes its
-- connection, which is how a client that goes away looks to the server.

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("thread_id", next_id)
   table.insert(threads, thread)
end

statuses = {}

-- count records one answer; a script's response() calls it.
function count(status)
   statuses[status] = (statuses[status] or 0) + 1
end

-- collect merges a table every thread kept under name: counts are added,
-- lists are joined.
function collect(name)
   local merged = {}
   for _, t in ipairs(threads) do
      local part = t:get(name) or {}
      for k, v in pairs(part) do
         if type(k) == "number" and type(v) ~= "number" then
            table.insert(merged, v)
         else
            merged[k] = (merged[k] or 0) + v
         end
      end
   end
   return merged
end

-- first_thread_value is a global a thread's init() set, read from done().
function first_thread_value(name)
   if threads[1] then
      return threads[1]:get(name)
   end
end

local function json_counts(t)
   local parts = {}
   for k, v in pairs(t) do
      table.insert(parts, string.format('"%s":%d', tostring(k), v))
   end
   table.sort(parts)
   return "{" .. table.concat(parts, ",") .. "}"
end

-- report prints the line the harness reads.
function report(summary, latency)
   local e = summary.errors
   io.write(string.format('benchcompare {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"statuses":%s,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      json_counts(collect("statuses")), e.connect, e.read, e.write, e.timeout))
end
