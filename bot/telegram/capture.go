package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"accountbot/bot"

	"github.com/go-telegram/bot/models"
)

// messageFiles returns the file a message brings: a document, the largest
// size of a photo, a voice note or an audio file. Each is downloaded only
// when a handler opens it.
func (a *Adapter) messageFiles(msg *models.Message) []bot.Attachment {
	switch {
	case msg.Document != nil:
		return []bot.Attachment{a.documentAttachment(msg.Document)}
	case len(msg.Photo) > 0:
		// Telegram lists the sizes it made of a photo; the last is the
		// largest (the one sent).
		p := msg.Photo[len(msg.Photo)-1]
		for _, q := range msg.Photo {
			if q.Width*q.Height > p.Width*p.Height {
				p = q
			}
		}
		return []bot.Attachment{a.lazyFile(bot.KindPhoto, "photo.jpg", "image/jpeg", p.FileID, int64(p.FileSize), 0)}
	case msg.Voice != nil:
		v := msg.Voice
		return []bot.Attachment{a.lazyFile(bot.KindVoice, "voice.ogg", or(v.MimeType, "audio/ogg"), v.FileID, v.FileSize, v.Duration)}
	case msg.Audio != nil:
		au := msg.Audio
		return []bot.Attachment{a.lazyFile(bot.KindAudio, or(au.FileName, "audio.mp3"), au.MimeType, au.FileID, au.FileSize, au.Duration)}
	case msg.Video != nil:
		v := msg.Video
		return []bot.Attachment{a.lazyFile(bot.KindDocument, or(v.FileName, "video.mp4"), or(v.MimeType, "video/mp4"), v.FileID, v.FileSize, v.Duration)}
	case msg.VideoNote != nil:
		v := msg.VideoNote
		return []bot.Attachment{a.lazyFile(bot.KindDocument, "video-note.mp4", "video/mp4", v.FileID, int64(v.FileSize), v.Duration)}
	}
	return nil
}

func (a *Adapter) lazyFile(kind, name, mime, fileID string, size int64, seconds int) bot.Attachment {
	return bot.Attachment{
		Kind: kind, Name: name, MIME: mime, Size: size, Duration: time.Duration(seconds) * time.Second,
		Open: func(ctx context.Context) ([]byte, error) { return a.download(ctx, fileID, size) },
	}
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

// sharedLocation is the place a message shares (a location or a venue).
// A live location is taken as it is at the start: the bot does not ask
// for its updates.
func sharedLocation(msg *models.Message) *bot.Location {
	l := msg.Location
	if l == nil && msg.Venue != nil {
		l = &msg.Venue.Location
	}
	if l == nil {
		return nil
	}
	return &bot.Location{Lat: l.Latitude, Lon: l.Longitude, Live: l.LivePeriod > 0}
}

// sharedContact is the contact card a message shares.
func sharedContact(msg *models.Message) *bot.Contact {
	c := msg.Contact
	if c == nil {
		return nil
	}
	return &bot.Contact{Name: strings.TrimSpace(c.FirstName + " " + c.LastName), Phone: c.PhoneNumber}
}

// forwardOf tells where a forwarded message came from, nil for one that
// was not forwarded.
func forwardOf(msg *models.Message) *bot.Forward {
	o := msg.ForwardOrigin
	if o == nil {
		return nil
	}
	f := &bot.Forward{}
	var date int
	switch {
	case o.MessageOriginUser != nil:
		date, f.From = o.MessageOriginUser.Date, displayName(&o.MessageOriginUser.SenderUser)
	case o.MessageOriginHiddenUser != nil:
		date, f.From = o.MessageOriginHiddenUser.Date, o.MessageOriginHiddenUser.SenderUserName
	case o.MessageOriginChat != nil:
		date, f.From = o.MessageOriginChat.Date, o.MessageOriginChat.SenderChat.Title
	case o.MessageOriginChannel != nil:
		date, f.From = o.MessageOriginChannel.Date, o.MessageOriginChannel.Chat.Title
	}
	if date > 0 {
		f.Date = time.Unix(int64(date), 0).UTC()
	}
	return f
}

// decodeUpdate reads one update. Bot API servers before 7.0 (and proxies
// that speak their dialect) mark a forward with forward_date and
// forward_from instead of forward_origin, which the library no longer
// reads: those are turned into a forward_origin here.
func decodeUpdate(raw []byte) (*models.Update, error) {
	var upd models.Update
	if err := json.Unmarshal(raw, &upd); err != nil {
		return nil, err
	}
	if upd.Message == nil || upd.Message.ForwardOrigin != nil || !bytes.Contains(raw, []byte(`"forward_date"`)) {
		return &upd, nil
	}
	var legacy struct {
		Message struct {
			ForwardDate       int          `json:"forward_date"`
			ForwardFrom       *models.User `json:"forward_from"`
			ForwardSenderName string       `json:"forward_sender_name"`
			ForwardFromChat   *models.Chat `json:"forward_from_chat"`
		} `json:"message"`
	}
	if err := json.Unmarshal(raw, &legacy); err != nil || legacy.Message.ForwardDate == 0 {
		return &upd, nil
	}
	l := legacy.Message
	switch {
	case l.ForwardFrom != nil:
		upd.Message.ForwardOrigin = &models.MessageOrigin{Type: models.MessageOriginTypeUser,
			MessageOriginUser: &models.MessageOriginUser{Date: l.ForwardDate, SenderUser: *l.ForwardFrom}}
	case l.ForwardFromChat != nil:
		upd.Message.ForwardOrigin = &models.MessageOrigin{Type: models.MessageOriginTypeChat,
			MessageOriginChat: &models.MessageOriginChat{Date: l.ForwardDate, SenderChat: *l.ForwardFromChat}}
	default:
		upd.Message.ForwardOrigin = &models.MessageOrigin{Type: models.MessageOriginTypeHiddenUser,
			MessageOriginHiddenUser: &models.MessageOriginHiddenUser{Date: l.ForwardDate, SenderUserName: l.ForwardSenderName}}
	}
	return &upd, nil
}
