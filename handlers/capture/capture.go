// Package capture is the family that takes what people already have in
// the chat: a voice note (transcribed and handled as typed text), a photo
// or a file (kept with a record: a conversation, a claim, a client), a
// shared location (a visit, with its one-line outcome), a forwarded
// message (logged as a conversation; Slack's log_message shortcut opens
// the log form in the adapter), a contact card (added to a client with
// one tap), and /attachment, which sends a kept file back. Its words are
// in i18n/locales/{en,bg}/capture.toml; its data goes through Store.
//
// Each capture either goes with a record command (a caption "/log Acme: …"
// attaches the file to that conversation, through core.Files, which this
// family provides) or waits, as the person's pending capture in the
// store, for them to say which client it is about. The store keeps that
// state, not this process, so that a restart or another replica answers
// the button as well. It registers itself with Register and meets other
// families only through the hooks of handlers/core: a transcript goes back
// to the chat through core.Kit.Serve, where a note becomes /log proposals
// as typed text does.
package capture

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/core"
	"accountbot/llm"
)

// Limits of what capture takes.
const (
	// maxAttachmentBytes is the largest file kept with a record.
	maxAttachmentBytes = core.MaxAttachmentBytes
	// maxVoiceBytes and maxVoiceLength bound a voice note sent for
	// transcription; both are checked before anything is downloaded.
	maxVoiceBytes  = 25 << 20
	maxVoiceLength = 10 * time.Minute
	// voiceDeadline bounds a voice note's download and transcription.
	voiceDeadline = 3 * time.Minute
	// captureChoices is how many clients a "which client?" question offers.
	captureChoices = 6
	// cardAttachments is how many attachments a card lists.
	cardAttachments = 5
	// forwardBurst: forwards this close together are one conversation.
	forwardBurst = 2 * time.Minute
	// outcomeWindow is how long after a visit is logged the next free
	// text is taken as its outcome; later text is a note again.
	outcomeWindow = 30 * time.Minute
)

// Store is the capture family's port: its own records (CaptureStore), the
// team and its clients as a request reads them (core.Directory), and the
// few reads and writes of others' records a capture needs: the clients
// offered for it, the claim a file may go with, the conversation a visit
// or a forward becomes (18 methods).
type Store interface {
	CaptureStore
	core.Directory
	// ClientsByOwner returns the clients of owners, owner by owner in the
	// order given and by name within an owner.
	ClientsByOwner(ctx context.Context, owners []uint64) ([]*crm.Client, error)
	// ClaimsOf returns the summaries (crm.ClaimSummary: no text or
	// timeline) of the claims owned by or assigned to one of people, the
	// open or the closed ones, each once, by id.
	ClaimsOf(ctx context.Context, people []uint64, open bool) ([]crm.ClaimSummary, error)
	// Claim returns the claim with id, or crm.ErrNotFound.
	Claim(ctx context.Context, id uint64) (*crm.Claim, error)
	// LogConversation stores conv (giving it its id), moves the client's
	// last touch and next step, and stores next (when not nil) as the
	// next-step task, in one transaction. An unknown client is
	// crm.ErrNotFound.
	LogConversation(ctx context.Context, conv *crm.Conversation, next *crm.Task) error
}

// CaptureStore keeps attachments and the pending captures that wait for
// their client. An attachment is client data: it goes with its client's
// erasure. It follows the rules every port shares (handlers/service.go).
type CaptureStore interface {
	// SaveAttachment stores the bytes and the record, giving a its id;
	// with a.ClientID 0 the file waits, listed nowhere, until
	// FileAttachment.
	SaveAttachment(ctx context.Context, a *crm.Attachment, data []byte) error
	// FileAttachment gives the waiting attachment id its client and the
	// record it belongs to (kind and id, or "" and 0), and returns it; an
	// unknown attachment or client is crm.ErrNotFound, one filed under
	// another client a crm.ECONFLICT error.
	FileAttachment(ctx context.Context, id, clientID uint64, recordKind string, recordID uint64) (*crm.Attachment, error)
	// Attachment returns the record of attachment id, or crm.ErrNotFound.
	Attachment(ctx context.Context, id uint64) (*crm.Attachment, error)
	// AttachmentData returns the bytes of attachment id as stored.
	AttachmentData(ctx context.Context, id uint64) ([]byte, error)
	// ClientAttachments returns the client's attachments, oldest first.
	ClientAttachments(ctx context.Context, clientID uint64) ([]*crm.Attachment, error)
	// DiscardAttachment drops a file that still waits for its client (a
	// cancelled capture); a filed one stays.
	DiscardAttachment(ctx context.Context, id uint64) error
	// PutPendingCapture makes p the person's pending capture, giving it a
	// new Seq; the one it replaces is dropped with its waiting file.
	PutPendingCapture(ctx context.Context, p *crm.PendingCapture) error
	// PendingCapture returns the person's pending capture, or
	// crm.ErrNotFound when there is none or it is older than a day at now.
	PendingCapture(ctx context.Context, personID uint64, now time.Time) (*crm.PendingCapture, error)
	// TakePendingCapture removes and returns the person's pending capture
	// when its Seq is seq; an older question's seq is crm.ErrNotFound. Its
	// waiting file stays, for the caller to file.
	TakePendingCapture(ctx context.Context, personID, seq uint64) (*crm.PendingCapture, error)
	// AppendToConversation adds line to the text of the client's
	// conversation id logged at at (a visit's outcome sent after it).
	AppendToConversation(ctx context.Context, clientID uint64, at time.Time, id uint64, line string) error
}

