package data_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"accountbot/bot"
	"accountbot/crm"
	"accountbot/handlers/handlerstest"
	"accountbot/internal/chattest"
	"accountbot/store"
)

// dataEnv is the shared chat environment (handlerstest) at Monday 2
// March 2026, 09:00 UTC, with the company the data tests start from.
type dataEnv struct {
	*handlerstest.Env
	t testing.TB
}

// newDataEnv is a bot on an in-memory store (or dir, when given) with a
// head (console:admin), a supervisor Sofia with a manager Maria, and a
// manager Ivan outside her team.
func newDataEnv(t testing.TB, dir string) *dataEnv {
	t.Helper()
	e := &dataEnv{Env: handlerstest.New(t, chattest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), TZ: time.UTC, Store: store.Options{Dir: dir}}), t: t}
	e.Appoint(
		`/appoint telegram:10 supervisor "Sofia Supervisor"`,
		`/appoint telegram:11 manager "Maria Manager" reports=@Sofia`,
		`/appoint telegram:12 manager "Ivan Other"`)
	return e
}

// send delivers text with files from identity in chat "c", replying to w.
func (e *dataEnv) send(w bot.ReplyWriter, identity, text string, files ...bot.Attachment) {
	e.t.Helper()
	m := chattest.Message(identity, text, chattest.Chat("c"), chattest.Files(files...))
	if err := e.Svc.ServeChat(e.Ctx, w, m); err != nil {
		e.t.Fatalf("%s %q: %v", identity, text, err)
	}
}

func (e *dataEnv) say(identity, text string, files ...bot.Attachment) *bot.Recorder {
	e.t.Helper()
	return e.Send(identity, text, chattest.Chat("c"), chattest.Files(files...))
}

func TestImportClientsFromChat(t *testing.T) {
	e := newDataEnv(t, "")
	e.say("console:admin", `/client add "Акме ООД" city=Варна phone=111`)
	file := "\uFEFFиме;град;собственик;email;телефон;Бележки\r\n" +
		"АКМЕ ооД;София;;;;стар клиент\r\n" + // line 2: updates Акме, keeps its phone
		"Бета ЕООД;Пловдив;Maria Manager;office@beta.bg;+359 88 1;\r\n" + // line 3: new, Maria's
		";Русе;;;;\r\n" + // line 4: no name
		"Гама;Русе;telegram:12;not-an-email;;\r\n" + // line 5: bad email
		"Делта;Русе;@Nobody;;;\r\n" + // line 6: unknown owner
		"Епсилон;Бургас\r\n" + // line 7: too few values
		"\"Зета\" АД;Бургас;;;;\r\n" + // line 8: text after a quote
		"Ета;Бургас;telegram:12;;;\"много\r\nредове\"\r\n" // lines 9-10: Ivan's, a note over two lines
	rec := e.say("console:admin", "", chattest.CSVFile("clients.csv", file))
	chattest.Want(t, rec.Text(), "Import of clients.csv",
		"Added: 2, updated: 1, unchanged: 0, rejected: 5.",
		"line 4: the name is empty",
		"line 5 (Гама): \"not-an-email\" is not an e-mail address",
		"line 6 (Делта): nobody matches the owner \"@Nobody\"",
		"line 7: 2 values, but the header has 6 columns",
		"line 8: there is text after the closing quote")
	f := rec.Replies[len(rec.Replies)-1].File
	if f == nil || f.Name != "clients-rejected.csv" {
		t.Fatalf("no file of rejected rows: %+v", rec.Replies)
	}
	if n := strings.Count(string(f.Data), "\n"); n != 6 {
		t.Errorf("rejected file has %d lines, want header + 5:\n%s", n, f.Data)
	}

	acme := e.Client("Акме ООД")
	if acme.City != "София" || acme.Phone != "111" || acme.Custom["бележки"] != "стар клиент" {
		t.Errorf("Акме after import: %+v", acme)
	}
	beta := e.Client("Бета ЕООД")
	if beta == nil || beta.OwnerID != e.Person("telegram:11").ID || beta.Email != "office@beta.bg" || beta.Phone != "+359 88 1" {
		t.Errorf("Бета after import: %+v", beta)
	}
	eta := e.Client("Ета")
	if eta == nil || eta.OwnerID != e.Person("telegram:12").ID || eta.Custom["бележки"] != "много\nредове" {
		t.Errorf("Ета after import: %+v", eta)
	}
	// History says who imported what.
	h, _ := e.Store.History(context.Background(), "client", acme.ID)
	if last := h[len(h)-1]; last.By != e.Person("console:admin").ID {
		t.Errorf("history: %+v", h)
	}
	// The same file again: nothing new, nothing duplicated.
	rec = e.say("console:admin", "/import", chattest.CSVFile("clients.csv", file))
	chattest.Want(t, rec.Text(), "Added: 0, updated: 0, unchanged: 3, rejected: 5.")
}

