package store

import (
	"context"
	"errors"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// handledDeliveryTTL is how long a handled platform delivery is remembered. Slack
// retries for minutes and Telegram for hours; two days covers both with room
// to spare, and Badger drops the keys by itself afterwards.
const handledDeliveryTTL = 48 * time.Hour

// handledDeliveryKey is the key of a platform delivery. It is the same key that
// update records with the first write of a request that carries
// crm.WithDeliveryKey, so a delivery counts as handled as soon as either
// its first write committed or the adapter marked it after the reply.
func handledDeliveryKey(k string) []byte { return append([]byte("dlv/"), k...) }

// DeliveryHandled reports whether the platform delivery key (for example
// "slack/event/Ev123") was handled within the last two days.
func (s *Store) DeliveryHandled(ctx context.Context, k string) (bool, error) {
	var ok bool
	err := s.view(ctx, func(tx *Tx) error {
		var err error
		ok, err = tx.has(handledDeliveryKey(k))
		return err
	})
	return ok, err
}

// MarkDeliveryHandled records that the platform delivery key was handled,
// so that a redelivery is recognised for the next two days. Marking a key
// twice is harmless.
func (s *Store) MarkDeliveryHandled(ctx context.Context, k string) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		return txn.SetEntry(badger.NewEntry(handledDeliveryKey(k), nil).WithTTL(handledDeliveryTTL))
	})
	if errors.Is(err, badger.ErrConflict) {
		// Someone marked it at the same moment: it is marked.
		return nil
	}
	return mapErr(err)
}