// Transcriber turns speech into text: the llm package's Client through an
// OpenAI-compatible /audio/transcriptions. Nil means none is configured.
type Transcriber interface {
	// Transcribe returns the text spoken in a, in the language a.Lang
	// hints; an error when the server fails or refuses.
	Transcribe(ctx context.Context, a llm.Audio) (string, error)
}

var _ Transcriber = (*llm.Client)(nil)

// service is the family's handlers over its store.
type service struct {
	kit   *core.Kit
	store Store
	// transcriber turns voice notes into text; nil when none is configured.
	transcriber Transcriber
	// bg is work running outside the chat queues (transcriptions).
	bg sync.WaitGroup
}

// Capture is what the family gives the service besides its commands: the
// files of messages for every family (core.Files), the middleware that
// takes what is no typed text, the files sent without a command, the
// visit outcome typed after a visit, and the background work to wait for.
type Capture struct{ s *service }

var _ core.Files = Capture{}

// Register adds the capture commands (/attachment, /capture: the answer
// to "which client?"), the attachments on client cards (lines and
// buttons) and in client exports, and returns what the service wires in:
// the files (Kit.Files), the middleware, the waiting files and visit
// outcomes of free text, and Wait. t transcribes voice notes (nil: none).
func Register(reg core.Registry, st Store, t Transcriber) Capture {
	s := &service{kit: reg.Kit(), store: st, transcriber: t}
	defer reg.Family("capture")()
	core.AddCommands(reg, crm.RoleManager, &core.Spec{Name: "attachment", Run: s.attachmentCmd}, &core.Spec{Name: "capture", Run: s.captureCmd})
	reg.AddCardSection(s.attachmentCardSection)
	reg.AddCardButtons(s.attachmentCardButtons)
	reg.AddClientRecords("attachments", s.exportAttachments)
	return Capture{s}
}

// Take downloads the files of r's message (core.Files).
func (c Capture) Take(ctx context.Context, r *core.Request) ([]core.File, error) {
	return c.s.takeFiles(ctx, r)
}

// Keep stores files with a record (core.Files).
func (c Capture) Keep(ctx context.Context, r *core.Request, clientID uint64, kind string, id uint64, files []core.File) (string, error) {
	return c.s.keepFiles(ctx, r, clientID, kind, id, files)
}

// Show adds the files kept with a record to a card (core.Files).
func (c Capture) Show(ctx context.Context, r *core.Request, rep bot.Reply, clientID uint64, kind string, id uint64) (bot.Reply, error) {
	return c.s.withAttachments(ctx, r, rep, clientID, kind, id)
}

// Middleware sends what is no typed text (a location, a contact, a
// forward, a voice note without a command) to capture, before the router
// reads the text as a command.
func (c Capture) Middleware(next bot.Handler) bot.Handler { return c.s.captureMW(next) }

// Files handles files sent with no command (and that are no import): each
// waits for the sender to say which client (or claim) it belongs to.
func (c Capture) Files(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	return c.s.captureFiles(ctx, w, m)
}

// Outcome takes free text as the outcome of a visit just logged, when one
// waits; it reports whether it did.
func (c Capture) Outcome(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (bool, error) {
	return c.s.pendingOutcome(ctx, w, m)
}

// Wait returns true when the background work in hand (transcriptions)
// is done, or false after d.
func (c Capture) Wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() { c.s.bg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// request starts handling m for its sender, as the service's commands do.
func (s *service) request(ctx context.Context, m *bot.Message) (*core.Request, error) {
	return core.NewRequest(ctx, s.store, s.kit.Catalog, m, s.kit.Clock.Now(), s.kit.TZ)
}

// captureMW sends what is no typed text (a location, a contact, a
// forward, a voice note without a command) to capture, before the router
// reads the text as a command.
func (s *service) captureMW(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
		if m.Person == nil || m.Button {
			return next.ServeChat(ctx, w, m)
		}
		_, isCmd := bot.ParseCommand(m.Text)
		switch {
		case m.Location != nil:
			return s.captureLocation(ctx, w, m)
		case m.Contact != nil:
			return s.captureContact(ctx, w, m)
		case m.Forward != nil && strings.TrimSpace(m.Text) != "":
			return s.captureForward(ctx, w, m)
		case !isCmd && len(m.Attachments) == 1 && isVoice(m.Attachments[0]):
			return s.captureVoice(ctx, w, m)
		}
		return next.ServeChat(ctx, w, m)
	})
}

