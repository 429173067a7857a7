package store

import "context"

// PaymentCount is how many payments are in one status through one
// processor ("" for those no gateway config took yet).
type PaymentCount struct {
	Status  string
	Gateway string
	N       int64
}

// OperationalCounts are the counts the operator's metrics show: payments by
// status and processor, webhook deliveries by status (the pending ones are
// the backlog; dead ones ran out of retries).
type OperationalCounts struct {
	Payments   []PaymentCount
	Deliveries map[string]int64
}

// OperationalCounts counts, across every client, for the gateway's own
// metrics. Both are full scans of an index's worth of rows; the server
// caches the answer (see server.Metrics) so that a scrape does not pay it
// each time.
func (tx *Tx) OperationalCounts(ctx context.Context) (*OperationalCounts, error) {
	out := &OperationalCounts{Deliveries: map[string]int64{}}
	rows, err := tx.query(ctx, `SELECT p.status, COALESCE(g.gateway, ''), COUNT(*) FROM payments p
		LEFT JOIN gateway_configs g ON g.id = p.gateway_config_id GROUP BY p.status, g.gateway`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c PaymentCount
		if err := rows.Scan(&c.Status, &c.Gateway, &c.N); err != nil {
			return nil, err
		}
		out.Payments = append(out.Payments, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	drows, err := tx.query(ctx, `SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer drows.Close()
	for drows.Next() {
		var st string
		var n int64
		if err := drows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out.Deliveries[st] = n
	}
	return out, drows.Err()
}
