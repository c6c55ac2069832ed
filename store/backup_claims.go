package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Daily backups (ACCOUNTBOT_BACKUP_DIR) on a store that several processes
// share: each day's backup is written by one of them. A process claims
// the day in a transaction before it writes, as a digest claims its
// period; of two replicas claiming at the same moment one commits and the
// other finds the claim. A claim whose holder never says it is done (it
// died while writing) may be taken over once it is stale.
//
//	bkd/<day>   JSON backupClaim, expires

// backupClaimTTL is how long a day's claim is kept: it matters on its day.
const backupClaimTTL = 8 * 24 * time.Hour

type backupClaim struct {
	Holder  string    `json:"holder"`
	Claimed time.Time `json:"claimed"`
	Done    time.Time `json:"done,omitzero"`
}

// ClaimDailyBackup claims the daily backup of day ("2006-01-02") for
// holder at now (the machine's time, as leases use) and reports whether
// holder is to write it: false when that day's backup was written, or
// when another holder claimed it less than stale ago.
func (s *Store) ClaimDailyBackup(ctx context.Context, day, holder string, now time.Time, stale time.Duration) (bool, error) {
	won := false
	err := s.update(ctx, func(tx *Tx) error {
		won = false
		k := key("bkd/", day)
		var c backupClaim
		err := tx.get(k, &c)
		if err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		if err == nil && (!c.Done.IsZero() || (c.Holder != holder && now.Sub(c.Claimed) < stale)) {
			return nil
		}
		won = true
		return tx.putBackupClaim(k, backupClaim{Holder: holder, Claimed: now})
	})
	return won, err
}

// DailyBackupDone records that holder wrote day's backup at now, so that
// no process writes it again.
func (s *Store) DailyBackupDone(ctx context.Context, day, holder string, now time.Time) error {
	return s.update(ctx, func(tx *Tx) error {
		k := key("bkd/", day)
		var c backupClaim
		if err := tx.get(k, &c); err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		if c.Holder == "" {
			c = backupClaim{Holder: holder, Claimed: now}
		}
		c.Done = now
		return tx.putBackupClaim(k, c)
	})
}

// ReleaseDailyBackup gives up holder's claim of day after a failed write,
// so that the next attempt (this process's or another's) need not wait
// for it to go stale.
func (s *Store) ReleaseDailyBackup(ctx context.Context, day, holder string) error {
	return s.update(ctx, func(tx *Tx) error {
		k := key("bkd/", day)
		var c backupClaim
		if err := tx.get(k, &c); err != nil {
			if errors.Is(err, errNotFound) {
				return nil
			}
			return err
		}
		if c.Holder != holder || !c.Done.IsZero() {
			return nil
		}
		return tx.del(k)
	})
}

func (tx *Tx) putBackupClaim(k []byte, c backupClaim) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.setTTL(k, b, backupClaimTTL)
}