func isVoice(a bot.Attachment) bool { return a.Kind == bot.KindVoice || a.Kind == bot.KindAudio }

// fetchFile downloads one attachment within limit.
func (s *service) fetchFile(ctx context.Context, r *core.Request, a bot.Attachment, limit int64) ([]byte, error) {
	tooLarge := crm.Errorf(crm.EINVALID, "capture.too_large", "file", fileName(a), "max", limit>>20)
	if a.Size > limit {
		return nil, tooLarge
	}
	if a.Open == nil {
		return nil, crm.Internal(fmt.Errorf("attachment %q cannot be opened", a.Name))
	}
	data, err := a.Open(ctx)
	if errors.Is(err, bot.ErrAttachmentTooLarge) || int64(len(data)) > limit {
		return nil, tooLarge
	}
	if err != nil {
		s.kit.Log.Warn("attachment not fetched", "file", fileName(a), "err", err)
		return nil, crm.Errorf(crm.EUNAVAILABLE, "capture.fetch_failed", "file", fileName(a))
	}
	return data, nil
}

// takeFiles downloads the files sent with a record command.
func (s *service) takeFiles(ctx context.Context, r *core.Request) ([]core.File, error) {
	var out []core.File
	for _, a := range r.Attachments {
		data, err := s.fetchFile(ctx, r, a, maxAttachmentBytes)
		if err != nil {
			return nil, err
		}
		out = append(out, core.File{Att: a, Data: data})
	}
	return out, nil
}

// keepFiles stores files with the record just written and returns the
// line that says so ("" without files).
func (s *service) keepFiles(ctx context.Context, r *core.Request, clientID uint64, kind string, recordID uint64, files []core.File) (string, error) {
	var lines []string
	for _, f := range files {
		a := s.newAttachment(r, f.Att)
		a.ClientID, a.RecordKind, a.RecordID = clientID, kind, recordID
		if err := s.store.SaveAttachment(crm.WithoutDeliveryKey(ctx), a, f.Data); err != nil {
			return "", err
		}
		lines = append(lines, r.T("capture.attached", "id", a.Ref(), "file", a.Name, "size", fmtSize(a.Size, r.Lang)))
	}
	if len(lines) == 0 {
		return "", nil
	}
	return "\n" + strings.Join(lines, "\n"), nil
}

func (s *service) newAttachment(r *core.Request, a bot.Attachment) *crm.Attachment {
	kind := a.Kind
	if kind == "" {
		kind = bot.KindDocument
	}
	return &crm.Attachment{Kind: kind, Name: fileName(a), MIME: a.MIME, By: r.Me.ID, At: r.Now}
}

// fileName is a safe base name for an attachment.
func fileName(a bot.Attachment) string {
	name := path.Base(strings.ReplaceAll(a.Name, "\\", "/"))
	if name == "." || name == "/" || name == "" {
		switch a.Kind {
		case bot.KindPhoto:
			return "photo.jpg"
		case bot.KindVoice:
			return "voice.ogg"
		case bot.KindAudio:
			return "audio"
		}
		return "file"
	}
	return core.Truncate(name, 120)
}