func TestImportRespectsRights(t *testing.T) {
	e := newDataEnv(t, "")
	e.say("telegram:12", `/client add "Ivans Client"`)
	file := "name,owner,city\n" +
		"Marias New,,Sofia\n" + // 2: Maria's own
		"Ivans Client,,Varna\n" + // 3: Ivan's: not Maria's to change
		"For Ivan,Ivan Other,Ruse\n" // 4: Maria cannot give clients to Ivan
	rec := e.say("telegram:11", "", chattest.CSVFile("mine.csv", file))
	chattest.Want(t, rec.Text(), "Added: 1, updated: 0, unchanged: 0, rejected: 2.",
		"line 3 (Ivans Client): Ivans Client exists and belongs to someone you have no rights over",
		"line 4 (For Ivan): You cannot give clients to Ivan Other.")
	if c := e.Client("Ivans Client"); c.City != "" {
		t.Errorf("Maria changed Ivan's client: %+v", c)
	}
	// Sofia, Maria's supervisor, may give clients to Maria, not to Ivan.
	rec = e.say("telegram:10", "", chattest.CSVFile("team.csv", "name,owner\nFor Maria,Maria Manager\nAlso For Ivan,telegram:12\n"))
	chattest.Want(t, rec.Text(), "Added: 1, updated: 0, unchanged: 0, rejected: 1.")
	if c := e.Client("For Maria"); c == nil || c.OwnerID != e.Person("telegram:11").ID {
		t.Errorf("For Maria: %+v", c)
	}
	// The head may do both.
	rec = e.say("console:admin", "", chattest.CSVFile("all.csv", file))
	chattest.Want(t, rec.Text(), "Added: 1, updated: 1, unchanged: 1, rejected: 0.")
	// A new owner takes the client's open tasks with it, as on reassign.
	e.say("telegram:12", "/remind Ivans: call back by 2026-03-10")
	chattest.Want(t, e.say("console:admin", "", chattest.CSVFile("move.csv", "name,owner\nIvans Client,Maria Manager\n")).Text(), "updated: 1")
	maria := e.Person("telegram:11").ID
	if c := e.Client("Ivans Client"); c.OwnerID != maria {
		t.Errorf("owner %d, want Maria", c.OwnerID)
	}
	if tasks, _ := e.Store.OpenTasks(context.Background(), []uint64{maria}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); len(tasks) != 1 {
		t.Errorf("Maria has %d open tasks, want Ivan's one", len(tasks))
	}
}

