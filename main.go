// Command accountbot is a chat assistant for account managers, in Slack,
// Telegram and the terminal. See README.md and accountbot help.
package main

import (
	"context"
	"os"
	// Time zones (ACCOUNTBOT_TZ, each person's) must resolve on hosts and
	// images without a zoneinfo database too.
	_ "time/tzdata"

	"accountbot/app"
)

func main() {
	os.Exit(app.Main(context.Background(), app.Env{
		Args:   os.Args[1:],
		Getenv: os.Getenv,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}))
}