// fmtSize writes a byte count as people read it: "820 KB", "1.4 MB" ("1,4
// MB" in Bulgarian).
func fmtSize(n int64, lang string) string {
	var s string
	switch {
	case n < 1<<10:
		s = strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		s = strconv.FormatInt((n+512)>>10, 10) + " KB"
	default:
		s = strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	}
	if lang == "bg" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// captureFiles handles files sent with no command: each waits for the
// sender to say which client (or claim) it belongs to.
func (s *service) captureFiles(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r, err := s.request(ctx, m)
	if err != nil {
		return err
	}
	if !r.HasRole(crm.RoleManager) {
		return crm.Errorf(crm.EFORBIDDEN, "error.forbidden_command", "command", "/capture")
	}
	a := m.Attachments[0]
	data, err := s.fetchFile(ctx, r, a, maxAttachmentBytes)
	if err != nil {
		return err
	}
	att := s.newAttachment(r, a)
	if err := s.store.SaveAttachment(crm.WithoutDeliveryKey(ctx), att, data); err != nil {
		return err
	}
	p := &crm.PendingCapture{PersonID: r.Me.ID, Kind: crm.CaptureFile, At: r.Now, AttachmentID: att.ID}
	if err := s.store.PutPendingCapture(ctx, p); err != nil {
		return err
	}
	return s.askClient(ctx, w, r, p, r.T("capture.file_which", "file", att.Name, "size", fmtSize(att.Size, r.Lang)), "")
}

// latestClaim is the sender's open claim received last, offered first for
// a file (a photo of damaged goods is most often evidence for it), or nil.
func (s *service) latestClaim(ctx context.Context, r *core.Request) (*crm.ClaimSummary, string, error) {
	list, err := s.store.ClaimsOf(ctx, []uint64{r.Me.ID}, true)
	if err != nil || len(list) == 0 {
		return nil, "", err
	}
	last := list[0]
	for _, c := range list[1:] {
		if c.CreatedAt.After(last.CreatedAt) {
			last = c
		}
	}
	c, err := s.store.Client(ctx, last.ClientID)
	if err != nil {
		if crm.IsNotFound(err) {
			return nil, "", nil
		}
		return nil, "", err
	}
	return &last, c.Name, nil
}

// askClient asks which client a pending capture is about, with buttons:
// the sender's clients in city first (when known), then the most recently
// touched.
func (s *service) askClient(ctx context.Context, w bot.ReplyWriter, r *core.Request, p *crm.PendingCapture, question, city string) error {
	cands, err := s.captureCandidates(ctx, r, city)
	if err != nil {
		return err
	}
	seq := strconv.FormatUint(p.Seq, 10)
	rep := bot.Reply{Text: question + "\n" + r.T("capture.which_hint", "seq", seq)}
	if p.Kind == crm.CaptureFile {
		cl, name, err := s.latestClaim(ctx, r)
		if err != nil {
			return err
		}
		if cl != nil {
			ref := crm.ClaimRef(cl.ID)
			rep.Buttons = append(rep.Buttons, []bot.Button{{Label: ref + " · " + name, Data: "/capture " + seq + " " + ref}})
		}
	}
	for _, c := range cands {
		label := c.Name
		if c.City != "" {
			label += " (" + c.City + ")"
		}
		rep.Buttons = append(rep.Buttons, []bot.Button{{Label: label, Data: "/capture " + seq + " " + core.ClientRef(c)}})
	}
	rep.Buttons = append(rep.Buttons, []bot.Button{{Label: r.T("capture.button.cancel"), Data: "/capture " + seq + " cancel"}})
	return w.Reply(ctx, rep)
}

// captureCandidates are the clients offered for a capture.
func (s *service) captureCandidates(ctx context.Context, r *core.Request, city string) ([]*crm.Client, error) {
	cs, err := s.store.ClientsByOwner(ctx, []uint64{r.Me.ID})
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		owners, err := r.VisibleOwners(r.DefaultScope())
		if err != nil {
			return nil, err
		}
		if cs, err = s.store.ClientsByOwner(ctx, owners); err != nil {
			return nil, err
		}
	}
	inCity := func(c *crm.Client) bool { return city != "" && sameCity(c.City, city) }
	sort.SliceStable(cs, func(i, j int) bool {
		if a, b := inCity(cs[i]), inCity(cs[j]); a != b {
			return a
		}
		return cs[i].LastTouch.After(cs[j].LastTouch)
	})
	if len(cs) > captureChoices {
		cs = cs[:captureChoices]
	}
	return cs, nil
}

// captureCmd answers a "which client?" question:
// "/capture SEQ #12|NAME", "/capture SEQ cancel", "/capture SEQ skip".
func (s *service) captureCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	args := r.Command.Args
	if len(args) < 2 {
		return crm.Errorf(crm.EINVALID, "capture.usage")
	}
	seq, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return crm.Errorf(crm.EINVALID, "capture.usage")
	}
	rest := strings.TrimSpace(core.AfterWord(r.Command.Rest))
	switch {
	case r.Is(rest, "capture.cancel"):
		p, err := s.store.TakePendingCapture(ctx, r.Me.ID, seq)
		if crm.IsNotFound(err) {
			return w.Reply(ctx, bot.Reply{Text: r.T("capture.closed"), Edit: r.Button})
		}
		if err != nil {
			return err
		}
		if p.AttachmentID != 0 {
			if err := s.store.DiscardAttachment(ctx, p.AttachmentID); err != nil {
				return err
			}
		}
		key := "capture.cancelled"
		if p.Kind == crm.CaptureVisitOutcome {
			key = "capture.outcome_skipped"
		}
		return w.Reply(ctx, bot.Reply{Text: r.T(key), Edit: r.Button})
	}
	pending, err := s.store.PendingCapture(ctx, r.Me.ID, r.Now)
	if crm.IsNotFound(err) || (err == nil && pending.Seq != seq) {
		return w.Reply(ctx, bot.Reply{Text: r.T("capture.closed"), Edit: r.Button})
	}
	if err != nil {
		return err
	}
	if pending.Kind == crm.CaptureVisitOutcome {
		return s.visitOutcome(ctx, w, r, pending, rest)
	}
	if id, isClaim := claimArg(rest); isClaim && pending.Kind == crm.CaptureFile {
		return s.fileToClaim(ctx, w, r, pending, id)
	}
	c, actor, err := r.ChangeableClient(ctx, rest)
	if err != nil {
		return err
	}
	p, err := s.store.TakePendingCapture(ctx, r.Me.ID, seq)
	if crm.IsNotFound(err) {
		return w.Reply(ctx, bot.Reply{Text: r.T("capture.closed"), Edit: r.Button})
	}
	if err != nil {
		return err
	}
	switch p.Kind {
	case crm.CaptureFile:
		a, err := s.store.FileAttachment(ctx, p.AttachmentID, c.ID, crm.AttachedToClient, c.ID)
		if err != nil {
			return err
		}
		return w.Reply(ctx, bot.Reply{Text: r.T("capture.filed", "id", a.Ref(), "file", a.Name, "name", c.Name), Edit: r.Button,
			Buttons: [][]bot.Button{{{Label: r.T("button.card") + ": " + c.Name, Data: "/client " + core.ClientRef(c)}}}})
	case crm.CaptureLocation:
		return s.logVisit(ctx, w, r, c, actor, p)
	case crm.CaptureForward:
		return s.logForward(ctx, w, r, c, actor, p)
	}
	return crm.Errorf(crm.EINVALID, "capture.closed")
}

