package store

// Changes collects what a group of writes changed, for DB.WatchPayments.
// The engine records the rows its statements change; Tx adds what only
// the statement knows (a child payment's parent).
type Changes struct {
	IDs []int64
	All bool
}

// Reset empties c for the next group, keeping its memory.
func (c *Changes) Reset() { c.IDs, c.All = c.IDs[:0], false }

// Empty reports whether nothing was recorded.
func (c *Changes) Empty() bool { return len(c.IDs) == 0 && !c.All }

// Payment records that payment id changed; 0 is no payment.
func (c *Changes) Payment(id int64) {
	if c != nil && id != 0 {
		c.IDs = append(c.IDs, id)
	}
}

// NoteChanges makes tx record in c the parents of the payments it writes:
// a child's change shows in its parent's detail.
func (tx *Tx) NoteChanges(c *Changes) { tx.changes = c }
