package core

import (
	"context"
	"time"

	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// dbState is processor.State over the database: a processor's own records
// (the sandbox's charges and card tokens) survive restarts and are shared by
// every node.
type dbState struct {
	db        store.DB
	processor string
	now       func() time.Time
}

// ProcessorState returns the durable state of the processor named id.
func ProcessorState(db store.DB, id string) processor.State {
	return &dbState{db: db, processor: id, now: time.Now}
}

func (s *dbState) Load(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		v, err = tx.LoadProcessorState(ctx, s.processor, key)
		return err
	})
	return v, err
}

func (s *dbState) Save(ctx context.Context, key string, value []byte) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.SaveProcessorState(ctx, s.processor, key, value, s.now())
	})
}