// claimArg reads "C-3" (Latin or Cyrillic C), and not "#3", which names a
// client.
func claimArg(s string) (uint64, bool) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(u, "C") && !strings.HasPrefix(u, "С") && !strings.HasPrefix(u, "К") {
		return 0, false
	}
	return crm.ParseClaimRef(u)
}

// claimForFile loads a claim the sender may see (core's ClaimRights), for a
// file to be kept with it; to others it does not exist.
func (s *service) claimForFile(ctx context.Context, r *core.Request, id uint64) (*crm.Claim, error) {
	cl, err := s.store.Claim(ctx, id)
	if err != nil && !crm.IsNotFound(err) {
		return nil, err
	}
	if err != nil || !r.SeesClaim(cl.OwnerID, cl.AssigneeID) {
		return nil, crm.Errorf(crm.ENOTFOUND, "claim.not_found", "id", crm.ClaimRef(id))
	}
	return cl, nil
}

// fileToClaim keeps a waiting file with a claim.
func (s *service) fileToClaim(ctx context.Context, w bot.ReplyWriter, r *core.Request, pending *crm.PendingCapture, id uint64) error {
	cl, err := s.claimForFile(ctx, r, id)
	if err != nil {
		return err
	}
	p, err := s.store.TakePendingCapture(ctx, r.Me.ID, pending.Seq)
	if crm.IsNotFound(err) {
		return w.Reply(ctx, bot.Reply{Text: r.T("capture.closed"), Edit: r.Button})
	}
	if err != nil {
		return err
	}
	a, err := s.store.FileAttachment(ctx, p.AttachmentID, cl.ClientID, crm.AttachedToClaim, cl.ID)
	if err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("capture.filed", "id", a.Ref(), "file", a.Name, "name", cl.Ref()), Edit: r.Button,
		Buttons: [][]bot.Button{{{Label: cl.Ref(), Data: "/claim " + cl.Ref()}}}})
}

// captureVoice transcribes a voice note outside the chat's queue: it
// answers "transcribing…" at once and returns, so that the person's next
// messages are served meanwhile; the transcript is then handled as a new
// message of that person, exactly as if they had typed it. Without a
// transcription server it offers to keep the audio with a client.
func (s *service) captureVoice(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r, err := s.request(ctx, m)
	if err != nil {
		return err
	}
	if !r.HasRole(crm.RoleManager) {
		return w.Reply(ctx, bot.Reply{Text: r.T("error.not_a_command")})
	}
	a := m.Attachments[0]
	if a.Duration > maxVoiceLength || a.Size > maxVoiceBytes {
		return crm.Errorf(crm.EINVALID, "capture.voice_too_long", "minutes", int(maxVoiceLength/time.Minute), "max", maxVoiceBytes>>20)
	}
	if s.transcriber == nil {
		if err := w.Reply(ctx, bot.Reply{Text: r.T("capture.no_transcriber")}); err != nil {
			return err
		}
		return s.captureFiles(ctx, w, m)
	}
	if err := w.Reply(ctx, bot.Reply{Text: r.T("capture.transcribing")}); err != nil {
		return err
	}
	// The work goes on past this message: its own context, without the
	// update's delivery key (the transcript's records are written only
	// on Confirm, by their own message) and without its cancellation.
	bg := crm.WithoutDeliveryKey(context.WithoutCancel(ctx))
	// The adapter is done with this message's writer when we return: the
	// transcript goes to the person as the bot's own messages do, to
	// their private chat (a voice note comes from one).
	if s.kit.Notifier != nil {
		identity := m.Identity
		w = bot.ReplyFunc(func(ctx context.Context, rep bot.Reply) error { return s.kit.Notifier.Notify(ctx, identity, rep) })
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		// Download and transcription together are bounded too: a stuck
		// server must not keep the work (and a shutdown) waiting.
		ctx, cancel := context.WithTimeout(bg, voiceDeadline)
		defer cancel()
		s.transcribe(ctx, w, m, r, a)
	}()
	return nil
}

