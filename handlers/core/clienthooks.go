package core

import (
	"context"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/i18n"
)

// ClientHooks are what the families add to the clients family's views,
// in the order they registered: the client card's sections and buttons
// (Registry.AddCardSection, AddCardButtons), the items of /today
// (AddAgenda), the facts about a client (AddFacts: drafts and the note
// reader rely on them) and the "/client WORD" sub-commands
// (AddClientSub). The
// registry appends to them while the service is being made; the clients
// family reads them (Registry.ClientHooks) each time it shows a card or
// /today or dispatches /client, so the families registered after it are
// in them too.
type ClientHooks struct {
	Card    []CardSection
	Buttons []CardButtons
	Agenda  []AgendaSource
	Facts   []FactsSection
	// Subs map every typed form of a sub-command's word, lower-case, to
	// the sub-command.
	Subs map[string]ClientSub
}

// ClientViews are what the clients family lends the other families
// (Registry.SetClientViews puts them in the Kit, under the same names).
type ClientViews struct {
	// Today builds /today for r's sender (Kit.Today).
	Today func(ctx context.Context, r *Request) (rep bot.Reply, items int, err error)
	// Home is a person's home keyboard (Kit.Home).
	Home func(loc i18n.Localizer, lang string, p *crm.Person) *bot.Home
	// Reassign gives a client to another owner (Kit.Reassign).
	Reassign func(ctx context.Context, r *Request, c *crm.Client, to *crm.Person, actor crm.Actor) error
	// Card is the client card (Kit.Card).
	Card func(ctx context.Context, r *Request, c *crm.Client) (bot.Reply, error)
	// AdviceText writes a step of /next (Kit.AdviceText).
	AdviceText AdviceText
}
