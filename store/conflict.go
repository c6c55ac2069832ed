package store

import (
	"math/rand/v2"
	"time"
)

// conflictBackoff is how long update waits before retrying a transaction
// that lost a conflict: two writers changed the same record (a client
// logged from two chats at once). A random, growing wait spreads them out
// instead of letting them collide again on the next attempt.
func conflictBackoff(attempt int) time.Duration {
	ceiling := time.Millisecond << min(attempt, 6) // 1 ms … 64 ms
	return time.Duration(rand.Int64N(int64(ceiling))) + 100*time.Microsecond
}