// transcribe downloads and transcribes a voice note, shows the transcript
// and hands it to the chat as typed text.
func (s *service) transcribe(ctx context.Context, w bot.ReplyWriter, m *bot.Message, r *core.Request, a bot.Attachment) {
	fail := func(key string, err error) {
		s.kit.Log.Warn("voice note not transcribed", "identity", m.Identity, "err", err)
		_ = w.Reply(ctx, bot.Reply{Text: r.T(key)})
	}
	data, err := s.fetchFile(ctx, r, a, maxVoiceBytes)
	if err != nil {
		var ce *crm.Error
		if errors.As(err, &ce) {
			_ = w.Reply(ctx, bot.Reply{Text: r.Loc.TMap(ce.Key, ce.Args)})
			return
		}
		fail("capture.transcribe_failed", err)
		return
	}
	text, err := s.transcriber.Transcribe(ctx, llm.Audio{Name: fileName(a), Data: data, Lang: r.Lang})
	if err != nil {
		fail("capture.transcribe_failed", err)
		return
	}
	if err := w.Reply(ctx, bot.Reply{Text: r.T("capture.transcript", "text", core.Truncate(text, core.MaxReplyRunes-100))}); err != nil {
		return
	}
	next := *m
	next.Text, next.Attachments, next.Command, next.Person = text, nil, bot.Command{}, nil
	if err := s.kit.Serve(ctx, w, &next); err != nil {
		s.kit.Log.Warn("voice note transcript not handled", "identity", m.Identity, "err", err)
	}
}

// captureLocation starts a visit: which client, then a #visit
// conversation with the place. A live location is taken once, here.
func (s *service) captureLocation(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r, err := s.request(ctx, m)
	if err != nil {
		return err
	}
	if !r.HasRole(crm.RoleManager) {
		return w.Reply(ctx, bot.Reply{Text: r.T("error.not_a_command")})
	}
	loc := m.Location
	p := &crm.PendingCapture{PersonID: r.Me.ID, Kind: crm.CaptureLocation, At: r.Now, Lat: loc.Lat, Lon: loc.Lon}
	if err := s.store.PutPendingCapture(ctx, p); err != nil {
		return err
	}
	city := nearestCity(loc.Lat, loc.Lon)
	return s.askClient(ctx, w, r, p, r.T("capture.visit_which", "place", crm.Coordinates(loc.Lat, loc.Lon)), city)
}

// logVisit logs the visit and asks for its optional one-line outcome.
func (s *service) logVisit(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Client, actor crm.Actor, p *crm.PendingCapture) error {
	text := r.T("capture.visit_text", "place", crm.Coordinates(p.Lat, p.Lon), "link", crm.MapLink(p.Lat, p.Lon))
	conv := &crm.Conversation{ClientID: c.ID, AuthorID: actor.PersonID, OnBehalfOf: actor.OnBehalfOf, Channels: []string{"visit"}, Text: text, At: r.Now}
	if err := s.store.LogConversation(ctx, conv, nil); err != nil {
		return err
	}
	next := &crm.PendingCapture{PersonID: r.Me.ID, Kind: crm.CaptureVisitOutcome, At: r.Now, ClientID: c.ID, ConversationID: conv.ID, Date: conv.At}
	if err := s.store.PutPendingCapture(ctx, next); err != nil {
		return err
	}
	seq := strconv.FormatUint(next.Seq, 10)
	return w.Reply(ctx, bot.Reply{Text: r.T("capture.visit_saved", "name", c.Name, "link", crm.MapLink(p.Lat, p.Lon)) + "\n" + r.T("capture.visit_outcome_ask"),
		Edit:    r.Button,
		Buttons: [][]bot.Button{{{Label: r.T("capture.button.skip"), Data: "/capture " + seq + " skip"}}}})
}

// visitOutcome adds the outcome line to the visit just logged.
func (s *service) visitOutcome(ctx context.Context, w bot.ReplyWriter, r *core.Request, p *crm.PendingCapture, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return crm.Errorf(crm.EINVALID, "capture.usage")
	}
	if utf8.RuneCountInString(text) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	c, err := s.store.Client(ctx, p.ClientID)
	if err != nil {
		return err
	}
	if r.RightsOver(c.OwnerID) == nil {
		return crm.Errorf(crm.ENOTFOUND, "capture.closed")
	}
	if _, err := s.store.TakePendingCapture(ctx, r.Me.ID, p.Seq); err != nil {
		if crm.IsNotFound(err) {
			return w.Reply(ctx, bot.Reply{Text: r.T("capture.closed")})
		}
		return err
	}
	if err := s.store.AppendToConversation(ctx, p.ClientID, p.Date, p.ConversationID, r.T("capture.outcome_line", "text", text)); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("capture.outcome_saved", "name", c.Name)})
}

