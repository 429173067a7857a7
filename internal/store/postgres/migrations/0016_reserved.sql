-- Reserved: version 16 is another change that lands on main separately.
-- This placeholder keeps versions without gaps until then; the merge that
-- brings the real 0016 deletes this file.
SELECT 1;