func TestImportFileErrors(t *testing.T) {
	e := newDataEnv(t, "")
	big := bot.Attachment{Name: "big.csv", Size: 20 << 20, Open: func(context.Context) ([]byte, error) {
		t.Fatal("a file known to be too large was downloaded")
		return nil, nil
	}}
	bigUnknown := chattest.CSVFile("big.csv", "name,notes\n"+strings.Repeat("Acme,"+strings.Repeat("x", 1000)+"\n", 20<<10))
	bigUnknown.Size = 0
	var allBad strings.Builder
	allBad.WriteString("name,city\n")
	for range 1500 {
		allBad.WriteString("\"x\" y,z\n")
	}
	for _, tc := range []struct {
		name string
		file bot.Attachment
		want string
	}{
		{"20 MB, size known", big, "larger than 16 MB"},
		{"20 MB, size unknown", bigUnknown, "larger than 16 MB"},
		{"no name column", chattest.CSVFile("x.csv", "city,phone\nSofia,1\n"), "no name column"},
		{"duplicate column", chattest.CSVFile("x.csv", "name,City,град\nA,B,C\n"), "appears twice"},
		{"UTF-16", chattest.CSVFile("x.csv", "\xff\xfen\x00a\x00"), "UTF-16"},
		// Any other file is no import: it waits to be attached to a client.
		{"not a CSV", bot.Attachment{Name: "photo.jpg", MIME: "image/jpeg", Open: func(context.Context) ([]byte, error) { return nil, nil }}, "Which client is photo.jpg"},
		{"empty", chattest.CSVFile("x.csv", ""), "The file is empty."},
		{"all rows bad", chattest.CSVFile("x.csv", allBad.String()), "Stopped: the first 1000 rows were all rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chattest.Want(t, e.say("console:admin", "", tc.file).Text(), tc.want)
		})
	}
	if n, _ := e.Store.CountClients(context.Background()); len(n) != 0 {
		t.Errorf("clients stored by refused files: %v", n)
	}
	chattest.Want(t, e.say("console:admin", "/import").Text(), "Send me a CSV file", "name, segment")
}

// editRecorder is a reply writer whose messages can be edited.
type editRecorder struct {
	bot.Recorder
	sent  []string
	edits []string
}

func (r *editRecorder) SendEditable(_ context.Context, rep bot.Reply) (string, error) {
	r.sent = append(r.sent, rep.Text)
	return "msg-1", nil
}

func (r *editRecorder) EditMessage(_ context.Context, ref string, rep bot.Reply) error {
	if ref != "msg-1" {
		return fmt.Errorf("unknown message %s", ref)
	}
	r.edits = append(r.edits, rep.Text)
	return nil
}

func TestImportShowsProgressByEditing(t *testing.T) {
	e := newDataEnv(t, "")
	e.Clock.SetStep(time.Second) // every reading of the clock is a second later
	var b strings.Builder
	b.WriteString("name,city,notes\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "Client %05d,Sofia,%s\n", i, strings.Repeat("n", 60))
	}
	w := &editRecorder{}
	e.send(w, "console:admin", "", chattest.CSVFile("many.csv", b.String()))
	if len(w.sent) != 1 || !strings.Contains(w.sent[0], "Importing many.csv: 0%") {
		t.Fatalf("progress message: %q", w.sent)
	}
	if len(w.edits) < 3 || !strings.Contains(w.edits[0], "%") || w.edits[len(w.edits)-1] != "Importing many.csv: done." {
		t.Errorf("progress edits: %q", w.edits)
	}
	chattest.Want(t, w.Recorder.Text(), "Added: 5000, updated: 0, unchanged: 0, rejected: 0.")
	// A small file, or a writer that cannot edit: no progress message.
	w = &editRecorder{}
	e.send(w, "console:admin", "", chattest.CSVFile("few.csv", "name\nOne\n"))
	if len(w.sent) != 0 {
		t.Errorf("progress for a small file: %q", w.sent)
	}
}

