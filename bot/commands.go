package bot

// CommandInfo describes one command for a platform's command menu
// (Telegram's setMyCommands, Slack's usage hints).
type CommandInfo struct {
	// Name is the English command word, without "/".
	Name string
	// Usage is a short example of the command line.
	Usage string
	// Description says what the command does, in the requested language.
	Description string
}