// pendingOutcome takes free text as the outcome of a visit just logged,
// when one waits; it reports whether it did.
func (s *service) pendingOutcome(ctx context.Context, w bot.ReplyWriter, m *bot.Message) (bool, error) {
	if m.Person == nil || m.Forward != nil {
		return false, nil
	}
	now := s.kit.Clock.Now()
	p, err := s.store.PendingCapture(ctx, m.Person.ID, now)
	if crm.IsNotFound(err) || (err == nil && (p.Kind != crm.CaptureVisitOutcome || now.Sub(p.At) > outcomeWindow)) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r, err := s.request(ctx, m)
	if err != nil {
		return false, err
	}
	return true, s.visitOutcome(ctx, w, r, p, m.Text)
}

// captureForward offers a forwarded message for logging. Forwards that
// follow each other closely are one conversation.
func (s *service) captureForward(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r, err := s.request(ctx, m)
	if err != nil {
		return err
	}
	if !r.HasRole(crm.RoleManager) {
		return w.Reply(ctx, bot.Reply{Text: r.T("error.not_a_command")})
	}
	text := strings.TrimSpace(m.Text)
	p := &crm.PendingCapture{PersonID: r.Me.ID, Kind: crm.CaptureForward, At: r.Now, Text: text, From: m.Forward.From, Date: m.Forward.Date}
	count := 1
	if old, err := s.store.PendingCapture(ctx, r.Me.ID, r.Now); err == nil && old.Kind == crm.CaptureForward && r.Now.Sub(old.At) <= forwardBurst {
		p.Text = old.Text + "\n" + s.forwardLine(r, text, m.Forward)
		p.From, p.Date = old.From, old.Date
		count = strings.Count(p.Text, "\n") + 1
	} else if err != nil && !crm.IsNotFound(err) {
		return err
	}
	if utf8.RuneCountInString(p.Text) > core.MaxTextRunes {
		return crm.Errorf(crm.EINVALID, "error.text_too_long", "max", core.MaxTextRunes)
	}
	if err := s.store.PutPendingCapture(ctx, p); err != nil {
		return err
	}
	return s.askClient(ctx, w, r, p, r.T("capture.forward_which", "count", count, "text", core.Truncate(text, 200)), "")
}

// forwardLine is a later forwarded message in a burst, with its own date.
func (s *service) forwardLine(r *core.Request, text string, f *bot.Forward) string {
	if f.Date.IsZero() {
		return text
	}
	return "[" + r.FmtTime(f.Date) + "] " + text
}

// logForward logs the forwarded text as a conversation, marked as
// forwarded with its origin and original date.
func (s *service) logForward(ctx context.Context, w bot.ReplyWriter, r *core.Request, c *crm.Client, actor crm.Actor, p *crm.PendingCapture) error {
	var mark string
	switch {
	case p.From != "" && !p.Date.IsZero():
		mark = r.T("capture.forwarded_from_at", "from", p.From, "date", r.FmtTime(p.Date))
	case !p.Date.IsZero():
		mark = r.T("capture.forwarded_at", "date", r.FmtTime(p.Date))
	case p.From != "":
		mark = r.T("capture.forwarded_from", "from", p.From)
	default:
		mark = r.T("capture.forwarded")
	}
	conv := &crm.Conversation{ClientID: c.ID, AuthorID: actor.PersonID, OnBehalfOf: actor.OnBehalfOf, Text: mark + "\n" + p.Text, At: r.Now}
	if err := s.store.LogConversation(ctx, conv, nil); err != nil {
		return err
	}
	return w.Reply(ctx, bot.Reply{Text: r.T("capture.forward_saved", "name", c.Name), Edit: r.Button,
		Buttons: [][]bot.Button{{{Label: r.T("button.card") + ": " + c.Name, Data: "/client " + core.ClientRef(c)}}}})
}

// captureContact offers to add a shared contact to a client with one tap:
// each button is the /client edit command that does it.
func (s *service) captureContact(ctx context.Context, w bot.ReplyWriter, m *bot.Message) error {
	r, err := s.request(ctx, m)
	if err != nil {
		return err
	}
	if !r.HasRole(crm.RoleManager) {
		return w.Reply(ctx, bot.Reply{Text: r.T("error.not_a_command")})
	}
	ct := m.Contact
	cands, err := s.captureCandidates(ctx, r, "")
	if err != nil {
		return err
	}
	name, phone := quoteValue(ct.Name), quoteValue(ct.Phone)
	rep := bot.Reply{Text: r.T("capture.contact_which", "name", ct.Name, "phone", ct.Phone)}
	for _, c := range cands {
		line := "/client edit " + core.ClientRef(c)
		if ct.Name != "" {
			line += " contact=" + name
		}
		if ct.Phone != "" {
			line += " phone=" + phone
		}
		rep.Buttons = append(rep.Buttons, []bot.Button{{Label: c.Name, Data: line}})
	}
	if len(rep.Buttons) == 0 {
		rep.Text += "\n" + r.T("capture.no_clients")
	}
	return w.Reply(ctx, rep)
}

