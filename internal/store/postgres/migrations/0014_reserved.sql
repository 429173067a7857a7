-- Reserved: version 14 is the chain migration (0014_chain.sql) of the
-- Bitcoin node backend, which lands on main separately. This placeholder
-- keeps versions without gaps until then; the merge that brings
-- 0014_chain.sql deletes this file.
SELECT 1;
