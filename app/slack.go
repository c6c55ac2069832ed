package app

import (
	"context"

	"accountbot/bot/slack"
)

// newSlack builds the Slack adapter from the configuration.
func newSlack(s *services) (*slack.Adapter, error) {
	return slack.New(slack.Config{
		BotToken:      s.cfg.SlackBotToken,
		AppToken:      s.cfg.SlackAppToken,
		SigningSecret: s.cfg.SlackSigningSecret,
		APIURL:        s.cfg.SlackAPIURL,
		Lang:          s.cfg.Lang,
	}, s.handler, s.cat, s.store,
		slack.WithLogger(s.log),
		slack.WithSendObserver(s.metrics),
		slack.WithClientName(s.handler.ClientName),
		slack.WithClock(s.clock),
		slack.WithLocation(s.cfg.TZ),
		slack.WithPersonLang(func(ctx context.Context, identity string) string {
			p, err := s.store.PersonByIdentity(ctx, identity)
			if err != nil || p == nil {
				return ""
			}
			return p.Lang
		}),
	)
}