// quoteValue makes a value one word of a command line.
func quoteValue(v string) string {
	v = strings.Join(strings.Fields(strings.ReplaceAll(v, `"`, "”")), " ")
	if strings.ContainsAny(v, " =") {
		return `"` + v + `"`
	}
	return v
}

// attachmentCmd sends an attachment back: "/attachment A-3".
func (s *service) attachmentCmd(ctx context.Context, w bot.ReplyWriter, r *core.Request) error {
	if len(r.Command.Args) != 1 {
		return crm.Errorf(crm.EINVALID, "attachment.usage")
	}
	id, ok := crm.ParseAttachmentRef(r.Command.Args[0])
	if !ok {
		return crm.Errorf(crm.EINVALID, "attachment.usage")
	}
	notFound := crm.Errorf(crm.ENOTFOUND, "attachment.not_found", "id", "A-"+strconv.FormatUint(id, 10))
	a, err := s.store.Attachment(ctx, id)
	if crm.IsNotFound(err) {
		return notFound
	}
	if err != nil {
		return err
	}
	if a.ClientID == 0 {
		return notFound
	}
	c, err := s.store.Client(ctx, a.ClientID)
	if crm.IsNotFound(err) {
		return notFound
	}
	if err != nil {
		return err
	}
	if !r.SeesOwner(c.OwnerID) {
		return notFound
	}
	data, err := s.store.AttachmentData(ctx, id)
	if err != nil {
		return err
	}
	mime := a.MIME
	if mime == "" {
		mime = "application/octet-stream"
	}
	return w.Reply(ctx, bot.Reply{Text: attachmentLine(r, a) + " · " + c.Name, File: &bot.File{Name: a.Name, MIME: mime, Data: data}})
}

// attachmentLine describes an attachment: kind, name, size, who, when.
func attachmentLine(r *core.Request, a *crm.Attachment) string {
	return r.T("attachment.kind."+a.Kind) + " " + a.Name + " · " + fmtSize(a.Size, r.Lang) + " · " + r.PersonName(a.By) + " · " + r.FmtDate(a.At)
}

// recordAttachments are the attachments of one record, newest first.
func recordAttachments(all []*crm.Attachment, kind string, id uint64) []*crm.Attachment {
	var out []*crm.Attachment
	for i := len(all) - 1; i >= 0; i-- {
		if kind == "" || (all[i].RecordKind == kind && all[i].RecordID == id) {
			out = append(out, all[i])
		}
	}
	return out
}

// attachmentFields lists attachments on a card, the newest first.
func attachmentFields(r *core.Request, list []*crm.Attachment) []bot.Field {
	var out []bot.Field
	for i, a := range list {
		if i == cardAttachments {
			out = append(out, bot.Field{Label: "📎", Value: r.T("list.more", "count", len(list)-cardAttachments)})
			break
		}
		out = append(out, bot.Field{Label: "📎 " + a.Ref(), Value: attachmentLine(r, a)})
	}
	return out
}

// attachmentButtons are one "get it back" button per listed attachment.
func attachmentButtons(r *core.Request, list []*crm.Attachment) [][]bot.Button {
	var row []bot.Button
	var out [][]bot.Button
	for i, a := range list {
		if i == cardAttachments {
			break
		}
		row = append(row, bot.Button{Label: "📎 " + core.Truncate(a.Name, 24), Data: "/attachment " + a.Ref()})
		if len(row) == 2 {
			out, row = append(out, row), nil
		}
	}
	if len(row) > 0 {
		out = append(out, row)
	}
	return out
}

func (s *service) attachmentCardSection(ctx context.Context, r *core.Request, c *crm.Client) ([]bot.Field, error) {
	all, err := s.store.ClientAttachments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return attachmentFields(r, recordAttachments(all, "", 0)), nil
}

func (s *service) attachmentCardButtons(ctx context.Context, r *core.Request, c *crm.Client) ([][]bot.Button, error) {
	all, err := s.store.ClientAttachments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return attachmentButtons(r, recordAttachments(all, "", 0)), nil
}

// withAttachments adds to a card the files kept with the record kind/id
// of the client: a line for each and a button that sends it.
func (s *service) withAttachments(ctx context.Context, r *core.Request, rep bot.Reply, clientID uint64, kind string, id uint64) (bot.Reply, error) {
	all, err := s.store.ClientAttachments(ctx, clientID)
	if err != nil {
		return rep, err
	}
	list := recordAttachments(all, kind, id)
	rep.Fields = append(rep.Fields, attachmentFields(r, list)...)
	rep.Buttons = append(rep.Buttons, attachmentButtons(r, list)...)
	return rep, nil
}

// exportAttachments lists the client's attachments in /client export (what
// they are; the files themselves are one /attachment away).
func (s *service) exportAttachments(ctx context.Context, r *core.Request, c *crm.Client) (any, error) {
	all, err := s.store.ClientAttachments(ctx, c.ID)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all, nil
}
