package slack

import (
	"context"
	"sync"
	"time"

	"accountbot/i18n"
)

// userInfo is what the adapter learns about a Slack user from users.info.
type userInfo struct {
	locale string // "bg-BG"
	name   string
	at     time.Time
}

// userCache keeps users.info answers for ttl, so that a busy person costs
// one call a day rather than one per message. A failed look-up is cached
// too (briefly), so an outage of users.info does not slow every message.
type userCache struct {
	ttl  time.Duration
	max  int
	mu   sync.Mutex
	byID map[string]userInfo
}

func newUserCache(ttl time.Duration, max int) *userCache {
	return &userCache{ttl: ttl, max: max, byID: map[string]userInfo{}}
}

// get returns what is known of user, asking Slack when the cache has
// nothing fresh.
func (c *userCache) get(ctx context.Context, a *Adapter, user string) userInfo {
	if user == "" {
		return userInfo{}
	}
	now := time.Now()
	c.mu.Lock()
	u, ok := c.byID[user]
	c.mu.Unlock()
	if ok && now.Sub(u.at) < c.ttl {
		return u
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	su, err := a.api.GetUserInfoContext(ctx, user)
	if err != nil {
		a.log.Warn("slack: users.info failed", "user", user, "err", err)
		// Try again in a minute rather than at every message.
		u.at = now.Add(time.Minute - c.ttl)
	} else {
		u = userInfo{locale: su.Locale, name: su.RealName, at: now}
		if su.Profile.DisplayName != "" {
			u.name = su.Profile.DisplayName
		}
		if u.name == "" {
			u.name = su.Name
		}
	}
	c.mu.Lock()
	if len(c.byID) >= c.max {
		for id, v := range c.byID {
			if now.Sub(v.at) >= c.ttl {
				delete(c.byID, id)
			}
		}
		if len(c.byID) >= c.max {
			c.byID = map[string]userInfo{}
		}
	}
	c.byID[user] = u
	c.mu.Unlock()
	return u
}

// langOf returns the reply language of a Slack locale, "" for one the bot
// does not speak.
func langOf(locale string) string { return i18n.Lang(locale) }
