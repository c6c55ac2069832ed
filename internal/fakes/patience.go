package fakes

import "time"

// Patience is how long a wait for something that must happen (a message
// the bot sends, an update it confirms) lasts before the test fails. The
// waits exist to catch a bot that hangs or never answers, not to time it:
// each returns as soon as its condition holds, so only a failing test
// waits this long. It is generous because a shared two-core CI machine
// under load once took over 15 seconds for a 5,000-row import that takes
// one second when idle, and failed tests that were right.
const Patience = 60 * time.Second
