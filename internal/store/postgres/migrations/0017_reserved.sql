-- Reserved: version 17 is another change that lands on main separately.
-- This placeholder keeps versions without gaps until then; the merge that
-- brings the real 0017 deletes this file.
SELECT 1;
