package store

import (
	"context"

	"github.com/pasarela/pasarela"
)

// GroupMemo keeps what the calls of one commit group read again and again
// and seldom change: an application's gateway configs, which every payment
// created reads. An engine hands every Tx of a group the same memo
// (ShareMemo), emptied when the group starts, so a group of 64 creates
// reads an application's configs once instead of 64 times: on PostgreSQL,
// where no cache spares that read, a round trip per create. A Tx that
// changes what the memo holds forgets it, so a call reads its own group's
// changes.
type GroupMemo struct {
	configs map[appKey][]GatewayConfigRow
}

type appKey struct {
	clientID string
	appID    int64
}

// Reset empties the memo for the next group.
func (m *GroupMemo) Reset() { clear(m.configs) }

// forgetConfigs drops every application's configs; nil forgets nothing.
func (m *GroupMemo) forgetConfigs() {
	if m != nil {
		clear(m.configs)
	}
}

// ShareMemo makes tx read through m (see GroupMemo).
func (tx *Tx) ShareMemo(m *GroupMemo) { tx.memo = m }

// ApplicationGatewayConfigs returns every gateway config of an
// application, in id order, from the group's memo when a call of the group
// has read them.
func (tx *Tx) ApplicationGatewayConfigs(ctx context.Context, clientID string, appID int64) ([]GatewayConfigRow, error) {
	k := appKey{clientID, appID}
	if tx.memo != nil {
		if rows, ok := tx.memo.configs[k]; ok {
			return rows, nil
		}
	}
	rows, _, err := tx.ListGatewayConfigs(ctx, clientID, appID, GatewayConfigFilter{}, pasarela.ListOptions{})
	if err == nil && tx.memo != nil {
		if tx.memo.configs == nil {
			tx.memo.configs = map[appKey][]GatewayConfigRow{}
		}
		tx.memo.configs[k] = rows
	}
	return rows, err
}
