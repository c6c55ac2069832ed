package storetest

import (
	"testing"

	"accountbot/store"
)

// Run runs the whole contract on stores from opener: every port's cases.
// Every case gets its own store; a case that reopens it closes it first.
func Run(t *testing.T, opener Opener) {
	for _, port := range []struct {
		name string
		run  func(*testing.T, Opener)
	}{
		{"clients", RunClients},
		{"activity", RunActivity},
		{"deals", RunDeals},
		{"claims", RunClaims},
		{"deliveries", RunDeliveries},
		{"digests", RunDigests},
		{"planning", RunPlanning},
		{"health", RunHealth},
		{"mail", RunMail},
		{"attachments", RunAttachments},
		{"backup", RunBackup},
		{"erasure", RunErasure},
		{"concurrency", RunConcurrency},
		{"engine", RunEngine},
	} {
		t.Run(port.name, func(t *testing.T) { port.run(t, opener) })
	}
}

// contractCase is one behaviour that every engine shows.
type contractCase struct {
	name string
	fn   func(t *testing.T, open func() *store.Store)
}

func runCases(t *testing.T, opener Opener, cases []contractCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, opener(t)) })
	}
}

// RunClients specifies clients: names unique as folded, found by any
// part of the name in either alphabet, indexes that follow renames and
// reassignment, history, stale lists and their order, and imports.
func RunClients(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"create, rename, reassign", testClients},
		{"name and owner indexes follow changes", testClientIndexes},
		{"stale clients", testStale},
		{"segment clients", testSegmentClients},
		{"segment report", testSegmentReport},
		{"stale by touch and review", testStaleUsesOwnerIndex},
		{"stale summary equals the stale list", testStaleSummaryMatchesStaleClients},
		{"import adds, updates and rejects", testUpsertClientsAddsUpdatesAndRejects},
		{"import of large batches", testUpsertClientsSplitsLargeBatches},
		{"import refuses lookalike names", testUpsertClientsRefusesLookalikes},
	})
}

// RunActivity specifies conversations (newest first, since a time oldest
// first, the client's last touch), tasks (open ones by due date, of
// several people at once), reminders (due soonest first, claimed once
// however many callers race, following moves and closes) and an owner's
// activity in a period.
func RunActivity(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"conversations in order", testConversations},
		{"tasks", testTasks},
		{"open tasks by due", testOpenTasksByDue},
		{"open tasks of several people", testOpenTasksOf},
		{"reminders ring once", testReminders},
		{"owner activity in a period", testOwnerActivity},
	})
}

// RunDeals specifies deals: the largest open deals, totals of a period,
// open deals by closing month, stage history, and imports. (That the
// running totals equal the deals after any sequence of changes is the
// store's own test: it reads the totals by month and by day.)
func RunDeals(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"deals", testDeals},
		{"largest open deals and stage", testLargestOpenDealsAndStage},
		{"open deals closing, and history", testOpenDealsClosingAndHistory},
		{"import", testImportDeals},
		{"deal totals by period", testDealPeriods},
	})
}

// RunClaims specifies claims: ids never reused, the open and closed
// lists of owners and assignees following every step and reassignment,
// received in a period, queries by filter, escalation decided once.
func RunClaims(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"claims", testClaims},
		{"ids never reused", testClaimIDsNeverReused},
		{"indexes follow changes", testClaimIndexesFollowChanges},
		{"claim queries", testClaimQueries},
		{"escalated once", testEscalateClaimsOnce},
	})
}

// RunDeliveries specifies delivery keys: the first write of a delivery
// records its key in its own transaction, a second delivery is a
// duplicate, bookkeeping writes never take the key, and marks and tokens
// read back.
func RunDeliveries(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"delivery keys", testDeliveryKeys},
		{"delivery key rules", testDeliveryRules},
		{"a delivery's write records its key", testDeliveredSharesTheDeliveryKey},
		{"bookkeeping never claims the key", testBookkeepingNeverClaimsTheDeliveryKey},
		{"marked delivered and unreachable", testMarkDeliveredAndUnreachable},
	})
}

// RunDigests specifies digests: a snapshot is written once (that a
// digest's delivery is claimed by one sender is in RunConcurrency).
func RunDigests(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"snapshots are written once", testSnapshotsAreWrittenOnce},
		{"digest records by date", testDigestDays},
	})
}

// RunPlanning specifies planning: the audience follows its clients,
// plans and promises follow the owner, meeting notices are decided once,
// campaign leads, and deal sums equal the deals.
func RunPlanning(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"audience follows the client", testAudienceFollowsClient},
		{"plans and promises follow the owner", testPlanAndPromisesFollowOwner},
		{"meeting notices decided once", testMeetingNoticesDecidedOnce},
		{"campaign leads", testCampaignLeads},
		{"deal sums equal the deals", testDealSumsMatchDeals},
		{"planning of several people", testPlanningOf},
	})
}

// RunHealth specifies health: writes mark a client for recomputation in
// their own transaction, and a recompute clears only what it saw (that a
// playbook task is given once when two recomputes race is in
// RunConcurrency).
func RunHealth(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"marked by writes, cleared once", testHealthMarkedByWritesAndClearedOnce},
	})
}

// RunMail specifies mail: a message is logged once, and calendar feed
// tokens.
func RunMail(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"mail logged once, feed tokens", testMailClaimsAndFeedTokens},
	})
}

// RunAttachments specifies attachments (bytes back as stored, in chunks)
// and a person's pending capture (replaced, taken once).
func RunAttachments(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"round trip", testAttachmentRoundTrip},
		{"pending capture replaced and taken", testPendingCaptureReplacedAndTaken},
	})
}

// RunBackup specifies backups: a restore gives back every record, and a
// damaged, truncated or foreign file is refused.
func RunBackup(t *testing.T, opener Opener) {
	t.Run("backup and restore", func(t *testing.T) { testBackupRestoreRoundTrip(t, opener) })
}

// RunErasure specifies erasure: nothing of an erased client is left in
// any record kind (conversations, tasks, deals, claims, plans, meetings,
// promises, payments, competitor notes, leads, health, renewals,
// satisfaction, attachments, mail, tokens made on its behalf, its former
// names), and nothing of another client goes with it.
func RunErasure(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"erasure removes every key", testErasure},
		{"erasure of every record kind", testErasureOfEveryKind},
	})
}

// RunConcurrency specifies conflicting concurrent updates: every write
// lands once, ids are handed out once, a digest's delivery is claimed by
// one sender, a playbook task is given once when recomputes race, and an
// update delivered to many handlers at once is written once.
// It needs no reopening, so it runs on in-memory engines too.
func RunConcurrency(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"concurrent updates lose nothing", testConcurrent},
		{"concurrent logs lose nothing", testConcurrentLogsLoseNothing},
		{"a digest claim is exclusive", testDigestClaimIsExclusive},
		{"playbook task once under a race", testHealthPlaybookTaskOnceUnderRace},
		{"one update delivered at once to many", testConcurrentRedelivery},
	})
}

// RunEngine specifies what holds across a reopening (ids never reused,
// records kept) and leases.
func RunEngine(t *testing.T, opener Opener) {
	runCases(t, opener, []contractCase{
		{"ids never reused after reopen", testIDsAfterReopen},
		{"leases", testLeases},
		{"a request's reads see its own writes", testRequestScope},
	})
}
