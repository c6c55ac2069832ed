package slack_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
)

// fakeFile is a file shared in Slack, kept by the fake.
type fakeFile struct {
	id, name string
	data     []byte
}

// addFile keeps data as a shared file and returns the file object that
// Slack puts in a file_share event.
func (f *fakeSlack) addFile(name string, data []byte) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := "F" + strconv.Itoa(len(f.files)+1)
	f.files[id] = fakeFile{id: id, name: name, data: data}
	return f.fileJSON(f.files[id])
}

// fileJSON is a file object; the caller holds f.mu.
func (f *fakeSlack) fileJSON(ff fakeFile) map[string]any {
	u := f.srv.URL + "/files-pri/T1-" + ff.id + "/"
	return map[string]any{
		"id": ff.id, "name": ff.name, "title": ff.name, "mimetype": "text/csv", "filetype": "csv",
		"size": len(ff.data), "url_private": u + ff.name, "url_private_download": u + "download/" + ff.name,
	}
}

// fileInfo answers files.info.
func (f *fakeSlack) fileInfo(id string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	ff, ok := f.files[id]
	if !ok {
		return map[string]any{"ok": false, "error": "file_not_found"}
	}
	return map[string]any{"ok": true, "file": f.fileJSON(ff), "comments": []any{}, "paging": map[string]any{}}
}

// serveFile answers a private download: only with the bot token.
func (f *fakeSlack) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/files-pri/T1-")
	id, _, _ := strings.Cut(rest, "/")
	form := url.Values{"authorization": {r.Header.Get("Authorization")}, "file": {id}}
	if r.Header.Get("Authorization") != "Bearer xoxb-test" {
		f.record("file_download", form, nil)
		f.mu.Lock()
		f.calls[len(f.calls)-1].Status = http.StatusForbidden
		f.mu.Unlock()
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if fl, ok := f.record("file_download", form, nil); !ok {
		if fl.retryAfter != "" {
			w.Header().Set("Retry-After", fl.retryAfter)
		}
		w.WriteHeader(fl.status)
		return
	}
	f.mu.Lock()
	ff, ok := f.files[id]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	_, _ = w.Write(ff.data)
}

// fileShareEvent is a message in the DM of user with the bot that shares
// files, with text (a caption, or none).
func fileShareEvent(eventID, user, text string, files ...map[string]any) []byte {
	return eventJSON(eventID, map[string]any{
		"type": "message", "subtype": "file_share", "channel": "D" + user, "channel_type": "im", "user": user,
		"text": text, "ts": "1700000002.000100", "event_ts": "1700000002.000100", "files": files,
	})
}

// stamp keeps ts in the call whose form is form (each request has its
// own); the caller holds f.mu.
func (f *fakeSlack) stamp(form url.Values, ts string) {
	p := reflect.ValueOf(form).Pointer()
	for i := len(f.calls) - 1; i >= 0; i-- {
		if f.calls[i].Form != nil && reflect.ValueOf(f.calls[i].Form).Pointer() == p {
			f.calls[i].TS = ts
			return
		}
	}
}
