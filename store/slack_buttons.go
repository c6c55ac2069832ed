package store

import (
	"context"
	"errors"
	"time"

	"accountbot/crm"

	badger "github.com/dgraph-io/badger/v4"
)

// slackButtonTTL is how long the command behind a long Slack button is
// kept: as long as anyone might still press a button in an old message.
const slackButtonTTL = 90 * 24 * time.Hour

func slackButtonKey(token string) []byte { return append([]byte("slackbtn/"), token...) }

// SaveSlackButton keeps the command text of a button whose text is too long
// for Slack's button value, under token.
func (s *Store) SaveSlackButton(ctx context.Context, token, data string) error {
	return mapErr(s.db.Update(func(txn *badger.Txn) error {
		return txn.SetEntry(badger.NewEntry(slackButtonKey(token), []byte(data)).WithTTL(slackButtonTTL))
	}))
}

// SlackButton returns the command text saved under token, or crm.ErrNotFound.
func (s *Store) SlackButton(ctx context.Context, token string) (string, error) {
	var data string
	err := s.view(ctx, func(tx *Tx) error {
		item, err := tx.txn.Get(slackButtonKey(token))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		data = string(v)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) || crm.IsNotFound(err) {
		return "", crm.ErrNotFound
	}
	return data, err
}