// The client CSV re-imports to the same data: import, export, import the
// export into a new bot with the same people, export again.
func TestExportImportRoundTrip(t *testing.T) {
	file := "name,city,owner,phone,email,lang,segment,Notes,priority\n" +
		"Акме ООД,София,Maria Manager,+359 2 1,a@acme.bg,BG,retail,\"line one\nline two\",high\n" +
		"\"Beta, \"\"the best\"\"\",Plovdiv,telegram:12,,,,,=1+1,\n" +
		"Gamma,,,,,,,,low\n"
	export := func(e *dataEnv) []byte {
		rec := e.say("console:admin", "/export clients")
		f := rec.Replies[0].File
		if f == nil || !strings.HasSuffix(f.Name, ".csv") {
			t.Fatalf("no CSV: %+v", rec.Replies)
		}
		chattest.Want(t, rec.Text(), "clients-2026-03-02.csv: 3 rows.")
		return f.Data
	}
	a := newDataEnv(t, "")
	chattest.Want(t, a.say("console:admin", "", chattest.CSVFile("in.csv", file)).Text(), "Added: 3, updated: 0, unchanged: 0, rejected: 0.")
	first := export(a)
	if !bytes.HasPrefix(first, []byte("\uFEFFname,segment,industry,size,city,need,level,focus,status,lang,source,owner,contact,phone,email,rating,notes,priority\n")) {
		t.Errorf("header: %q", first[:min(len(first), 200)])
	}
	if !bytes.Contains(first, []byte(`'=1+1`)) {
		t.Error("a formula-like value is not guarded")
	}
	b := newDataEnv(t, "")
	chattest.Want(t, b.say("console:admin", "", chattest.CSVFile("clients.csv", string(first))).Text(), "Added: 3, updated: 0, unchanged: 0, rejected: 0.")
	second := export(b)
	if !bytes.Equal(first, second) {
		t.Errorf("export after re-import differs:\n%s\n---\n%s", first, second)
	}
	for _, name := range []string{"Акме ООД", `Beta, "the best"`, "Gamma"} {
		ca, cb := a.Client(name), b.Client(name)
		if ca == nil || cb == nil {
			t.Fatalf("%s missing: %v %v", name, ca, cb)
		}
		fa, fb := ca.Fields(), cb.Fields()
		if fmt.Sprint(fa) != fmt.Sprint(fb) || ca.OwnerID != cb.OwnerID {
			t.Errorf("%s: %v owner %d vs %v owner %d", name, fa, ca.OwnerID, fb, cb.OwnerID)
		}
	}
	if c := a.Client("Акме ООД"); c.Lang != "bg" || c.Custom["notes"] != "line one\nline two" {
		t.Errorf("Акме: %+v", c)
	}
	// A manager's export holds only their clients.
	rec := a.say("telegram:11", "/export clients")
	if f := rec.Replies[0].File; f == nil || bytes.Contains(f.Data, []byte("Gamma")) || !bytes.Contains(f.Data, []byte("Акме")) {
		t.Errorf("Maria's export: %s", rec.Text())
	}
	chattest.Want(t, a.say("console:admin", "/export pets").Text(), "Usage: /export clients")
}

