// Package app wires accountbot together: configuration from the
// environment, the store, the handlers, the adapters and the sub-commands.
package app

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"accountbot/i18n"
	"accountbot/store"
)

// Config is everything read from the environment (CONTRACT.md).
type Config struct {
	DataDir string
	// DatabaseURL selects PostgreSQL; DataDir then holds only local files.
	DatabaseURL   string
	Heads         []string
	Lang          string
	TZ            *time.Location
	Currency      string
	HTTPAddr      string
	EncryptionKey []byte
	Now           time.Time
	// Backups (data.go): the daily backup directory, how many to keep, and
	// the key that decrypts a backup on restore when it is not
	// EncryptionKey.
	BackupDir  string
	BackupKeep int
	BackupKey  []byte

	TelegramToken         string
	TelegramAPIURL        string
	TelegramWebhookURL    string
	TelegramWebhookSecret string

	SlackBotToken      string
	SlackAppToken      string
	SlackSigningSecret string
	SlackAPIURL        string

	OpenAIKey     string
	OpenAIBaseURL string
	OpenAIModel   string
	// OpenAITranscribeModel is the speech-to-text model for voice notes.
	OpenAITranscribeModel string

	// E-mail and calendar (mail.go).
	SMTPURL, MailFrom, IMAPURL, PublicURL string
}

// LoadConfig reads the configuration through getenv. A bad value is an
// error that names the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		DataDir:               or(getenv("ACCOUNTBOT_DATA_DIR"), "./data"),
		DatabaseURL:           strings.TrimSpace(getenv("ACCOUNTBOT_DATABASE_URL")),
		Lang:                  or(getenv("ACCOUNTBOT_LANG"), "en"),
		Currency:              strings.ToUpper(or(getenv("ACCOUNTBOT_CURRENCY"), "EUR")),
		HTTPAddr:              or(getenv("ACCOUNTBOT_HTTP_ADDR"), "127.0.0.1:8080"),
		TelegramToken:         getenv("TELEGRAM_BOT_TOKEN"),
		TelegramAPIURL:        getenv("TELEGRAM_API_URL"),
		TelegramWebhookURL:    getenv("TELEGRAM_WEBHOOK_URL"),
		TelegramWebhookSecret: getenv("TELEGRAM_WEBHOOK_SECRET"),
		SlackBotToken:         getenv("SLACK_BOT_TOKEN"),
		SlackAppToken:         getenv("SLACK_APP_TOKEN"),
		SlackSigningSecret:    getenv("SLACK_SIGNING_SECRET"),
		SlackAPIURL:           getenv("SLACK_API_URL"),
		OpenAIKey:             getenv("OPENAI_API_KEY"),
		OpenAIBaseURL:         getenv("OPENAI_BASE_URL"),
		OpenAIModel:           getenv("OPENAI_MODEL"),
		OpenAITranscribeModel: getenv("OPENAI_TRANSCRIBE_MODEL"),
	}
	if l := i18n.Lang(c.Lang); l != "" {
		c.Lang = l
	} else {
		return c, fmt.Errorf("ACCOUNTBOT_LANG must be en or bg, not %q", c.Lang)
	}
	for _, h := range strings.Split(getenv("ACCOUNTBOT_HEADS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.Heads = append(c.Heads, h)
		}
	}
	c.TZ = time.Local
	if tz := getenv("ACCOUNTBOT_TZ"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return c, fmt.Errorf("ACCOUNTBOT_TZ: unknown time zone %q", tz)
		}
		c.TZ = loc
	}
	if len(c.Currency) != 3 {
		return c, fmt.Errorf("ACCOUNTBOT_CURRENCY must be a three-letter code such as EUR, not %q", c.Currency)
	}
	if k := getenv("ACCOUNTBOT_ENCRYPTION_KEY"); k != "" {
		key, err := hex.DecodeString(strings.TrimSpace(k))
		if err != nil || (len(key) != 16 && len(key) != 24 && len(key) != 32) {
			return c, fmt.Errorf("ACCOUNTBOT_ENCRYPTION_KEY must be 16, 24 or 32 bytes in hex (32, 48 or 64 hex digits)")
		}
		c.EncryptionKey = key
	}
	if n := getenv("ACCOUNTBOT_NOW"); n != "" {
		t, err := time.Parse(time.RFC3339, n)
		if err != nil {
			return c, fmt.Errorf("ACCOUNTBOT_NOW must be an RFC 3339 time such as 2026-12-01T09:00:00+02:00, not %q", n)
		}
		c.Now = t
	}
	if err := loadDataConfig(&c, getenv); err != nil {
		return c, err
	}
	if err := loadMailConfig(&c, getenv); err != nil {
		return c, err
	}
	if c.SlackAPIURL != "" && !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/"
	}
	return c, nil
}

// storeOptions opens the configured store: PostgreSQL when
// ACCOUNTBOT_DATABASE_URL is set, else Badger in the data directory.
func storeOptions(cfg Config, logger *slog.Logger) store.Options {
	if cfg.DatabaseURL != "" {
		return store.Options{DatabaseURL: cfg.DatabaseURL, Logger: logger}
	}
	return store.Options{Dir: cfg.DataDir, EncryptionKey: cfg.EncryptionKey, Logger: logger}
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}

// HasAdapters reports whether any chat adapter is configured.
func (c Config) HasAdapters() bool {
	return c.TelegramToken != "" || c.SlackBotToken != ""
}
