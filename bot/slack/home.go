package slack

import (
	"context"

	"accountbot/bot"

	slackapi "github.com/slack-go/slack"
)

// HomePager gives a person's home screen (the handlers' HomePage): their
// agenda, pipeline summary and buttons, platform-free.
type HomePager interface {
	HomePage(ctx context.Context, identity, langHint string) (bot.Reply, error)
}

// maxHomeBlocks is how many blocks a Home tab view holds.
const maxHomeBlocks = 100

// publishHome renders the person's home into their App Home tab
// (views.publish). It runs each time they open the tab, so what it shows is
// fresh; its buttons work as in a message (the answers come in the DM).
func (a *Adapter) publishHome(ctx context.Context, user string) {
	hp, ok := a.h.(HomePager)
	if !ok {
		return
	}
	info := a.users.get(ctx, a, user)
	rep, err := hp.HomePage(ctx, bot.Slack+":"+user, info.locale)
	if err != nil {
		a.log.Error("slack: building the App Home", "user", user, "err", err)
		return
	}
	var blocks []slackapi.Block
	for _, m := range render(ctx, rep, a.buttonValue) {
		blocks = append(blocks, m.blocks...)
	}
	if len(blocks) > maxHomeBlocks {
		blocks = blocks[:maxHomeBlocks]
	}
	view := slackapi.HomeTabViewRequest{Type: slackapi.VTHomeTab, Blocks: slackapi.Blocks{BlockSet: blocks}}
	err = a.retry(ctx, func() error {
		_, err := a.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: user, View: view})
		return err
	})
	if err != nil {
		a.log.Warn("slack: the App Home was not published", "user", user, "err", err)
	}
}
