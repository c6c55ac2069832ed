package crm

// UpsertResult is the outcome of one client of a bulk import
// (store.UpsertClients).
type UpsertResult struct {
	// ID is the client's id; 0 when the row was rejected.
	ID uint64
	// Added is true for a new client.
	Added bool
	// Changed is true when an existing client got at least one new value.
	Changed bool
	// Err, when set, rejected this row alone; nothing of it was written.
	Err error
}

// ClientMerge decides what one import row does. It gets the existing
// client with the row's normalised name (nil when there is none) and
// returns the client to store and who stores it, or an error that rejects
// the row alone. It may be called more than once for the same row (a
// transaction retried after a conflict), so it must not keep state.
type ClientMerge func(i int, existing *Client) (*Client, Actor, error)

// Erasure reports what erasing one client removed, by kind
// ("conversations", "tasks", "history", and the kinds other files add).
type Erasure struct {
	ClientID uint64
	Counts   map[string]int
}
