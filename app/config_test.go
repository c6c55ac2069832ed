package app

import (
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	c, err := LoadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./data" || c.Lang != "en" || c.Currency != "EUR" || c.HTTPAddr != "127.0.0.1:8080" || c.HasAdapters() {
		t.Errorf("defaults: %+v", c)
	}
	c, err = LoadConfig(env(map[string]string{
		"ACCOUNTBOT_HEADS": " telegram:1, slack:U2 ,", "ACCOUNTBOT_LANG": "bg", "ACCOUNTBOT_TZ": "Europe/Sofia",
		"ACCOUNTBOT_CURRENCY": "bgn", "ACCOUNTBOT_ENCRYPTION_KEY": strings.Repeat("ab", 32),
		"ACCOUNTBOT_NOW": "2026-12-01T09:00:00+02:00", "SLACK_API_URL": "http://127.0.0.1:9/api", "TELEGRAM_BOT_TOKEN": "x",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Heads, "|") != "telegram:1|slack:U2" || c.Lang != "bg" || c.TZ.String() != "Europe/Sofia" ||
		c.Currency != "BGN" || len(c.EncryptionKey) != 32 || c.Now.Day() != 1 || c.SlackAPIURL != "http://127.0.0.1:9/api/" || !c.HasAdapters() {
		t.Errorf("parsed: %+v", c)
	}
	for k, v := range map[string]string{
		"ACCOUNTBOT_LANG": "fr", "ACCOUNTBOT_TZ": "Nowhere/City", "ACCOUNTBOT_CURRENCY": "EURO",
		"ACCOUNTBOT_ENCRYPTION_KEY": "abc", "ACCOUNTBOT_NOW": "tomorrow",
	} {
		if _, err := LoadConfig(env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: error %v should name the variable", k, v, err)
		}
	}
}