func TestClientExportJSON(t *testing.T) {
	e := newDataEnv(t, "")
	e.say("telegram:11", `/client add "Acme Ltd" city=Sofia`)
	e.say("telegram:11", `/log Acme: talked about prices #call next: send offer by 2026-03-05`)
	rec := e.say("telegram:11", "/client export Acme")
	f := rec.Replies[0].File
	if f == nil || f.MIME != "application/json" || !rec.Replies[0].Private {
		t.Fatalf("reply %+v", rec.Replies)
	}
	var doc struct {
		Client        crm.Client
		Owner         string
		Conversations []crm.Conversation
		Tasks         []crm.Task
		History       []crm.Change
		People        map[string]string
	}
	if err := json.Unmarshal(f.Data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Client.Name != "Acme Ltd" || doc.Owner != "Maria Manager" || len(doc.Conversations) != 1 ||
		doc.Conversations[0].Text != "talked about prices" || len(doc.Tasks) != 1 || len(doc.History) == 0 || len(doc.People) == 0 {
		t.Errorf("export: %s", f.Data)
	}
	// Ivan does not see Maria's client.
	chattest.Want(t, e.say("telegram:12", "/client export Acme").Text(), `No client of yours matches "Acme"`)
	chattest.Want(t, e.say("telegram:12", "/клиент изнеси Acme").Text(), `No client of yours matches "Acme"`)
}

func TestClientForget(t *testing.T) {
	e := newDataEnv(t, "")
	e.say("telegram:11", `/client add "Acme Ltd" city=Sofia`)
	e.say("telegram:11", `/client add "Keep Ltd"`)
	e.say("telegram:11", `/log Acme: secret plans next: call by 2026-03-05`)
	e.say("telegram:11", `/log Keep: keep this`)
	e.say("telegram:11", `/promise Acme: free service visit by 2026-03-20`)
	e.say("telegram:11", `/csat Acme 4: fine`)
	acme := e.Client("Acme Ltd")

	chattest.Want(t, e.say("telegram:11", "/client forget Acme").Text(), "Only the head of the company erases clients.")
	rec := e.say("console:admin", "/client forget Acme")
	chattest.Want(t, rec.Text(), "Erase Acme Ltd for good")
	btn := rec.Replies[0].Buttons[0][0]
	if btn.Data != fmt.Sprintf("/client forget #%d confirm", acme.ID) {
		t.Fatalf("confirm button %+v", btn)
	}
	if e.Client("Acme Ltd") == nil {
		t.Fatal("erased before confirmation")
	}
	m := &bot.Message{Platform: "console", ChatID: "c", Identity: "console:admin", Text: btn.Data, Button: true, Private: true}
	rec = &bot.Recorder{}
	if err := e.Svc.ServeChat(context.Background(), rec, m); err != nil {
		t.Fatal(err)
	}
	chattest.Want(t, rec.Text(), "Erased for good: Acme Ltd (conversations: 1, health, satisfaction and renewal records: 1, history entries: 1, "+
		"planning records (plans, meetings, promises, payments, leads, competitor notes): 1, tasks: 1). Clients erased so far: 1.")
	if e.Client("Acme Ltd") != nil {
		t.Error("Acme still there")
	}
	chattest.Want(t, e.say("telegram:11", "/client Acme").Text(), `No client of yours matches "Acme"`)
	if tasks, _ := e.Store.OpenTasks(context.Background(), []uint64{e.Person("telegram:11").ID}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); len(tasks) != 0 {
		t.Errorf("tasks left: %+v", tasks)
	}
	chattest.Want(t, e.say("telegram:11", "/client Keep").Text(), "keep this")
	// Pressing the button again finds nothing.
	rec = &bot.Recorder{}
	e.Svc.ServeChat(context.Background(), rec, m)
	chattest.Want(t, rec.Text(), "No client of yours matches")
	chattest.Want(t, e.say("console:admin", "/клиент забрави Keep").Text(), "Erase Keep Ltd for good")
	// In Bulgarian every kind of record erased has its words: none is
	// named by the store's name for it.
	e.say("telegram:11", `/promise Keep: free service visit by 2026-03-20`)
	e.say("telegram:11", `/csat Keep 4`)
	e.say("console:admin", "/lang bg")
	m.Text = fmt.Sprintf("/client forget #%d confirm", e.Client("Keep Ltd").ID)
	rec = &bot.Recorder{}
	if err := e.Svc.ServeChat(context.Background(), rec, m); err != nil {
		t.Fatal(err)
	}
	chattest.Want(t, rec.Text(), "записи от планирането (планове, срещи, обещания, плащания, кампании, бележки за конкуренти): 1")
	chattest.Want(t, rec.Text(), "записи за здравето, удовлетвореността и подновяванията: 1")
	for _, raw := range []string{"planning:", "health:", "history:", "conversations:"} {
		if strings.Contains(rec.Text(), raw) {
			t.Errorf("the Bulgarian reply names a kind by the store's word %q: %s", raw, rec.Text())
		}
	}
}

// clientsCSV returns a client CSV of n rows, spread over owners.
func clientsCSV(n int) string {
	var b strings.Builder
	b.Grow(n * 120)
	b.WriteString("name,segment,city,owner,contact,phone,email,notes\n")
	owners := []string{"", "Maria Manager", "telegram:12", "Sofia Supervisor"}
	cities := []string{"София", "Пловдив", "Варна", "Бургас", "Русе"}
	for i := range n {
		fmt.Fprintf(&b, "Клиент %06d ООД,retail,%s,%s,Иван Петров,+359 88 %06d,office%d@example.bg,note %d\n",
			i, cities[i%len(cities)], owners[i%len(owners)], i, i, i)
	}
	return b.String()
}

// TestImport50k imports 50,000 clients into an on-disk store (synced
// writes, as in production) through the whole path: CSV reader, checks,
// batched store writes with indexes and history.
// TestImportManyClients imports more rows than one store batch holds and
// checks that every row arrives with its owner. The speed of a 50,000-row
// import is BenchmarkImportClients50k's to measure.
func TestImportManyClients(t *testing.T) {
	const rows = 5000
	data := clientsCSV(rows)
	e := newDataEnv(t, t.TempDir())
	rep, _, err := e.Svc.ImportClients(e.Ctx, "console:admin", strings.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != rows || rep.RejectedCount != 0 {
		t.Fatalf("report %+v", rep)
	}
	counts, _ := e.Store.CountClients(context.Background())
	if counts[e.Person("telegram:11").ID] != rows/4 {
		t.Errorf("Maria owns %d clients, want %d", counts[e.Person("telegram:11").ID], rows/4)
	}
}

func BenchmarkImportClients50k(b *testing.B) {
	data := clientsCSV(50000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		b.StopTimer()
		e := newDataEnv(b, b.TempDir())
		b.StartTimer()
		rep, _, err := e.Svc.ImportClients(e.Ctx, "console:admin", strings.NewReader(data), nil)
		if err != nil || rep.Added != 50000 {
			b.Fatalf("%+v %v", rep, err)
		}
	}
}

func BenchmarkExportClients50k(b *testing.B) {
	e := newDataEnv(b, b.TempDir())
	if _, _, err := e.Svc.ImportClients(e.Ctx, "console:admin", strings.NewReader(clientsCSV(50000)), nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		n, err := e.Svc.ExportClients(e.Ctx, "console:admin", io.Discard)
		if err != nil || n != 50000 {
			b.Fatalf("%d %v", n, err)
		}
	}
}

// tokenWriter stores every button of every reply as a long-button token,
// as the Telegram adapter does, with the context of the reply.
type tokenWriter struct {
	st  *store.Store
	n   int
	ids []string
}

func (w *tokenWriter) Reply(ctx context.Context, r bot.Reply) error {
	for _, row := range r.Buttons {
		for _, b := range row {
			w.n++
			id := "t" + strconv.Itoa(w.n)
			if err := w.st.PutToken(ctx, id, b.Label+" "+b.Data+" "+r.Text, time.Hour); err != nil {
				return err
			}
			w.ids = append(w.ids, id)
		}
	}
	return nil
}

// TestForgetDropsButtonTokens: the buttons of a reply about a client, kept
// as tokens by an adapter, are erased with the client.
func TestForgetDropsButtonTokens(t *testing.T) {
	e := newDataEnv(t, "")
	e.Must("console:admin", "/client add Zorbatron city=Sofia", "Saved")
	e.Must("console:admin", "/log Zorbatron: SECRET-PLAN discussed next: call by 2026-12-01", "Saved")
	w := &tokenWriter{st: e.Store}
	m := &bot.Message{Platform: "console", ChatID: "c", Identity: "console:admin", Text: "/client Zorbatron", Private: true}
	if err := e.Svc.ServeChat(e.Ctx, w, m); err != nil {
		t.Fatal(err)
	}
	if len(w.ids) == 0 {
		t.Fatal("the card has no buttons")
	}
	rec := e.Send("console:admin", "/client forget Zorbatron")
	e.Must("console:admin", rec.Replies[0].Buttons[0][0].Data, "Erased for good")
	for _, id := range w.ids {
		if v, err := e.Store.Token(e.Ctx, id); err == nil {
			t.Errorf("token %s survived the erasure: %q", id, v)
		}
	}
}
