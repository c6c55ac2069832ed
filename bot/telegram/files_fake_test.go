package telegram

import (
	"net/http"
	"strconv"
	"time"
)

// fakeFile is a document kept by the fake Bot API.
type fakeFile struct {
	path string
	data []byte
	// size is what the API says the file's size is.
	size int64
}

// addFile keeps data as a document and returns its file_id.
func (f *fakeAPI) addFile(name string, data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := "doc" + strconv.Itoa(len(f.files)+1)
	f.files[id] = fakeFile{path: "documents/" + id + "_" + name, data: data, size: int64(len(data))}
	return id
}

// serveFile answers a download from /file/bot<token>/<path>.
func (f *fakeAPI) serveFile(w http.ResponseWriter, path string) {
	f.mu.Lock()
	var data []byte
	found := false
	for _, file := range f.files {
		if file.path == path {
			data, found = file.data, true
		}
	}
	f.mu.Unlock()
	status := http.StatusOK
	if !found {
		status = http.StatusNotFound
	}
	f.record(apiCall{Method: "download", Params: map[string]string{"path": path}, At: time.Now()}, status)
	if !found {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

// documentUpdate builds a private message from u that carries a document
// of the size given (which may differ from the file's, as a lying client's
// would) and a caption.
func documentUpdate(u tgUser, fileID, name, mimeType string, size int64, caption string) func(int64) map[string]any {
	return func(id int64) map[string]any {
		msg := map[string]any{
			"message_id": int(id) + 10, "date": 1767225600, "chat": chatJSON(u.ID, "private"), "from": u.json(),
			"document": map[string]any{"file_id": fileID, "file_unique_id": "u" + fileID, "file_name": name, "mime_type": mimeType, "file_size": size},
		}
		if caption != "" {
			msg["caption"] = caption
		}
		return map[string]any{"update_id": id, "message": msg}
	}
}
